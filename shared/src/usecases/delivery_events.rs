//! What the provider says became of a message after it was sent: SES's events (delivered,
//! bounced, complained) from the configuration set's SNS destination, and SNS's SMS delivery
//! status (delivered, failed) from the log groups SNS writes it to. Each is matched to its
//! delivery by the provider's message id; a hard bounce or a complaint puts the address on the
//! merchant's suppression list, so later sends and reminders to it are `suppressed`. Events come
//! at least once and in any order: each moment keeps its first time, a repeat changes nothing.

use serde::Deserialize;

use crate::domain::{Activity, Suppression, SuppressionReason, Timestamp};
use crate::ports::{Commit, Read, StoreError, Wanted, Write};

/// An SES event as the configuration set publishes it (`eventType`), or as identity notifications
/// spell it (`notificationType`); only what is used here.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SesEvent {
    event_type: Option<String>,
    notification_type: Option<String>,
    mail: Mail,
    bounce: Option<Moment>,
    complaint: Option<Moment>,
    delivery: Option<Moment>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Mail {
    message_id: String,
    timestamp: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Moment {
    timestamp: Option<String>,
    /// Bounces only: `Permanent` (hard), `Transient`, `Undetermined`.
    bounce_type: Option<String>,
}

/// What an SES event says, when it is one this service follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderEvent {
    pub message_id: String,
    pub activity: Activity,
    pub at: Timestamp,
    /// A hard bounce or a complaint: the address gets no more messages from this merchant.
    pub suppresses: Option<SuppressionReason>,
}

#[derive(Debug, thiserror::Error)]
#[error("not an SES event: {0}")]
pub struct NotAnEvent(String);

/// Reads SES's JSON; `None` for the kinds not followed (sends, opens, clicks, soft bounces are
/// recorded as bounces but suppress nothing).
pub fn parse_ses_event(json: &str, received: Timestamp) -> Result<Option<ProviderEvent>, NotAnEvent> {
    let event: SesEvent = serde_json::from_str(json).map_err(|e| NotAnEvent(e.to_string()))?;
    let kind = event.event_type.or(event.notification_type).unwrap_or_default();
    let time = |moment: Option<&Moment>| {
        moment
            .and_then(|m| m.timestamp.as_deref())
            .or(event.mail.timestamp.as_deref())
            .and_then(Timestamp::parse_rfc3339)
            .unwrap_or(received)
    };
    let (activity, at, suppresses) = match kind.as_str() {
        "Delivery" => (Activity::Delivered, time(event.delivery.as_ref()), None),
        "Bounce" => {
            let hard = event.bounce.as_ref().and_then(|b| b.bounce_type.as_deref()) == Some("Permanent");
            (Activity::Bounced, time(event.bounce.as_ref()), hard.then_some(SuppressionReason::Bounced))
        }
        "Complaint" => (Activity::Complained, time(event.complaint.as_ref()), Some(SuppressionReason::Complained)),
        _ => return Ok(None),
    };
    Ok(Some(ProviderEvent { message_id: event.mail.message_id, activity, at, suppresses }))
}

