//! `POST /links/{id}/email`, `POST /links/{id}/sms`: one message per recipient, each with a URL of
//! its own (so opens can be told apart), and no second message to the same recipient on the same
//! channel inside the re-send window — decided by a conditional write, not a read.

use serde::Serialize;
use serde_json::Value;

use super::fields::Fields;
use super::link_view::LinkUrls;
use crate::domain::{
    Channel, Customer, Delivery, DeliveryId, DeliveryStatus, Email, Link, LinkStatus, PhoneE164, Recipient, Settings,
    ShortCode, Timestamp, ValidationError,
};
use crate::http::ApiError;
use crate::messages;
use crate::ports::{Claim, EmailMessage, LinkStore, Mailer, SendError, SmsMessage, SmsSender, StoreError};
use crate::tokens::LinkToken;

pub const MAX_RECIPIENTS: usize = 50;

#[derive(Debug, thiserror::Error)]
pub enum SendLinkError {
    #[error("the link is not active")]
    LinkNotActive,
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The provider failed for now (after the client's own retries): nothing is recorded for
    /// that recipient, so the caller's retry sends it (and deduplicates those already sent).
    #[error("the message provider is unavailable: {0}")]
    ProviderUnavailable(SendError),
}

impl From<SendLinkError> for ApiError {
    fn from(err: SendLinkError) -> Self {
        match err {
            SendLinkError::LinkNotActive => {
                ApiError::conflict("link_not_active", "The link is void, paid, deleted or expired: it cannot be sent.")
            }
            SendLinkError::Invalid(e) => ApiError::validation(e),
            SendLinkError::Store(e) => ApiError::from(e),
            SendLinkError::ProviderUnavailable(e) => ApiError::unavailable(e),
        }
    }
}

/// What the merchant hears about each recipient.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryResult {
    pub id: String,
    pub channel: Channel,
    pub recipient: String,
    /// `sent`, `deduplicated` or `failed`.
    pub status: &'static str,
    pub message_id: Option<String>,
    pub error: Option<String>,
    pub url: String,
    /// SMS only: how many segments the text takes (more than one costs more).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segments: Option<usize>,
}

/// The recipients of a send: those in the body, or the order's customer.
pub fn parse_recipients(
    body: &Value,
    channel: Channel,
    customer: Option<&Customer>,
) -> Result<Vec<Recipient>, ValidationError> {
    let f = Fields::of(body, "")?;
    let Some(list) = f.array("recipients")? else {
        let default = customer.and_then(|c| match channel {
            Channel::Email => c.email.clone().map(|email| Recipient::Email { email, name: c.name.clone() }),
            Channel::Sms => c.phone.clone().map(Recipient::Phone),
        });
        let what = if channel == Channel::Email { "an email" } else { "a phone number" };
        return default.map(|r| vec![r]).ok_or_else(|| {
            ValidationError::new("recipients", format!("are required: the link's customer has no {what}"))
        });
    };
    if list.is_empty() || list.len() > MAX_RECIPIENTS {
        return Err(ValidationError::new("recipients", format!("must list 1 to {MAX_RECIPIENTS} recipients")));
    }
    let mut recipients: Vec<Recipient> = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let path = format!("recipients.{i}");
        let r = Fields::of(item, &path)?;
        let recipient = match channel {
            Channel::Email => Recipient::Email {
                email: r.parsed("email", Email::parse)?.ok_or_else(|| r.fail("email", "is required"))?,
                name: r.text("name", 200)?,
            },
            Channel::Sms => {
                Recipient::Phone(r.parsed("phone", PhoneE164::parse)?.ok_or_else(|| r.fail("phone", "is required"))?)
            }
        };
        // The same person twice in one request gets one message.
        if !recipients.iter().any(|seen| seen.window_key() == recipient.window_key()) {
            recipients.push(recipient);
        }
    }
    Ok(recipients)
}

#[derive(Clone, Copy)]
pub enum Transport<'a> {
    Email(&'a dyn Mailer),
    Sms(&'a dyn SmsSender),
}

impl Transport<'_> {
    fn channel(&self) -> Channel {
        match self {
            Self::Email(_) => Channel::Email,
            Self::Sms(_) => Channel::Sms,
        }
    }
}

#[derive(Clone, Copy)]
pub struct Sender<'a> {
    pub store: &'a dyn LinkStore,
    pub transport: Transport<'a>,
    pub urls: LinkUrls<'a>,
    pub resend_window_seconds: i64,
}

