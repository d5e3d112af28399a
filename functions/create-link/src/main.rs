use std::sync::Arc;

use lambda_http::{run, service_fn};
use paylinks::config::or_exit;
use paylinks::config::{self, LinkConfig};
use paylinks::ports::SystemClock;
use paylinks_dynamodb::store_from_env as dynamo_store_from_env;

// Lambda hands a function one event at a time: one thread serves it with no worker threads to
// start at init and no wake-ups across threads inside a request (infra/bench.sh measures both).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    paylinks::logging::init();
    paylinks::metrics::init("create-link");
    let store = Arc::new(or_exit(dynamo_store_from_env().await));
    let tokens = Arc::new(or_exit(config::link_tokens_from_env()));
    let config = or_exit(LinkConfig::from_env());
    let checkout = Arc::new(or_exit(paylinks_stripe::StripeCheckout::from_env()));
    let deps = create_link::Deps { store, checkout, tokens, config, clock: Arc::new(SystemClock) };
    run(service_fn(|request| paylinks::metrics::flushed(create_link::handle(&deps, request)))).await
}
