//! `POST /webhook-endpoints`.

use paylinks::domain::{EventType, ValidationError};
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
