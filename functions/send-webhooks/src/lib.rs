//! send-webhooks: merchants' events to their endpoints, in two steps on two triggers.
//! - Every minute (EventBridge): the relay. Deliveries due (new events, redeliveries) are read from
//!   the pending-events index and queued in SQS, one message each.
//! - From SQS: each message is one attempt at one delivery, public https addresses only. A failed
//!   attempt puts its message off by the backoff (its visibility timeout) and reports it failed;
//!   after the last attempt the redrive policy moves it to the dead-letter queue.

use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use lambda_runtime::LambdaEvent;
use paylinks::budgets;
use paylinks::ports::{Clock, PostEvent, QueuedDelivery, Store};
use paylinks::usecases::event_dispatch::{DispatchReport, Dispatched, dispatch};
use paylinks::usecases::event_relay::queue_due;
use paylinks_sqs::SqsQueue;
use serde_json::Value;

pub struct Deps {
    pub store: Arc<dyn Store>,
    pub poster: Arc<dyn PostEvent>,
    pub clock: Arc<dyn Clock>,
    pub queue: Arc<SqsQueue>,
}

/// An SQS batch is sent; anything else is the schedule's wake-up. A store or queue fault fails a
/// scheduled run (logged; the next run carries on).
pub async fn handle(deps: &Deps, event: LambdaEvent<Value>) -> Result<Value, lambda_runtime::Error> {
    let from_sqs = event.payload["Records"][0]["eventSource"].as_str() == Some("aws:sqs");
    if from_sqs {
        let batch: SqsEvent = serde_json::from_value(event.payload)?;
        Ok(serde_json::to_value(send(deps, batch).await)?)
    } else {
        Ok(serde_json::to_value(relay(deps).await?)?)
    }
}

async fn relay(deps: &Deps) -> Result<paylinks::usecases::event_relay::RelayReport, lambda_runtime::Error> {
    let started = std::time::Instant::now();
    let stop = budgets::SEND_WEBHOOKS.deadline().saturating_sub(std::time::Duration::from_secs(10));
    let out_of_time = || started.elapsed() >= stop;
    let report = queue_due(deps.store.as_ref(), deps.queue.as_ref(), deps.clock.as_ref(), &out_of_time).await;
    match &report {
        Ok(report) => tracing::info!(due = report.due, queued = report.queued, "webhooks queued"),
        Err(err) => tracing::error!(error = %err, "queueing webhooks stopped"),
    }
    Ok(report?)
}

/// Each message once; only the ones to try again are reported failed.
async fn send(deps: &Deps, batch: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    let mut report = DispatchReport::default();
    for message in &batch.records {
        let id = message.message_id.clone().unwrap_or_default();
        match send_one(deps, message).await {
            Some(Dispatched::Done) => report.count(Dispatched::Done),
            Some(dispatched) => {
                report.count(dispatched);
                response.add_failure(id);
            }
            None => response.add_failure(id),
        }
    }
    tracing::info!(
        due = report.due,
        succeeded = report.succeeded,
        retrying = report.retrying,
        failed = report.failed,
        "webhooks sent"
    );
    response
}

/// `None`: the store failed; the message comes back after the queue's own visibility timeout.
async fn send_one(deps: &Deps, message: &SqsMessage) -> Option<Dispatched> {
    let Some(delivery) = message.body.as_deref().and_then(|b| serde_json::from_str::<QueuedDelivery>(b).ok()) else {
        tracing::warn!("a message that is no delivery was dropped");
        return Some(Dispatched::Done);
    };
    let receives = message.attributes.get("ApproximateReceiveCount").and_then(|n| n.parse().ok()).unwrap_or(1);
    let dispatched =
        match dispatch(deps.store.as_ref(), deps.poster.as_ref(), deps.clock.as_ref(), &delivery, receives).await {
            Ok(dispatched) => dispatched,
            Err(err) => {
                tracing::error!(error = %err, "a delivery's attempt could not be recorded; it comes back");
                return None;
            }
        };
    let put_off = match dispatched {
        Dispatched::Done => return Some(dispatched),
        Dispatched::RetryIn(seconds) => seconds,
        // Seen again at once, past its last receive: the redrive policy moves it to the dead letters.
        Dispatched::DeadLetter => 0,
    };
    if let Some(receipt) = message.receipt_handle.as_deref()
        && let Err(err) = deps.queue.retry_in(receipt, put_off).await
    {
        tracing::warn!(error = %err, "could not put a delivery off; it comes back after the queue's default");
    }
    Some(dispatched)
}
