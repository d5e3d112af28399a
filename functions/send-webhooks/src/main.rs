use std::sync::Arc;

use lambda_runtime::{run, service_fn};
use paylinks::config::{or_exit, required};
use paylinks::domain::Destination;
use paylinks::ports::SystemClock;
use paylinks_dynamodb::store as dynamo_store;
use paylinks_sqs::SqsQueue;
use paylinks_webhooks::WebhookPoster;

// One batch at a time, on one thread: what it waits on is DynamoDB, SQS and the endpoints.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    paylinks::logging::init();
    paylinks::metrics::init("send-webhooks");
    let sdk = or_exit(paylinks_aws::sdk_config().await);
    let queue = SqsQueue::new(paylinks_sqs::client(&sdk), or_exit(required("WEBHOOK_QUEUE_URL")));
    let deps = send_webhooks::Deps {
        store: Arc::new(or_exit(dynamo_store(&sdk))),
        poster: Arc::new(WebhookPoster::new(Destination::PublicOnly)),
        clock: Arc::new(SystemClock),
        queue: Arc::new(queue),
    };
    run(service_fn(|event| paylinks::metrics::flushed(send_webhooks::handle(&deps, event)))).await
}
