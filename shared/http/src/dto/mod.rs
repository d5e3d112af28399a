//! The typed HTTP edge. Each JSON body is deserialised by serde into a DTO that mirrors the wire
//! (every field optional, so a missing one is reported by the conversion, by name), then turned
//! into a domain command with `TryFrom`. Every error names the path of the field at fault,
//! `order.line_items.0.unit_amount`, whether serde or a domain rule refused it.

mod create_link;
mod fields;
mod line_items;
mod link_change;
mod object;
mod reminders;
mod send;
mod serde_errors;
mod settings;
mod text_to_pay;
mod ways_to_pay;
mod webhook_endpoint;

use lambda_http::Request;
use paylinks::domain::ValidationError;
use serde::de::{DeserializeOwned, IgnoredAny};

pub use create_link::CreateLinkBody;
pub use link_change::LinkChangeBody;
pub use object::Object;
pub use send::SendBody;
pub use settings::SettingsBody;
pub use text_to_pay::{TextToPay, TextToPayBody};
pub use webhook_endpoint::{RollSecret, RollSecretBody, WebhookEndpointBody};

use crate::{ApiError, body_bytes};

/// The request's body as `D`: `400 invalid_json` when it is not JSON, `422` naming the field
/// when a value has the wrong type. An empty body reads as `{}` for routes whose body is optional.
pub fn parse_body<D: DeserializeOwned>(bytes: &[u8]) -> Result<D, ApiError> {
    let text = bytes.trim_ascii();
    let text: &[u8] = if text.is_empty() { b"{}" } else { text };
    // Syntax first, over the whole body: a body that is not JSON is a 400 even when a value
    // near its start has the wrong type (the DTO's reader stops at the first error).
    serde_json::from_slice::<IgnoredAny>(text).map_err(ApiError::invalid_json)?;
    let mut reader = serde_json::Deserializer::from_slice(text);
    serde_path_to_error::deserialize(&mut reader)
        .map(|Object(value)| value)
        .map_err(|err| serde_errors::validation_error(&err).into())
}

/// The request's body as its DTO `D`.
pub fn body<D: DeserializeOwned>(request: &Request) -> Result<D, ApiError> {
    parse_body(body_bytes(request))
}

/// The request's body as the command `C`, read through its DTO `D`.
pub fn command<D, C>(request: &Request) -> Result<C, ApiError>
where
    D: DeserializeOwned,
    C: TryFrom<D, Error = ValidationError>,
{
    Ok(C::try_from(parse_body::<D>(body_bytes(request))?)?)
}
