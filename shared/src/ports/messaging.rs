use async_trait::async_trait;

use crate::domain::{Email, PhoneE164};

/// An email as the provider gets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailMessage {
    pub to: Email,
    pub subject: String,
    pub html: String,
    pub text: String,
    /// The link URL inside, for the local outbox.
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsMessage {
    pub to: PhoneE164,
    pub text: String,
    pub url: String,
}

/// How a send failed: `Permanent` is final for this message, `Transient` may succeed on retry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("the provider refused the message: {0}")]
    Permanent(&'static str),
    #[error("the provider failed for now: {0}")]
    Transient(&'static str),
}

impl SendError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Permanent(code) | Self::Transient(code) => code,
        }
    }
}

#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one message; returns the provider's message id.
    async fn send_email(&self, message: &EmailMessage) -> Result<String, SendError>;
}

#[async_trait]
pub trait SmsSender: Send + Sync {
    async fn send_sms(&self, message: &SmsMessage) -> Result<String, SendError>;
}
