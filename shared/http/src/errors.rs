//! Every use case's error as the route answers it: the one place errors become HTTP.

use lambda_http::http::StatusCode;
use paylinks::domain::ValidationError;
use paylinks::ports::{CheckoutError, StoreError};
use paylinks::usecases::QueryError;
use paylinks::usecases::create_link::CreateLinkError;
use paylinks::usecases::event_log::EventLogError;
use paylinks::usecases::manage::ManageError;
use paylinks::usecases::orders::OrderError;
use paylinks::usecases::send::SendLinkError;
use paylinks::usecases::webhook_endpoints::EndpointError;

use crate::ApiError;

impl From<ValidationError> for ApiError {
    fn from(err: ValidationError) -> Self {
        Self::validation(err)
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict => {
                Self::conflict("conflict", "The object changed while we were working on it. Please retry.")
            }
            StoreError::Unavailable(_) => Self::unavailable(err),
        }
    }
}

impl From<CheckoutError> for ApiError {
    fn from(err: CheckoutError) -> Self {
        Self::unavailable(err)
    }
}

impl From<QueryError> for ApiError {
    fn from(err: QueryError) -> Self {
        ApiError::invalid_query(err.0)
    }
}

impl From<ManageError> for ApiError {
    fn from(err: ManageError) -> Self {
        match err {
            ManageError::NotFound => ApiError::not_found("link"),
            ManageError::AlreadyPaid => {
                ApiError::conflict("link_already_paid", "A paid link cannot be voided or reactivated.")
            }
            ManageError::Completed => ApiError::conflict(
                "link_completed",
                "The link took as many payments as its limit allows; make a new link to take more.",
            ),
            ManageError::CurrencyMismatch => ApiError::conflict(
                "currency_mismatch",
                "The link is priced in another currency than its order now is: make a new link for the order.",
            ),
            ManageError::Invalid(e) => ApiError::validation(e),
            ManageError::Store(e) => ApiError::from(e),
            ManageError::Checkout(e) => ApiError::from(e),
        }
    }
}

impl From<OrderError> for ApiError {
    fn from(err: OrderError) -> Self {
        match err {
            OrderError::NotFound => ApiError::not_found("order"),
            OrderError::AlreadyPaid => ApiError::conflict("order_already_paid", "The order has already been paid."),
            OrderError::Store(e) => ApiError::from(e),
        }
    }
}

impl From<SendLinkError> for ApiError {
    fn from(err: SendLinkError) -> Self {
        match err {
            SendLinkError::NotFound => ApiError::not_found("link"),
            SendLinkError::LinkNotActive => {
                ApiError::conflict("link_not_active", "The link is void, paid, deleted or expired: it cannot be sent.")
            }
            SendLinkError::Invalid(e) => ApiError::validation(e),
            SendLinkError::Store(e) => ApiError::from(e),
            SendLinkError::ProviderUnavailable(e) => ApiError::unavailable(e),
            SendLinkError::RateLimited { retry_after } => ApiError::rate_limited(retry_after),
        }
    }
}

impl From<CreateLinkError> for ApiError {
    fn from(err: CreateLinkError) -> Self {
        match err {
            CreateLinkError::Store(e) => ApiError::from(e),
            other => create_link_answer(&other),
        }
    }
}

/// How the route answers a create's error (a store fault, without its cause): also what an
/// `Idempotency-Key` keeps.
pub fn create_link_answer(err: &CreateLinkError) -> ApiError {
    match err {
        CreateLinkError::RateLimited { retry_after } => ApiError::rate_limited(*retry_after),
        CreateLinkError::Invalid(e) => ApiError::validation(e.clone()),
        CreateLinkError::RedirectHostNotAllowed { field } => {
            let mut e = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "redirect_host_not_allowed",
                format!("{field} must point at one of the merchant's allowed_redirect_hosts."),
            );
            e.field = Some(field.to_string());
            e
        }
        CreateLinkError::PaymentsNotEnabled => {
            ApiError::conflict("payments_not_enabled", "Payments are not enabled in the merchant's settings.")
        }
        CreateLinkError::CustomerCannotPayByCard => ApiError::conflict(
            "customer_cannot_pay_by_card",
            "The customer pays on invoice terms and cannot pay by card.",
        ),
        CreateLinkError::OrderAlreadyPaid => {
            ApiError::conflict("order_already_paid", "The order has already been paid.")
        }
        CreateLinkError::OrderNotPayable => {
            ApiError::conflict("order_not_payable", "The order is not tracked for payment, deleted or rejected.")
        }
        CreateLinkError::TooManyLinks => ApiError::conflict(
            "order_has_too_many_links",
            "The order has 50 links already: send one of them again, or void one and make a new one.",
        ),
        CreateLinkError::AmountBelowPaid => ApiError::conflict(
            "amount_below_paid",
            "The order was paid more than the new amount: give the difference back instead of lowering it.",
        ),
        CreateLinkError::CurrencyMismatch => ApiError::conflict(
            "currency_mismatch",
            "Money was recorded for this order in another currency: keep its currency.",
        ),
        CreateLinkError::IdempotencyKeyReused => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "This Idempotency-Key was used for a different request.",
        ),
        CreateLinkError::Store(StoreError::Conflict) => ApiError::from(StoreError::Conflict),
        CreateLinkError::Store(StoreError::Unavailable(_)) => ApiError::out_of_time(),
    }
}

impl From<EndpointError> for ApiError {
    fn from(err: EndpointError) -> Self {
        match err {
            EndpointError::Invalid(e) => ApiError::validation(e),
            EndpointError::UrlNotAllowed(message) => {
                let mut refused = ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "webhook_url_not_allowed",
                    format!("url {message}"),
                );
                refused.field = Some("url".into());
                refused
            }
            EndpointError::TooMany => ApiError::conflict("webhook_endpoint_limit", err.to_string()),
            EndpointError::NotFound => ApiError::not_found("webhook endpoint"),
            EndpointError::Store(e) => ApiError::from(e),
        }
    }
}

impl From<EventLogError> for ApiError {
    fn from(err: EventLogError) -> Self {
        match err {
            EventLogError::NotFound => ApiError::not_found("event"),
            EventLogError::Store(e) => ApiError::from(e),
        }
    }
}
