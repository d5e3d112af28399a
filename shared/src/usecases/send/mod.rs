//! `POST /links/{id}/email`, `POST /links/{id}/sms`: one message per recipient, each with a URL of
//! its own (so opens can be told apart), and no second message to the same recipient on the same
//! channel inside the re-send window — decided by a versioned write of the window, not a read.
//! One read for the link, its merchant's settings and every recipient's window; one transaction
//! claiming every recipient (per hundred items); the messages sent side by side at the
//! provider's rate; one commit for how the sends ended.

use serde::Serialize;

use super::link_view::LinkUrls;
use super::{attempts, retained};
use crate::domain::{
    Channel, Delivery, DeliveryId, DeliveryKind, DeliveryStatus, Link, LinkStatus, MerchantId, MessageTarget,
    Recipient, ReminderSchedule, SendWindow, Settings, ShortCode, ShortCodeTarget, Suppression, Timestamp,
    ValidationError, Versioned, reminder_policy,
};
use crate::messages::{self, Wording};
use crate::ports::{
    Commit, EmailMessage, Mailer, Read, SendError, SmsMessage, SmsSender, StoreError, Throttle, Wanted, Write,
};
use crate::tokens::LinkToken;

mod recipients;
mod reminder;

pub use recipients::default_recipient;
pub use reminder::Reminded;

pub const MAX_RECIPIENTS: usize = 50;

/// How long a pending delivery holds its window for the request that claimed it: the longest a
/// send function may run. Past it that request is dead, and a retry may send.
pub const SEND_LEASE_SECONDS: i64 = {
    let (email, sms) = (crate::budgets::SEND_EMAIL.timeout_seconds, crate::budgets::SEND_SMS.timeout_seconds);
    (if email > sms { email } else { sms }) as i64
};

/// DynamoDB's items per transaction, and what claiming one recipient writes (its window, its
/// pending delivery, its short code).
const TRANSACTION_ITEMS: usize = 100;
const ITEMS_PER_CLAIM: usize = 3;

/// Messages started a second, at most: SES's sending rate for a new production account (14;
/// SNS's default for texts is 20). A send to 10 sends them all at once; one to 50, in four waves
/// a second apart.
const MESSAGES_PER_SECOND: u64 = 14;

/// A recipient's window claimed with a new pending delivery, or the delivery that holds it.
type Claim = Result<(Versioned<SendWindow>, Versioned<Delivery>), Delivery>;

/// Recipients whose outcomes go in one commit: up to four items each (the delivery, its window,
/// its message id and the reminder schedule it starts when sent, or its `delivery.failed` event),
/// inside DynamoDB's hundred per transaction.
const FINISHED_PER_COMMIT: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum SendLinkError {
    #[error("no such link")]
    NotFound,
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
    /// The merchant is past its requests a minute: nothing was read or sent.
    #[error("too many requests; again in {retry_after} s")]
    RateLimited { retry_after: i64 },
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

/// The answer to a send: the link's own URL and what happened for each recipient.
#[derive(Debug, Clone, Serialize)]
pub struct SentLink {
    pub url: String,
    pub deliveries: Vec<DeliveryResult>,
}

#[derive(Clone, Copy)]
pub enum Transport<'a> {
    Email(&'a dyn Mailer),
    Sms(&'a dyn SmsSender),
}

impl Transport<'_> {
    pub fn channel(&self) -> Channel {
        match self {
            Self::Email(_) => Channel::Email,
            Self::Sms(_) => Channel::Sms,
        }
    }
}

/// What a send may ask of the store.
pub trait SendStore: Read + Commit + Throttle {}

impl<T: Read + Commit + Throttle + ?Sized> SendStore for T {}

pub struct Sender<'a, S: SendStore + ?Sized> {
    pub store: &'a S,
    pub transport: Transport<'a>,
    pub urls: LinkUrls<'a>,
    pub resend_window_seconds: i64,
}

/// A claimed delivery and how its send ended.
struct Sent {
    window: Versioned<SendWindow>,
    delivery: Versioned<Delivery>,
    /// `false`: the provider failed for now, and the claim is undone.
    keep: bool,
    /// The reminders a first delivery to this recipient starts, under the policy that applies.
    starts: Option<ReminderSchedule>,
}

/// What a send already read of its recipients: their re-send windows and reminder schedules.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub windows: Vec<Versioned<SendWindow>>,
    pub reminders: Vec<Versioned<ReminderSchedule>>,
    /// The recipients on the merchant's suppression list.
    pub suppressions: Vec<Suppression>,
    /// The merchant's webhook endpoints, for `delivery.failed`.
    pub endpoints: Vec<crate::domain::WebhookEndpoint>,
}

