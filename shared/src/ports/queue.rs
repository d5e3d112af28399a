use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::domain::{EndpointId, EventId, MerchantId};

/// One event's way to one endpoint, as a queue message: what the consumer reads back from the
/// store, and the token that says this message is the one the delivery was handed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedDelivery {
    pub merchant_id: MerchantId,
    pub event_id: EventId,
    pub endpoint_id: EndpointId,
    pub token: String,
}

#[derive(Debug, thiserror::Error)]
#[error("the queue is unavailable: {0}")]
pub struct QueueError(pub String);

/// Where merchants' event deliveries wait for their next attempt: SQS in the cloud (its
/// visibility timeout the backoff, its dead-letter queue the end), a queue in the local server's
/// memory there.
#[async_trait]
pub trait QueueDeliveries: Send + Sync {
    /// Queues each one, all or none reported as done.
    async fn enqueue(&self, deliveries: &[QueuedDelivery]) -> Result<(), QueueError>;
}
