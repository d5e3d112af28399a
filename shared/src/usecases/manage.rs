//! The merchant's view of one link: detail with payments, rename, void and reactivate, delete.

use serde::Serialize;

use super::link_view::{LinkSummary, LinkUrls};
use super::{attempts, retained};
use crate::config::LinkConfig;
use crate::domain::{
    Link, LinkError, LinkId, LinkReminders, LinkStatus, MerchantId, Payment, PaymentState, Timestamp, ValidationError,
    Versioned,
};
use crate::ports::{Checkout, CheckoutError, Commit, Read, ReadLinkRecords, StoreError, Wanted, Write};

#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    #[error("no such link")]
    NotFound,
    #[error("the link is paid")]
    AlreadyPaid,
    #[error("the link took as many payments as it may")]
    Completed,
    /// A link voided when its order moved to another currency: it is priced in the old one.
    #[error("the link's currency is no longer its order's")]
    CurrencyMismatch,
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Checkout(#[from] CheckoutError),
}

impl From<LinkError> for ManageError {
    fn from(err: LinkError) -> Self {
        match err {
            LinkError::AlreadyPaid => Self::AlreadyPaid,
            LinkError::Completed => Self::Completed,
            LinkError::Deleted | LinkError::NotPayable => Self::NotFound,
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
    /// A part of the order's balance the customer chose, rather than the whole.
    pub partial: bool,
    /// The customer's tip, within `amount`.
    pub tip_amount: Option<i64>,
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
            partial: p.part_amount.is_some(),
            tip_amount: p.tip_amount.map(crate::domain::Amount::minor),
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
    pub partial_payments: Option<crate::domain::PartialPayments>,
    /// A reusable link's limit, what it took so far, and what it says at the limit.
    pub restrictions: crate::domain::Restrictions,
    pub completed_payments: u32,
    pub inactive_message: Option<String>,
    /// The link's own reminder policy or `false`; `null`: its merchant's settings apply.
    pub reminders: Option<LinkReminders>,
    pub opens: u64,
    pub deliveries: Vec<DeliveryView>,
    /// Recipients at each step of the funnel.
    pub funnel_summary: super::funnel::FunnelSummary,
    pub payments: Vec<PaymentView>,
}

/// Whether `link` is the merchant's, and not deleted: another merchant's id is not found, so
/// ids cannot be probed.
fn is_owned(link: &Link, merchant: &MerchantId) -> bool {
    &link.merchant_id == merchant && link.status != LinkStatus::Deleted
}

/// The merchant's link, or `NotFound`.
pub async fn owned_link<S: Read + ?Sized>(
    store: &S,
    merchant: &MerchantId,
    id: &str,
    now: Timestamp,
) -> Result<Versioned<Link>, ManageError> {
    let id = LinkId::parse(id).ok_or(ManageError::NotFound)?;
    crate::logging::record_link(&id);
    let wanted = Wanted { link: Some(id), ..Wanted::default() };
    retained(store.read(&wanted).await?.link, now).filter(|l| is_owned(l, merchant)).ok_or(ManageError::NotFound)
}

/// One message sent for the link, and how often its own URL was opened.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryView {
    pub id: String,
    pub channel: crate::domain::Channel,
    pub recipient: String,
    pub status: crate::domain::DeliveryStatus,
    /// `send` (the merchant's) or `reminder`.
    pub kind: crate::domain::DeliveryKind,
    /// A reminder's slot, from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slot: Option<u16>,
    pub message_id: Option<String>,
    pub error: Option<String>,
    pub opens: u64,
    /// Whether a paid payment came from this recipient (matched by the payer's email).
    pub paid: bool,
    pub sent_at: Timestamp,
    pub funnel: super::funnel::Funnel,
}

/// `GET /links/{id}`: the link and everything under it, in one query.
pub async fn detail<S: ReadLinkRecords + ?Sized>(
    store: &S,
    urls: LinkUrls<'_>,
    merchant: &MerchantId,
    id: &str,
    now: Timestamp,
) -> Result<LinkDetail, ManageError> {
    let id = LinkId::parse(id).ok_or(ManageError::NotFound)?;
    crate::logging::record_link(&id);
    let records = store.link_records(&id).await?;
    let link = retained(records.link, now).filter(|l| is_owned(l, merchant)).ok_or(ManageError::NotFound)?.value;
    let payments = records.payments;
    Ok(LinkDetail {
        summary: LinkSummary::of(&link, urls, now),
        line_items: link.line_items.clone(),
        customer: link.customer.clone(),
        landing_page_url: link.landing_page_url.clone(),
        options: link.options.clone(),
        partial_payments: link.partial_payments,
        restrictions: link.restrictions,
        completed_payments: link.completed_payments,
        inactive_message: link.inactive_message.clone(),
        reminders: link.reminders.clone(),
        opens: link.opens,
        funnel_summary: super::funnel::FunnelSummary::of(
            &records
                .deliveries
                .iter()
                .map(|d| (d.recipient_key(), super::funnel::Funnel::of(d, &payments)))
                .collect::<Vec<_>>(),
        ),
        deliveries: records
            .deliveries
            .into_iter()
            .map(|d| DeliveryView {
                funnel: super::funnel::Funnel::of(&d, &payments),
                paid: d.activity.paid_at.is_some()
                    || payments.iter().any(|p| {
                        p.state == PaymentState::Paid
                            && p.customer_email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&d.recipient))
                    }),
                id: d.id.to_string(),
                channel: d.channel,
                recipient: d.recipient,
                status: d.status,
                kind: d.kind,
                slot: d.slot,
                message_id: d.message_id,
                error: d.error,
                opens: d.opens,
                sent_at: d.created_at,
            })
            .collect(),
        payments: payments.iter().map(PaymentView::of).collect(),
    })
}