impl Sender<'_> {
    /// The URL a delivery carries: the token URL in an email, the short URL in an SMS.
    fn url_of(&self, link: &Link, delivery: &Delivery) -> String {
        match delivery.channel {
            Channel::Email => {
                let token = LinkToken {
                    link_id: link.id.clone(),
                    delivery_id: Some(delivery.id.clone()),
                    expires_at: link.expires_at,
                };
                // Issued "at" the delivery, so a deduplicated send hands back the very same URL.
                self.urls.pay_url_for_token(&self.urls.tokens.issue(&token, delivery.created_at))
            }
            Channel::Sms => format!("{}/p/{}", self.urls.config.public_base_url, delivery.short_code.as_str()),
        }
    }

    /// `POST /links/{id}/email` and `/sms`: the merchant's link, its recipients (or its
    /// customer), one message each. The answer is the route's whole response body.
    pub async fn send_link(
        &self,
        merchant: &crate::domain::MerchantId,
        link_id: &str,
        body: &Value,
        now: Timestamp,
    ) -> Result<Value, ApiError> {
        let link = super::manage::owned_link(self.store, merchant, link_id, now).await?;
        let recipients = parse_recipients(body, self.transport.channel(), link.customer.as_ref())?;
        let settings = super::settings::get_settings(self.store, merchant).await?;
        let deliveries = self.send(&link, &settings, &recipients, now).await?;
        Ok(serde_json::json!({"url": self.urls.pay_url(&link), "deliveries": deliveries}))
    }

    pub async fn send(
        &self,
        link: &Link,
        settings: &Settings,
        recipients: &[Recipient],
        now: Timestamp,
    ) -> Result<Vec<DeliveryResult>, SendLinkError> {
        if link.status_at(now) != LinkStatus::Active {
            return Err(SendLinkError::LinkNotActive);
        }
        let mut results = Vec::with_capacity(recipients.len());
        for recipient in recipients {
            results.push(self.send_one(link, settings, recipient, now).await?);
        }
        Ok(results)
    }

    async fn send_one(
        &self,
        link: &Link,
        settings: &Settings,
        recipient: &Recipient,
        now: Timestamp,
    ) -> Result<DeliveryResult, SendLinkError> {
        let mut delivery = Delivery {
            id: DeliveryId::generate(),
            link_id: link.id.clone(),
            merchant_id: link.merchant_id.clone(),
            channel: self.transport.channel(),
            recipient: recipient.address(),
            status: DeliveryStatus::Pending,
            message_id: None,
            error: None,
            short_code: ShortCode::generate(),
            created_at: now,
            opens: 0,
            purge_at: link.purge_at,
        };
        let window_key = recipient.window_key();
        let cutoff = now.plus_seconds(-self.resend_window_seconds);
        if let Claim::Existing(existing) = self.store.claim_delivery(&delivery, &window_key, cutoff).await? {
            return Ok(self.result(link, &existing, "deduplicated", None));
        }
        let url = self.url_of(link, &delivery);
        let (outcome, segments) = self.deliver(link, settings, recipient, &url).await;
        match outcome {
            Ok(message_id) => {
                delivery.status = DeliveryStatus::Sent;
                delivery.message_id = Some(message_id);
            }
            Err(err @ SendError::Transient(_)) => {
                tracing::warn!(link = %link.id, delivery = %delivery.id, code = err.code(), "the provider failed for now");
                self.store.release_delivery(&delivery, &window_key).await?;
                return Err(SendLinkError::ProviderUnavailable(err));
            }
            Err(SendError::Permanent(code)) => {
                tracing::warn!(link = %link.id, delivery = %delivery.id, code, "a message could not be sent");
                delivery.status = DeliveryStatus::Failed;
                delivery.error = Some(code.to_string());
            }
        }
        self.store.finish_delivery(&delivery, &window_key).await?;
        let status = if delivery.status == DeliveryStatus::Sent { "sent" } else { "failed" };
        Ok(self.result(link, &delivery, status, segments))
    }

    /// Renders and sends, retrying transient faults a bounded number of times.
    async fn deliver(
        &self,
        link: &Link,
        settings: &Settings,
        recipient: &Recipient,
        url: &str,
    ) -> (Result<String, SendError>, Option<usize>) {
        let mut segments = None;
        let send = match (self.transport, recipient) {
            (Transport::Email(mailer), Recipient::Email { email, name }) => {
                let Ok(rendered) = messages::email(settings, link, name.as_deref(), url) else {
                    return (Err(SendError::Permanent("template_error")), None);
                };
                let message = EmailMessage {
                    to: email.clone(),
                    subject: rendered.subject,
                    html: rendered.html,
                    text: rendered.text,
                    url: url.to_string(),
                };
                mailer.send_email(&message).await
            }
            (Transport::Sms(sms), Recipient::Phone(phone)) => {
                let Ok(text) = messages::sms(settings, link, url) else {
                    return (Err(SendError::Permanent("template_error")), None);
                };
                segments = Some(messages::sms_segments(&text));
                let message = SmsMessage { to: phone.clone(), text, url: url.to_string() };
                sms.send_sms(&message).await
            }
            _ => Err(SendError::Permanent("wrong_channel")),
        };
        (send, segments)
    }

    fn result(
        &self,
        link: &Link,
        delivery: &Delivery,
        status: &'static str,
        segments: Option<usize>,
    ) -> DeliveryResult {
        DeliveryResult {
            id: delivery.id.to_string(),
            channel: delivery.channel,
            recipient: delivery.recipient.clone(),
            status,
            message_id: delivery.message_id.clone(),
            error: delivery.error.clone(),
            url: self.url_of(link, delivery),
            segments,
        }
    }
}