impl Known {
    fn wanted(link: &Link, recipients: &[Recipient]) -> Wanted {
        let keys: Vec<_> = recipients.iter().map(|r| (link.id.clone(), r.window_key())).collect();
        let merchant_keys = recipients.iter().map(|r| (link.merchant_id.clone(), r.window_key())).collect();
        Wanted {
            windows: keys.clone(),
            reminders: keys,
            suppressions: merchant_keys,
            endpoints: Some(link.merchant_id.clone()),
            ..Wanted::default()
        }
    }

    fn from(found: crate::ports::Found) -> Self {
        Self {
            windows: found.windows,
            reminders: found.reminders,
            suppressions: found.suppressions,
            endpoints: found.endpoints.map(|e| e.value.endpoints).unwrap_or_default(),
        }
    }
}

impl<S: SendStore + ?Sized> Sender<'_, S> {
    /// The URL a delivery carries: the token URL in an email, the short URL in an SMS.
    fn url_of(&self, link: &Link, delivery: &Delivery) -> String {
        match delivery.channel {
            Channel::Email => {
                let token = LinkToken {
                    link_id: link.id.clone(),
                    merchant_id: Some(link.merchant_id.clone()),
                    delivery_id: Some(delivery.id.clone()),
                    expires_at: link.expires_at,
                };
                // Issued "at" the delivery, so a deduplicated send hands back the very same URL.
                self.urls.pay_url_for_token(&self.urls.tokens.issue(&token, delivery.created_at))
            }
            Channel::Sms => self.urls.short_url_of(&delivery.short_code),
        }
    }

    /// `POST /links/{id}/email` and `/sms`: the merchant's link, its recipients (or its
    /// customer), one message each. The answer is the route's whole response body. The
    /// merchant's requests a minute (`per_minute`) are counted beside the first read.
    pub async fn send_link(
        &self,
        merchant: &MerchantId,
        link_id: &str,
        named: Option<Vec<Recipient>>,
        per_minute: u32,
        now: Timestamp,
    ) -> Result<SentLink, SendLinkError> {
        let named = named.map(recipients::distinct);
        let id = crate::domain::LinkId::parse(link_id).ok_or(SendLinkError::NotFound)?;
        crate::logging::record_link(&id);
        let mut wanted = Wanted { link: Some(id.clone()), settings: Some(merchant.clone()), ..Wanted::default() };
        wanted.windows = named.iter().flatten().map(|r| (id.clone(), r.window_key())).collect();
        wanted.reminders = wanted.windows.clone();
        wanted.suppressions = named.iter().flatten().map(|r| (merchant.clone(), r.window_key())).collect();
        wanted.endpoints = Some(merchant.clone());
        let (limit, key) = (crate::domain::Limit::per_minute(per_minute), crate::domain::merchant_limit_key(merchant));
        let (spent, found) = futures_util::join!(self.store.spend(&key, limit, now), self.store.read(&wanted));
        if let crate::domain::Spent::Limited { retry_after } = spent? {
            crate::metrics::throttled("merchant");
            return Err(SendLinkError::RateLimited { retry_after });
        }
        let found = found?;
        let link = retained(found.link, now)
            .filter(|l| &l.merchant_id == merchant && l.status != LinkStatus::Deleted)
            .ok_or(SendLinkError::NotFound)?;
        let recipients = match named {
            Some(recipients) => recipients,
            None => default_recipient(self.transport.channel(), link.customer.as_ref())?,
        };
        let settings = found.settings.map(|s| s.value).unwrap_or_default();
        let known = (wanted.windows.len() == recipients.len()).then_some(Known {
            windows: found.windows,
            reminders: found.reminders,
            suppressions: found.suppressions,
            endpoints: found.endpoints.map(|e| e.value.endpoints).unwrap_or_default(),
        });
        let deliveries = self.send(&link, &settings, &recipients, known, now).await?;
        Ok(SentLink { url: self.urls.pay_url(&link), deliveries })
    }

    /// Sends to each recipient, or hands back the delivery that holds their window. `known`: the
    /// recipients' windows and reminder schedules when already read. A first delivery to a
    /// recipient starts their reminders when a policy (the link's or its merchant's) covers it.
    pub async fn send(
        &self,
        link: &Link,
        settings: &Settings,
        recipients: &[Recipient],
        known: Option<Known>,
        now: Timestamp,
    ) -> Result<Vec<DeliveryResult>, SendLinkError> {
        if link.status_at(now) != LinkStatus::Active {
            return Err(SendLinkError::LinkNotActive);
        }
        let Known { windows, reminders, suppressions, endpoints } = match known {
            Some(known) => known,
            None => Known::from(self.store.read(&Known::wanted(link, recipients)).await?),
        };
        // Reminders ask an order's customer to pay; a product link has no one order to chase.
        let policy = reminder_policy(link.reminders.as_ref(), settings.reminders.as_ref())
            .filter(|_| link.kind == crate::domain::LinkKind::Order);
        // Suppressed recipients are recorded as such; the others are claimed together (one
        // transaction per hundred items), then sent side by side.
        let mut suppressed = Vec::new();
        let mut to_claim = Vec::new();
        for (index, recipient) in recipients.iter().enumerate() {
            let key = recipient.window_key();
            if suppressions.iter().any(|s| s.key == key) {
                suppressed.push((index, self.suppressed(link, recipient, now)));
            } else {
                to_claim.push((index, recipient, windows.iter().find(|w| w.key == key).cloned()));
            }
        }
        let recorded: Vec<Write> = suppressed.iter().map(|(_, d)| Write::Delivery(Versioned::new(d.clone()))).collect();
        let (claims, unclaimed) = self.claim_all(link, &to_claim, recorded, now).await;
        let mut results: Vec<Option<DeliveryResult>> = vec![None; recipients.len()];
        for (index, delivery) in &suppressed {
            let result = self.result(link, delivery, "suppressed", None);
            results[*index] = Some(DeliveryResult { url: self.urls.pay_url(link), ..result });
        }
        let mut claimed = Vec::new();
        for ((index, recipient, _), claim) in to_claim.iter().zip(claims) {
            match claim {
                Ok(claim) => claimed.push((*index, *recipient, claim)),
                Err(existing) => results[*index] = Some(self.result(link, &existing, "deduplicated", None)),
            }
        }
        let sends = claimed.into_iter().enumerate().map(|(nth, (index, recipient, claim))| async move {
            // Within the provider's rate: each second's worth at once, the next a second later.
            let wave = nth as u64 / MESSAGES_PER_SECOND;
            if wave > 0 {
                tokio::time::sleep(std::time::Duration::from_secs(wave)).await;
            }
            (index, recipient, self.deliver_one(link, settings, recipient, claim).await)
        });
        let mut finished = Vec::new();
        let mut failure = unclaimed;
        for (index, recipient, (mut sent, result)) in futures_util::future::join_all(sends).await {
            let key = recipient.window_key();
            let first_delivery = !reminders.iter().any(|r| r.key == key);
            if sent.keep && sent.delivery.status == DeliveryStatus::Sent && first_delivery {
                sent.starts = policy.and_then(|p| {
                    ReminderSchedule::start(link.id.clone(), link.merchant_id.clone(), recipient, p, now, link.purge_at)
                });
            }
            finished.push(sent);
            match result {
                Ok(result) => results[index] = Some(result),
                Err(err) => failure = Some(err),
            }
        }
        self.finish(finished, &endpoints, now).await?;
        match failure {
            Some(err) => Err(err),
            None => Ok(results.into_iter().flatten().collect()),
        }
    }

    /// The record of a message not sent: the recipient is on the merchant's suppression list.
    fn suppressed(&self, link: &Link, recipient: &Recipient, now: Timestamp) -> Delivery {
        let (_, delivery, _) = self.new_claim(link, recipient, &None, now, DeliveryKind::Send, None);
        Delivery { status: DeliveryStatus::Suppressed, error: Some("suppressed".into()), ..delivery.value }
    }

    /// Claims each recipient's window with a new pending delivery, or finds the delivery that
    /// holds it: in one transaction per hundred items (`recorded`, the suppressed recipients'
    /// deliveries, go in the first). A transaction lost to another send re-reads its recipients'
    /// windows and claims again those still free.
    async fn claim_all(
        &self,
        link: &Link,
        to_claim: &[(usize, &Recipient, Option<Versioned<SendWindow>>)],
        mut recorded: Vec<Write>,
        now: Timestamp,
    ) -> (Vec<Claim>, Option<SendLinkError>) {
        let mut claims = Vec::with_capacity(to_claim.len());
        let per_commit =
            (TRANSACTION_ITEMS - recorded.len().min(TRANSACTION_ITEMS - ITEMS_PER_CLAIM)) / ITEMS_PER_CLAIM;
        let mut chunks = to_claim.chunks(per_commit.max(1)).peekable();
        if chunks.peek().is_none() && !recorded.is_empty() {
            return (claims, self.store.commit(recorded).await.err().map(Into::into));
        }
        for chunk in chunks {
            match self.claim_chunk(link, chunk, std::mem::take(&mut recorded), now).await {
                Ok(claimed) => claims.extend(claimed),
                // The recipients claimed so far are still sent and recorded; the caller's retry
                // finds them sent and claims the rest.
                Err(err) => return (claims, Some(err)),
            }
        }
        (claims, None)
    }

    async fn claim_chunk(
        &self,
        link: &Link,
        chunk: &[(usize, &Recipient, Option<Versioned<SendWindow>>)],
        recorded: Vec<Write>,
        now: Timestamp,
    ) -> Result<Vec<Claim>, SendLinkError> {
        let cutoff = now.plus_seconds(-self.resend_window_seconds);
        let mut windows: Vec<Option<Versioned<SendWindow>>> = chunk.iter().map(|(_, _, w)| w.clone()).collect();
        for _ in attempts() {
            let mut claims = Vec::with_capacity(chunk.len());
            let mut writes = recorded.clone();
            for ((_, recipient, _), window) in chunk.iter().zip(&windows) {
                if let Some(held) = window.as_ref().filter(|w| w.holds(now, cutoff)) {
                    claims.push(Err(held.delivery.clone()));
                    continue;
                }
                let (claim, delivery, claiming) =
                    self.new_claim(link, recipient, window, now, DeliveryKind::Send, None);
                writes.extend(claiming);
                claims.push(Ok((claim.committed(), delivery.committed())));
            }
            if writes.is_empty() {
                return Ok(claims);
            }
            match self.store.commit(writes).await {
                Ok(()) => return Ok(claims),
                Err(StoreError::Conflict) => {}
                Err(err) => return Err(err.into()),
            }
            let keys = chunk.iter().map(|(_, r, _)| (link.id.clone(), r.window_key())).collect();
            let found = self.store.read(&Wanted { windows: keys, ..Wanted::default() }).await?.windows;
            windows = chunk.iter().map(|(_, r, _)| found.iter().find(|w| w.key == r.window_key()).cloned()).collect();
        }
        Err(StoreError::Conflict.into())
    }

    /// A new pending delivery to `recipient` holding their window (read at `window`'s version),
    /// and the writes that claim it with its short code.
    fn new_claim(
        &self,
        link: &Link,
        recipient: &Recipient,
        window: &Option<Versioned<SendWindow>>,
        now: Timestamp,
        kind: DeliveryKind,
        slot: Option<u16>,
    ) -> (Versioned<SendWindow>, Versioned<Delivery>, Vec<Write>) {
        let delivery = Delivery {
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
            kind,
            slot,
            opens: 0,
            activity: Default::default(),
            purge_at: link.purge_at,
        };
        let claim = SendWindow {
            link_id: link.id.clone(),
            key: recipient.window_key(),
            delivery: delivery.clone(),
            lease_until: now.plus_seconds(SEND_LEASE_SECONDS),
        };
        let claim = Versioned::at(claim, window.as_ref().map_or(0, |w| w.version));
        let target = ShortCodeTarget {
            link_id: link.id.clone(),
            merchant_id: Some(link.merchant_id.clone()),
            delivery_id: Some(delivery.id.clone()),
            purge_at: delivery.purge_at,
        };
        let delivery = Versioned::new(delivery);
        let writes = vec![
            Write::Window(claim.clone()),
            Write::Delivery(delivery.clone()),
            Write::ShortCode(delivery.short_code.clone(), target),
        ];
        (claim, delivery, writes)
    }

    /// Sends one claimed delivery.
    async fn deliver_one(
        &self,
        link: &Link,
        settings: &Settings,
        recipient: &Recipient,
        (mut window, mut delivery): (Versioned<SendWindow>, Versioned<Delivery>),
    ) -> (Sent, Result<DeliveryResult, SendLinkError>) {
        let url = self.url_of(link, &delivery);
        let wording = match (delivery.kind, delivery.slot) {
            (DeliveryKind::Reminder, Some(number)) => Wording::Reminder { number },
            _ => Wording::Request,
        };
        let short = self.urls.short_url_of(&delivery.short_code);
        let urls = messages::MessageUrls { pay: &url, short: &short };
        let (outcome, segments) = self.deliver(link, settings, recipient, urls, wording).await;
        let keep = match outcome {
            Ok(message_id) => {
                delivery.sent(message_id);
                true
            }
            Err(err @ SendError::Transient(_)) => {
                tracing::warn!(link = %link.id, delivery = %delivery.id, code = err.code(), "the provider failed for now");
                let sent = Sent { window, delivery, keep: false, starts: None };
                return (sent, Err(SendLinkError::ProviderUnavailable(err)));
            }
            Err(SendError::Permanent(code)) => {
                tracing::warn!(link = %link.id, delivery = %delivery.id, code, "a message could not be sent");
                delivery.failed(code);
                true
            }
        };
        window.delivery = delivery.value.clone();
        let status = if delivery.status == DeliveryStatus::Sent { "sent" } else { "failed" };
        let result = self.result(link, &delivery, status, segments);
        (Sent { window, delivery, keep, starts: None }, Ok(result))
    }

    /// Records how the sends ended. A failed send frees its window (a retry sends again); one the
    /// provider could not take for now is undone whole, so the caller's retry starts afresh. A
    /// first delivery's reminder schedule is made in the same commit.
    async fn finish(
        &self,
        finished: Vec<Sent>,
        endpoints: &[crate::domain::WebhookEndpoint],
        now: Timestamp,
    ) -> Result<(), SendLinkError> {
        for chunk in finished.chunks(FINISHED_PER_COMMIT) {
            let mut writes = Vec::new();
            for sent in chunk {
                if sent.keep {
                    writes.push(Write::Delivery(sent.delivery.clone()));
                    writes.push(Write::Window(sent.window.clone()));
                    writes.extend(message_sent(&sent.delivery).map(Write::MessageSent));
                    if sent.delivery.status == DeliveryStatus::Failed {
                        crate::metrics::delivery_failed(sent.delivery.channel.as_str());
                        let told = crate::usecases::events::delivery_failed(endpoints, &sent.delivery, now);
                        writes.push(Write::Event(Versioned::new(told)));
                    }
                } else {
                    writes.push(Write::DropShortCode(sent.delivery.short_code.clone()));
                    writes.push(Write::DropDelivery(sent.delivery.clone()));
                    writes.push(Write::DropWindow(sent.window.clone()));
                }
            }
            let starts: Vec<Write> =
                chunk.iter().filter_map(|s| s.starts.clone()).map(|r| Write::Reminder(Versioned::new(r))).collect();
            let with_starts = writes.iter().cloned().chain(starts.iter().cloned()).collect();
            match self.store.commit(with_starts).await {
                // A schedule made meanwhile (a send to the same recipient after the window) is
                // theirs to keep: record the outcomes with only the schedules still missing.
                Err(StoreError::Conflict) if !starts.is_empty() => {
                    let keys =
                        chunk.iter().filter_map(|s| s.starts.as_ref()).map(|r| (r.link_id.clone(), r.key.clone()));
                    let wanted = Wanted { reminders: keys.collect(), ..Wanted::default() };
                    let existing = self.store.read(&wanted).await?.reminders;
                    let missing = chunk
                        .iter()
                        .filter_map(|s| s.starts.clone())
                        .filter(|r| !existing.iter().any(|e| e.key == r.key))
                        .map(|r| Write::Reminder(Versioned::new(r)));
                    let retried: Vec<Write> = writes.iter().cloned().chain(missing).collect();
                    match self.store.commit(retried).await {
                        Err(StoreError::Conflict) => self.store.commit(writes).await?,
                        other => other?,
                    }
                }
                other => other?,
            }
        }
        Ok(())
    }

    /// Renders and sends, retrying transient faults a bounded number of times.
    async fn deliver(
        &self,
        link: &Link,
        settings: &Settings,
        recipient: &Recipient,
        urls: messages::MessageUrls<'_>,
        wording: Wording,
    ) -> (Result<String, SendError>, Option<usize>) {
        let url = urls.pay;
        let mut segments = None;
        let send = match (self.transport, recipient) {
            (Transport::Email(mailer), Recipient::Email { email, name }) => {
                let Ok(rendered) = messages::email_as(settings, link, name.as_deref(), urls, wording) else {
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
                let Ok(text) = messages::sms_as(settings, link, url, wording) else {
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

/// Which delivery a sent message is, for the provider's later events about it (delivered,
/// bounced, complained).
fn message_sent(delivery: &Delivery) -> Option<MessageTarget> {
    let message_id = delivery.message_id.clone().filter(|_| delivery.status == DeliveryStatus::Sent)?;
    Some(MessageTarget {
        message_id,
        link_id: delivery.link_id.clone(),
        delivery_id: delivery.id.clone(),
        merchant_id: delivery.merchant_id.clone(),
        key: delivery.recipient_key(),
        channel: delivery.channel,
        purge_at: delivery.purge_at,
    })
}
