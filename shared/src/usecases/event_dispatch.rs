//! Sends the merchant's events to their endpoints: at least once, each POST signed as Stripe signs
//! (`Paylinks-Signature: t=…,v1=HMAC-SHA256(secret, "t.body")`) with the event's id for
//! deduplication; a non-2xx answer or no answer is retried with exponential backoff and jitter
//! for 24 hours, then the delivery is `failed` (and can be redelivered by hand).

use serde::Serialize;

use super::event_log::EventView;
use crate::domain::{EventDeliveryStatus, MerchantEvent, Timestamp, Versioned, WebhookEndpoint, random_base62};
use crate::ports::{Clock, Commit, DueEvents, PostEvent, Posted, Read, StoreError, Wanted, Write};

/// Events taken per run.
pub const BATCH: usize = 50;
/// How long a delivery is retried after its event happened.
pub const RETRY_FOR_SECONDS: i64 = 24 * 3600;

/// What a run did, for its log line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DispatchReport {
    pub due: usize,
    pub succeeded: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// The wait before attempt `attempts + 1`: a minute, doubling, at most six hours, give or take a
/// fifth (so endpoints that failed together are not retried together).
pub fn backoff_seconds(attempts: u32) -> i64 {
    let base = 60i64.saturating_mul(1 << attempts.saturating_sub(1).min(9)).min(6 * 3600);
    let jitter = random_base62(2).bytes().map(i64::from).sum::<i64>() % 41 - 20;
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

/// Sends what is due. Two runs at once may both send a delivery (at least once): endpoints
/// deduplicate by the event's id. A store fault stops the run; the next carries on.
pub async fn dispatch<S: Read + Commit + DueEvents + ?Sized>(
    store: &S,
    poster: &dyn PostEvent,
    clock: &dyn Clock,
    out_of_time: &(dyn Fn() -> bool + Sync),
) -> Result<DispatchReport, StoreError> {
    let mut report = DispatchReport::default();
    let due = store.due_events(clock.now(), BATCH).await?;
    report.due = due.len();
    for listed in due {
        if out_of_time() {
            break;
        }
        let wanted = Wanted {
            event: Some((listed.merchant_id.clone(), listed.id.clone())),
            endpoints: Some(listed.merchant_id.clone()),
            ..Wanted::default()
        };
        let found = store.read(&wanted).await?;
        let Some(mut event) = found.event else { continue };
        let endpoints = found.endpoints.map(|e| e.value.endpoints).unwrap_or_default();
        let now = clock.now();
        let body = body_of(&event);
        let mut changed = false;
        for index in 0..event.deliveries.len() {
            let delivery = &event.deliveries[index];
            if delivery.status != EventDeliveryStatus::Pending || delivery.next_attempt_at.is_none_or(|at| at > now) {
                continue;
            }
            let endpoint = endpoints.iter().find(|e| e.id == delivery.endpoint_id).cloned();
            let outcome = match &endpoint {
                Some(endpoint) => post(poster, endpoint, &event, &body, now).await,
                None => Posted::Refused,
            };
            changed = true;
            record(&mut event, index, endpoint.is_some(), outcome, now, &mut report);
        }
        if changed {
            match store.commit(vec![Write::Event(event)]).await {
                // Another run (or a redelivery) changed it meanwhile: theirs stands.
                Ok(()) | Err(StoreError::Conflict) => {}
                Err(err) => return Err(err),
            }
        }
    }
    Ok(report)
}

async fn post(
    poster: &dyn PostEvent,
    endpoint: &WebhookEndpoint,
    event: &MerchantEvent,
    body: &str,
    now: Timestamp,
) -> Posted {
    let signature = crate::signature::sign(&endpoint.secret, now.unix(), body.as_bytes());
    let headers = [
        ("content-type", "application/json".to_string()),
        ("paylinks-signature", signature),
        ("paylinks-event-id", event.id.to_string()),
        ("user-agent", "Paylinks-Webhooks/1.0".to_string()),
    ];
    poster.post(&endpoint.url, &headers, body).await
}

fn record(
    event: &mut Versioned<MerchantEvent>,
    index: usize,
    endpoint_exists: bool,
    outcome: Posted,
    now: Timestamp,
    report: &mut DispatchReport,
) {
    let created_at = event.created_at;
    let delivery = &mut event.deliveries[index];
    delivery.attempts += 1;
    delivery.last_status_code = match outcome {
        Posted::Status(code) => Some(code),
        _ => None,
    };
    let succeeded = matches!(outcome, Posted::Status(200..=299));
    let next = now.plus_seconds(backoff_seconds(delivery.attempts));
    if succeeded {
        delivery.status = EventDeliveryStatus::Succeeded;
        delivery.next_attempt_at = None;
        report.succeeded += 1;
    } else if !endpoint_exists || next.unix() - created_at.unix() > RETRY_FOR_SECONDS {
        delivery.status = EventDeliveryStatus::Failed;
        delivery.next_attempt_at = None;
        report.failed += 1;
    } else {
        delivery.next_attempt_at = Some(next);
        report.retrying += 1;
    }
}
