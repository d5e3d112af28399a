//! send-reminders as the cloud runs it: its own DynamoDB, SES and SNS endpoints (moto, or the
//! proxies that enforce its role), at a time the test chooses.

use std::sync::Arc;

use paylinks::config::LinkConfig;
use paylinks::domain::Timestamp;
use paylinks::ports::Clock;
use paylinks::tokens::LinkTokens;
use paylinks_dynamodb::DynamoStore;
use paylinks_ses::SesMailer;
use paylinks_sns::SnsSms;
use secrecy::SecretString;

/// A clock stopped at one moment.
#[derive(Debug, Clone, Copy)]
pub struct At(pub Timestamp);

impl Clock for At {
    fn now(&self) -> Timestamp {
        self.0
    }
}

/// The scheduler over `table`, its calls going to `dynamodb` and `messaging`, its links on
/// `public_base_url`, at `now`.
pub async fn scheduler(
    dynamodb: &str,
    messaging: &str,
    table: &str,
    public_base_url: &str,
    now: Timestamp,
) -> send_reminders::Deps {
    let dynamo = aws_sdk_dynamodb::Client::new(&crate::moto::config_for(dynamodb.to_string()).await);
    let messaging = crate::moto::config_for(messaging.to_string()).await;
    send_reminders::Deps {
        store: Arc::new(DynamoStore::new(dynamo, table)),
        mailer: Arc::new(
            SesMailer::new(paylinks_ses::client(&messaging), crate::moto::EMAIL_FROM.to_string())
                .with_configuration_set(Some(crate::template::CONFIGURATION_SET.to_string())),
        ),
        sms: Arc::new(SnsSms::new(paylinks_sns::client(&messaging))),
        tokens: Arc::new(
            LinkTokens::new(&SecretString::from(crate::server::TOKEN_SECRET.to_string())).expect("a long secret"),
        ),
        config: LinkConfig::with_base_url(public_base_url),
        clock: Arc::new(At(now)),
    }
}
