use std::sync::Arc;

use lambda_runtime::{run, service_fn};
use paylinks::config::or_exit;
use paylinks::ports::SystemClock;
use paylinks_dynamodb::store as dynamo_store;

// One batch at a time, on one thread.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    paylinks::logging::init();
    paylinks::metrics::init("delivery-events");
    let sdk = or_exit(paylinks_aws::sdk_config().await);
    let deps = delivery_events::Deps { store: Arc::new(or_exit(dynamo_store(&sdk))), clock: Arc::new(SystemClock) };
    run(service_fn(|event| {
        paylinks::metrics::flushed(async {
            delivery_events::handle(&deps, event).await.map_err(lambda_runtime::Error::from)
        })
    }))
    .await
}
