use serde::{Deserialize, Serialize};

use super::{Amount, Currency, Customer, LinkId, MerchantId, OrderId, PaymentState, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderPaymentStatus {
    Outstanding,
    Processing,
    Paid,
    Refunded,
    PartiallyRefunded,
    Rejected,
    /// The merchant's system does not track payment for this order: nothing to collect.
    NotTracked,
    Deleted,
}

impl OrderPaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Outstanding => "outstanding",
            Self::Processing => "processing",
            Self::Paid => "paid",
            Self::Refunded => "refunded",
            Self::PartiallyRefunded => "partially_refunded",
            Self::Rejected => "rejected",
            Self::NotTracked => "not_tracked",
            Self::Deleted => "deleted",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Outstanding,
            Self::Processing,
            Self::Paid,
            Self::Refunded,
            Self::PartiallyRefunded,
            Self::Rejected,
            Self::NotTracked,
            Self::Deleted,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// Money has been taken for it (refunds included): a new link would charge twice.
    pub fn is_settled(self) -> bool {
        matches!(self, Self::Paid | Self::Refunded | Self::PartiallyRefunded)
    }

    /// How a session's payment moves the order; `None` leaves it as it is. A late or repeated
    /// event never takes a settled order back.
    pub fn after_payment(self, payment: PaymentState) -> Option<Self> {
        match payment {
            PaymentState::Paid if !self.is_settled() => Some(Self::Paid),
            PaymentState::Processing if !self.is_settled() => Some(Self::Processing),
            PaymentState::Failed if self == Self::Processing => Some(Self::Outstanding),
            _ => None,
        }
    }
}

impl Order {
    /// Where the order sits in the newest-changed-first list of its status.
    pub fn status_position(&self) -> String {
        Self::status_position_of(self.updated_at, &self.id)
    }

    pub fn status_position_of(updated_at: Timestamp, id: &OrderId) -> String {
        // Inverted time, fixed width: ascending text order is newest first.
        format!("{:013}#{}", 9_999_999_999_999 - updated_at.unix(), id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub merchant_id: MerchantId,
    pub id: OrderId,
    pub payment_status: OrderPaymentStatus,
    pub amount: Amount,
    pub currency: Currency,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_url: Option<String>,
    #[serde(default)]
    pub link_ids: Vec<LinkId>,
    /// The newest link made for the order: reused while it is active and inside the resend window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_link_id: Option<LinkId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_link_created_at: Option<Timestamp>,
    pub updated_at: Timestamp,
    /// When the store may forget the order: set once it is settled or rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_at: Option<Timestamp>,
}
