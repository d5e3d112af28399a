//! A `PUT /settings` body, read field by field. (The typed HTTP edge replaces this next.)

use serde_json::{Map, Value};

use crate::domain::{BrandColor, EmailTemplate, HostName, Settings, SmsTemplate, StripeAccount, ValidationError};

/// A `PUT /settings` body: any subset of the fields; `null` clears a field that may be empty.
#[derive(Debug, Clone, Default)]
pub struct SettingsPatch {
    fields: Settings,
    present: Vec<&'static str>,
}

impl SettingsPatch {
    pub fn parse(body: &Value) -> Result<Self, ValidationError> {
        let object = body.as_object().ok_or_else(|| ValidationError::new("", "must be a JSON object of settings"))?;
        let mut patch = Self::default();
        for key in object.keys() {
            let known = [
                "display_name",
                "brand_color",
                "logo_url",
                "payments_enabled",
                "stripe_account",
                "allowed_redirect_hosts",
                "default_expires_in_minutes",
                "email_template",
                "sms_template",
            ];
            let Some(name) = known.iter().find(|k| *k == key) else {
                return Err(ValidationError::new(key.as_str(), "is not a setting"));
            };
            patch.present.push(name);
        }
        let s = &mut patch.fields;
        if let Some(v) = object.get("display_name") {
            s.display_name = parse_display_name(v).map_err(|e| e.under("display_name"))?;
        }
        if let Some(v) = object.get("brand_color") {
            s.brand_color = string(v).and_then(BrandColor::parse).map_err(|e| e.under("brand_color"))?;
        }
        if let Some(v) = object.get("logo_url") {
            s.logo_url = nullable(v, parse_https_url).map_err(|e| e.under("logo_url"))?;
        }
        if let Some(v) = object.get("payments_enabled") {
            s.payments_enabled =
                v.as_bool().ok_or_else(|| ValidationError::new("payments_enabled", "must be true or false"))?;
        }
        if let Some(v) = object.get("stripe_account") {
            s.stripe_account =
                nullable(v, |v| string(v).and_then(StripeAccount::parse)).map_err(|e| e.under("stripe_account"))?;
        }
        if let Some(v) = object.get("allowed_redirect_hosts") {
            s.allowed_redirect_hosts = parse_hosts(v).map_err(|e| e.under("allowed_redirect_hosts"))?;
        }
        if let Some(v) = object.get("default_expires_in_minutes") {
            s.default_expires_in_minutes =
                nullable(v, parse_expiry_minutes).map_err(|e| e.under("default_expires_in_minutes"))?;
        }
        if let Some(v) = object.get("email_template") {
            s.email_template = nullable(v, parse_email_template).map_err(|e| e.under("email_template"))?;
        }
        if let Some(v) = object.get("sms_template") {
            s.sms_template = nullable(v, parse_sms_template).map_err(|e| e.under("sms_template"))?;
        }
        Ok(patch)
    }

    /// The settings after this patch: fields left out keep their current value.
    pub fn apply_to(&self, current: &Settings) -> Settings {
        let mut next = current.clone();
        let f = &self.fields;
        for name in &self.present {
            match *name {
                "display_name" => next.display_name = f.display_name.clone(),
                "brand_color" => next.brand_color = f.brand_color.clone(),
                "logo_url" => next.logo_url = f.logo_url.clone(),
                "payments_enabled" => next.payments_enabled = f.payments_enabled,
                "stripe_account" => next.stripe_account = f.stripe_account.clone(),
                "allowed_redirect_hosts" => next.allowed_redirect_hosts = f.allowed_redirect_hosts.clone(),
                "default_expires_in_minutes" => next.default_expires_in_minutes = f.default_expires_in_minutes,
                "email_template" => next.email_template = f.email_template.clone(),
                "sms_template" => next.sms_template = f.sms_template.clone(),
                _ => {}
            }
        }
        next
    }
}

fn string(v: &Value) -> Result<&str, ValidationError> {
    v.as_str().ok_or_else(|| ValidationError::new("", "must be a string"))
}

fn nullable<T>(v: &Value, parse: impl Fn(&Value) -> Result<T, ValidationError>) -> Result<Option<T>, ValidationError> {
    if v.is_null() { Ok(None) } else { parse(v).map(Some) }
}

fn parse_display_name(v: &Value) -> Result<String, ValidationError> {
    let name = string(v)?.trim();
    if name.chars().count() > Settings::MAX_DISPLAY_NAME || name.chars().any(char::is_control) {
        return Err(ValidationError::new("", "must be at most 40 printable characters"));
    }
    Ok(name.to_string())
}

