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
mod whole_numbers;

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
    let rewritten = whole_numbers::as_integers(text);
    let text = rewritten.as_deref().unwrap_or(text);
    serde_json::from_slice::<IgnoredAny>(text).map_err(ApiError::invalid_json)?;
    serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(text))
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Probe {
        amount: Option<i64>,
        items: Option<Vec<u32>>,
        note: Option<String>,
    }

    fn read(body: &str) -> Result<Probe, ApiError> {
        parse_body::<Probe>(body.as_bytes())
    }

    #[test]
    fn a_whole_number_written_with_a_fraction_or_an_exponent_is_that_integer() {
        let both = read(r#"{"amount": 40.0, "items": [1.0, 2e0, 3], "note": "1.5e"}"#).expect("read");
        assert_eq!(both, Probe { amount: Some(40), items: Some(vec![1, 2, 3]), note: Some("1.5e".into()) });
        assert_eq!(read(r#"{"amount": 4E1}"#).expect("read").amount, Some(40));
    }

    #[test]
    fn a_fraction_is_still_refused_where_a_whole_number_is_asked_for() {
        // The first a double would read as 40: as written, it is a fraction.
        for body in [
            r#"{"amount": 40.0000000000000001}"#,
            r#"{"amount": 40.5}"#,
            r#"{"amount": 1e300}"#,
            r#"{"items": [1, 2.25]}"#,
            r#"{"amount": 40.0, "items": [2.5]}"#,
        ] {
            let err = read(body).expect_err(body);
            assert!(format!("{err:?}").contains("whole number"), "{body}: {err:?}");
        }
        let err = read(r#"{"amount": 40.0"#).expect_err("not JSON");
        assert!(format!("{err:?}").contains("invalid_json"), "{err:?}");
    }
}
