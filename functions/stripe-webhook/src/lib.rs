//! stripe-webhook: `POST /stripe/webhook`, behind a function URL. The signature is checked on the
//! raw bytes before anything is parsed; a storage fault answers 5xx so Stripe retries.

use std::convert::Infallible;
use std::sync::Arc;

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use paylinks::budgets;
use paylinks::config::LinkConfig;
use paylinks::ports::{Clock, Store};
use paylinks::usecases::webhook::{Event, Handled, WebhookError, handle_event};
use paylinks_http::webhook_signature::WebhookSecrets;
use paylinks_http::{self as http, ApiError};
use serde_json::json;

pub struct Deps {
    pub store: Arc<dyn Store>,
    pub secrets: WebhookSecrets,
    pub config: LinkConfig,
    pub clock: Arc<dyn Clock>,
}

pub async fn handle(deps: &Deps, request: Request) -> Result<Response<Body>, Infallible> {
    let segments = http::path_segments(&request);
    // A function URL has no routes of its own: accept its root as well as the documented path.
    let path_ok = segments.is_empty() || segments == ["stripe", "webhook"];
    if request.method() != Method::POST || !path_ok {
        return Ok(ApiError::not_found("route").into_response());
    }
    let receive = async { receive(deps, &request).await.unwrap_or_else(ApiError::into_response) };
    let late = || ApiError::out_of_time().into_response();
    let response = paylinks_http::within_deadline(&budgets::STRIPE_WEBHOOK, receive, late).await;
    // Counted on what Stripe gets, a timeout's 503 included.
    paylinks::metrics::webhook_answered(response.status().as_u16());
    Ok(response)
}

async fn receive(deps: &Deps, request: &Request) -> Result<Response<Body>, ApiError> {
    let body = http::body_bytes(request);
    let signature = http::header(request, "stripe-signature").unwrap_or_default();
    let now = deps.clock.now();
    if let Err(err) = deps.secrets.verify(&signature, body, now.unix()) {
        tracing::warn!(reason = %err, "webhook signature rejected");
        paylinks::metrics::webhook_rejected("signature");
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_signature",
            "The Stripe-Signature header does not verify.",
        ));
    }
    let event: Event = serde_json::from_slice(body).map_err(|err| {
        paylinks::metrics::webhook_rejected("payload");
        ApiError::invalid_json(err)
    })?;
    let handled = match handle_event(deps.store.as_ref(), &event, now, deps.config.retention_days).await {
        Ok(handled) => handled,
        Err(WebhookError::Malformed(detail)) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_event",
                format!("The event cannot be read: {detail}"),
            ));
        }
        // Whatever the store said, Stripe must try again: a 5xx, never a 4xx.
        Err(WebhookError::Store(err)) => return Err(ApiError::unavailable(err)),
    };
    let result = match handled {
        Handled::Recorded => "recorded",
        Handled::Duplicate => "duplicate",
        Handled::SessionForgotten => "session_forgotten",
        Handled::KeptForItsPayment => "kept_for_its_payment",
        Handled::Ignored => "ignored",
    };
    tracing::info!(event = %event.id, kind = %event.kind, result, "webhook handled");
    Ok(http::json(StatusCode::OK, &json!({"received": true, "result": result})))
}
