//! Configuration from the environment. A missing or invalid setting stops the function at start
//! with a message naming it; secrets are held in `SecretString` and never printed.

use secrecy::SecretString;

use crate::tokens::LinkTokens;

#[derive(Debug, thiserror::Error)]
#[error("configuration: {name} {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

impl ConfigError {
    pub fn new(name: &'static str, problem: impl Into<String>) -> Self {
        Self { name, problem: problem.into() }
    }
}

/// A setting, unless it is unset or blank.
pub fn optional(name: &'static str) -> Option<String> {
    var(name)
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
    /// How many requests a merchant may make a minute (`MERCHANT_REQUESTS_PER_MINUTE`, 600).
    pub merchant_requests_per_minute: u32,
    /// How many Checkout Sessions one Stripe account may have made a second, every link of it
    /// together (`STRIPE_SESSIONS_PER_SECOND`, 25: Stripe's default limit on one endpoint, and
    /// its sandbox's limit on all of them; live mode allows 100 requests a second in all).
    pub stripe_sessions_per_second: u32,
}

impl LinkConfig {
    /// A short code's URL: `{PUBLIC_BASE_URL}/p/{code}`.
    pub fn short_url(&self, code: &crate::domain::ShortCode) -> String {
        format!("{}/p/{}", self.public_base_url, code.as_str())
    }

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
            merchant_requests_per_minute: number("MERCHANT_REQUESTS_PER_MINUTE", 600, 1..=1_000_000)? as u32,
            stripe_sessions_per_second: number("STRIPE_SESSIONS_PER_SECOND", 25, 1..=100)? as u32,
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
            merchant_requests_per_minute: 600,
            stripe_sessions_per_second: 25,
        }
    }
}

pub fn link_tokens_from_env() -> Result<LinkTokens, ConfigError> {
    let secret = SecretString::from(required("TOKEN_SIGNING_SECRET")?);
    LinkTokens::new(&secret)
        .map_err(|e| ConfigError::new("TOKEN_SIGNING_SECRET", e.to_string().replace("TOKEN_SIGNING_SECRET ", "")))
}

pub fn table_name_from_env() -> Result<String, ConfigError> {
    required("TABLE_NAME")
}

/// A function that cannot be configured must not start: say which setting, then stop.
pub fn or_exit<T>(result: Result<T, ConfigError>) -> T {
    result.unwrap_or_else(|err| {
        eprintln!("{err}");
        std::process::exit(78)
    })
}
