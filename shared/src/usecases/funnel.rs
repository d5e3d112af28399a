//! The delivery funnel: per recipient, sent → delivered → opened → checkout started → paid, each
//! with its first time, and how many recipients reached each step.

use serde::Serialize;

use super::QueryError;
use crate::domain::{
    Delivery, DeliveryActivity, DeliveryStatus, LinkStatus, MerchantId, Payment, PaymentState, Timestamp,
};
use crate::ports::{ListLinks, ReadLinkRecords, StoreError};

/// One delivery's way down the funnel (null until it happens): when it was sent, then the
/// delivery's own moments (`paid_at` also from a payer matched by email).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Funnel {
    pub sent_at: Option<Timestamp>,
    #[serde(flatten)]
    pub moments: DeliveryActivity,
}

impl Funnel {
    /// What the delivery's records say, and when a paid payment came from its recipient (matched
    /// by the payer's email, when Checkout collected one).
    pub fn of(delivery: &Delivery, payments: &[Payment]) -> Self {
        let paid_by_email = payments
            .iter()
            .filter(|p| p.state == PaymentState::Paid)
            .filter(|p| p.customer_email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&delivery.recipient)))
            .map(|p| p.recorded_at)
            .min();
        let mut moments = delivery.activity.clone();
        moments.paid_at = moments.paid_at.into_iter().chain(paid_by_email).min();
        Self { sent_at: (delivery.status == DeliveryStatus::Sent).then_some(delivery.created_at), moments }
    }
}

/// Recipients (distinct addresses on a channel) at each step of a link's funnel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FunnelSummary {
    pub sent: usize,
    pub delivered: usize,
    pub opened: usize,
    pub checkout_started: usize,
    pub paid: usize,
}

impl FunnelSummary {
    pub fn of(deliveries: &[(String, Funnel)]) -> Self {
        let reached = |step: fn(&Funnel) -> Option<Timestamp>| {
            let mut recipients: Vec<&str> =
                deliveries.iter().filter(|(_, f)| step(f).is_some()).map(|(key, _)| key.as_str()).collect();
            recipients.sort_unstable();
            recipients.dedup();
            recipients.len()
        };
        Self {
            sent: reached(|f| f.sent_at),
            delivered: reached(|f| f.moments.delivered_at),
            opened: reached(|f| f.moments.opened_at),
            checkout_started: reached(|f| f.moments.checkout_started_at),
            paid: reached(|f| f.moments.paid_at),
        }
    }
}

/// The most links one summary reads (newest first); `truncated` says when the range held more.
pub const MAX_LINKS: usize = 200;
/// Links whose records are read at once.
const SIDE_BY_SIDE: usize = 10;

/// `GET /funnel`: the merchant's funnel over the links created in a range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MerchantFunnel {
    pub created_from: Option<Timestamp>,
    pub created_to: Option<Timestamp>,
    pub links: usize,
    /// More links were created in the range than one summary reads: narrow the range.
    pub truncated: bool,
    pub steps: FunnelSummary,
    pub conversion: Conversion,
}

/// Each step's share of the one before it (`null` when nobody reached that one).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversion {
    /// Of emails and texts sent, delivered (SES reports email deliveries only).
    pub sent_to_delivered: Option<f64>,
    pub sent_to_opened: Option<f64>,
    pub opened_to_checkout_started: Option<f64>,
    pub checkout_started_to_paid: Option<f64>,
    pub sent_to_paid: Option<f64>,
}

fn share(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
}

impl Conversion {
    fn of(steps: &FunnelSummary) -> Self {
        Self {
            sent_to_delivered: share(steps.delivered, steps.sent),
            sent_to_opened: share(steps.opened, steps.sent),
            opened_to_checkout_started: share(steps.checkout_started, steps.opened),
            checkout_started_to_paid: share(steps.paid, steps.checkout_started),
            sent_to_paid: share(steps.paid, steps.sent),
        }
    }
}

/// The range, from `created_from` / `created_to` (RFC 3339 times or plain dates, as `GET /links`).
pub fn range(get: impl Fn(&str) -> Option<String>) -> Result<(Option<Timestamp>, Option<Timestamp>), QueryError> {
    let filter = super::list::LinkFilter::parse(|name| match name {
        "created_from" | "created_to" => get(name),
        _ => None,
    })?;
    if let (Some(from), Some(to)) = (filter.created_from, filter.created_to)
        && from > to
    {
        return Err(QueryError::from_message("created_from must not be after created_to"));
    }
    Ok((filter.created_from, filter.created_to))
}

/// Sums the funnel of the merchant's links created in the range: recipients are counted per link
/// (the same address on two links is two people asked to pay).
pub async fn merchant_funnel<S: ListLinks + ReadLinkRecords + ?Sized>(
    store: &S,
    merchant: &MerchantId,
    (from, to): (Option<Timestamp>, Option<Timestamp>),
    now: Timestamp,
) -> Result<MerchantFunnel, StoreError> {
    let page = store.links_page(merchant, from, to, None, MAX_LINKS + 1).await?;
    let truncated = page.len() > MAX_LINKS;
    let ids: Vec<_> = page
        .into_iter()
        .take(MAX_LINKS)
        .filter(|(link, _)| link.status_at(now) != LinkStatus::Deleted)
        .map(|(link, _)| link.id)
        .collect();
    let mut steps = FunnelSummary::default();
    for chunk in ids.chunks(SIDE_BY_SIDE) {
        let records = futures_util::future::join_all(chunk.iter().map(|id| store.link_records(id))).await;
        for records in records {
            let records = records?;
            let funnels: Vec<(String, Funnel)> =
                records.deliveries.iter().map(|d| (d.recipient_key(), Funnel::of(d, &records.payments))).collect();
            let link = FunnelSummary::of(&funnels);
            steps.sent += link.sent;
            steps.delivered += link.delivered;
            steps.opened += link.opened;
            steps.checkout_started += link.checkout_started;
            steps.paid += link.paid;
        }
    }
    let conversion = Conversion::of(&steps);
    Ok(MerchantFunnel { created_from: from, created_to: to, links: ids.len(), truncated, steps, conversion })
}
