use std::sync::Arc;

use lambda_http::{run, service_fn};
use paylinks::adapters::sns::SnsSms;
use paylinks::config::{self, LinkConfig};
use paylinks::ports::SystemClock;
use paylinks::runtime::{dynamo_store, or_exit};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    paylinks::logging::init();
    let sdk = or_exit(config::aws_config().await);
    let deps = send_sms::Deps {
        store: Arc::new(or_exit(dynamo_store(&sdk))),
        sms: Arc::new(SnsSms::new(paylinks::budgets::sns_client(&sdk))),
        tokens: Arc::new(or_exit(config::link_tokens_from_env())),
        config: or_exit(LinkConfig::from_env()),
        clock: Arc::new(SystemClock),
    };
    run(service_fn(|request| send_sms::handle(&deps, request))).await
}
