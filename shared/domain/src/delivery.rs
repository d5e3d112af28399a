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
        recipient_key(self.channel(), &self.address())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Claimed, message not yet handed to the provider.
    Pending,
    Sent,
    Failed,
    /// Not sent: the address bounced hard or complained before (the merchant's suppression list).
    Suppressed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Suppressed => "suppressed",
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
    /// What became of the message, kept apart from the delivery's state like its opens.
    #[serde(skip)]
    pub activity: DeliveryActivity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_at: Option<Timestamp>,
}

/// A recipient on a channel, whatever the letter case, hashed so the key holds no address.
fn recipient_key(channel: Channel, address: &str) -> String {
    let normalised = format!("{}:{}", channel.as_str(), address.to_ascii_lowercase());
    hex::encode(Sha256::digest(normalised.as_bytes()))
}

impl Delivery {
    /// Its recipient's key, the one `Recipient::window_key` gives (windows, schedules, suppression).
    pub fn recipient_key(&self) -> String {
        recipient_key(self.channel, &self.recipient)
    }

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
                DeliveryStatus::Failed | DeliveryStatus::Suppressed => false,
                DeliveryStatus::Pending => self.lease_until > now,
            }
    }
}

/// What happened to a message after it was sent: each moment the first time it happened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryActivity {
    pub delivered_at: Option<Timestamp>,
    pub opened_at: Option<Timestamp>,
    pub checkout_started_at: Option<Timestamp>,
    pub paid_at: Option<Timestamp>,
    pub bounced_at: Option<Timestamp>,
    pub complained_at: Option<Timestamp>,
}

/// One step of a delivery's funnel (or its end), as an event reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activity {
    Delivered,
    Opened,
    CheckoutStarted,
    Paid,
    Bounced,
    Complained,
}

impl Activity {
    pub const ALL: [Self; 6] =
        [Self::Delivered, Self::Opened, Self::CheckoutStarted, Self::Paid, Self::Bounced, Self::Complained];

    /// The stored name of its moment.
    pub fn field(self) -> &'static str {
        match self {
            Self::Delivered => "delivered_at",
            Self::Opened => "opened_at",
            Self::CheckoutStarted => "checkout_started_at",
            Self::Paid => "paid_at",
            Self::Bounced => "bounced_at",
            Self::Complained => "complained_at",
        }
    }
}

impl DeliveryActivity {
    pub fn at(&self, activity: Activity) -> Option<Timestamp> {
        match activity {
            Activity::Delivered => self.delivered_at,
            Activity::Opened => self.opened_at,
            Activity::CheckoutStarted => self.checkout_started_at,
            Activity::Paid => self.paid_at,
            Activity::Bounced => self.bounced_at,
            Activity::Complained => self.complained_at,
        }
    }

    /// Records `activity` at `at` unless it happened before: the first time is kept.
    pub fn record(&mut self, activity: Activity, at: Timestamp) {
        let slot = match activity {
            Activity::Delivered => &mut self.delivered_at,
            Activity::Opened => &mut self.opened_at,
            Activity::CheckoutStarted => &mut self.checkout_started_at,
            Activity::Paid => &mut self.paid_at,
            Activity::Bounced => &mut self.bounced_at,
            Activity::Complained => &mut self.complained_at,
        };
        slot.get_or_insert(at);
    }
}
