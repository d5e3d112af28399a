//! Sends one queued delivery of a merchant's event to its endpoint: signed as Stripe signs
//! (`Paylinks-Signature: t=…,v1=HMAC-SHA256(secret, "t.body")`) with the event's id for
//! deduplication. A non-2xx answer or no answer is retried by the queue after an exponential
//! backoff with jitter, `ATTEMPTS` times in all (over a day), then the delivery is `failed` and
//! the message goes to the dead-letter queue; it can be redelivered by hand.

use serde::Serialize;

use super::attempts;
use super::event_log::EventView;
use crate::domain::{EventDeliveryStatus, MerchantEvent, Timestamp, Versioned, WebhookEndpoint, random_base62};
use crate::ports::{Clock, Commit, PostEvent, Posted, QueuedDelivery, Read, StoreError, Wanted, Write};

/// Attempts in all, the first included: the backoffs between them add up to more than the
/// 24 hours the SPEC promises (26.5 h before jitter). SQS's `maxReceiveCount` in `template.yaml`.
pub const ATTEMPTS: u32 = 13;

/// What sending one queued delivery came to, for the queue to act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dispatched {
    /// Delivered, or nothing to do (the message was stale, the endpoint gone): drop the message.
    Done,
    /// Refused or unanswered: try again after this many seconds.
    RetryIn(i64),
    /// The last attempt failed: the delivery is `failed`; the message goes to the dead letters.
    DeadLetter,
}

/// What a run did, for its log line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DispatchReport {
    /// Messages taken from the queue.
    pub due: usize,
    pub succeeded: usize,
    pub retrying: usize,
    pub failed: usize,
}

impl DispatchReport {
    pub fn count(&mut self, dispatched: Dispatched) {
        self.due += 1;
        match dispatched {
            Dispatched::Done => self.succeeded += 1,
            Dispatched::RetryIn(_) => self.retrying += 1,
            Dispatched::DeadLetter => self.failed += 1,
        }
    }
}

/// The wait before attempt `attempts + 1`: a minute, doubling, at most six hours, plus up to a
/// fifth more (so endpoints that failed together are not retried together, and the promised
/// day is never cut short).
pub fn backoff_seconds(attempts: u32) -> i64 {
    let base = 60i64.saturating_mul(1 << attempts.saturating_sub(1).min(9)).min(6 * 3600);
    let jitter = random_base62(2).bytes().map(i64::from).sum::<i64>() % 21;
    base + base * jitter / 100
}

/// The body an endpoint gets: the event without its deliveries.
#[derive(Serialize)]
struct Body<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    created_at: Timestamp,
    data: serde_json::Value,
}

pub fn body_of(event: &MerchantEvent) -> String {
    let view = EventView::of(event);
    serde_json::to_string(&Body { id: &view.id, kind: view.kind, created_at: view.created_at, data: view.data })
        .unwrap_or_default()
}

/// Sends the delivery `message` carries, once, and records the attempt. `receives` is how often
/// the queue has handed this message out (this time included): at its last, a failure is final
/// even if a crash spent an earlier receive. A store fault is an error: the queue hands the
/// message out again (at least once; endpoints deduplicate by the event's id).
pub async fn dispatch<S: Read + Commit + ?Sized>(
    store: &S,
    poster: &dyn PostEvent,
    clock: &dyn Clock,
    message: &QueuedDelivery,
    receives: u32,
) -> Result<Dispatched, StoreError> {
    let (event, endpoint) = match read(store, message).await? {
        Standing::Ours(ours) => *ours,
        Standing::NotRecordedYet => return Ok(Dispatched::RetryIn(UNRECORDED_RETRY_SECONDS)),
        Standing::Stale => return Ok(Dispatched::Done),
    };
    let now = clock.now();
    let outcome = match &endpoint {
        Some(endpoint) => post(poster, endpoint, &event, now).await,
        None => Posted::Refused,
    };
    if !matches!(outcome, Posted::Status(200..=299)) {
        crate::metrics::merchant_webhook_failed();
    }
    let last = receives >= ATTEMPTS;
    let mut event = event;
    for _ in attempts() {
        let Some(index) = pending_index(&event, message) else { return Ok(Dispatched::Done) };
        let dispatched = record(&mut event, index, endpoint.is_some(), &outcome, last, now);
        match store.commit(vec![Write::Event(event)]).await {
            Ok(()) => return Ok(dispatched),
            // Another delivery of the same event was recorded meanwhile: record on top of it.
            Err(StoreError::Conflict) => match read(store, message).await? {
                Standing::Ours(ours) => event = ours.0,
                Standing::NotRecordedYet | Standing::Stale => return Ok(Dispatched::Done),
            },
            Err(err) => return Err(err),
        }
    }
    Err(StoreError::Conflict)
}

