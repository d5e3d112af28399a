//! Text-to-pay through SNS SMS: transactional, to E.164 numbers, never to a number that opted out.

use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_sdk_sns::error::ProvideErrorMetadata;
use aws_sdk_sns::operation::publish::PublishError;
use aws_sdk_sns::types::MessageAttributeValue;

use paylinks::ports::{SendError, SmsMessage, SmsSender};

#[derive(Debug, Clone)]
pub struct SnsSms {
    client: Client,
}

impl SnsSms {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

#[async_trait]
impl SmsSender for SnsSms {
    async fn send_sms(&self, message: &SmsMessage) -> Result<String, SendError> {
        let opted_out = self
            .client
            .check_if_phone_number_is_opted_out()
            .phone_number(message.to.as_str())
            .send()
            .await
            .map_err(|_| SendError::Transient("provider_unavailable"))?;
        if opted_out.is_opted_out() {
            return Err(SendError::Permanent("opted_out"));
        }
        let transactional = MessageAttributeValue::builder()
            .data_type("String")
            .string_value("Transactional")
            .build()
            .map_err(|_| SendError::Permanent("message_invalid"))?;
        let sent = self
            .client
            .publish()
            .phone_number(message.to.as_str())
            .message(&message.text)
            .message_attributes("AWS.SNS.SMS.SMSType", transactional)
            .send()
            .await;
        match sent {
            Ok(out) => Ok(out.message_id().unwrap_or_default().to_string()),
            Err(err) => Err(match err.into_service_error() {
                e if matches!(e.code(), Some("Throttling" | "ThrottlingException" | "ThrottledException")) => {
                    SendError::Transient("throttled")
                }
                PublishError::InvalidParameterException(_) | PublishError::InvalidParameterValueException(_) => {
                    SendError::Permanent("invalid_recipient")
                }
                PublishError::AuthorizationErrorException(_) => SendError::Permanent("sender_not_allowed"),
                _ => SendError::Transient("provider_unavailable"),
            }),
        }
    }
}

/// A client held to its time budget.
pub fn client(sdk: &aws_config::SdkConfig) -> aws_sdk_sns::Client {
    let (timeouts, retries) = paylinks_aws::sdk_settings(&paylinks::budgets::SNS);
    let config = aws_sdk_sns::config::Builder::from(sdk).timeout_config(timeouts).retry_config(retries).build();
    aws_sdk_sns::Client::from_conf(config)
}
