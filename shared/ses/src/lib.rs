//! Email through SES v2, one message per recipient.

use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};

use paylinks::ports::{EmailMessage, Mailer, SendError};

#[derive(Debug, Clone)]
pub struct SesMailer {
    client: Client,
    from: String,
    configuration_set: Option<String>,
}

impl SesMailer {
    /// `from` is `EMAIL_FROM`, an address of an identity verified in SES.
    pub fn new(client: Client, from: impl Into<String>) -> Self {
        Self { client, from: from.into(), configuration_set: None }
    }

    /// Sends through a configuration set (`SES_CONFIGURATION_SET`): its event destination tells
    /// delivery-events what became of each message.
    pub fn with_configuration_set(mut self, name: Option<String>) -> Self {
        self.configuration_set = name;
        self
    }
}

fn content(text: &str) -> Result<Content, SendError> {
    Content::builder().data(text).charset("UTF-8").build().map_err(|_| SendError::Permanent("message_invalid"))
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send_email(&self, message: &EmailMessage) -> Result<String, SendError> {
        let body = Body::builder().html(content(&message.html)?).text(content(&message.text)?).build();
        let simple = Message::builder().subject(content(&message.subject)?).body(body).build();
        let sent = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(message.to.as_str()).build())
            .content(EmailContent::builder().simple(simple).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await;
        match sent {
            Ok(out) => Ok(out.message_id().unwrap_or_default().to_string()),
            Err(err) => Err(match err.into_service_error() {
                SendEmailError::MessageRejected(_) => SendError::Permanent("message_rejected"),
                SendEmailError::TooManyRequestsException(_) | SendEmailError::LimitExceededException(_) => {
                    SendError::Transient("throttled")
                }
                SendEmailError::AccountSuspendedException(_)
                | SendEmailError::SendingPausedException(_)
                | SendEmailError::MailFromDomainNotVerifiedException(_)
                | SendEmailError::NotFoundException(_)
                | SendEmailError::BadRequestException(_) => SendError::Permanent("sender_not_allowed"),
                _ => SendError::Transient("provider_unavailable"),
            }),
        }
    }
}

/// A client held to its time budget.
pub fn client(sdk: &aws_config::SdkConfig) -> aws_sdk_sesv2::Client {
    let (timeouts, retries) = paylinks_aws::sdk_settings(&paylinks::budgets::SES);
    let config = aws_sdk_sesv2::config::Builder::from(sdk).timeout_config(timeouts).retry_config(retries).build();
    aws_sdk_sesv2::Client::from_conf(config)
}
