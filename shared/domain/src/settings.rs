use serde::{Deserialize, Serialize};

use super::{ReminderPolicy, ValidationError};

/// `#RRGGBB`, stored upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BrandColor(String);

impl BrandColor {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let hex = text.strip_prefix('#').unwrap_or("");
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ValidationError::new("", "must be a colour like #1A2B3C"));
        }
        Ok(Self(format!("#{}", hex.to_ascii_uppercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for BrandColor {
    fn default() -> Self {
        Self("#635BFF".to_string())
    }
}

impl TryFrom<String> for BrandColor {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text).map_err(|e| e.message)
    }
}

impl From<BrandColor> for String {
    fn from(c: BrandColor) -> String {
        c.0
    }
}

/// A DNS host name (no scheme, port or path), lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HostName(String);

impl HostName {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let lower = text.trim().to_ascii_lowercase();
        let label_ok = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if lower.is_empty() || lower.len() > 253 || !lower.split('.').all(label_ok) {
            return Err(ValidationError::new("", "must be a host name like shop.example.com"));
        }
        Ok(Self(lower))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for HostName {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text).map_err(|e| e.message)
    }
}

impl From<HostName> for String {
    fn from(h: HostName) -> String {
        h.0
    }
}

/// A Stripe Connect account, `acct_…`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StripeAccount(String);

impl StripeAccount {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let rest = text.strip_prefix("acct_").unwrap_or("");
        if rest.is_empty() || rest.len() > 64 || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ValidationError::new("", "must be a Stripe account id like acct_1032D82eZvKYlo2C"));
        }
        Ok(Self(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for StripeAccount {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text).map_err(|e| e.message)
    }
}

impl From<StripeAccount> for String {
    fn from(a: StripeAccount) -> String {
        a.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailTemplate {
    pub subject: String,
    pub html: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsTemplate {
    pub text: String,
}

/// What a merchant configures once; drives eligibility, redirects and the customer pages' look.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub display_name: String,
    pub brand_color: BrandColor,
    pub logo_url: Option<String>,
    pub payments_enabled: bool,
    pub stripe_account: Option<StripeAccount>,
    pub allowed_redirect_hosts: Vec<HostName>,
    pub default_expires_in_minutes: Option<u32>,
    pub email_template: Option<EmailTemplate>,
    pub sms_template: Option<SmsTemplate>,
    /// `None`: no reminders (a link may still carry its own policy).
    #[serde(default)]
    pub reminders: Option<ReminderPolicy>,
    /// The reminders' words; `None`: ours, which say it is a reminder and until when the link is valid.
    #[serde(default)]
    pub reminder_email_template: Option<EmailTemplate>,
    #[serde(default)]
    pub reminder_sms_template: Option<SmsTemplate>,
}

impl Default for Settings {
    /// A merchant that never saved settings cannot take payments until it says so.
    fn default() -> Self {
        Self {
            display_name: String::new(),
            brand_color: BrandColor::default(),
            logo_url: None,
            payments_enabled: false,
            stripe_account: None,
            allowed_redirect_hosts: Vec::new(),
            default_expires_in_minutes: None,
            email_template: None,
            sms_template: None,
            reminders: None,
            reminder_email_template: None,
            reminder_sms_template: None,
        }
    }
}

impl Settings {
    pub const MAX_DISPLAY_NAME: usize = 40;
    pub const MAX_EXPIRES_IN_MINUTES: u32 = 525_600;

    pub fn allows_redirect_to(&self, url: &url::Url) -> bool {
        url.host_str()
            .map(|host| self.allowed_redirect_hosts.iter().any(|h| h.as_str() == host.to_ascii_lowercase()))
            .unwrap_or(false)
    }
}
