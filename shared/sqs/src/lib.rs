//! Merchant event deliveries waiting in SQS: one message per delivery; a failed attempt's backoff
//! is the message's visibility timeout, and the queue's redrive policy sends it to the
//! dead-letter queue after the last attempt.

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

use paylinks::ports::{QueueDeliveries, QueueError, QueuedDelivery};

/// SQS sends at most ten messages in one batch.
const BATCH: usize = 10;
/// A new message waits this long before SQS hands it out.
const ENQUEUE_DELAY_SECONDS: i32 = 2;
/// SQS hides a received message for at most twelve hours.
const MAX_VISIBILITY_SECONDS: i64 = 12 * 3600;

#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: Client,
    url: String,
}

impl SqsQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self { client, url: url.into() }
    }

    /// Hands the received message out again after `seconds`, not after the queue's default.
    pub async fn retry_in(&self, receipt_handle: &str, seconds: i64) -> Result<(), QueueError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(seconds.clamp(0, MAX_VISIBILITY_SECONDS) as i32)
            .send()
            .await
            .map(|_| ())
            .map_err(|err| QueueError(aws_sdk_sqs::error::DisplayErrorContext(err).to_string()))
    }
}

#[async_trait]
impl QueueDeliveries for SqsQueue {
    async fn enqueue(&self, deliveries: &[QueuedDelivery]) -> Result<(), QueueError> {
        for chunk in deliveries.chunks(BATCH) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(index, delivery)| {
                    let body = serde_json::to_string(delivery).map_err(|err| QueueError(err.to_string()))?;
                    SendMessageBatchRequestEntry::builder()
                        .id(index.to_string())
                        .message_body(body)
                        // Time for the relay to record the message's token before it is handed out.
                        .delay_seconds(ENQUEUE_DELAY_SECONDS)
                        .build()
                        .map_err(|err| QueueError(err.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let sent = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|err| QueueError(aws_sdk_sqs::error::DisplayErrorContext(err).to_string()))?;
            if let Some(failed) = sent.failed().first() {
                return Err(QueueError(format!(
                    "{} of {} not queued: {}",
                    sent.failed().len(),
                    chunk.len(),
                    failed.code()
                )));
            }
        }
        Ok(())
    }
}

/// A client held to its time budget.
pub fn client(sdk: &aws_config::SdkConfig) -> Client {
    let (timeouts, retries) = paylinks_aws::sdk_settings(&paylinks::budgets::SQS);
    let config = aws_sdk_sqs::config::Builder::from(sdk).timeout_config(timeouts).retry_config(retries).build();
    Client::from_conf(config)
}
