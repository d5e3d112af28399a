use std::sync::Arc;

use lambda_runtime::{run, service_fn};
use paylinks::config::or_exit;
use paylinks::domain::Destination;
use paylinks::ports::SystemClock;
use paylinks_dynamodb::store_from_env as dynamo_store_from_env;
use paylinks_webhooks::WebhookPoster;

// One run at a time, on one thread: what it waits on is DynamoDB and the endpoints.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    paylinks::logging::init();
    let deps = send_webhooks::Deps {
        store: Arc::new(or_exit(dynamo_store_from_env().await)),
        poster: Arc::new(WebhookPoster::new(Destination::PublicOnly)),
        clock: Arc::new(SystemClock),
    };
    run(service_fn(|event| send_webhooks::handle(&deps, event))).await
}
