use std::sync::Arc;

use lambda_runtime::{run, service_fn};
use paylinks::config::or_exit;
use paylinks_dynamodb::store_from_env as dynamo_store_from_env;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    paylinks::logging::init();
    let deps = link_cleanup::Deps { store: Arc::new(or_exit(dynamo_store_from_env().await)) };
    run(service_fn(|event| link_cleanup::handle(&deps, event))).await
}