/// A `PATCH /links/{id}`: a new name, `active: false` to void, `true` to reactivate, the link's
/// own reminder policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkChange {
    pub name: Option<String>,
    pub active: Option<bool>,
    /// `Some(None)`: back to the merchant's reminder policy.
    pub reminders: Option<Option<LinkReminders>>,
}

/// What a merchant does to a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Move {
    Void,
    Reactivate,
    Delete,
}

/// What managing a link may ask of the store.
pub trait ManageStore: Read + Commit {}

impl<T: Read + Commit + ?Sized> ManageStore for T {}

/// Renames, voids or reactivates.
pub async fn change<S: ManageStore + ?Sized>(
    store: &S,
    checkout: &dyn Checkout,
    config: &LinkConfig,
    merchant: &MerchantId,
    id: &str,
    change: &LinkChange,
    now: Timestamp,
) -> Result<(), ManageError> {
    let to = change.active.map(|active| if active { Move::Reactivate } else { Move::Void });
    apply(store, checkout, config, merchant, id, to, change, now).await
}

/// Deleting is final: the link stops being payable and disappears from the merchant's views.
pub async fn delete<S: ManageStore + ?Sized>(
    store: &S,
    checkout: &dyn Checkout,
    config: &LinkConfig,
    merchant: &MerchantId,
    id: &str,
    now: Timestamp,
) -> Result<(), ManageError> {
    apply(store, checkout, config, merchant, id, Some(Move::Delete), &LinkChange::default(), now).await
}

