//! SQS on moto as the template declares the merchant events' queue, and SQS's part of the Lambda
//! event source: receiving a batch and handing it to the function in the shape Lambda does.

use paylinks::usecases::event_dispatch::ATTEMPTS;
use serde_json::{Value, json};

async fn client() -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&crate::moto::messaging_sdk_config().await)
}

/// A queue no other test uses, with its dead letters after `ATTEMPTS` receives: both URLs.
pub async fn fresh_webhook_queue() -> (String, String) {
    let sqs = client().await;
    let name = format!("paylinks-webhooks-{}", paylinks::domain::random_base62(10));
    let dead = sqs.create_queue().queue_name(format!("{name}-dead")).send().await.expect("moto makes a queue");
    let dead_url = dead.queue_url().expect("a queue URL").to_string();
    let dead_arn = format!("arn:aws:sqs:us-east-1:123456789012:{name}-dead");
    let redrive = json!({"deadLetterTargetArn": dead_arn, "maxReceiveCount": ATTEMPTS}).to_string();
    let queue = sqs
        .create_queue()
        .queue_name(&name)
        .attributes(aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy, redrive)
        .send()
        .await
        .expect("moto makes a queue");
    (queue.queue_url().expect("a queue URL").to_string(), dead_url)
}

/// What the event source hands the function next: up to ten visible messages as Lambda's
/// `SqsEvent` (`Records`, each with its receipt handle and `ApproximateReceiveCount`).
pub async fn receive(queue_url: &str) -> Value {
    let received = client()
        .await
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        // New messages wait a moment before SQS hands them out (paylinks-sqs's enqueue delay).
        .wait_time_seconds(4)
        .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
        .send()
        .await
        .expect("moto receives");
    let records: Vec<Value> = received
        .messages()
        .iter()
        .map(|m| {
            let attributes: serde_json::Map<String, Value> = m
                .attributes()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.as_str().to_string(), Value::String(v.clone())))
                .collect();
            json!({
                "messageId": m.message_id(),
                "receiptHandle": m.receipt_handle(),
                "body": m.body(),
                "attributes": attributes,
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:queue",
                "awsRegion": "us-east-1",
            })
        })
        .collect();
    json!({"Records": records})
}

/// Makes a put-off message visible again now (the backoff passed, without waiting for it).
pub async fn make_visible(queue_url: &str, receipt_handle: &str) {
    client()
        .await
        .change_message_visibility()
        .queue_url(queue_url)
        .receipt_handle(receipt_handle)
        .visibility_timeout(0)
        .send()
        .await
        .expect("moto changes the visibility");
}

/// How many messages wait in the queue (visible or not).
pub async fn depth(queue_url: &str) -> usize {
    let attributes = client()
        .await
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .expect("moto answers");
    attributes.attributes().into_iter().flatten().filter_map(|(_, v)| v.parse::<usize>().ok()).sum()
}

/// The send-webhooks function's parts over moto: its table at `dynamodb_url`, its queue at
/// `sqs_url` (each moto, or a function's proxy in front of it), endpoints answered by `poster`.
pub async fn send_webhooks_deps(
    dynamodb_url: &str,
    sqs_url: &str,
    table: &str,
    queue_url: &str,
    poster: std::sync::Arc<dyn paylinks::ports::PostEvent>,
) -> send_webhooks::Deps {
    let dynamodb = paylinks_dynamodb::client(&crate::moto::config_for(dynamodb_url.to_string()).await);
    let sqs = paylinks_sqs::client(&crate::moto::config_for(sqs_url.to_string()).await);
    send_webhooks::Deps {
        store: std::sync::Arc::new(paylinks_dynamodb::DynamoStore::new(dynamodb, table)),
        poster,
        clock: std::sync::Arc::new(paylinks::ports::SystemClock),
        queue: std::sync::Arc::new(paylinks_sqs::SqsQueue::new(sqs, queue_url)),
    }
}

/// One invocation of send-webhooks with `payload` (`{}` is the schedule's wake-up).
pub async fn invoke(deps: &send_webhooks::Deps, payload: Value) -> Value {
    let event = lambda_runtime::LambdaEvent::new(payload, lambda_runtime::Context::default());
    send_webhooks::handle(deps, event).await.expect("send-webhooks runs")
}
