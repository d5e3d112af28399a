use std::sync::Arc;

use lambda_runtime::{run, service_fn};
use paylinks::config::or_exit;
use paylinks_dynamodb::store_from_env as dynamo_store_from_env;

// Lambda hands a function one event at a time: one thread serves it with no worker threads to
// start at init and no wake-ups across threads inside a request (infra/bench.sh measures both).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    paylinks::logging::init();
    paylinks::metrics::init("link-cleanup");
    let deps = link_cleanup::Deps { store: Arc::new(or_exit(dynamo_store_from_env().await)) };
    run(service_fn(|event| paylinks::metrics::flushed(link_cleanup::handle(&deps, event)))).await
}
