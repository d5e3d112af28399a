//! Stripe's events, after the signature has been checked on the raw bytes: each Checkout Session
//! settles into exactly one payment, however often or in whatever order its events arrive.

use serde::Deserialize;

use crate::domain::{
    Amount, Currency, LinkId, LinkKind, LinkStatus, MerchantId, Payment, PaymentSource, PaymentState, SessionId,
    Timestamp,
};
use crate::ports::{Applied, LinkStore, SessionOutcome, StoreError};

#[derive(Debug, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub account: Option<String>,
    pub data: EventData,
}

#[derive(Debug, Deserialize)]
pub struct EventData {
    pub object: serde_json::Value,
}

#[derive(Debug, Deserialize)]
struct CustomerDetails {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SessionObject {
    id: String,
    #[serde(default)]
    payment_status: Option<String>,
    #[serde(default)]
    amount_total: Option<i64>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    customer_details: Option<CustomerDetails>,
    #[serde(default)]
    client_reference_id: Option<String>,
    #[serde(default)]
    metadata: std::collections::HashMap<String, String>,
    #[serde(default)]
    payment_intent: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ChargeObject {
    amount: i64,
    amount_refunded: i64,
    #[serde(default)]
    payment_intent: Option<String>,
}

/// What the webhook did with an event, for the response and the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    Recorded,
    Duplicate,
    SessionForgotten,
    /// Not an event we act on, or not about one of our links.
    Ignored,
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("the event is not a Stripe event: {0}")]
    Malformed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub async fn handle_event(
    store: &dyn LinkStore,
    event: &Event,
    now: Timestamp,
    retention_days: i64,
) -> Result<Handled, WebhookError> {
    let state = match event.kind.as_str() {
        "checkout.session.completed" => None,
        "checkout.session.async_payment_succeeded" => Some(PaymentState::Paid),
        "checkout.session.async_payment_failed" => Some(PaymentState::Failed),
        "checkout.session.expired" => return forget(store, event).await,
        "charge.refunded" => return refund(store, event, now).await,
        _ => return Ok(Handled::Ignored),
    };
    let session: SessionObject =
        serde_json::from_value(event.data.object.clone()).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let state = state.unwrap_or(match session.payment_status.as_deref() {
        Some("paid") | Some("no_payment_required") => PaymentState::Paid,
        _ => PaymentState::Processing,
    });
    let Some(link_id) = link_of(&session) else { return Ok(Handled::Ignored) };
    let Ok(session_id) = SessionId::parse(&session.id) else { return Ok(Handled::Ignored) };
    // Read without the retention cut-off: money for a link is recorded even after it ended.
    crate::logging::record_link(&link_id);
    let link = store.get_link(&link_id, Timestamp::from_unix(i64::MIN)).await?;
    let Some(link) = link else {
        tracing::warn!(event = %event.id, "payment for a link this system does not hold; ignored");
        return Ok(Handled::Ignored);
    };
    if session.metadata.get("merchant_id").is_some_and(|m| m != link.merchant_id.as_str()) {
        tracing::warn!(event = %event.id, "session names another merchant than its link; ignored");
        return Ok(Handled::Ignored);
    }
    if !from_merchants_account(store, event, &link.merchant_id).await? {
        return Ok(Handled::Ignored);
    }
    let flag = match link.status_at(now) {
        LinkStatus::Void => Some("link_void"),
        LinkStatus::Expired => Some("link_expired"),
        LinkStatus::Deleted => Some("link_deleted"),
        _ => None,
    };
    // What Stripe charged: a promotion code lowers it, `no_payment_required` makes it zero.
    let amount = session.amount_total.and_then(|a| Amount::charged(a).ok()).unwrap_or(link.amount);
    let currency = session.currency.as_deref().and_then(|c| Currency::parse(c).ok()).unwrap_or(link.currency);
    let details = session.customer_details.as_ref();
    let payment = Payment {
        session_id,
        link_id: link.id.clone(),
        merchant_id: link.merchant_id.clone(),
        order_id: link.order_id.clone(),
        state,
        source: PaymentSource::Stripe,
        amount,
        currency,
        customer_email: details.and_then(|d| d.email.clone()),
        customer_name: details.and_then(|d| d.name.clone()),
        recorded_at: now,
        flag: flag.map(str::to_string),
        failure: (state == PaymentState::Failed).then(|| "async_payment_failed".to_string()),
        payment_intent: session.payment_intent.clone(),
        refunded: 0,
        // A payment is kept as long as its link: from now when it closes an order link, else
        // until the link itself ends (and `retain_link_data` moves the deadline then).
        purge_at: if link.kind == LinkKind::Order && state == PaymentState::Paid {
            Some(now.plus_days(retention_days))
        } else {
            link.purge_at
        },
    };
    if let Some(flag) = flag {
        tracing::warn!(event = %event.id, link = %link.id, flag, "payment arrived for a link that is not active; recorded and flagged");
    }
    let closes_link = link.kind == LinkKind::Order;
    let purge_at = payment.purge_at;
    let outcome = SessionOutcome { payment, closes_link };
    let applied = store.apply_session_outcome(&outcome).await?;
    if state == PaymentState::Failed {
        // Stripe shows a failed session as complete: the next open must make a new one, so the
        // customer can try another way to pay. Also on a repeat, so a fault here heals on retry.
        store.forget_session(&link.id, &outcome.payment.session_id).await?;
    }
    if closes_link && state == PaymentState::Paid {
        // Also on a repeat: a fault after the payment was recorded heals when Stripe retries.
        store.retain_link_data(&link, purge_at).await?;
    }
    Ok(match applied {
        Applied::Changed => Handled::Recorded,
        Applied::Unchanged => Handled::Duplicate,
    })
}

/// Stripe Connect: an event from a connected account (`account`) counts only for the merchant
/// whose settings name that account, and a platform event only for merchants without one.
async fn from_merchants_account(
    store: &dyn LinkStore,
    event: &Event,
    merchant: &MerchantId,
) -> Result<bool, StoreError> {
    let settings = store.get_settings(merchant).await?.unwrap_or_default();
    let expected = settings.stripe_account.as_ref().map(|a| a.as_str());
    let matches = event.account.as_deref() == expected;
    if !matches {
        tracing::warn!(event = %event.id, "event from another Stripe account than the merchant's; ignored");
    }
    Ok(matches)
}

/// `charge.refunded`: the order becomes `refunded` or `partially_refunded`, the refund recorded.
async fn refund(store: &dyn LinkStore, event: &Event, now: Timestamp) -> Result<Handled, WebhookError> {
    let charge: ChargeObject =
        serde_json::from_value(event.data.object.clone()).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let Some(intent) = charge.payment_intent.as_deref() else { return Ok(Handled::Ignored) };
    let Some(payment) = store.find_payment_by_intent(intent).await? else { return Ok(Handled::Ignored) };
    if !from_merchants_account(store, event, &payment.merchant_id).await? {
        return Ok(Handled::Ignored);
    }
    let status = if charge.amount_refunded >= charge.amount.min(payment.amount.minor()) {
        crate::domain::OrderPaymentStatus::Refunded
    } else {
        crate::domain::OrderPaymentStatus::PartiallyRefunded
    };
    Ok(match store.record_refund(&payment, charge.amount_refunded, status, now).await? {
        Applied::Changed => Handled::Recorded,
        Applied::Unchanged => Handled::Duplicate,
    })
}

fn link_of(session: &SessionObject) -> Option<LinkId> {
    session.metadata.get("link_id").or(session.client_reference_id.as_ref()).and_then(|id| LinkId::parse(id))
}

async fn forget(store: &dyn LinkStore, event: &Event) -> Result<Handled, WebhookError> {
    let session: SessionObject =
        serde_json::from_value(event.data.object.clone()).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    let (Some(link_id), Ok(session_id)) = (link_of(&session), SessionId::parse(&session.id)) else {
        return Ok(Handled::Ignored);
    };
    Ok(if store.forget_session(&link_id, &session_id).await? { Handled::SessionForgotten } else { Handled::Ignored })
}
