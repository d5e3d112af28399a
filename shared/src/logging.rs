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
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::domain::{LinkId, MerchantId};

/// How the environment asks for logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    pub json: bool,
    /// An `EnvFilter` directive: `info`, `DEBUG`, `paylinks=debug,info`…
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
    // Lambda's levels are upper case (`WARN`); EnvFilter reads either.
    let filter = EnvFilter::try_new(settings.level.to_ascii_lowercase()).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer).with_target(false).with_ansi(false);
    if settings.json {
        // CloudWatch stamps each line itself; the spans carry the request id and the ids.
        Box::new(builder.json().without_time().with_current_span(false).with_span_list(true).finish())
    } else {
        Box::new(builder.without_time().finish())
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

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'w> MakeWriter<'w> for Captured {
        type Writer = Captured;
        fn make_writer(&'w self) -> Self::Writer {
            self.clone()
        }
    }

    fn lines(settings: &LogSettings, log: impl FnOnce()) -> String {
        let captured = Captured::default();
        tracing::subscriber::with_default(subscriber(settings, captured.clone()), log);
        String::from_utf8(captured.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn a_json_line_carries_the_request_id_function_merchant_and_link_and_no_colour() {
        let settings = LogSettings { json: true, level: "INFO".into() };
        let text = lines(&settings, || {
            let invoke = tracing::info_span!("Lambda runtime invoke", requestId = "req-123");
            let _invoke = invoke.enter();
            let request = request_span("create-link");
            let _request = request.enter();
            record_merchant(&MerchantId::parse("merchant-1").unwrap());
            record_link(&LinkId::parse("pl_0123456789abcdefghijAB").unwrap());
            tracing::warn!(reason = "a test", "something worth a look");
            tracing::debug!("below the level: not written");
        });
        assert!(!text.contains('\u{1b}'), "no ANSI escapes: {text}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1, "{text}");
        let line: serde_json::Value = serde_json::from_str(lines[0]).expect("one JSON object per line");
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["fields"]["message"], "something worth a look");
        let spans = line["spans"].as_array().expect("the spans");
        assert_eq!(spans[0]["requestId"], "req-123");
        assert_eq!(spans[1]["function"], "create-link");
        assert_eq!(spans[1]["merchant"], "merchant-1");
        assert_eq!(spans[1]["link"], "pl_0123456789abcdefghijAB");
    }

    #[test]
    fn text_lines_have_no_colour_either_and_the_level_is_honoured() {
        let settings = LogSettings { json: false, level: "ERROR".into() };
        let text = lines(&settings, || {
            tracing::warn!("filtered out");
            tracing::error!("kept");
        });
        assert!(!text.contains('\u{1b}') && text.contains("kept") && !text.contains("filtered"), "{text}");
    }
}