/// Voiding stops new sessions first (the commit), then closes the open one at Stripe: a
/// customer who still has the Stripe page open cannot pay a void link, and a retry after a Stripe
/// fault finds the session still recorded and closes it. Deleting and reactivating close the
/// session before the change: a deleted link cannot be retried, and a reactivated one must not
/// hand out a closed session. A session attached meanwhile makes the commit conflict; it is
/// closed on the next round, so none attached up to the change stays open.
#[allow(clippy::too_many_arguments)]
async fn apply<S: ManageStore + ?Sized>(
    store: &S,
    checkout: &dyn Checkout,
    config: &LinkConfig,
    merchant: &MerchantId,
    id: &str,
    to: Option<Move>,
    edit: &LinkChange,
    now: Timestamp,
) -> Result<(), ManageError> {
    for _ in attempts() {
        let mut link = owned_link(store, merchant, id, now).await?;
        if to == Some(Move::Reactivate) && link.status == LinkStatus::Void {
            still_priced_as_its_order(store, &link).await?;
        }
        let before = link.value.clone();
        if let Some(to) = to {
            change_status(checkout, &mut link, to, now, config.retention_days).await?;
        }
        if let Some(name) = &edit.name {
            link.name = name.clone();
        }
        if let Some(reminders) = &edit.reminders {
            link.reminders = reminders.clone();
        }
        let order = match to {
            Some(Move::Void | Move::Delete) => order_without(store, &link).await?,
            _ => None,
        };
        if link.value != before || order.is_some() {
            let mut writes = vec![Write::Link(link.clone())];
            writes.extend(order.map(Write::Order));
            match store.commit(writes).await {
                Ok(()) => link = link.committed(),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        if to == Some(Move::Void)
            && let Some(session) = link.session.clone()
        {
            checkout.expire_session(link.stripe_account.as_ref(), &session.id).await?;
            forget_session(store, link, &session.id).await?;
        }
        return Ok(());
    }
    Err(StoreError::Conflict.into())
}

/// The move itself; deleting and reactivating close the open session at Stripe first.
async fn change_status(
    checkout: &dyn Checkout,
    link: &mut Versioned<Link>,
    to: Move,
    now: Timestamp,
    retention_days: i64,
) -> Result<(), ManageError> {
    let closes_first = match to {
        Move::Void => false,
        Move::Delete => true,
        Move::Reactivate => link.status == LinkStatus::Void,
    };
    if closes_first && let Some(session) = link.session.clone() {
        checkout.expire_session(link.stripe_account.as_ref(), &session.id).await?;
        link.forget_session(&session.id);
    }
    match to {
        Move::Void => _ = link.void(now, retention_days)?,
        Move::Reactivate => _ = link.reactivate(retention_days)?,
        Move::Delete => _ = link.delete(now, retention_days),
    }
    Ok(())
}

/// A void link may come back only in its order's currency (a currency change voided the others).
async fn still_priced_as_its_order<S: ManageStore + ?Sized>(store: &S, link: &Link) -> Result<(), ManageError> {
    let Some(order_id) = &link.order_id else { return Ok(()) };
    let wanted = Wanted { order: Some((link.merchant_id.clone(), order_id.clone())), ..Wanted::default() };
    match store.read(&wanted).await?.order {
        Some(order) if order.currency != link.currency => Err(ManageError::CurrencyMismatch),
        _ => Ok(()),
    }
}

/// The link's order, when the link is its current one: it no longer is once the link ends.
async fn order_without<S: ManageStore + ?Sized>(
    store: &S,
    link: &Link,
) -> Result<Option<Versioned<crate::domain::Order>>, StoreError> {
    let Some(order_id) = &link.order_id else { return Ok(None) };
    let wanted = Wanted { order: Some((link.merchant_id.clone(), order_id.clone())), ..Wanted::default() };
    let mut order = store.read(&wanted).await?.order;
    Ok(order.take().filter(|o| o.current_link.as_ref().is_some_and(|c| c.id == link.id)).map(|mut o| {
        o.link_ended(&link.id);
        o
    }))
}

/// Forgets a session closed at Stripe, unless the link moved on meanwhile.
async fn forget_session<S: ManageStore + ?Sized>(
    store: &S,
    mut link: Versioned<Link>,
    session: &crate::domain::SessionId,
) -> Result<(), StoreError> {
    for _ in attempts() {
        if !link.forget_session(session) {
            return Ok(());
        }
        match store.commit(vec![Write::Link(link.clone())]).await {
            Err(StoreError::Conflict) => {}
            other => return other,
        }
        let wanted = Wanted { link: Some(link.id.clone()), ..Wanted::default() };
        match store.read(&wanted).await?.link {
            Some(fresh) => link = fresh,
            None => return Ok(()),
        }
    }
    Err(StoreError::Conflict)
}
