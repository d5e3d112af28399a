//! delivery-events: what became of the messages sent, onto each delivery's funnel — SES's events
//! about emails (delivered, bounced, complained) from the configuration set's SNS topic, and
//! SNS's SMS delivery status (delivered, failed) from a CloudWatch Logs subscription on the log
//! groups SNS writes it to. A hard bounce, a complaint or a number that never takes a text goes
//! onto the merchant's suppression list. Both sources invoke it asynchronously and retry a failed
//! invocation, so a store fault fails it; an event that cannot be read is logged and dropped (a
//! retry would read it no better).

use std::sync::Arc;

use aws_lambda_events::event::cloudwatch_logs::LogsEvent;
use aws_lambda_events::event::sns::SnsEvent;
use lambda_runtime::LambdaEvent;
use paylinks::domain::Timestamp;
use paylinks::ports::{Clock, Commit, Read, StoreError};
use paylinks::usecases::delivery_events::{self, NotAnEvent, ProviderEvent, Recorded};

/// What invokes the function: SNS with SES's events, or CloudWatch Logs with SMS statuses.
#[derive(Debug)]
pub enum Incoming {
    SmsStatus(LogsEvent),
    Ses(SnsEvent),
}

impl Incoming {
    /// CloudWatch Logs' payload (`awslogs.data`, gzip in base64) is read from text: its decoder
    /// takes borrowed strings only, which a `Value` cannot lend.
    pub fn read(payload: serde_json::Value) -> Result<Self, serde_json::Error> {
        if payload.get("awslogs").is_some() {
            serde_json::from_str(&payload.to_string()).map(Self::SmsStatus)
        } else {
            serde_json::from_value(payload).map(Self::Ses)
        }
    }

    /// Each event as text, with the parser for it and the time it was received or logged.
    fn events(&self, received: Timestamp) -> Vec<(&str, Timestamp, Parser)> {
        match self {
            Self::Ses(sns) => sns
                .records
                .iter()
                .map(|r| (r.sns.message.as_str(), received, delivery_events::parse_ses_event as Parser))
                .collect(),
            Self::SmsStatus(logs) => logs
                .aws_logs
                .data
                .log_events
                .iter()
                .map(|e| {
                    let logged = Timestamp::from_unix(e.timestamp.div_euclid(1000));
                    (e.message.as_str(), logged, delivery_events::parse_sms_status as Parser)
                })
                .collect(),
        }
    }
}

type Parser = fn(&str, Timestamp) -> Result<Option<ProviderEvent>, NotAnEvent>;

/// What recording an event needs of the store.
pub trait EventStore: Read + Commit {}

impl<T: Read + Commit + ?Sized> EventStore for T {}

pub struct Deps {
    pub store: Arc<dyn EventStore>,
    pub clock: Arc<dyn Clock>,
}

/// How many of a batch's events were taken by a delivery of ours.
pub async fn handle(deps: &Deps, event: LambdaEvent<serde_json::Value>) -> Result<usize, StoreError> {
    let incoming = match Incoming::read(event.payload) {
        Ok(incoming) => incoming,
        Err(err) => {
            tracing::warn!(error = %err, "an invocation that is neither SNS's nor CloudWatch Logs' was dropped");
            return Ok(0);
        }
    };
    let mut recorded = 0;
    for (text, at, parse) in incoming.events(deps.clock.now()) {
        let event = match parse(text, at) {
            Ok(Some(event)) => event,
            Ok(None) => continue,
            Err(err) => {
                tracing::warn!(error = %err, "a message that is no SES event or SMS status was dropped");
                continue;
            }
        };
        match delivery_events::record(deps.store.as_ref(), &event).await {
            Ok(Recorded::Recorded) => recorded += 1,
            Ok(Recorded::Unknown) => tracing::info!("a provider's event about a message that is not ours (or is gone)"),
            Err(err) => {
                tracing::error!(error = %err, "a provider's event could not be recorded; the invocation is retried");
                return Err(err);
            }
        }
    }
    Ok(recorded)
}
