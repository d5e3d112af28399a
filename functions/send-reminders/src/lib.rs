//! send-reminders: the scheduled function (EventBridge, every few minutes) that sends the
//! reminders due, through the same delivery path as `POST /links/{id}/email|sms`, and tells the
//! merchant of links that expired unpaid (`link.expired`). What it is handed is only a wake-up:
//! the due index says what to do.

use std::sync::Arc;

use lambda_runtime::LambdaEvent;
use paylinks::budgets;
use paylinks::config::LinkConfig;
use paylinks::ports::{Clock, Mailer, SmsSender, Store, StoreError};
use paylinks::tokens::LinkTokens;
use paylinks::usecases::link_expiry::{ExpiryReport, tell_expired};
use paylinks::usecases::link_view::LinkUrls;
use paylinks::usecases::reminders::{Channels, RunReport, run_reminders};
use paylinks::usecases::send::{Sender, Transport};
use serde_json::Value;

pub struct Deps {
    pub store: Arc<dyn Store>,
    pub mailer: Arc<dyn Mailer>,
    pub sms: Arc<dyn SmsSender>,
    pub tokens: Arc<LinkTokens>,
    pub config: LinkConfig,
    pub clock: Arc<dyn Clock>,
}

impl Deps {
    fn sender<'a>(&'a self, transport: Transport<'a>) -> Sender<'a, dyn Store> {
        Sender {
            store: self.store.as_ref(),
            transport,
            urls: LinkUrls { config: &self.config, tokens: &self.tokens },
            resend_window_seconds: self.config.resend_window_seconds,
        }
    }

    /// One run at the clock's now: what was due, sent, skipped, ended.
    pub async fn run(&self) -> Result<RunReport, StoreError> {
        self.run_from(std::time::Instant::now()).await
    }

    /// A run within the invocation that began at `started`.
    async fn run_from(&self, started: std::time::Instant) -> Result<RunReport, StoreError> {
        let channels = Channels {
            email: self.sender(Transport::Email(self.mailer.as_ref())),
            sms: self.sender(Transport::Sms(self.sms.as_ref())),
        };
        // Stop taking slots well before the timeout: a run killed mid-slot would leave that
        // slot claimed and unsent. What is left is due for the next run.
        let stop = budgets::SEND_REMINDERS.deadline().saturating_sub(budgets::SEND_REMINDERS_SLOT);
        run_reminders(self.store.as_ref(), &channels, self.clock.as_ref(), &|| started.elapsed() >= stop).await
    }

    /// The links that expired unpaid since the last run, each told once.
    pub async fn tell_expired(&self) -> Result<ExpiryReport, StoreError> {
        self.tell_expired_from(std::time::Instant::now()).await
    }

    /// Told within the invocation that began at `started` (after its reminders).
    async fn tell_expired_from(&self, started: std::time::Instant) -> Result<ExpiryReport, StoreError> {
        let stop = budgets::SEND_REMINDERS.deadline().saturating_sub(std::time::Duration::from_secs(10));
        tell_expired(self.store.as_ref(), self.clock.as_ref(), &|| started.elapsed() >= stop).await
    }
}

/// What one scheduled run did.
#[derive(Debug, serde::Serialize)]
pub struct ScheduledRun {
    pub reminders: RunReport,
    pub expiries: ExpiryReport,
}

/// A store fault fails the invocation (logged; the next scheduled run carries on).
pub async fn handle(deps: &Deps, _event: LambdaEvent<Value>) -> Result<ScheduledRun, lambda_runtime::Error> {
    // One clock for both parts: together they stop inside the function's timeout.
    let started = std::time::Instant::now();
    let reminders = reminders(deps, started).await?;
    let expiries = deps.tell_expired_from(started).await;
    match &expiries {
        Ok(report) => tracing::info!(due = report.due, told = report.told, "expiries run"),
        Err(err) => tracing::error!(error = %err, "the expiries run stopped: the store is unavailable"),
    }
    Ok(ScheduledRun { reminders, expiries: expiries? })
}

async fn reminders(deps: &Deps, started: std::time::Instant) -> Result<RunReport, lambda_runtime::Error> {
    let report = deps.run_from(started).await;
    match &report {
        Ok(report) => tracing::info!(
            due = report.due,
            sent = report.sent,
            failed = report.failed,
            skipped = report.skipped,
            ended = report.ended,
            rescheduled = report.rescheduled,
            raced = report.raced,
            retry_later = report.retry_later,
            "reminders run"
        ),
        Err(err) => tracing::error!(error = %err, "the reminders run stopped: the store is unavailable"),
    }
    Ok(report?)
}