/// A message the queue handed out before the relay recorded its token comes back this soon.
const UNRECORDED_RETRY_SECONDS: i64 = 30;

/// Where a message stands against the delivery it names.
enum Standing {
    /// The delivery waits on this message: the event, and its endpoint (gone: `None`).
    Ours(Box<(Versioned<MerchantEvent>, Option<WebhookEndpoint>)>),
    /// The delivery is pending and names no message yet: the relay has not recorded this one.
    NotRecordedYet,
    /// Delivered, failed, redelivered under another token, or gone: nothing for this message.
    Stale,
}

async fn read<S: Read + ?Sized>(store: &S, message: &QueuedDelivery) -> Result<Standing, StoreError> {
    let wanted = Wanted {
        event: Some((message.merchant_id.clone(), message.event_id.clone())),
        endpoints: Some(message.merchant_id.clone()),
        ..Wanted::default()
    };
    let found = store.read(&wanted).await?;
    let Some(event) = found.event else { return Ok(Standing::Stale) };
    if pending_index(&event, message).is_none() {
        let unrecorded = event.deliveries.iter().any(|d| {
            d.endpoint_id == message.endpoint_id && d.status == EventDeliveryStatus::Pending && d.queued.is_none()
        });
        return Ok(if unrecorded { Standing::NotRecordedYet } else { Standing::Stale });
    }
    let endpoints = found.endpoints.map(|e| e.value.endpoints).unwrap_or_default();
    let endpoint = endpoints.into_iter().find(|e| e.id == message.endpoint_id);
    Ok(Standing::Ours(Box::new((event, endpoint))))
}

fn pending_index(event: &MerchantEvent, message: &QueuedDelivery) -> Option<usize> {
    event.deliveries.iter().position(|d| {
        d.endpoint_id == message.endpoint_id
            && d.status == EventDeliveryStatus::Pending
            && d.queued.as_deref() == Some(message.token.as_str())
    })
}

async fn post(poster: &dyn PostEvent, endpoint: &WebhookEndpoint, event: &MerchantEvent, now: Timestamp) -> Posted {
    let body = body_of(event);
    let signature = crate::signature::sign_with_each(&endpoint.signing_secrets(now), now.unix(), body.as_bytes());
    let headers = [
        ("content-type", "application/json".to_string()),
        ("paylinks-signature", signature),
        ("paylinks-event-id", event.id.to_string()),
        ("user-agent", "Paylinks-Webhooks/1.0".to_string()),
    ];
    poster.post(&endpoint.url, &headers, &body).await
}

fn record(
    event: &mut Versioned<MerchantEvent>,
    index: usize,
    endpoint_exists: bool,
    outcome: &Posted,
    last: bool,
    now: Timestamp,
) -> Dispatched {
    let delivery = &mut event.deliveries[index];
    delivery.attempts += 1;
    delivery.last_status_code = match outcome {
        Posted::Status(code) => Some(*code),
        _ => None,
    };
    if matches!(outcome, Posted::Status(200..=299)) {
        delivery.status = EventDeliveryStatus::Succeeded;
        delivery.next_attempt_at = None;
        delivery.queued = None;
        return Dispatched::Done;
    }
    if !endpoint_exists || last || delivery.attempts >= ATTEMPTS {
        delivery.status = EventDeliveryStatus::Failed;
        delivery.next_attempt_at = None;
        delivery.queued = None;
        // An endpoint deleted since has nothing left to try again: not a dead letter.
        return if endpoint_exists { Dispatched::DeadLetter } else { Dispatched::Done };
    }
    let wait = backoff_seconds(delivery.attempts);
    delivery.next_attempt_at = Some(now.plus_seconds(wait));
    Dispatched::RetryIn(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_from_a_minute_to_six_hours_and_covers_a_day() {
        for attempts in 1..=20 {
            let base = (60i64 << (attempts - 1).min(9)).min(6 * 3600);
            let wait = backoff_seconds(attempts);
            assert!((base..=base * 6 / 5).contains(&wait), "attempt {attempts}: {wait}");
        }
        let shortest: i64 = (1..ATTEMPTS).map(|a| (60i64 << (a - 1).min(9)).min(6 * 3600)).sum();
        assert!(shortest >= 24 * 3600, "{ATTEMPTS} attempts span {shortest} s at the least");
    }
}
