use serde::{Deserialize, Serialize};

use super::{Amount, Currency, Customer, Link, LinkId, MerchantId, OrderId, ShortCode, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderPaymentStatus {
    Outstanding,
    /// Paid in part (partial payments): the balance is still due, its links still take it.
    PartiallyPaid,
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
            Self::PartiallyPaid => "partially_paid",
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
            Self::PartiallyPaid,
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

    /// Nothing is to be collected for it: its links stop working.
    pub fn ends_links(self) -> bool {
        matches!(self, Self::Rejected | Self::NotTracked | Self::Deleted)
    }
}

/// Why an order cannot take a link or a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error("the order is already paid")]
    AlreadyPaid,
    #[error("the order is not tracked for payment, deleted or rejected")]
    NotPayable,
    #[error("the order has as many links as it may have")]
    TooManyLinks,
    #[error("the new amount is below what the order was paid")]
    AmountBelowPaid,
    #[error("money was recorded for the order in another currency")]
    CurrencyMismatch,
}

/// The order's newest link, as much of it as a reused create answers with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentLink {
    pub id: LinkId,
    pub short_code: ShortCode,
    pub name: String,
    pub amount: Amount,
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
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
    /// Its money, entry by entry (`ledger`): every figure is computed from these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<super::Entry>,
    /// Sessions whose bank debit is clearing: the order is processing while any is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub processing: Vec<super::SessionId>,
    #[serde(default)]
    pub link_ids: Vec<LinkId>,
    /// The newest link made for the order: reused while it is active and inside the resend window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_link: Option<CurrentLink>,
    pub updated_at: Timestamp,
    /// When the store may forget the order: set once it is settled or rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_at: Option<Timestamp>,
}

impl Order {
    /// Links one order may have: a change of the order is written onto each of them in one
    /// transaction, and DynamoDB takes at most 100 items per transaction.
    pub const MAX_LINKS: usize = 50;

    /// Whether a link may still be made for an order in `status`.
    pub fn check_payable(status: OrderPaymentStatus) -> Result<(), OrderError> {
        if status.is_settled() {
            return Err(OrderError::AlreadyPaid);
        }
        if status.ends_links() {
            return Err(OrderError::NotPayable);
        }
        Ok(())
    }

    /// Makes `link` the order's current link. The order holds the customer's details: it is kept
    /// as long as its longest-kept link, and for good once one of its links never expires.
    pub fn add_link(&mut self, link: &Link) -> Result<(), OrderError> {
        Self::check_payable(self.payment_status)?;
        if self.link_ids.len() >= Self::MAX_LINKS {
            return Err(OrderError::TooManyLinks);
        }
        self.purge_at = if self.link_ids.is_empty() {
            link.purge_at
        } else {
            self.purge_at.zip(link.purge_at).map(|(kept, new)| kept.max(new))
        };
        self.link_ids.push(link.id.clone());
        self.current_link = Some(CurrentLink {
            id: link.id.clone(),
            short_code: link.short_code.clone(),
            name: link.name.clone(),
            amount: link.amount,
            created_at: link.created_at,
            expires_at: link.expires_at,
        });
        Ok(())
    }

    /// The current link, while a new create should hand it back instead of minting another:
    /// made inside the resend window and not yet expired.
    pub fn reusable_link(&self, now: Timestamp, resend_window_seconds: i64) -> Option<&CurrentLink> {
        self.current_link.as_ref().filter(|current| {
            current.created_at.plus_seconds(resend_window_seconds) > now && current.expires_at.is_none_or(|e| e > now)
        })
    }

    /// A link of the order was voided or deleted: it is no longer the one to hand back.
    pub fn link_ended(&mut self, id: &LinkId) -> bool {
        let current = self.current_link.as_ref().is_some_and(|c| &c.id == id);
        if current {
            self.current_link = None;
        }
        current
    }

    /// The order will not be paid. `false`: it was rejected already.
    pub fn reject(&mut self, now: Timestamp, retention_days: i64) -> Result<bool, OrderError> {
        match self.payment_status {
            status if status.is_settled() => Err(OrderError::AlreadyPaid),
            OrderPaymentStatus::Rejected => Ok(false),
            _ => {
                self.move_to(OrderPaymentStatus::Rejected, now);
                // A debit that clears after all is money for a person to give back.
                self.processing.clear();
                self.purge_at = Some(now.plus_days(retention_days));
                Ok(true)
            }
        }
    }

    fn move_to(&mut self, status: OrderPaymentStatus, at: Timestamp) {
        self.payment_status = status;
        self.updated_at = at;
    }

    /// Where the order sits in the newest-changed-first list of its status.
    pub fn status_position(&self) -> String {
        Self::status_position_of(self.updated_at, &self.id)
    }

    pub fn status_position_of(updated_at: Timestamp, id: &OrderId) -> String {
        // Inverted time, fixed width: ascending text order is newest first.
        format!("{:013}#{}", 9_999_999_999_999 - updated_at.unix(), id)
    }
}
