//! `PUT /settings`: any subset of the fields; `null` clears one that may be empty.

use std::collections::BTreeMap;

use paylinks::domain::{
    BrandColor, EmailTemplate, HostName, Settings, SettingsPatch, SmsTemplate, StripeAccount, ValidationError,
};
use paylinks::messages::check_template;
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::Object;
use super::fields::{at, expiry_minutes, present, required};
use super::reminders::{ReminderPolicyBody, policy};

/// Every field is `Some(None)` when sent as `null`, so a `null` where one is not allowed is refused
/// rather than read as "leave it".
#[derive(Debug, Deserialize)]
pub struct SettingsBody {
    #[serde(default, deserialize_with = "present")]
    display_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    brand_color: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    logo_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    payments_enabled: Option<Option<bool>>,
    #[serde(default, deserialize_with = "present")]
    stripe_account: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    allowed_redirect_hosts: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "present")]
    default_expires_in_minutes: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    email_template: Option<Option<Object<EmailTemplateBody>>>,
    #[serde(default, deserialize_with = "present")]
    sms_template: Option<Option<Object<SmsTemplateBody>>>,
    #[serde(default, deserialize_with = "present")]
    reminders: Option<Option<Object<ReminderPolicyBody>>>,
    #[serde(default, deserialize_with = "present")]
    reminder_email_template: Option<Option<Object<EmailTemplateBody>>>,
    #[serde(default, deserialize_with = "present")]
    reminder_sms_template: Option<Option<Object<SmsTemplateBody>>>,
    /// A key that is not a setting is refused by name: a typo must not be saved as nothing.
    #[serde(flatten)]
    unknown: BTreeMap<String, IgnoredAny>,
}

#[derive(Debug, Deserialize)]
pub struct EmailTemplateBody {
    subject: Option<String>,
    html: Option<String>,
    text: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SmsTemplateBody {
    text: Option<String>,
}

const MAX_HOSTS: usize = 50;

impl TryFrom<SettingsBody> for SettingsPatch {
    type Error = ValidationError;

