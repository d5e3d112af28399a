//! `POST /webhook-endpoints`, `POST /webhook-endpoints/{id}/roll-secret`.

use paylinks::domain::{EventType, MAX_PREVIOUS_SECRET_HOURS, ValidationError};
use paylinks::usecases::webhook_endpoints::NewEndpoint;
use serde::Deserialize;

use super::fields::{at, required};

#[derive(Debug, Deserialize)]
pub struct WebhookEndpointBody {
    url: Option<String>,
    events: Option<Vec<String>>,
}

impl TryFrom<WebhookEndpointBody> for NewEndpoint {
    type Error = ValidationError;

    fn try_from(body: WebhookEndpointBody) -> Result<Self, ValidationError> {
        let url = required(body.url, "url")?;
        let names = required(body.events, "events")?;
        if names.is_empty() {
            return Err(ValidationError::new("events", "must name at least one event type"));
        }
        let mut events = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let event = EventType::parse(name).ok_or_else(|| {
                let known: Vec<&str> = EventType::ALL.iter().map(|e| e.as_str()).collect();
                ValidationError::new(at("events", &i.to_string()), format!("must be one of {}", known.join(", ")))
            })?;
            if !events.contains(&event) {
                events.push(event);
            }
        }
        Ok(Self { url, events })
    }
}

/// `POST /webhook-endpoints/{id}/roll-secret`: how long the old secret keeps signing.
#[derive(Debug, Deserialize)]
pub struct RollSecretBody {
    previous_secret_expires_in_hours: Option<i64>,
}

/// Hours the old secret keeps signing: 24 by default (a day to switch verifiers), 0 to stop now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollSecret {
    pub hours: u32,
}

impl TryFrom<RollSecretBody> for RollSecret {
    type Error = ValidationError;

    fn try_from(body: RollSecretBody) -> Result<Self, ValidationError> {
        let hours = body.previous_secret_expires_in_hours.unwrap_or(24);
        u32::try_from(hours).ok().filter(|h| *h <= MAX_PREVIOUS_SECRET_HOURS).map(|hours| Self { hours }).ok_or_else(
            || ValidationError::new("previous_secret_expires_in_hours", "must be a whole number from 0 to 168"),
        )
    }
}
