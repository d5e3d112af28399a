//! delivery-events as the cloud runs it: its own DynamoDB endpoint (moto, or the proxy that
//! enforces its role), handed SES events in the SNS event Lambda receives, and SNS's SMS delivery
//! statuses in the CloudWatch Logs event a subscription filter delivers (gzip, then base64).

use std::sync::Arc;

use aws_lambda_events::event::sns::SnsEvent;
use lambda_runtime::{Context, LambdaEvent};
use paylinks::ports::SystemClock;
use paylinks_dynamodb::DynamoStore;
use serde_json::{Value, json};

pub async fn deps(dynamodb: &str, table: &str) -> delivery_events::Deps {
    let dynamo = aws_sdk_dynamodb::Client::new(&crate::moto::config_for(dynamodb.to_string()).await);
    delivery_events::Deps { store: Arc::new(DynamoStore::new(dynamo, table)), clock: Arc::new(SystemClock) }
}

/// The event SNS invokes the function with, carrying these SES events.
pub fn sns_event(ses_events: &[Value]) -> LambdaEvent<Value> {
    let records: Vec<Value> = ses_events
        .iter()
        .map(|event| {
            json!({
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:email-events:1",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                    "TopicArn": "arn:aws:sns:us-east-1:123456789012:email-events",
                    "Subject": null,
                    "Message": event.to_string(),
                    "Timestamp": "2026-12-01T10:00:06.000Z",
                    "SignatureVersion": "1",
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService.pem",
                    "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
                    "MessageAttributes": {}
                }
            })
        })
        .collect();
    let payload: SnsEvent = serde_json::from_value(json!({"Records": records})).expect("an SNS event");
    let payload = serde_json::to_value(payload).unwrap();
    let incoming = delivery_events::Incoming::read(payload.clone()).expect("read as SNS's");
    assert!(matches!(incoming, delivery_events::Incoming::Ses(_)));
    LambdaEvent::new(payload, Context::default())
}

/// The event a CloudWatch Logs subscription invokes the function with, carrying these SMS
/// delivery status records from SNS's log group.
pub fn logs_event(statuses: &[Value]) -> LambdaEvent<Value> {
    use std::io::Write;
    let now_ms = paylinks::ports::Clock::now(&SystemClock).unix() * 1000;
    let events: Vec<Value> = statuses
        .iter()
        .enumerate()
        .map(|(i, status)| json!({"id": format!("3789{i:052}"), "timestamp": now_ms, "message": status.to_string()}))
        .collect();
    let data = json!({
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": "sns/us-east-1/123456789012/DirectPublishToPhoneNumber",
        "logStream": "12345678-1234-1234-1234-123456789012",
        "subscriptionFilters": ["SmsDelivered"],
        "logEvents": events,
    });
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(data.to_string().as_bytes()).unwrap();
    let encoded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, gzip.finish().unwrap());
    let payload = json!({"awslogs": {"data": encoded}});
    let incoming = delivery_events::Incoming::read(payload.clone()).expect("read as CloudWatch Logs'");
    assert!(matches!(incoming, delivery_events::Incoming::SmsStatus(_)));
    LambdaEvent::new(payload, Context::default())
}

/// SNS's delivery status record of one text: `SUCCESS`, or `FAILURE` with the carrier's reason.
pub fn sms_status(message_id: &str, status: &str, provider_response: &str) -> Value {
    json!({
        "notification": {"messageId": message_id, "timestamp": "2026-12-01 10:00:00.123"},
        "delivery": {"mnc": 260, "numberOfMessageParts": 1, "destination": "+14155550123", "priceInUSD": 0.00581,
            "smsType": "Transactional", "mcc": 310, "providerResponse": provider_response, "dwellTimeMs": 599},
        "status": status,
    })
}

/// SES's event about one message, as its configuration set publishes it.
pub fn ses_event(kind: &str, message_id: &str, bounce_type: Option<&str>) -> Value {
    let mail = json!({"timestamp": "2026-12-01T10:00:00.000Z", "messageId": message_id, "destination": ["someone@example.com"]});
    match kind {
        "Bounce" => {
            json!({"eventType": "Bounce", "mail": mail, "bounce": {"bounceType": bounce_type.unwrap_or("Permanent"),
            "bounceSubType": "General", "bouncedRecipients": [{"emailAddress": "someone@example.com"}],
            "timestamp": "2026-12-01T10:00:05.000Z"}})
        }
        "Complaint" => json!({"eventType": "Complaint", "mail": mail, "complaint": {"complainedRecipients":
            [{"emailAddress": "someone@example.com"}], "timestamp": "2026-12-01T10:00:05.000Z"}}),
        _ => json!({"eventType": "Delivery", "mail": mail, "delivery": {"timestamp": "2026-12-01T10:00:05.000Z",
            "recipients": ["someone@example.com"], "smtpResponse": "250 ok"}}),
    }
}
