use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::ValidationError;

/// An email address that parsed (RFC 5322 addr-spec). Debug output is masked: addresses are PII.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let trimmed = text.trim();
        let valid = trimmed.len() <= 254
            && email_address::EmailAddress::from_str(trimmed).map(|e| e.domain().contains('.')).unwrap_or(false);
        if !valid {
            return Err(ValidationError::new("", "must be an email address like name@example.com"));
        }
        Ok(Self(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Email(***)")
    }
}

impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text).map_err(|e| e.message)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

/// A phone number in E.164 (`+14155550123`), checked by `phone_plan`. Debug is masked.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneE164(String);

impl PhoneE164 {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let invalid = || ValidationError::new("", "must be a phone number in E.164 form, e.g. +14155550123");
        super::phone_plan::normalise(text).map(Self).ok_or_else(invalid)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PhoneE164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PhoneE164(***)")
    }
}

impl TryFrom<String> for PhoneE164 {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text).map_err(|e| e.message)
    }
}

impl From<PhoneE164> for String {
    fn from(p: PhoneE164) -> String {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_parse_and_bad_ones_are_rejected() {
        assert!(Email::parse("ada@example.com").is_ok());
        assert!(Email::parse("ada@").is_err());
        assert!(Email::parse("not an email").is_err());
        assert!(Email::parse("ada@localhost").is_err());
    }

    #[test]
    fn phones_are_normalised_to_e164() {
        assert_eq!(PhoneE164::parse("+1 415 555 0123").unwrap().as_str(), "+14155550123");
        assert!(PhoneE164::parse("4155550123").is_err());
        assert!(PhoneE164::parse("+1").is_err());
    }

    #[test]
    fn debug_output_hides_personal_data() {
        let e = Email::parse("ada@example.com").unwrap();
        assert!(!format!("{e:?}").contains("ada"));
    }
}
