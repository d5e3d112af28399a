//! The outstanding view and what a merchant does with an order outside the platform:
//! `GET /orders`, `POST /orders/{id}/mark-paid`, `POST /orders/{id}/reject`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use super::QueryError;
use super::attempts;
use crate::domain::{
    Entry, EntryType, Figures, Link, MerchantId, Order, OrderError as Refused, OrderId, OrderPaymentStatus, Payment,
    PaymentSource, PaymentState, SessionId, Timestamp, Versioned, random_base62,
};
use crate::ports::{Checkout, Commit, ListOrders, Read, StoreError, Wanted, Write};

#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error("no such order")]
    NotFound,
    #[error("the order is already paid")]
    AlreadyPaid,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<Refused> for OrderError {
    fn from(err: Refused) -> Self {
        match err {
            Refused::AlreadyPaid
            | Refused::NotPayable
            | Refused::TooManyLinks
            | Refused::AmountBelowPaid
            | Refused::CurrencyMismatch => Self::AlreadyPaid,
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
    /// Its money, all computed from its ledger.
    #[serde(flatten)]
    pub figures: Figures,
    pub customer: CustomerView,
    pub link_ids: Vec<String>,
    pub updated_at: Timestamp,
    /// The ledger itself, oldest first (`GET /orders/{id}` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<EntryView>>,
}

/// One ledger entry as the API shows it: every key present, null when it does not apply.
#[derive(Debug, Clone, Serialize)]
pub struct EntryView {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub amount: i64,
    pub currency: &'static str,
    pub at: Timestamp,
    pub link_id: Option<String>,
    pub session_id: Option<String>,
    pub payment_intent: Option<String>,
    pub charge: Option<String>,
    pub flag: Option<String>,
    pub refunds: Option<&'static str>,
    pub discount: i64,
}

impl EntryView {
    fn of(entry: &Entry) -> Self {
        Self {
            kind: entry.kind.as_str(),
            amount: entry.amount,
            currency: entry.currency.code(),
            at: entry.at,
            link_id: entry.link_id.as_ref().map(ToString::to_string),
            session_id: entry.session_id.as_ref().map(|s| s.as_str().to_string()),
            payment_intent: entry.payment_intent.clone(),
            charge: entry.charge.clone(),
            flag: entry.flag.clone(),
            refunds: entry.refunds.map(EntryType::as_str),
            discount: entry.discount,
        }
    }
}

impl OrderView {
    pub fn of(order: &Order) -> Self {
        Self {
            id: order.id.to_string(),
            payment_status: order.payment_status.as_str(),
            amount: order.amount.minor(),
            currency: order.currency.code().to_string(),
            figures: order.figures(),
            customer: CustomerView {
                name: order.customer.as_ref().and_then(|c| c.name.clone()),
                email: order.customer.as_ref().and_then(|c| c.email.as_ref()).map(|e| e.as_str().to_string()),
            },
            link_ids: order.link_ids.iter().map(ToString::to_string).collect(),
            updated_at: order.updated_at,
            entries: None,
        }
    }

    /// With its ledger.
    pub fn with_entries(order: &Order) -> Self {
        Self { entries: Some(order.entries.iter().map(EntryView::of).collect()), ..Self::of(order) }
    }
}

/// `GET /orders/{id}`: the order with its ledger; another merchant's (or an unknown) is not found.
pub async fn get_order<S: Read + ?Sized>(store: &S, merchant: &MerchantId, id: &str) -> Result<Order, OrderError> {
    let id = OrderId::parse(id).map_err(|_| OrderError::NotFound)?;
    let wanted = Wanted { order: Some((merchant.clone(), id)), ..Wanted::default() };
    Ok(store.read(&wanted).await?.order.ok_or(OrderError::NotFound)?.value)
}

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<OrderPaymentStatus>,
    pub limit: usize,
    pub after: Option<String>,
}

impl OrderFilter {
    pub fn parse(get: impl Fn(&str) -> Option<String>) -> Result<Self, QueryError> {
        let status = match get("payment_status").as_deref() {
            None => None,
            Some(text) => Some(
                OrderPaymentStatus::parse(text)
                    .filter(|s| !matches!(s, OrderPaymentStatus::NotTracked | OrderPaymentStatus::Deleted))
                    .ok_or_else(|| {
                        QueryError::from_message(
                            "payment_status must be outstanding, partially_paid, processing, paid, refunded, partially_refunded or rejected",
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
                .ok_or_else(|| QueryError::from_message("limit must be a whole number from 1 to 100"))?,
        };
        let after = match get("cursor") {
            None => None,
            Some(text) => Some(
                URL_SAFE_NO_PAD
                    .decode(text.as_bytes())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .filter(|position| is_order_position(status, position))
                    .ok_or_else(|| QueryError::from_message("cursor is not one this API returned"))?,
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

pub async fn list_orders<S: ListOrders + ?Sized>(
    store: &S,
    merchant: &MerchantId,
    filter: &OrderFilter,
) -> Result<(Vec<OrderView>, Option<String>), StoreError> {
    let page = store.orders_page(merchant, filter.status, filter.after.as_deref(), filter.limit).await?;
    let next = (page.len() == filter.limit).then(|| page.last().map(|(_, p)| URL_SAFE_NO_PAD.encode(p))).flatten();
    Ok((page.iter().map(|(o, _)| OrderView::of(o)).collect(), next))
}

/// What managing an order may ask of the store.
pub trait OrderStore: Read + Commit {}

impl<T: Read + Commit + ?Sized> OrderStore for T {}

/// How the merchant settles an order outside the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settle {
    MarkPaid,
    Reject,
}

/// Paid outside the platform: the order turns paid, its links stop taking money (their open
/// Checkout Sessions are closed), and a manual payment is recorded on its current link (not
/// counted as earnings through Stripe).
pub async fn mark_paid<S: OrderStore + ?Sized>(
    store: &S,
    checkout: &dyn Checkout,
    merchant: &MerchantId,
    id: &str,
    now: Timestamp,
    retention_days: i64,
) -> Result<Order, OrderError> {
    settle(store, checkout, merchant, id, Settle::MarkPaid, now, retention_days).await
}

/// The order will not be paid: its links stop working, and open Stripe pages are closed.
pub async fn reject<S: OrderStore + ?Sized>(
    store: &S,
    checkout: &dyn Checkout,
    merchant: &MerchantId,
    id: &str,
    now: Timestamp,
    retention_days: i64,
) -> Result<Order, OrderError> {
    settle(store, checkout, merchant, id, Settle::Reject, now, retention_days).await
}

async fn settle<S: OrderStore + ?Sized>(
    store: &S,
    checkout: &dyn Checkout,
    merchant: &MerchantId,
    id: &str,
    how: Settle,
    now: Timestamp,
    retention_days: i64,
) -> Result<Order, OrderError> {
    let id = OrderId::parse(id).map_err(|_| OrderError::NotFound)?;
    for _ in attempts() {
        let wanted = Wanted {
            order: Some((merchant.clone(), id.clone())),
            endpoints: Some(merchant.clone()),
            ..Wanted::default()
        };
        let found = store.read(&wanted).await?;
        let mut order = found.order.ok_or(OrderError::NotFound)?;
        let endpoints = found.endpoints.map(|e| e.value.endpoints).unwrap_or_default();
        let status_before = order.payment_status;
        let settled = match how {
            Settle::MarkPaid => order.mark_paid(now, retention_days).map(Some),
            // Rejected before: its links are looked at again, for sessions a fault left open.
            Settle::Reject => order.reject(now, retention_days).map(|_| None),
        };
        let wanted = Wanted { links: order.link_ids.clone(), ..Wanted::default() };
        let mut links = store.read(&wanted).await?.links;
        let due = match settled {
            Ok(due) => due,
            Err(err) => {
                // A retry after Stripe failed to close a session: close it now, then answer as
                // before (the order was settled by the first call).
                close_sessions(store, checkout, links).await;
                return Err(err.into());
            }
        };
        let manual = due.and_then(|due| manual_payment(&order, due, now, retention_days));
        for link in &mut links {
            link.follow_order(order.payment_status, now, retention_days);
            link.order_paid = order.covered();
            link.order_amount = Some(order.amount);
            if let Some(payment) = manual.as_ref().filter(|p| p.link_id == link.id) {
                link.collected_manual += payment.amount.minor();
            }
        }
        let mut writes: Vec<Write> = links.iter().cloned().map(Write::Link).collect();
        writes.extend(manual.map(|p| Write::Payment(Versioned::new(p))));
        if order.payment_status != status_before {
            // A mark-paid tells the merchant's other systems as any other way of paying does.
            let told = crate::usecases::events::of_order(&endpoints, &order, PaymentSource::Manual, now);
            writes.extend(told.map(|e| Write::Event(Versioned::new(e))));
        }
        writes.push(Write::Order(order.clone()));
        match store.commit(writes).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => continue,
            Err(err) => return Err(err.into()),
        }
        close_sessions(store, checkout, links.into_iter().map(Versioned::committed).collect()).await;
        return Ok(order.value);
    }
    Err(StoreError::Conflict.into())
}

/// The manual payment of `due` on the order's current link, if it has one and anything was due.
fn manual_payment(order: &Order, due: i64, now: Timestamp, retention_days: i64) -> Option<Payment> {
    let link_id = order.current_link.as_ref().map(|c| c.id.clone()).or_else(|| order.link_ids.last().cloned())?;
    Some(Payment {
        session_id: SessionId::parse(&format!("manual_{}", random_base62(20))).expect("a valid id"),
        link_id,
        merchant_id: order.merchant_id.clone(),
        order_id: Some(order.id.clone()),
        state: PaymentState::Paid,
        source: PaymentSource::Manual,
        amount: crate::domain::Amount::parse(due).ok()?,
        currency: order.currency,
        customer_email: None,
        customer_name: order.customer.as_ref().and_then(|c| c.name.clone()),
        recorded_at: now,
        flag: None,
        failure: None,
        payment_intent: None,
        refunded: 0,
        purge_at: Some(now.plus_days(retention_days)),
        delivery_id: None,
        part_amount: None,
        made_for: None,
        tip_amount: None,
    })
}

/// Closes the open Checkout Sessions of an order's ended links, then forgets them. Best effort:
/// the order's change stands; a payment through a session that could not be closed is recorded
/// and flagged, and a repeated reject tries again.
pub(crate) async fn close_sessions<S: Read + Commit + ?Sized>(
    store: &S,
    checkout: &dyn Checkout,
    links: Vec<Versioned<Link>>,
) {
    let mut closed = Vec::new();
    for mut link in links {
        let Some(session) = link.session.take() else { continue };
        match checkout.expire_session(link.stripe_account.as_ref(), &session.id).await {
            Ok(()) => closed.push(Write::Link(link)),
            Err(err) => {
                tracing::warn!(link = %link.id, error = %err, "could not close an ended order's Checkout Session")
            }
        }
    }
    if !closed.is_empty()
        && let Err(err) = store.commit(closed).await
    {
        tracing::warn!(error = %err, "closed Checkout Sessions stay recorded on their links");
    }
}