pub fn parse_https_url(v: &Value) -> Result<String, ValidationError> {
    let text = string(v)?;
    match url::Url::parse(text) {
        Ok(u) if u.scheme() == "https" && u.host_str().is_some() && text.len() <= 2048 => Ok(u.to_string()),
        _ => Err(ValidationError::new("", "must be an https:// URL")),
    }
}

fn parse_hosts(v: &Value) -> Result<Vec<HostName>, ValidationError> {
    let items = v.as_array().ok_or_else(|| ValidationError::new("", "must be a list of host names"))?;
    if items.len() > 50 {
        return Err(ValidationError::new("", "must list at most 50 host names"));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| string(item).and_then(HostName::parse).map_err(|e| e.under(&i.to_string())))
        .collect()
}

pub fn parse_expiry_minutes(v: &Value) -> Result<u32, ValidationError> {
    v.as_u64()
        .filter(|m| (1..=u64::from(Settings::MAX_EXPIRES_IN_MINUTES)).contains(m))
        .map(|m| m as u32)
        .ok_or_else(|| ValidationError::new("", "must be a whole number of minutes from 1 to 525600, or null"))
}

fn template_field(object: &Map<String, Value>, name: &str, max: usize) -> Result<String, ValidationError> {
    let text =
        object.get(name).and_then(Value::as_str).ok_or_else(|| ValidationError::new(name, "must be a string"))?;
    if text.len() > max {
        return Err(ValidationError::new(name, format!("must be at most {max} bytes")));
    }
    check_template(text).map_err(|e| e.under(name))?;
    Ok(text.to_string())
}

fn parse_email_template(v: &Value) -> Result<EmailTemplate, ValidationError> {
    let object =
        v.as_object().ok_or_else(|| ValidationError::new("", "must be an object with subject, html and text"))?;
    Ok(EmailTemplate {
        subject: template_field(object, "subject", 200)?,
        html: template_field(object, "html", 100_000)?,
        text: template_field(object, "text", 20_000)?,
    })
}

fn parse_sms_template(v: &Value) -> Result<SmsTemplate, ValidationError> {
    let object = v.as_object().ok_or_else(|| ValidationError::new("", "must be an object with text"))?;
    Ok(SmsTemplate { text: template_field(object, "text", 1_000)? })
}

/// A template that does not render is refused when saved, naming its line, not when a customer
/// is waiting for the message. It is rendered once with sample values, so unknown filters and
/// the like are caught too.
fn check_template(source: &str) -> Result<(), ValidationError> {
    let fail = |e: minijinja::Error| {
        let line = e.line().map(|l| format!(" on line {l}")).unwrap_or_default();
        ValidationError::new("", format!("does not render{line}: {}", e.kind()))
    };
    let mut env = minijinja::Environment::new();
    env.add_template("t", source).map_err(fail)?;
    let sample = minijinja::context! {
        url => "https://pay.example.com/p/Ab3dE9xQ2kZ",
        amount => "USD 25.00",
        merchant => "Acme",
        customer_name => "Ada",
        link_name => "Order SO-1001",
        brand_color => "#635BFF",
        logo_url => (),
    };
    env.get_template("t").and_then(|t| t.render(sample)).map(|_| ()).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_patch_keeps_fields_it_leaves_out() {
        let current = Settings { display_name: "Acme".into(), payments_enabled: true, ..Settings::default() };
        let patch = SettingsPatch::parse(&json!({"brand_color": "#00aa11"})).unwrap();
        let next = patch.apply_to(&current);
        assert_eq!(next.display_name, "Acme");
        assert!(next.payments_enabled);
        assert_eq!(next.brand_color.as_str(), "#00AA11");
    }

    #[test]
    fn a_patch_names_the_field_at_fault() {
        let err =
            SettingsPatch::parse(&json!({"allowed_redirect_hosts": ["ok.example.com", "https://x"]})).unwrap_err();
        assert_eq!(err.field, "allowed_redirect_hosts.1");
        let err = SettingsPatch::parse(&json!({"stripe_account": "cus_123"})).unwrap_err();
        assert_eq!(err.field, "stripe_account");
    }

    #[test]
    fn a_template_that_does_not_compile_names_its_line() {
        let err = SettingsPatch::parse(&json!({"sms_template": {"text": "Hi\n{{ url "}})).unwrap_err();
        assert_eq!(err.field, "sms_template.text");
        assert!(err.message.contains("line 2"), "{}", err.message);
    }

    #[test]
    fn a_template_that_fails_when_rendered_is_refused_too() {
        let err = SettingsPatch::parse(&json!({"sms_template": {"text": "{{ url | no_such_filter }}"}})).unwrap_err();
        assert_eq!(err.field, "sms_template.text");
        let ok = SettingsPatch::parse(&json!({"sms_template": {"text": "{{ merchant }}: {{ amount }} {{ url }}"}}));
        assert!(ok.is_ok());
    }
}