/// One SMS delivery status record as SNS writes it to CloudWatch Logs
/// (`sns/{region}/{account}/DirectPublishToPhoneNumber[/Failure]`); only what is used.
#[derive(Debug, Deserialize)]
struct SmsStatus {
    notification: SmsNotification,
    delivery: Option<SmsDelivery>,
    status: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SmsNotification {
    message_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SmsDelivery {
    provider_response: Option<String>,
}

/// What SNS says when a number will never take a message from this sender: the address is
/// suppressed as a hard bounce is. Anything else (unreachable, carrier down, spam filtering, a
/// price cap) is a bounce of that message only.
const SMS_NEVER_DELIVERABLE: [&str; 5] = [
    "Invalid phone number",
    "Phone number is opted out",
    "Phone has blocked SMS",
    "Phone is on a blocked list",
    "Destination is on a blocked list",
];

/// Reads one SNS SMS delivery status record, logged at `logged` (the log event's time: SNS's own
/// timestamp has no zone). `SUCCESS` is delivered; `FAILURE` bounced.
pub fn parse_sms_status(json: &str, logged: Timestamp) -> Result<Option<ProviderEvent>, NotAnEvent> {
    let status: SmsStatus = serde_json::from_str(json).map_err(|e| NotAnEvent(e.to_string()))?;
    let response = status.delivery.and_then(|d| d.provider_response).unwrap_or_default();
    let (activity, suppresses) = match status.status.as_str() {
        "SUCCESS" => (Activity::Delivered, None),
        "FAILURE" => {
            let never = SMS_NEVER_DELIVERABLE.iter().any(|r| response.eq_ignore_ascii_case(r));
            (Activity::Bounced, never.then_some(SuppressionReason::Bounced))
        }
        _ => return Ok(None),
    };
    Ok(Some(ProviderEvent { message_id: status.notification.message_id, activity, at: logged, suppresses }))
}

/// How an event was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// On its delivery (and the suppression list, when it suppresses).
    Recorded,
    /// No delivery of ours has that message id (another sender's, or its link is gone).
    Unknown,
}

/// Records the event on its delivery's funnel, and suppresses the address when it says so.
pub async fn record<S: Read + Commit + ?Sized>(store: &S, event: &ProviderEvent) -> Result<Recorded, StoreError> {
    let wanted = Wanted { message: Some(event.message_id.clone()), ..Wanted::default() };
    let Some(target) = store.read(&wanted).await?.message else { return Ok(Recorded::Unknown) };
    let endpoints = match event.activity {
        Activity::Bounced => {
            let wanted = Wanted { endpoints: Some(target.merchant_id.clone()), ..Wanted::default() };
            store.read(&wanted).await?.endpoints.map(|e| e.value.endpoints)
        }
        _ => None,
    };
    let mut writes = vec![Write::Activity {
        link: target.link_id.clone(),
        delivery: target.delivery_id.clone(),
        activity: event.activity,
        at: event.at,
    }];
    if let Some(reason) = event.suppresses {
        writes.push(Write::Suppress(Suppression {
            merchant_id: target.merchant_id.clone(),
            key: target.key.clone(),
            channel: target.channel,
            reason,
            at: event.at,
        }));
    }
    if let Some(endpoints) = endpoints {
        // SES may tell of one bounce twice: each telling is an event (the merchant deduplicates
        // by the delivery's id, as the funnel keeps the first time).
        let permanent = event.suppresses.is_some();
        let told = crate::usecases::events::delivery_bounced(&endpoints, &target, permanent, event.at);
        writes.push(Write::Event(crate::domain::Versioned::new(told)));
    }
    store.commit(writes).await?;
    Ok(Recorded::Recorded)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECEIVED: Timestamp = Timestamp::from_unix(1_800_000_000);

    #[test]
    fn sms_statuses_read_as_delivered_or_bounced_and_only_a_number_that_never_takes_one_suppresses() {
        let delivered = r#"{"notification":{"messageId":"m-1","timestamp":"2026-12-01 10:00:00.123"},
            "delivery":{"phoneCarrier":"Carrier","destination":"+14155550123","priceInUSD":0.00581,
            "smsType":"Transactional","providerResponse":"Message has been accepted by phone carrier",
            "dwellTimeMs":599,"dwellTimeMsUntilDeviceAck":1344},"status":"SUCCESS"}"#;
        let event = parse_sms_status(delivered, RECEIVED).unwrap().unwrap();
        assert_eq!((event.message_id.as_str(), event.activity, event.at), ("m-1", Activity::Delivered, RECEIVED));
        assert_eq!(event.suppresses, None);
        let invalid = delivered
            .replace("SUCCESS", "FAILURE")
            .replace("Message has been accepted by phone carrier", "Invalid phone number");
        let event = parse_sms_status(&invalid, RECEIVED).unwrap().unwrap();
        assert_eq!((event.activity, event.suppresses), (Activity::Bounced, Some(SuppressionReason::Bounced)));
        let unreachable = invalid.replace("Invalid phone number", "Phone is currently unreachable/unavailable");
        let event = parse_sms_status(&unreachable, RECEIVED).unwrap().unwrap();
        assert_eq!((event.activity, event.suppresses), (Activity::Bounced, None), "tried again by a later send");
        assert!(parse_sms_status(r#"{"status":"SUCCESS"}"#, RECEIVED).is_err());
    }

    #[test]
    fn ses_events_read_as_funnel_steps_and_only_hard_bounces_and_complaints_suppress() {
        let hard = r#"{"eventType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General",
            "bouncedRecipients":[{"emailAddress":"x@example.com"}],"timestamp":"2027-01-15T08:00:05.123Z"},
            "mail":{"timestamp":"2027-01-15T08:00:00.000Z","messageId":"m-1","destination":["x@example.com"]}}"#;
        let event = parse_ses_event(hard, RECEIVED).unwrap().unwrap();
        assert_eq!((event.activity, event.suppresses), (Activity::Bounced, Some(SuppressionReason::Bounced)));
        assert_eq!(event.at, Timestamp::parse_rfc3339("2027-01-15T08:00:05Z").unwrap());
        let soft = hard.replace("Permanent", "Transient");
        assert_eq!(parse_ses_event(&soft, RECEIVED).unwrap().unwrap().suppresses, None);
        let complaint = r#"{"notificationType":"Complaint","complaint":{"complainedRecipients":[],
            "timestamp":"2027-01-15T09:00:00Z"},"mail":{"messageId":"m-2"}}"#;
        let event = parse_ses_event(complaint, RECEIVED).unwrap().unwrap();
        assert_eq!((event.message_id.as_str(), event.suppresses), ("m-2", Some(SuppressionReason::Complained)));
        let open = r#"{"eventType":"Open","mail":{"messageId":"m-3"},"open":{}}"#;
        assert_eq!(parse_ses_event(open, RECEIVED).unwrap(), None);
        assert!(parse_ses_event("{}", RECEIVED).is_err());
    }
}
