//! The delivery funnel: per recipient, sent → delivered → opened → checkout started → paid, each
//! with its first time, and how many recipients reached each step.

use serde::Serialize;

use crate::domain::{Delivery, DeliveryStatus, Payment, PaymentState, Timestamp};

/// One delivery's way down the funnel (null until it happens).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Funnel {
    pub sent_at: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
    pub opened_at: Option<Timestamp>,
    pub checkout_started_at: Option<Timestamp>,
    pub paid_at: Option<Timestamp>,
    pub bounced_at: Option<Timestamp>,
    pub complained_at: Option<Timestamp>,
}

impl Funnel {
    /// What the delivery's records say, and when a paid payment came from its recipient (matched
    /// by the payer's email, when Checkout collected one).
    pub fn of(delivery: &Delivery, payments: &[Payment]) -> Self {
        let activity = &delivery.activity;
        let paid_by_email = payments
            .iter()
            .filter(|p| p.state == PaymentState::Paid)
            .filter(|p| p.customer_email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&delivery.recipient)))
            .map(|p| p.recorded_at)
            .min();
        Self {
            sent_at: (delivery.status == DeliveryStatus::Sent).then_some(delivery.created_at),
            delivered_at: activity.delivered_at,
            opened_at: activity.opened_at,
            checkout_started_at: activity.checkout_started_at,
            paid_at: activity.paid_at.into_iter().chain(paid_by_email).min(),
            bounced_at: activity.bounced_at,
            complained_at: activity.complained_at,
        }
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
            delivered: reached(|f| f.delivered_at),
            opened: reached(|f| f.opened_at),
            checkout_started: reached(|f| f.checkout_started_at),
            paid: reached(|f| f.paid_at),
        }
    }
}
