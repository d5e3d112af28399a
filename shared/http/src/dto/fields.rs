//! The checks the DTOs share, each naming the field at fault by its path.

use paylinks::domain::ValidationError;
use serde::{Deserialize, Deserializer};

/// `parent.name`, or `name` at the top of the body.
pub(super) fn at(parent: &str, name: &str) -> String {
    if parent.is_empty() { name.to_string() } else { format!("{parent}.{name}") }
}

pub(super) fn required<T>(value: Option<T>, path: &str) -> Result<T, ValidationError> {
    value.ok_or_else(|| ValidationError::new(path, "is required"))
}

/// Text a person reads: trimmed, not empty, printable, at most `max_chars`.
pub(super) fn text(value: Option<String>, path: &str, max_chars: usize) -> Result<Option<String>, ValidationError> {
    let Some(value) = value else { return Ok(None) };
    let text = value.trim();
    if text.is_empty() {
        return Err(ValidationError::new(path, "must not be empty"));
    }
    if text.chars().count() > max_chars || text.chars().any(char::is_control) {
        return Err(ValidationError::new(path, format!("must be at most {max_chars} printable characters")));
    }
    Ok(Some(text.to_string()))
}

/// A value a domain parser reads, its error re-rooted at this field.
pub(super) fn parsed<T>(
    value: Option<String>,
    path: &str,
    parse: impl FnOnce(&str) -> Result<T, ValidationError>,
) -> Result<Option<T>, ValidationError> {
    value.map(|text| parse(&text).map_err(|e| ValidationError::new(path, e.message))).transpose()
}

/// An absolute http(s) URL, kept parsed for the redirect allow-list.
pub(super) fn web_url(value: Option<String>, path: &str) -> Result<Option<url::Url>, ValidationError> {
    let Some(text) = text(value, path, 2048)? else { return Ok(None) };
    match url::Url::parse(&text) {
        Ok(u) if matches!(u.scheme(), "https" | "http") && u.host_str().is_some() => Ok(Some(u)),
        _ => Err(ValidationError::new(path, "must be an absolute http(s) URL")),
    }
}

/// Minutes a link lives: from one minute to a year.
pub(super) fn expiry_minutes(minutes: i64, path: &str) -> Result<u32, ValidationError> {
    u32::try_from(minutes)
        .ok()
        .filter(|m| (1..=paylinks::domain::Settings::MAX_EXPIRES_IN_MINUTES).contains(m))
        .ok_or_else(|| ValidationError::new(path, "must be a whole number of minutes from 1 to 525600, or null"))
}

/// For a field where `null` means something: absent is `None`, `null` is `Some(None)`.
/// (Used with `#[serde(default, deserialize_with = "present")]`.)
pub(super) fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}
