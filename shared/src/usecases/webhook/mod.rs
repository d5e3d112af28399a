//! Stripe's events, after the signature has been checked on the raw bytes: each Checkout Session
//! settles into exactly one payment, however often or in whatever order its events arrive.

use serde::Deserialize;

mod payment;
mod refund;

use crate::domain::{Link, LinkId, PaymentState, SessionId, Timestamp};
use crate::ports::{Commit, Read, StoreError, Wanted, Write};

#[derive(Debug, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub account: Option<String>,
    pub data: EventData,
}

/// The event's object, kept as the JSON it arrived as until the event's type says what it is.
#[derive(Debug, Deserialize)]
pub struct EventData {
    pub object: Box<serde_json::value::RawValue>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CustomerDetails {
    #[serde(default)]
    pub(crate) email: Option<String>,
    #[serde(default)]
    pub(crate) name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SessionObject {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) payment_status: Option<String>,
    #[serde(default)]
    pub(crate) amount_total: Option<i64>,
    #[serde(default)]
    pub(crate) currency: Option<String>,
    #[serde(default)]
    pub(crate) customer_details: Option<CustomerDetails>,
    #[serde(default)]
    pub(crate) client_reference_id: Option<String>,
    #[serde(default)]
    pub(crate) metadata: std::collections::HashMap<String, String>,
    #[serde(default)]
    pub(crate) payment_intent: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ChargeObject {
    #[serde(default)]
    pub(crate) id: Option<String>,
    pub(crate) amount: i64,
    pub(crate) amount_refunded: i64,
    #[serde(default)]
    pub(crate) payment_intent: Option<String>,
}

/// What the webhook did with an event, for the response and the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    Recorded,
    Duplicate,
    SessionForgotten,
    /// A refund whose payment has not landed yet: kept, and applied when it does.
    KeptForItsPayment,
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

/// What the webhook may ask of the store.
pub trait WebhookStore: Read + Commit {}

impl<T: Read + Commit + ?Sized> WebhookStore for T {}

/// Records what an event says, exactly once however often and in whatever order events come.
pub async fn handle_event<S: WebhookStore + ?Sized>(
    store: &S,
    event: &Event,
    now: Timestamp,
    retention_days: i64,
) -> Result<Handled, WebhookError> {
    let state = match event.kind.as_str() {
        "checkout.session.completed" => None,
        "checkout.session.async_payment_succeeded" => Some(PaymentState::Paid),
        "checkout.session.async_payment_failed" => Some(PaymentState::Failed),
        "checkout.session.expired" => return forget(store, event).await,
        "charge.refunded" => return refund::record(store, event, &parse(event)?, now, retention_days).await,
        _ => return Ok(Handled::Ignored),
    };
    let session: SessionObject = parse(event)?;
    let state = state.unwrap_or(match session.payment_status.as_deref() {
        Some("paid") | Some("no_payment_required") => PaymentState::Paid,
        _ => PaymentState::Processing,
    });
    payment::record(store, event, &session, state, now, retention_days).await
}

fn parse<T: serde::de::DeserializeOwned>(event: &Event) -> Result<T, WebhookError> {
    serde_json::from_str(event.data.object.get()).map_err(|e| WebhookError::Malformed(e.to_string()))
}

fn link_of(session: &SessionObject) -> Option<LinkId> {
    session
        .metadata
        .get(crate::metadata::LINK_ID)
        .or(session.client_reference_id.as_ref())
        .and_then(|id| LinkId::parse(id))
}

/// Stripe Connect: an event counts for a link only when it comes from the account the link's
/// sessions are made on (none: the platform's). Anyone with a connected account can make a
/// session whose metadata names our link; only the account tells them apart.
fn from_links_account(event: &Event, link: &Link) -> bool {
    let matches = event.account.as_deref() == link.stripe_account.as_ref().map(|a| a.as_str());
    if !matches {
        tracing::warn!(event = %event.id, "event from another Stripe account than the link's; ignored");
    }
    matches
}

/// `checkout.session.expired`: the link forgets that session, so the next open makes a new one.
async fn forget<S: WebhookStore + ?Sized>(store: &S, event: &Event) -> Result<Handled, WebhookError> {
    let session: SessionObject = parse(event)?;
    let (Some(link_id), Ok(session_id)) = (link_of(&session), SessionId::parse(&session.id)) else {
        return Ok(Handled::Ignored);
    };
    for _ in super::attempts() {
        let wanted = Wanted { link: Some(link_id.clone()), ..Wanted::default() };
        let Some(mut link) = store.read(&wanted).await?.link else { return Ok(Handled::Ignored) };
        if !from_links_account(event, &link) || !link.forget_session(&session_id) {
            return Ok(Handled::Ignored);
        }
        match store.commit(vec![Write::Link(link)]).await {
            Ok(()) => return Ok(Handled::SessionForgotten),
            Err(StoreError::Conflict) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(StoreError::Conflict.into())
}
