use std::sync::Arc;

use lambda_http::{run, service_fn};
use paylinks::config::or_exit;
use paylinks::config::{self, LinkConfig};
use paylinks::ports::SystemClock;
use paylinks_dynamodb::store as dynamo_store;
use paylinks_ses::SesMailer;

// Lambda hands a function one event at a time: one thread serves it with no worker threads to
// start at init and no wake-ups across threads inside a request (infra/bench.sh measures both).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    paylinks::logging::init();
    paylinks::metrics::init("send-email");
    let sdk = or_exit(paylinks_aws::sdk_config().await);
    let deps = send_email::Deps {
        store: Arc::new(or_exit(dynamo_store(&sdk))),
        mailer: Arc::new(
            SesMailer::new(paylinks_ses::client(&sdk), or_exit(config::required("EMAIL_FROM")))
                .with_configuration_set(config::optional("SES_CONFIGURATION_SET")),
        ),
        tokens: Arc::new(or_exit(config::link_tokens_from_env())),
        config: or_exit(LinkConfig::from_env()),
        clock: Arc::new(SystemClock),
    };
    run(service_fn(|request| paylinks::metrics::flushed(send_email::handle(&deps, request)))).await
}
