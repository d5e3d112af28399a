//! Reading a JSON request field by field, so every error names the path of the field at fault.

use serde_json::{Map, Value};

use crate::domain::ValidationError;

#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    object: &'a Map<String, Value>,
    path: &'a str,
}

pub fn path_of(parent: &str, name: &str) -> String {
    if parent.is_empty() { name.to_string() } else { format!("{parent}.{name}") }
}

impl<'a> Fields<'a> {
    pub fn of(value: &'a Value, path: &'a str) -> Result<Self, ValidationError> {
        value
            .as_object()
            .map(|object| Self { object, path })
            .ok_or_else(|| ValidationError::new(path, "must be a JSON object"))
    }

    pub fn path(&self, name: &str) -> String {
        path_of(self.path, name)
    }

    pub fn fail(&self, name: &str, message: impl Into<String>) -> ValidationError {
        ValidationError::new(self.path(name), message)
    }

    /// The value, if given and not null.
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.object.get(name).filter(|v| !v.is_null())
    }

    pub fn is_present(&self, name: &str) -> bool {
        self.object.contains_key(name)
    }

    pub fn text(&self, name: &str, max_chars: usize) -> Result<Option<String>, ValidationError> {
        let Some(value) = self.get(name) else { return Ok(None) };
        let text = value.as_str().ok_or_else(|| self.fail(name, "must be a string"))?.trim();
        if text.is_empty() {
            return Err(self.fail(name, "must not be empty"));
        }
        if text.chars().count() > max_chars || text.chars().any(char::is_control) {
            return Err(self.fail(name, format!("must be at most {max_chars} printable characters")));
        }
        Ok(Some(text.to_string()))
    }

    pub fn required_text(&self, name: &str, max_chars: usize) -> Result<String, ValidationError> {
        self.text(name, max_chars)?.ok_or_else(|| self.fail(name, "is required"))
    }

    pub fn integer(&self, name: &str) -> Result<Option<i64>, ValidationError> {
        let Some(value) = self.get(name) else { return Ok(None) };
        value.as_i64().map(Some).ok_or_else(|| self.fail(name, "must be a whole number"))
    }

    pub fn boolean(&self, name: &str) -> Result<Option<bool>, ValidationError> {
        let Some(value) = self.get(name) else { return Ok(None) };
        value.as_bool().map(Some).ok_or_else(|| self.fail(name, "must be true or false"))
    }

    pub fn array(&self, name: &str) -> Result<Option<&'a Vec<Value>>, ValidationError> {
        let Some(value) = self.get(name) else { return Ok(None) };
        value.as_array().map(Some).ok_or_else(|| self.fail(name, "must be a list"))
    }

    /// Parses a value with a domain parser, re-rooting its error at this field.
    pub fn parsed<T>(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, ValidationError>,
    ) -> Result<Option<T>, ValidationError> {
        let Some(value) = self.get(name) else { return Ok(None) };
        let text = value.as_str().ok_or_else(|| self.fail(name, "must be a string"))?;
        parse(text).map(Some).map_err(|e| ValidationError::new(self.path(name), e.message))
    }
}

/// An http(s) URL, as a string, with its host for allow-list checks.
pub fn web_url(fields: &Fields<'_>, name: &str) -> Result<Option<url::Url>, ValidationError> {
    let Some(text) = fields.text(name, 2048)? else { return Ok(None) };
    match url::Url::parse(&text) {
        Ok(u) if matches!(u.scheme(), "https" | "http") && u.host_str().is_some() => Ok(Some(u)),
        _ => Err(fields.fail(name, "must be an absolute http(s) URL")),
    }
}
