//! Business and technical metrics as CloudWatch Embedded Metric Format lines on stdout: the
//! `metrics` facade with `metrics_cloudwatch_embedded`'s recorder (no JSON written by hand, no
//! CloudWatch call: Lambda's log stream carries them, CloudWatch extracts them). Each function's
//! `main` calls `init` with its name (the `Function` dimension) and `flush` after each invocation.
//! Without `init` (the local server, the tests) every count is a no-op.
//!
//! The names are the ones `template.yaml`'s alarms and dashboard use; `tests/tests/metrics.rs`
//! reads the lines back and checks them against the template.

use std::sync::OnceLock;

use metrics_cloudwatch_embedded::{Builder, Collector};

pub const NAMESPACE: &str = "PaymentLinks";

/// The metric names, each counted where the thing it counts is decided.
pub mod names {
    pub const LINKS_CREATED: &str = "LinksCreated";
    pub const LINK_OPENS: &str = "LinkOpens";
    pub const SESSIONS_CREATED: &str = "SessionsCreated";
    pub const PAYMENTS_RECORDED: &str = "PaymentsRecorded";
    pub const PAYMENTS_FLAGGED: &str = "PaymentsFlagged";
    /// Stripe webhook requests refused, by `Reason` (`signature`, `payload`).
    pub const WEBHOOK_REJECTIONS: &str = "WebhookRejections";
    /// Stripe webhook requests answered, and those answered 5xx (Stripe retries them).
    pub const WEBHOOK_REQUESTS: &str = "WebhookRequests";
    pub const WEBHOOK_SERVER_ERRORS: &str = "WebhookServerErrors";
    /// Emails and texts the provider refused, by `Channel`.
    pub const DELIVERY_FAILURES: &str = "DeliveryFailures";
    pub const REMINDERS_SENT: &str = "RemindersSent";
    /// Attempts at a merchant's endpoint that failed (non-2xx, silence).
    pub const MERCHANT_WEBHOOK_FAILURES: &str = "MerchantWebhookFailures";
    /// Requests past a limit (`429`), by `Scope`: `client`, `link` (one client on one reusable
    /// link), `merchant`; and `pace`, customers held on the waiting page (`200`) because their
    /// Stripe account's pace of new sessions was spent.
    pub const THROTTLED: &str = "Throttled";
}

static COLLECTOR: OnceLock<&'static Collector> = OnceLock::new();

/// Starts counting for `function` (the binary's name), in the stack `STACK_NAME` names (`local`
/// without): two stacks in one account never mix their metrics, nor roll back each other's
/// deploys. A second call changes nothing.
pub fn init(function: &'static str) {
    if COLLECTOR.get().is_some() {
        return;
    }
    let stack = std::env::var("STACK_NAME").ok().filter(|s| !s.is_empty()).unwrap_or_else(|| "local".to_string());
    let builder = Builder::new().cloudwatch_namespace(NAMESPACE).with_dimension("Stack", stack);
    match builder.with_dimension("Function", function).init() {
        Ok(collector) => _ = COLLECTOR.set(collector),
        Err(err) => tracing::warn!(error = %err, "metrics are off"),
    }
}

/// Writes what was counted since the last flush, one EMF line per dimension set, to stdout.
pub fn flush() {
    if let Some(collector) = COLLECTOR.get()
        && let Err(err) = collector.flush(std::io::stdout().lock())
    {
        tracing::warn!(error = %err, "metrics could not be written");
    }
}

/// Runs one invocation, then writes its counts: the line lands in the invocation's own log.
pub async fn flushed<T>(invocation: impl std::future::Future<Output = T>) -> T {
    let out = invocation.await;
    flush();
    out
}

/// The same, into `writer` (the tests read the lines back).
pub fn flush_into(writer: impl std::io::Write) -> std::io::Result<()> {
    match COLLECTOR.get() {
        Some(collector) => collector.flush(writer),
        None => Ok(()),
    }
}

fn count(name: &'static str) {
    metrics::counter!(name).increment(1);
}

pub fn link_created() {
    count(names::LINKS_CREATED);
}

pub fn link_opened() {
    count(names::LINK_OPENS);
}

pub fn session_created() {
    count(names::SESSIONS_CREATED);
}

/// A payment recorded; `flagged`: one a person should look at (money for a link not payable).
pub fn payment_recorded(flagged: bool) {
    count(names::PAYMENTS_RECORDED);
    if flagged {
        count(names::PAYMENTS_FLAGGED);
    }
}

pub fn webhook_answered(status: u16) {
    count(names::WEBHOOK_REQUESTS);
    if status >= 500 {
        count(names::WEBHOOK_SERVER_ERRORS);
    }
}

pub fn webhook_rejected(reason: &'static str) {
    metrics::counter!(names::WEBHOOK_REJECTIONS, "Reason" => reason).increment(1);
}

pub fn delivery_failed(channel: &'static str) {
    metrics::counter!(names::DELIVERY_FAILURES, "Channel" => channel).increment(1);
}

pub fn reminder_sent() {
    count(names::REMINDERS_SENT);
}

pub fn merchant_webhook_failed() {
    count(names::MERCHANT_WEBHOOK_FAILURES);
}

pub fn throttled(scope: &'static str) {
    metrics::counter!(names::THROTTLED, "Scope" => scope).increment(1);
}
