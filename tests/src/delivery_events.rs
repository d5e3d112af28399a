//! delivery-events as the cloud runs it: its own DynamoDB endpoint (moto, or the proxy that
//! enforces its role), handed SES events in the SNS event Lambda receives.

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
pub fn sns_event(ses_events: &[Value]) -> LambdaEvent<SnsEvent> {
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
    LambdaEvent::new(payload, Context::default())
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
