//! Configuration from the environment. A missing or invalid setting stops the function at start
//! with a message naming it; secrets are held in `SecretString` and never printed.

use secrecy::SecretString;

use crate::tokens::LinkTokens;
use crate::webhook_signature::WebhookSecrets;

#[derive(Debug, thiserror::Error)]
#[error("configuration: {name} {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

impl ConfigError {
    fn new(name: &'static str, problem: impl Into<String>) -> Self {
        Self { name, problem: problem.into() }
    }
}

fn var(name: &'static str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub fn required(name: &'static str) -> Result<String, ConfigError> {
    var(name).ok_or_else(|| ConfigError::new(name, "is not set"))
}

fn number(name: &'static str, default: i64, range: std::ops::RangeInclusive<i64>) -> Result<i64, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(text) => text.trim().parse::<i64>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
            ConfigError::new(name, format!("must be a whole number from {} to {}", range.start(), range.end()))
        }),
    }
}

fn query_param_name(name: &'static str, default: &str) -> Result<String, ConfigError> {
    let value = var(name).unwrap_or_else(|| default.to_string());
    if value.len() > 64 || !value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(ConfigError::new(name, "must be letters, digits, '_' or '-'"));
    }
    Ok(value)
}

/// What every function that shows or reads a link URL agrees on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkConfig {
    /// Where customers reach the service, without a trailing slash, e.g. `https://pay.example.com`.
    pub public_base_url: String,
    pub token_query_param: String,
    pub error_query_param: String,
    pub resend_window_seconds: i64,
    pub retention_days: i64,
}

impl LinkConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_env_or_base(None)
    }

    /// As `from_env`, with a base URL to use when `PUBLIC_BASE_URL` is unset (the local server
    /// knows its own address).
    pub fn from_env_or_base(fallback: Option<&str>) -> Result<Self, ConfigError> {
        let base = match (var("PUBLIC_BASE_URL"), fallback) {
            (Some(base), _) => base,
            (None, Some(fallback)) => fallback.to_string(),
            (None, None) => return Err(ConfigError::new("PUBLIC_BASE_URL", "is not set")),
        };
        let parsed =
            url::Url::parse(&base).map_err(|_| ConfigError::new("PUBLIC_BASE_URL", "must be an absolute URL"))?;
        if !matches!(parsed.scheme(), "https" | "http") || parsed.host_str().is_none() {
            return Err(ConfigError::new("PUBLIC_BASE_URL", "must be an http(s) URL"));
        }
        Ok(Self {
            public_base_url: base.trim_end_matches('/').to_string(),
            token_query_param: query_param_name("TOKEN_QUERY_PARAM", "payment_link_token")?,
            error_query_param: query_param_name("ERROR_QUERY_PARAM", "payment_link_error")?,
            resend_window_seconds: number("RESEND_WINDOW_SECONDS", 1800, 0..=86_400)?,
            retention_days: number("LINK_RETENTION_DAYS", 90, 1..=3650)?,
        })
    }

    /// The defaults of the SPEC for a given base URL (tests, the local server).
    pub fn with_base_url(public_base_url: &str) -> Self {
        Self {
            public_base_url: public_base_url.trim_end_matches('/').to_string(),
            token_query_param: "payment_link_token".into(),
            error_query_param: "payment_link_error".into(),
            resend_window_seconds: 1800,
            retention_days: 90,
        }
    }
}

pub fn link_tokens_from_env() -> Result<LinkTokens, ConfigError> {
    let secret = SecretString::from(required("TOKEN_SIGNING_SECRET")?);
    LinkTokens::new(&secret)
        .map_err(|e| ConfigError::new("TOKEN_SIGNING_SECRET", e.to_string().replace("TOKEN_SIGNING_SECRET ", "")))
}

pub fn webhook_secrets_from_env() -> Result<WebhookSecrets, ConfigError> {
    let text = SecretString::from(required("STRIPE_WEBHOOK_SECRET")?);
    WebhookSecrets::parse(&text).ok_or_else(|| ConfigError::new("STRIPE_WEBHOOK_SECRET", "holds no secret"))
}

pub fn table_name_from_env() -> Result<String, ConfigError> {
    required("TABLE_NAME")
}

pub fn stripe_from_env() -> Result<crate::adapters::stripe::StripeCheckout, ConfigError> {
    let key = SecretString::from(required("STRIPE_SECRET_KEY")?);
    let base = var("STRIPE_API_BASE").unwrap_or_else(|| "https://api.stripe.com".to_string());
    crate::adapters::stripe::StripeCheckout::new(&key, &base)
        .map_err(|_| ConfigError::new("STRIPE_API_BASE", "is not a usable URL"))
}

/// The AWS SDK configuration from the environment alone: region and credentials as Lambda sets
/// them, `AWS_ENDPOINT_URL` honoured, and no instance-metadata probing before the first request.
pub async fn aws_config() -> Result<aws_config::SdkConfig, ConfigError> {
    let region = var("AWS_REGION")
        .or_else(|| var("AWS_DEFAULT_REGION"))
        .ok_or_else(|| ConfigError::new("AWS_REGION", "is not set"))?;
    let loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region))
        .credentials_provider(aws_config::environment::EnvironmentVariableCredentialsProvider::new());
    Ok(loader.load().await)
}
