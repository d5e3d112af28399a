use serde::{Deserialize, Serialize};

use super::{Amount, Currency, LinkId, MerchantId, OrderId, SessionId, Timestamp};

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
}

impl Payment {
    /// Oldest first; payments recorded in the same second keep a stable order.
    pub fn sort_chronologically(payments: &mut [Payment]) {
        payments.sort_by(|a, b| (a.recorded_at, a.session_id.as_str()).cmp(&(b.recorded_at, b.session_id.as_str())));
    }
}
