use std::sync::Arc;

use lambda_http::{run, service_fn};
use paylinks::config::LinkConfig;
use paylinks::config::or_exit;
use paylinks::ports::SystemClock;
use paylinks_dynamodb::store_from_env as dynamo_store_from_env;

// Lambda hands a function one event at a time: one thread serves it with no worker threads to
// start at init and no wake-ups across threads inside a request (infra/bench.sh measures both).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    paylinks::logging::init();
    paylinks::metrics::init("stripe-webhook");
    let deps = stripe_webhook::Deps {
        store: Arc::new(or_exit(dynamo_store_from_env().await)),
        secrets: or_exit(paylinks_http::webhook_signature::WebhookSecrets::from_env()),
        config: or_exit(LinkConfig::from_env()),
        clock: Arc::new(SystemClock),
    };
    run(service_fn(|request| paylinks::metrics::flushed(stripe_webhook::handle(&deps, request)))).await
}
