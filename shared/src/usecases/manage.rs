//! The merchant's view of one link: detail with payments, rename, void and reactivate, delete.

use serde::Serialize;
use serde_json::Value;

use super::fields::Fields;
use super::link_view::{LinkSummary, LinkUrls};
use crate::config::LinkConfig;
use crate::domain::{
    Link, LinkId, LinkStatus, MerchantId, Payment, PaymentState, Settings, Timestamp, ValidationError,
};
use crate::http::ApiError;
use crate::ports::{Checkout, CheckoutError, LinkStore, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    #[error("no such link")]
    NotFound,
    #[error("the link is paid")]
    AlreadyPaid,
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Checkout(#[from] CheckoutError),
}

impl From<ManageError> for ApiError {
    fn from(err: ManageError) -> Self {
        match err {
            ManageError::NotFound => ApiError::not_found("link"),
            ManageError::AlreadyPaid => {
                ApiError::conflict("link_already_paid", "A paid link cannot be voided or reactivated.")
            }
            ManageError::Invalid(e) => ApiError::validation(e),
            ManageError::Store(e) => ApiError::from(e),
            ManageError::Checkout(e) => ApiError::from(e),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PaymentView {
    pub session_id: String,
    pub status: PaymentState,
    pub amount: i64,
    pub currency: String,
    pub customer_email: Option<String>,
    pub customer_name: Option<String>,
    pub paid_at: Option<Timestamp>,
    pub source: crate::domain::PaymentSource,
    pub flag: Option<String>,
    pub refunded: i64,
}

impl PaymentView {
    fn of(p: &Payment) -> Self {
        Self {
            session_id: p.session_id.to_string(),
            status: p.state,
            amount: p.amount.minor(),
            currency: p.currency.code().to_string(),
            customer_email: p.customer_email.clone(),
            customer_name: p.customer_name.clone(),
            paid_at: (p.state == PaymentState::Paid).then_some(p.recorded_at),
            source: p.source,
            flag: p.flag.clone(),
            refunded: p.refunded,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LinkDetail {
    #[serde(flatten)]
    pub summary: LinkSummary,
    pub line_items: Vec<crate::domain::LineItem>,
    pub customer: Option<crate::domain::Customer>,
    pub landing_page_url: Option<String>,
    pub options: crate::domain::LinkOptions,
    pub opens: u64,
    pub deliveries: Vec<DeliveryView>,
    pub payments: Vec<PaymentView>,
}

/// The merchant's link, or `NotFound` for another merchant's (ids cannot be probed) or a deleted one.
pub async fn owned_link(
    store: &dyn LinkStore,
    merchant: &MerchantId,
    id: &str,
    now: Timestamp,
) -> Result<Link, ManageError> {
    let id = LinkId::parse(id).ok_or(ManageError::NotFound)?;
    crate::logging::record_link(&id);
    let link = store.get_link(&id, now).await?.ok_or(ManageError::NotFound)?;
    if &link.merchant_id != merchant || link.status == LinkStatus::Deleted {
        return Err(ManageError::NotFound);
    }
    Ok(link)
}

/// One message sent for the link, and how often its own URL was opened.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryView {
    pub id: String,
    pub channel: crate::domain::Channel,
    pub recipient: String,
    pub status: crate::domain::DeliveryStatus,
    pub message_id: Option<String>,
    pub error: Option<String>,
    pub opens: u64,
    /// Whether a paid payment came from this recipient (matched by the payer's email).
    pub paid: bool,
    pub sent_at: Timestamp,
}

pub async fn detail(
    store: &dyn LinkStore,
    urls: LinkUrls<'_>,
    link: Link,
    now: Timestamp,
) -> Result<LinkDetail, ManageError> {
    let payments = store.list_payments(&link.id).await?;
    let deliveries = store.list_deliveries(&link.id).await?;
    Ok(LinkDetail {
        summary: LinkSummary::of(&link, urls, now),
        line_items: link.line_items.clone(),
        customer: link.customer.clone(),
        landing_page_url: link.landing_page_url.clone(),
        options: link.options.clone(),
        opens: link.opens,
        deliveries: deliveries
            .into_iter()
            .map(|d| DeliveryView {
                id: d.id.to_string(),
                channel: d.channel,
                recipient: d.recipient.clone(),
                status: d.status,
                message_id: d.message_id,
                error: d.error,
                opens: d.opens,
                paid: payments.iter().any(|p| {
                    p.state == PaymentState::Paid
                        && p.customer_email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&d.recipient))
                }),
                sent_at: d.created_at,
            })
            .collect(),
        payments: payments.iter().map(PaymentView::of).collect(),
    })
}

/// A `PATCH /links/{id}` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkChange {
    pub name: Option<String>,
    pub active: Option<bool>,
}

impl LinkChange {
    pub fn parse(body: &Value) -> Result<Self, ValidationError> {
        let f = Fields::of(body, "")?;
        let change = Self { name: f.text("name", 200)?, active: f.boolean("active")? };
        if change.name.is_none() && change.active.is_none() {
            return Err(ValidationError::new("", "give name or active (or both)"));
        }
        Ok(change)
    }
}

/// Renames, voids or reactivates. Voiding also closes the link's open Checkout Session at Stripe,
/// so a customer who still has the Stripe page open cannot pay a void link.
pub async fn change(
    store: &dyn LinkStore,
    checkout: &dyn Checkout,
    config: &LinkConfig,
    settings: &Settings,
    link: &Link,
    change: &LinkChange,
    now: Timestamp,
) -> Result<(), ManageError> {
    if let Some(active) = change.active {
        if link.status == LinkStatus::Paid {
            return Err(ManageError::AlreadyPaid);
        }
        if active {
            // A session closed while the link was void must not be handed out again.
            close_session(store, checkout, settings, link).await?;
            let purge_at = link.expires_at.map(|e| e.plus_days(config.retention_days));
            move_link(store, link, &[LinkStatus::Void, LinkStatus::Active], LinkStatus::Active, purge_at, now).await?;
        } else {
            let purge_at = Some(now.plus_days(config.retention_days));
            move_link(store, link, &[LinkStatus::Active, LinkStatus::Void], LinkStatus::Void, purge_at, now).await?;
            close_session(store, checkout, settings, link).await?;
        }
    }
    if let Some(name) = &change.name {
        store.rename_link(&link.id, name).await?;
    }
    Ok(())
}

/// Deleting is final: the link stops being payable and disappears from the merchant's views.
pub async fn delete(
    store: &dyn LinkStore,
    checkout: &dyn Checkout,
    config: &LinkConfig,
    settings: &Settings,
    link: &Link,
    now: Timestamp,
) -> Result<(), ManageError> {
    let from = [LinkStatus::Active, LinkStatus::Void, LinkStatus::Paid];
    let purge_at = Some(now.plus_days(config.retention_days));
    // The link's own status changes last: a fault before it leaves the link as it was (its
    // session closed, its data's deadline set, both harmless to repeat), and the retry deletes it.
    close_session(store, checkout, settings, link).await?;
    store.retain_link_data(link, purge_at).await?;
    match store.set_link_status(&link.id, &from, LinkStatus::Deleted, purge_at).await {
        Ok(()) => Ok(()),
        Err(StoreError::Conflict) => Err(ManageError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// Changes the link's status and, with it, how long the link and everything it owns are kept.
async fn move_link(
    store: &dyn LinkStore,
    link: &Link,
    from: &[LinkStatus],
    to: LinkStatus,
    purge_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<(), ManageError> {
    match store.set_link_status(&link.id, from, to, purge_at).await {
        Ok(()) => Ok(store.retain_link_data(link, purge_at).await?),
        Err(StoreError::Conflict) => Err(conflict_reason(store, link, now).await),
        Err(e) => Err(e.into()),
    }
}

/// Expires the link's open session at Stripe, then forgets it; a retry after a Stripe fault
/// finds it still recorded and tries again.
async fn close_session(
    store: &dyn LinkStore,
    checkout: &dyn Checkout,
    settings: &Settings,
    link: &Link,
) -> Result<(), ManageError> {
    if let Some(session) = &link.session {
        checkout.expire_session(settings.stripe_account.as_ref(), &session.id).await?;
        store.forget_session(&link.id, &session.id).await?;
    }
    Ok(())
}

/// Why a conditional status change failed: the link was paid or deleted in the meantime.
async fn conflict_reason(store: &dyn LinkStore, link: &Link, now: Timestamp) -> ManageError {
    match store.get_link(&link.id, now).await {
        Ok(Some(fresh)) if fresh.status == LinkStatus::Paid => ManageError::AlreadyPaid,
        Ok(_) => ManageError::NotFound,
        Err(e) => e.into(),
    }
}
