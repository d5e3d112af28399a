//! Hands merchants' event deliveries that are due (new ones, redelivered ones) to the queue:
//! each pending delivery not queued yet gets a token and a message carrying it. From there the
//! queue owns its retries (`event_dispatch`). The event item is the outbox written in the
//! change's own transaction, so nothing is lost between the change and the queue.

use serde::Serialize;

use crate::domain::random_base62;
use crate::ports::{
    Clock, Commit, DueEvents, QueueDeliveries, QueueError, QueuedDelivery, Read, StoreError, Wanted, Write,
};

/// Events taken per run.
pub const BATCH: usize = 50;

/// What a run did, for its log line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RelayReport {
    /// Events with deliveries due.
    pub due: usize,
    /// Deliveries queued.
    pub queued: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// Queues what is due, then records each delivery as queued under its message's token. Queued
/// first, recorded second: a failure in between leaves a message that no delivery names (the
/// consumer drops it) and the delivery still due (the next run queues it again). Two runs at
/// once: the one whose record wins owns the delivery; the other's messages are dropped. A queued
/// delivery whose lease ran out unrecorded (its message lost) is queued again under a new token.
pub async fn queue_due<S: Read + Commit + DueEvents + ?Sized>(
    store: &S,
    queue: &dyn QueueDeliveries,
    clock: &dyn Clock,
    out_of_time: &(dyn Fn() -> bool + Sync),
) -> Result<RelayReport, RelayError> {
    let mut report = RelayReport::default();
    let due = store.due_events(clock.now(), BATCH).await?;
    report.due = due.len();
    for listed in due {
        if out_of_time() {
            break;
        }
        let wanted = Wanted { event: Some((listed.merchant_id.clone(), listed.id.clone())), ..Wanted::default() };
        let Some(mut event) = store.read(&wanted).await?.event else { continue };
        let now = clock.now();
        let (merchant_id, event_id) = (event.merchant_id.clone(), event.id.clone());
        let messages: Vec<QueuedDelivery> = event
            .deliveries
            .iter_mut()
            .filter(|d| d.queue_due_at().is_some_and(|at| at <= now))
            .map(|delivery| {
                let token = random_base62(16);
                delivery.queued = Some(token.clone());
                QueuedDelivery {
                    merchant_id: merchant_id.clone(),
                    event_id: event_id.clone(),
                    endpoint_id: delivery.endpoint_id.clone(),
                    token,
                }
            })
            .collect();
        if messages.is_empty() {
            continue;
        }
        queue.enqueue(&messages).await?;
        match store.commit(vec![Write::Event(event)]).await {
            Ok(()) => report.queued += messages.len(),
            Err(StoreError::Conflict) => {}
            Err(err) => return Err(err.into()),
        }
    }
    Ok(report)
}
