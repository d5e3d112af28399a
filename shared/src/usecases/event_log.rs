//! `GET /events`: the merchant's events, newest first, each with how its deliveries stand;
//! `POST /events/{id}/redeliver`: send one again to every endpoint subscribed now.

use serde::Serialize;

use super::{QueryError, attempts};
use crate::domain::{EventDeliveryStatus, EventId, EventType, MerchantEvent, MerchantId, Timestamp, Versioned};
use crate::ports::{Commit, ListEvents, Read, StoreError, Wanted, Write};

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;
const PAGE: usize = 100;

#[derive(Debug, Clone, Serialize)]
pub struct EventDeliveryView {
    pub endpoint_id: String,
    pub status: EventDeliveryStatus,
    pub attempts: u32,
    pub last_status_code: Option<u16>,
    pub next_attempt_at: Option<Timestamp>,
}

/// An event as the merchant reads it (and as its endpoints get it, without `deliveries`).
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub created_at: Timestamp,
    pub data: serde_json::Value,
    pub deliveries: Vec<EventDeliveryView>,
}

impl EventView {
    pub fn of(event: &MerchantEvent) -> Self {
        Self {
            id: event.id.to_string(),
            kind: event.kind.as_str(),
            created_at: event.created_at,
            data: serde_json::from_str(&event.data).unwrap_or(serde_json::Value::Null),
            deliveries: event
                .deliveries
                .iter()
                .map(|d| EventDeliveryView {
                    endpoint_id: d.endpoint_id.to_string(),
                    status: d.status,
                    attempts: d.attempts,
                    last_status_code: d.last_status_code,
                    next_attempt_at: d.next_attempt_at,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFilter {
    pub kind: Option<EventType>,
    pub limit: usize,
    pub cursor: Option<EventId>,
}

impl EventFilter {
    pub fn parse(get: impl Fn(&str) -> Option<String>) -> Result<Self, QueryError> {
        let kind = match get("type") {
            None => None,
            Some(text) => {
                Some(EventType::parse(&text).ok_or_else(|| QueryError::from_message("type is not an event type"))?)
            }
        };
        let limit = match get("limit") {
            None => DEFAULT_LIMIT,
            Some(text) => text.parse::<usize>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                QueryError::from_message(format!("limit must be a whole number from 1 to {MAX_LIMIT}"))
            })?,
        };
        let cursor = match get("cursor") {
            None => None,
            Some(text) => Some(
                EventId::parse(&text).ok_or_else(|| QueryError::from_message("cursor is not one this API returned"))?,
            ),
        };
        Ok(Self { kind, limit, cursor })
    }
}

/// A page of the merchant's events, and the cursor of the next when there is one.
pub async fn list_events<S: ListEvents + ?Sized>(
    store: &S,
    merchant: &MerchantId,
    filter: &EventFilter,
) -> Result<(Vec<EventView>, Option<String>), StoreError> {
    let mut data = Vec::new();
    let mut position = filter.cursor.clone();
    loop {
        let page = store.events_page(merchant, position.as_ref(), PAGE).await?;
        let exhausted = page.len() < PAGE;
        for event in page {
            position = Some(event.id.clone());
            if filter.kind.is_none_or(|k| k == event.kind) {
                data.push(EventView::of(&event));
                if data.len() == filter.limit {
                    return Ok((data, position.map(|p| p.to_string())));
                }
            }
        }
        if exhausted {
            return Ok((data, None));
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EventLogError {
    #[error("no such event")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Marks the event's deliveries pending again, to every endpoint subscribed now.
pub async fn redeliver<S: Read + Commit + ?Sized>(
    store: &S,
    merchant: &MerchantId,
    id: &str,
    now: Timestamp,
) -> Result<EventView, EventLogError> {
    let id = EventId::parse(id).ok_or(EventLogError::NotFound)?;
    for _ in attempts() {
        let wanted = Wanted {
            event: Some((merchant.clone(), id.clone())),
            endpoints: Some(merchant.clone()),
            ..Wanted::default()
        };
        let found = store.read(&wanted).await?;
        let mut event: Versioned<MerchantEvent> = found.event.ok_or(EventLogError::NotFound)?;
        let endpoints = found.endpoints.map(|e| e.value.endpoints).unwrap_or_default();
        event.redeliver(&endpoints, now);
        match store.commit(vec![Write::Event(event.clone())]).await {
            Ok(()) => return Ok(EventView::of(&event)),
            Err(StoreError::Conflict) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(StoreError::Conflict.into())
}
