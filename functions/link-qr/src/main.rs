use std::sync::Arc;

use lambda_http::{run, service_fn};
use paylinks::config::{LinkConfig, or_exit};
use paylinks::ports::SystemClock;
use paylinks_dynamodb::store_from_env as dynamo_store_from_env;

// One request at a time on one thread, as every HTTP function here.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    paylinks::logging::init();
    paylinks::metrics::init("link-qr");
    let deps = link_qr::Deps {
        store: Arc::new(or_exit(dynamo_store_from_env().await)),
        config: or_exit(LinkConfig::from_env()),
        clock: Arc::new(SystemClock),
    };
    run(service_fn(|request| paylinks::metrics::flushed(link_qr::handle(&deps, request)))).await
}
