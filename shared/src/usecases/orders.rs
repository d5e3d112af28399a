//! The outstanding view and what a merchant does with an order outside the platform:
//! `GET /orders`, `POST /orders/{id}/mark-paid`, `POST /orders/{id}/reject`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use crate::domain::{
    MerchantId, Order, OrderId, OrderPaymentStatus, Payment, PaymentSource, PaymentState, SessionId, Settings,
    Timestamp, random_base62,
};
use crate::http::ApiError;
use crate::ports::{Checkout, LinkStore, OrderChange, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error("no such order")]
    NotFound,
    #[error("the order is already paid")]
    AlreadyPaid,
    #[error(transparent)]
    Store(#[from] StoreError),
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

#[derive(Debug, Clone, Serialize)]
pub struct CustomerView {
    pub name: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrderView {
    pub id: String,
    pub payment_status: &'static str,
    pub amount: i64,
    pub currency: String,
    pub customer: CustomerView,
    pub link_ids: Vec<String>,
    pub updated_at: Timestamp,
}

impl OrderView {
    pub fn of(order: &Order) -> Self {
        Self {
            id: order.id.to_string(),
            payment_status: order.payment_status.as_str(),
            amount: order.amount.minor(),
            currency: order.currency.code().to_string(),
            customer: CustomerView {
                name: order.customer.as_ref().and_then(|c| c.name.clone()),
                email: order.customer.as_ref().and_then(|c| c.email.as_ref()).map(|e| e.as_str().to_string()),
            },
            link_ids: order.link_ids.iter().map(ToString::to_string).collect(),
            updated_at: order.updated_at,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<OrderPaymentStatus>,
    pub limit: usize,
    pub after: Option<String>,
}

impl OrderFilter {
    pub fn parse(get: impl Fn(&str) -> Option<String>) -> Result<Self, ApiError> {
        let status = match get("payment_status").as_deref() {
            None => None,
            Some(text) => Some(
                OrderPaymentStatus::parse(text)
                    .filter(|s| !matches!(s, OrderPaymentStatus::NotTracked | OrderPaymentStatus::Deleted))
                    .ok_or_else(|| {
                        ApiError::invalid_query(
                            "payment_status must be outstanding, processing, paid, refunded, partially_refunded or rejected",
                        )
                    })?,
            ),
        };
        let limit = match get("limit") {
            None => super::list::DEFAULT_LIMIT,
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=super::list::MAX_LIMIT).contains(n))
                .ok_or_else(|| ApiError::invalid_query("limit must be a whole number from 1 to 100"))?,
        };
        let after = match get("cursor") {
            None => None,
            Some(text) => Some(
                URL_SAFE_NO_PAD
                    .decode(text.as_bytes())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .filter(|position| is_order_position(status, position))
                    .ok_or_else(|| ApiError::invalid_query("cursor is not one this API returned"))?,
            ),
        };
        Ok(Self { status, limit, after })
    }
}

/// Whether `position` has the shape `orders_page` hands out for this filter. A cursor is only
/// base64 of a key: one edited by hand must be refused here, as the caller's mistake, before the
/// store turns it into a key condition DynamoDB rejects (an empty or inverted range), which would
/// look like an outage.
fn is_order_position(status: Option<OrderPaymentStatus>, position: &str) -> bool {
    let id = match status {
        Some(_) => match position.split_once('#') {
            Some((inverted_time, id))
                if inverted_time.len() == 13 && inverted_time.bytes().all(|b| b.is_ascii_digit()) =>
            {
                id
            }
            _ => return false,
        },
        None => match position.strip_prefix("ORDER#") {
            Some(id) => id,
            None => return false,
        },
    };
    OrderId::parse(id).is_ok()
}

pub async fn list_orders(
    store: &dyn LinkStore,
    merchant: &MerchantId,
    filter: &OrderFilter,
) -> Result<(Vec<OrderView>, Option<String>), StoreError> {
    let page = store.orders_page(merchant, filter.status, filter.after.as_deref(), filter.limit).await?;
    let next = (page.len() == filter.limit).then(|| page.last().map(|(_, p)| URL_SAFE_NO_PAD.encode(p))).flatten();
    Ok((page.iter().map(|(o, _)| OrderView::of(o)).collect(), next))
}

async fn owned_order(store: &dyn LinkStore, merchant: &MerchantId, id: &str) -> Result<Order, OrderError> {
    let id = OrderId::parse(id).map_err(|_| OrderError::NotFound)?;
    store.get_order(merchant, &id).await?.ok_or(OrderError::NotFound)
}

/// The merchant's order, as long as no money has been taken for it.
async fn unsettled_order(store: &dyn LinkStore, merchant: &MerchantId, id: &str) -> Result<Order, OrderError> {
    let order = owned_order(store, merchant, id).await?;
    if order.payment_status.is_settled() {
        return Err(OrderError::AlreadyPaid);
    }
    Ok(order)
}

/// Paid outside the platform: the order turns paid, its links stop taking money, and a manual
/// payment is recorded (not counted as earnings through Stripe).
pub async fn mark_paid(
    store: &dyn LinkStore,
    merchant: &MerchantId,
    id: &str,
    now: Timestamp,
    retention_days: i64,
) -> Result<Order, OrderError> {
    let order = unsettled_order(store, merchant, id).await?;
    let manual = order.current_link_id.as_ref().map(|link_id| Payment {
        session_id: SessionId::parse(&format!("manual_{}", random_base62(20))).expect("a valid id"),
        link_id: link_id.clone(),
        merchant_id: merchant.clone(),
        order_id: Some(order.id.clone()),
        state: PaymentState::Paid,
        source: PaymentSource::Manual,
        amount: order.amount,
        currency: order.currency,
        customer_email: None,
        customer_name: order.customer.as_ref().and_then(|c| c.name.clone()),
        recorded_at: now,
        flag: None,
        failure: None,
        payment_intent: None,
        refunded: 0,
        purge_at: Some(now.plus_days(retention_days)),
    });
    let from = [OrderPaymentStatus::Outstanding, OrderPaymentStatus::Processing, OrderPaymentStatus::Rejected];
    let purge_at = Some(now.plus_days(retention_days));
    let change =
        OrderChange { from: &from, to: OrderPaymentStatus::Paid, at: now, manual_payment: manual.as_ref(), purge_at };
    match store.set_order_status(merchant, &order.id, &change).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(OrderError::AlreadyPaid),
        Err(e) => return Err(e.into()),
    }
    // The order as written, without reading it back: nothing can fail after the one write.
    Ok(Order { payment_status: OrderPaymentStatus::Paid, updated_at: now, purge_at, ..order })
}

/// The order will not be paid: its links stop working, and open Stripe pages are closed.
pub async fn reject(
    store: &dyn LinkStore,
    checkout: &dyn Checkout,
    settings: &Settings,
    merchant: &MerchantId,
    id: &str,
    now: Timestamp,
    retention_days: i64,
) -> Result<Order, OrderError> {
    let order = unsettled_order(store, merchant, id).await?;
    if order.payment_status != OrderPaymentStatus::Rejected {
        let from = [OrderPaymentStatus::Outstanding, OrderPaymentStatus::Processing];
        let purge_at = Some(now.plus_days(retention_days));
        let change =
            OrderChange { from: &from, to: OrderPaymentStatus::Rejected, at: now, manual_payment: None, purge_at };
        match store.set_order_status(merchant, &order.id, &change).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => return Err(OrderError::AlreadyPaid),
            Err(e) => return Err(e.into()),
        }
    }
    for link_id in &order.link_ids {
        if let Some(session) = store.get_link(link_id, now).await?.and_then(|l| l.session) {
            if let Err(err) = checkout.expire_session(settings.stripe_account.as_ref(), &session.id).await {
                tracing::warn!(link = %link_id, error = %err, "could not close a rejected order's Checkout Session");
            } else {
                store.forget_session(link_id, &session.id).await?;
            }
        }
    }
    owned_order(store, merchant, id).await
}
