//! delivery-events: SES's events about the emails sent (delivered, bounced, complained), from the
//! configuration set's SNS topic, onto each delivery's funnel; a hard bounce or a complaint onto
//! the merchant's suppression list. SNS invokes it asynchronously and retries a failed invocation,
//! so a store fault fails it; an event that cannot be read is logged and dropped (a retry would
//! read it no better).

use std::sync::Arc;

use aws_lambda_events::event::sns::SnsEvent;
use lambda_runtime::LambdaEvent;
use paylinks::ports::{Clock, Commit, Read, StoreError};
use paylinks::usecases::delivery_events::{self, Recorded};

/// What recording an event needs of the store.
pub trait EventStore: Read + Commit {}

impl<T: Read + Commit + ?Sized> EventStore for T {}

pub struct Deps {
    pub store: Arc<dyn EventStore>,
    pub clock: Arc<dyn Clock>,
}

/// How many of a batch's events were taken by a delivery of ours.
pub async fn handle(deps: &Deps, event: LambdaEvent<SnsEvent>) -> Result<usize, StoreError> {
    let mut recorded = 0;
    for record in &event.payload.records {
        let parsed = delivery_events::parse_ses_event(&record.sns.message, deps.clock.now());
        let event = match parsed {
            Ok(Some(event)) => event,
            Ok(None) => continue,
            Err(err) => {
                tracing::warn!(error = %err, "an SNS message that is not an SES event was dropped");
                continue;
            }
        };
        match delivery_events::record(deps.store.as_ref(), &event).await {
            Ok(Recorded::Recorded) => recorded += 1,
            Ok(Recorded::Unknown) => tracing::info!("an SES event about a message that is not ours (or is gone)"),
            Err(err) => {
                tracing::error!(error = %err, "an SES event could not be recorded; SNS retries");
                return Err(err);
            }
        }
    }
    Ok(recorded)
}