    fn try_from(body: SettingsBody) -> Result<Self, ValidationError> {
        if let Some(key) = body.unknown.keys().next() {
            return Err(ValidationError::new(key.as_str(), "is not a setting"));
        }
        Ok(Self {
            display_name: not_null(body.display_name, "display_name")?.map(display_name).transpose()?,
            brand_color: not_null(body.brand_color, "brand_color")?
                .map(|c| BrandColor::parse(&c).map_err(|e| ValidationError::new("brand_color", e.message)))
                .transpose()?,
            logo_url: nullable(body.logo_url, |url| https_url(url, "logo_url"))?,
            payments_enabled: not_null(body.payments_enabled, "payments_enabled")?,
            stripe_account: nullable(body.stripe_account, |a| {
                StripeAccount::parse(&a).map_err(|e| ValidationError::new("stripe_account", e.message))
            })?,
            allowed_redirect_hosts: not_null(body.allowed_redirect_hosts, "allowed_redirect_hosts")?
                .map(hosts)
                .transpose()?,
            default_expires_in_minutes: nullable(body.default_expires_in_minutes, |m| {
                expiry_minutes(m, "default_expires_in_minutes")
            })?,
            email_template: nullable(body.email_template, |Object(t)| email_template(t, "email_template"))?,
            sms_template: nullable(body.sms_template, |Object(t)| sms_template(t, "sms_template"))?,
            reminders: nullable(body.reminders, |Object(p)| policy(p, "reminders"))?,
            reminder_email_template: nullable(body.reminder_email_template, |Object(t)| {
                email_template(t, "reminder_email_template")
            })?,
            reminder_sms_template: nullable(body.reminder_sms_template, |Object(t)| {
                sms_template(t, "reminder_sms_template")
            })?,
        })
    }
}

fn not_null<T>(field: Option<Option<T>>, path: &str) -> Result<Option<T>, ValidationError> {
    match field {
        Some(None) => Err(ValidationError::new(path, "cannot be null")),
        Some(Some(value)) => Ok(Some(value)),
        None => Ok(None),
    }
}

fn nullable<T, U>(
    field: Option<Option<T>>,
    check: impl FnOnce(T) -> Result<U, ValidationError>,
) -> Result<Option<Option<U>>, ValidationError> {
    field.map(|value| value.map(check).transpose()).transpose()
}

fn display_name(name: String) -> Result<String, ValidationError> {
    let name = name.trim();
    if name.chars().count() > Settings::MAX_DISPLAY_NAME || name.chars().any(char::is_control) {
        return Err(ValidationError::new("display_name", "must be at most 40 printable characters"));
    }
    Ok(name.to_string())
}

fn https_url(text: String, path: &str) -> Result<String, ValidationError> {
    match url::Url::parse(&text) {
        Ok(u) if u.scheme() == "https" && u.host_str().is_some() && text.len() <= 2048 => Ok(u.to_string()),
        _ => Err(ValidationError::new(path, "must be an https:// URL")),
    }
}

fn hosts(names: Vec<String>) -> Result<Vec<HostName>, ValidationError> {
    if names.len() > MAX_HOSTS {
        return Err(ValidationError::new("allowed_redirect_hosts", "must list at most 50 host names"));
    }
    let path = |i: usize| at("allowed_redirect_hosts", &i.to_string());
    names
        .iter()
        .enumerate()
        .map(|(i, name)| HostName::parse(name).map_err(|e| ValidationError::new(path(i), e.message)))
        .collect()
}

fn email_template(t: EmailTemplateBody, path: &str) -> Result<EmailTemplate, ValidationError> {
    Ok(EmailTemplate {
        subject: template(t.subject, &at(path, "subject"), 200)?,
        html: template(t.html, &at(path, "html"), 100_000)?,
        text: template(t.text, &at(path, "text"), 20_000)?,
    })
}

fn sms_template(t: SmsTemplateBody, path: &str) -> Result<SmsTemplate, ValidationError> {
    Ok(SmsTemplate { text: template(t.text, &at(path, "text"), 1_000)? })
}

/// A template that does not render is refused when saved, naming its line, not when a customer
/// is waiting for the message.
fn template(source: Option<String>, path: &str, max_bytes: usize) -> Result<String, ValidationError> {
    let source = required(source, path)?;
    if source.trim().is_empty() {
        return Err(ValidationError::new(path, "must not be empty"));
    }
    if source.len() > max_bytes {
        return Err(ValidationError::new(path, format!("must be at most {max_bytes} bytes")));
    }
    check_template(&source).map_err(|message| ValidationError::new(path, message))?;
    Ok(source)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::parse_body;

    fn patch(json: &str) -> Result<SettingsPatch, ValidationError> {
        let body: SettingsBody =
            parse_body(json.as_bytes()).map_err(|e| ValidationError::new(e.field.unwrap_or_default(), e.message))?;
        SettingsPatch::try_from(body)
    }

    #[test]
    fn a_patch_holds_only_what_was_sent_and_null_clears() {
        let p = patch(r##"{"brand_color": "#00aa11", "logo_url": null}"##).unwrap();
        assert_eq!(p.brand_color.unwrap().as_str(), "#00AA11");
        assert_eq!(p.logo_url, Some(None));
        assert_eq!(p.display_name, None);
    }

    #[test]
    fn a_patch_names_the_field_at_fault() {
        let field = |json| patch(json).unwrap_err().field;
        assert_eq!(field(r#"{"allowed_redirect_hosts": ["ok.example.com", "https://x"]}"#), "allowed_redirect_hosts.1");
        assert_eq!(field(r#"{"stripe_account": "cus_123"}"#), "stripe_account");
        assert_eq!(field(r#"{"payments_enabled": null}"#), "payments_enabled");
        assert_eq!(field(r#"{"payments_enabled": "yes"}"#), "payments_enabled");
        assert_eq!(field(r#"{"no_such_setting": 1}"#), "no_such_setting");
        assert_eq!(field(r#"{"sms_template": {"text": 5}}"#), "sms_template.text");
        assert_eq!(field(r#"{"sms_template": {"text": " "}}"#), "sms_template.text", "an empty message");
    }

    #[test]
    fn a_template_that_does_not_compile_names_its_line() {
        let err = patch(r#"{"sms_template": {"text": "Hi\n{{ url "}}"#).unwrap_err();
        assert_eq!(err.field, "sms_template.text");
        assert!(err.message.contains("line 2"), "{}", err.message);
    }

    #[test]
    fn a_template_that_fails_when_rendered_is_refused_too() {
        let err = patch(r#"{"sms_template": {"text": "{{ url | no_such_filter }}"}}"#).unwrap_err();
        assert_eq!(err.field, "sms_template.text");
        assert!(patch(r#"{"sms_template": {"text": "{{ merchant }}: {{ amount }} {{ url }}"}}"#).is_ok());
    }
}
