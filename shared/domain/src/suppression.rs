//! A merchant's suppression list: addresses that bounced hard or complained get no more messages
//! from that merchant (sends and reminders answer `suppressed`). Keyed by the recipient's hashed
//! window key, so the list holds no address.

use serde::{Deserialize, Serialize};

use super::{Channel, DeliveryId, LinkId, MerchantId, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionReason {
    Bounced,
    Complained,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    pub merchant_id: MerchantId,
    /// `Recipient::window_key`.
    pub key: String,
    pub channel: Channel,
    pub reason: SuppressionReason,
    pub at: Timestamp,
}

/// Which delivery a provider's message id belongs to, for the provider's later events about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageTarget {
    pub message_id: String,
    pub link_id: LinkId,
    pub delivery_id: DeliveryId,
    pub merchant_id: MerchantId,
    /// The recipient's window key: what a bounce or complaint suppresses.
    pub key: String,
    pub channel: Channel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_at: Option<Timestamp>,
}
