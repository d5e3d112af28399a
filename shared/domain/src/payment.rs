use serde::{Deserialize, Serialize};

use super::{Amount, Currency, DeliveryId, LinkId, MerchantId, OrderId, SessionId, Timestamp};

/// One Checkout Session's money, as the webhook events tell it. Exactly one per session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// Completed with a delayed method (bank debit): not yet money.
    Processing,
    Paid,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentSource {
    Stripe,
    /// Paid outside the platform and marked by the merchant; not part of earnings.
    Manual,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub session_id: SessionId,
    pub link_id: LinkId,
    pub merchant_id: MerchantId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
    pub state: PaymentState,
    pub source: PaymentSource,
    pub amount: Amount,
    pub currency: Currency,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    pub recorded_at: Timestamp,
    /// Why a person should look at it, e.g. `link_void`: paid after the link stopped being payable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// Stripe's PaymentIntent behind the session: how refunds find their payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_intent: Option<String>,
    /// How much of it was refunded so far, in the minor unit.
    #[serde(default)]
    pub refunded: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_at: Option<Timestamp>,
    /// The delivery whose recipient paid, when known: the session names it (a product link's
    /// session is one customer's), or it is the delivery whose open last went on to the order
    /// link's Checkout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_id: Option<DeliveryId>,
    /// The part of its order's balance the session was made for (a part the customer chose, or
    /// the balance left after parts); `None`: the whole order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part_amount: Option<Amount>,
    /// What its session was made for on the order (the balance then, or the part chosen), as its
    /// metadata states; `None` for sessions made before they said so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_for: Option<Amount>,
    /// The customer's tip, within `amount` and not owed on the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tip_amount: Option<Amount>,
}

impl Payment {
    /// Oldest first; payments recorded in the same second keep a stable order.
    pub fn sort_chronologically(payments: &mut [Payment]) {
        payments.sort_by(|a, b| (a.recorded_at, a.session_id.as_str()).cmp(&(b.recorded_at, b.session_id.as_str())));
    }
}

impl Payment {
    /// Whether this state, from a webhook event, moves the payment stored for its session:
    /// `Paid` once (from nothing, processing or failed), `Processing` only first, `Failed` only
    /// from nothing or processing. Events repeat and arrive in any order; this is what makes one
    /// payment per session of them.
    pub fn supersedes(&self, stored: Option<&Payment>) -> bool {
        let stored = stored.map(|p| p.state);
        match self.state {
            PaymentState::Paid => stored != Some(PaymentState::Paid),
            PaymentState::Processing => stored.is_none(),
            PaymentState::Failed => matches!(stored, None | Some(PaymentState::Processing)),
        }
    }

    /// Raises the refunded total (never lowers it: refund events repeat and reorder). Returns
    /// whether it rose.
    pub fn raise_refunded(&mut self, total: i64) -> bool {
        let rises = total > self.refunded;
        if rises {
            self.refunded = total;
        }
        rises
    }
}

/// Where a Stripe PaymentIntent's refunds go: the payment it paid, once it is known. A refund
/// that arrives before its payment is kept here and applied when the payment lands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntentRecord {
    pub intent: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<PaymentKey>,
    /// The refunded total and the charge's amount of a refund that came first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_refund: Option<(i64, i64)>,
    /// The Stripe account the intent's events came from (`None`: the platform's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_at: Option<Timestamp>,
}

/// How to find a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentKey {
    pub link_id: LinkId,
    pub session_id: SessionId,
    pub merchant_id: MerchantId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
}

impl PaymentKey {
    pub fn of(payment: &Payment) -> Self {
        Self {
            link_id: payment.link_id.clone(),
            session_id: payment.session_id.clone(),
            merchant_id: payment.merchant_id.clone(),
            order_id: payment.order_id.clone(),
        }
    }
}

impl IntentRecord {
    /// How long a refund for an intent this system never saw a payment for is kept: Stripe
    /// retries an event for three days, so the payment lands well inside it if it is ours.
    pub const EARLY_REFUND_DAYS: i64 = 30;
}
