use std::sync::Arc;

use lambda_runtime::{run, service_fn};
use paylinks::config::or_exit;
use paylinks::config::{self, LinkConfig};
use paylinks::ports::SystemClock;
use paylinks_dynamodb::store as dynamo_store;
use paylinks_ses::SesMailer;
use paylinks_sns::SnsSms;

// One run at a time, on one thread: what it waits on is DynamoDB and the providers.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    paylinks::logging::init();
    paylinks::metrics::init("send-reminders");
    let sdk = or_exit(paylinks_aws::sdk_config().await);
    let deps = send_reminders::Deps {
        store: Arc::new(or_exit(dynamo_store(&sdk))),
        mailer: Arc::new(
            SesMailer::new(paylinks_ses::client(&sdk), or_exit(config::required("EMAIL_FROM")))
                .with_configuration_set(config::optional("SES_CONFIGURATION_SET")),
        ),
        sms: Arc::new(SnsSms::new(paylinks_sns::client(&sdk))),
        tokens: Arc::new(or_exit(config::link_tokens_from_env())),
        config: or_exit(LinkConfig::from_env()),
        clock: Arc::new(SystemClock),
    };
    run(service_fn(|event| paylinks::metrics::flushed(send_reminders::handle(&deps, event)))).await
}
