//! send-webhooks: the scheduled function that sends merchants' events due (new ones and retries)
//! to their endpoints, public https addresses only. What it is handed is only a wake-up: the
//! pending-events index says what to do.

use std::sync::Arc;

use lambda_runtime::LambdaEvent;
use paylinks::budgets;
use paylinks::ports::{Clock, PostEvent, Store};
use paylinks::usecases::event_dispatch::{DispatchReport, dispatch};
use serde_json::Value;

pub struct Deps {
    pub store: Arc<dyn Store>,
    pub poster: Arc<dyn PostEvent>,
    pub clock: Arc<dyn Clock>,
}

/// A store fault fails the invocation (logged; the next scheduled run carries on).
pub async fn handle(deps: &Deps, _event: LambdaEvent<Value>) -> Result<DispatchReport, lambda_runtime::Error> {
    let started = std::time::Instant::now();
    // An event may take a POST to each of ten endpoints, ten seconds each at most: no new event
    // is taken once less than that is left.
    let stop = budgets::SEND_WEBHOOKS.deadline().saturating_sub(std::time::Duration::from_secs(120));
    let out_of_time = || started.elapsed() >= stop;
    let report = dispatch(deps.store.as_ref(), deps.poster.as_ref(), deps.clock.as_ref(), &out_of_time).await;
    match &report {
        Ok(report) => tracing::info!(
            due = report.due,
            succeeded = report.succeeded,
            retrying = report.retrying,
            failed = report.failed,
            "webhooks run"
        ),
        Err(err) => tracing::error!(error = %err, "the webhooks run stopped: the store is unavailable"),
    }
    Ok(report?)
}
