use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{DeliveryId, Email, LinkId, MerchantId, PhoneE164, ShortCode, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
        }
    }
}

/// Who a message goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    Email { email: Email, name: Option<String> },
    Phone(PhoneE164),
}

impl Recipient {
    pub fn channel(&self) -> Channel {
        match self {
            Self::Email { .. } => Channel::Email,
            Self::Phone(_) => Channel::Sms,
        }
    }

    /// The address as the merchant sees it in the delivery list.
    pub fn address(&self) -> String {
        match self {
            Self::Email { email, .. } => email.as_str().to_string(),
            Self::Phone(phone) => phone.as_str().to_string(),
        }
    }

    /// The same person on the same channel, whatever the letter case: the re-send window's key.
    /// Hashed, so the key holds no address.
    pub fn window_key(&self) -> String {
        let normalised = format!("{}:{}", self.channel().as_str(), self.address().to_ascii_lowercase());
        hex::encode(Sha256::digest(normalised.as_bytes()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Claimed, message not yet handed to the provider.
    Pending,
    Sent,
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }
}

/// Why a message was sent: a merchant's send, or a reminder of the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryKind {
    #[default]
    Send,
    Reminder,
}

/// One message carrying a link to one recipient, with a token and short code of its own so its
/// opens can be told apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: DeliveryId,
    pub link_id: LinkId,
    pub merchant_id: MerchantId,
    pub channel: Channel,
    pub recipient: String,
    pub status: DeliveryStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub short_code: ShortCode,
    pub created_at: Timestamp,
    #[serde(default)]
    pub kind: DeliveryKind,
    /// A reminder's slot, from 1: the reminder on the policy's `after_days[slot - 1]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<u16>,
    /// A counter kept apart from the delivery's state, filled in on the reads that ask for it.
    #[serde(default, skip_serializing)]
    pub opens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_at: Option<Timestamp>,
}

impl Delivery {
    pub fn sent(&mut self, message_id: String) {
        self.status = DeliveryStatus::Sent;
        self.message_id = Some(message_id);
    }

    pub fn failed(&mut self, code: &str) {
        self.status = DeliveryStatus::Failed;
        self.error = Some(code.to_string());
    }
}

/// The re-send window of one recipient of a link on one channel: the delivery that holds it.
/// A second send inside the window gets that delivery back instead of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendWindow {
    pub link_id: LinkId,
    /// `Recipient::window_key`: hashed, no address.
    pub key: String,
    pub delivery: Delivery,
    /// Until when a pending delivery's request may still be running. Past it (its function's
    /// timeout) the request is dead, and a retry may take the window over.
    pub lease_until: Timestamp,
}

impl SendWindow {
    /// Whether the window still holds against a send at `now`: its delivery was made after
    /// `cutoff` (now minus the resend window), did not fail, and is not a pending one whose
    /// request died.
    pub fn holds(&self, now: Timestamp, cutoff: Timestamp) -> bool {
        self.delivery.created_at > cutoff
            && match self.delivery.status {
                DeliveryStatus::Sent => true,
                DeliveryStatus::Failed => false,
                DeliveryStatus::Pending => self.lease_until > now,
            }
    }
}
