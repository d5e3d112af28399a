//! Log lines as an operator reads them in CloudWatch. Lambda's advanced logging controls
//! (`LoggingConfig` in the template) set `AWS_LAMBDA_LOG_FORMAT=JSON`: each line is then one JSON
//! object that CloudWatch Logs Insights can query by field. `AWS_LAMBDA_LOG_LEVEL` sets the
//! level (else `RUST_LOG`, else info). No ANSI colour codes ever: tracing-subscriber is built
//! without its `ansi` feature, as CloudWatch would show them as garbage.
//!
//! Every line of a request carries Lambda's request id (the runtime's `Lambda runtime invoke`
//! span), the function, and — once known — the merchant's and the link's ids. Those ids are the
//! only identifiers logged: never an email address, a phone number, a token or a secret.

use tracing::Span;
use tracing::field::Empty;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;

use crate::domain::{LinkId, MerchantId};

/// How the environment asks for logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    pub json: bool,
    /// A level, or levels per target: `info`, `DEBUG`, `paylinks=debug,info`… (tracing-subscriber's
    /// `Targets`: the same directives as `EnvFilter` without its span and field matching, whose
    /// regular expressions were a quarter of a megabyte of each function).
    pub level: String,
}

impl LogSettings {
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Self {
            json: var("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json")),
            level: var("AWS_LAMBDA_LOG_LEVEL").or_else(|| var("RUST_LOG")).unwrap_or_else(|| "info".into()),
        }
    }
}

/// The subscriber `settings` ask for, writing to `writer`.
pub fn subscriber<W>(settings: &LogSettings, writer: W) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    // Lambda's levels are upper case (`WARN`), and it has a `FATAL` tracing does not: the nearest
    // is `error`.
    let level = settings.level.to_ascii_lowercase().replace("fatal", "error");
    let filter = level.parse::<Targets>().unwrap_or_else(|_| Targets::new().with_default(LevelFilter::INFO));
    // fmt's own filter stops at INFO unless told otherwise; `Targets` decides.
    let builder = tracing_subscriber::fmt()
        .with_max_level(LevelFilter::TRACE)
        .with_writer(writer)
        .with_target(false)
        .with_ansi(false);
    if settings.json {
        // CloudWatch stamps each line itself; the spans carry the request id and the ids.
        Box::new(builder.json().without_time().with_current_span(false).with_span_list(true).finish().with(filter))
    } else {
        Box::new(builder.without_time().finish().with(filter))
    }
}

/// Installs the environment's subscriber for the whole process (once; later calls do nothing).
pub fn init() {
    let _ = tracing::subscriber::set_global_default(subscriber(&LogSettings::from_env(), std::io::stdout));
}

/// The span of one request to `function`: the ids are recorded into it as they become known.
pub fn request_span(function: &'static str) -> Span {
    tracing::info_span!("request", function, merchant = Empty, link = Empty)
}

pub fn record_merchant(merchant: &MerchantId) {
    Span::current().record("merchant", merchant.as_str());
}

pub fn record_link(link: &LinkId) {
    Span::current().record("link", link.as_str());
}
