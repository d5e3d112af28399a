//! The endpoints a merchant registers to hear about its links, orders and deliveries, and the
//! events they can subscribe to. An endpoint's URL is checked twice over: its shape here (https,
//! no credentials), and every address its host resolves to (`Destination::check_address`), so a
//! name that points into a private network cannot be used to reach it.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::{EndpointId, EventId, MerchantId, Timestamp, ValidationError, random_base62};

/// At most this many endpoints per merchant.
pub const MAX_ENDPOINTS: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "link.paid")]
    LinkPaid,
    #[serde(rename = "order.paid")]
    OrderPaid,
    #[serde(rename = "order.processing")]
    OrderProcessing,
    #[serde(rename = "order.refunded")]
    OrderRefunded,
    #[serde(rename = "order.partially_paid")]
    OrderPartiallyPaid,
    /// A payment charged more than its order had due: the rest is for a person to give back.
    #[serde(rename = "order.overpaid")]
    OrderOverpaid,
    #[serde(rename = "payment.failed")]
    PaymentFailed,
    #[serde(rename = "link.expired")]
    LinkExpired,
    #[serde(rename = "link.renewal_requested")]
    LinkRenewalRequested,
    #[serde(rename = "delivery.failed")]
    DeliveryFailed,
    #[serde(rename = "delivery.bounced")]
    DeliveryBounced,
}

impl EventType {
    pub const ALL: [Self; 11] = [
        Self::LinkPaid,
        Self::OrderPaid,
        Self::OrderProcessing,
        Self::OrderRefunded,
        Self::OrderPartiallyPaid,
        Self::OrderOverpaid,
        Self::PaymentFailed,
        Self::LinkExpired,
        Self::LinkRenewalRequested,
        Self::DeliveryFailed,
        Self::DeliveryBounced,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::LinkPaid => "link.paid",
            Self::OrderPaid => "order.paid",
            Self::OrderProcessing => "order.processing",
            Self::OrderRefunded => "order.refunded",
            Self::OrderPartiallyPaid => "order.partially_paid",
            Self::OrderOverpaid => "order.overpaid",
            Self::PaymentFailed => "payment.failed",
            Self::LinkExpired => "link.expired",
            Self::LinkRenewalRequested => "link.renewal_requested",
            Self::DeliveryFailed => "delivery.failed",
            Self::DeliveryBounced => "delivery.bounced",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// Where events may be sent: public https endpoints in the cloud; the local server also allows
/// `http://127.0.0.1` (a merchant's own machine while developing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    PublicOnly,
    AlsoLocalhost,
}

impl Destination {
    /// The URL's shape: https (or, locally, http to 127.0.0.1), a host, no credentials, not too long.
    pub fn check_url(self, text: &str) -> Result<url::Url, ValidationError> {
        let refuse = |why: &str| ValidationError::new("url", why.to_string());
        let url = url::Url::parse(text).map_err(|_| refuse("must be an absolute https:// URL"))?;
        if text.len() > 2048 || !url.username().is_empty() || url.password().is_some() {
            return Err(refuse("must be an https:// URL of at most 2048 characters, without credentials"));
        }
        let local = self == Self::AlsoLocalhost && url.scheme() == "http" && url.host_str() == Some("127.0.0.1");
        if url.scheme() != "https" && !local {
            return Err(refuse(match self {
                Self::PublicOnly => "must be an https:// URL",
                Self::AlsoLocalhost => "must be an https:// URL (or http://127.0.0.1 on the local server)",
            }));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(refuse("must name a host"));
        }
        Ok(url)
    }

    /// Whether events may go to `address`: a public one (or loopback, locally). Private,
    /// loopback, link-local (169.254.169.254, the instance metadata service), shared, multicast and
    /// unspecified addresses are refused, IPv4-mapped IPv6 as its IPv4.
    pub fn allows(self, address: IpAddr) -> bool {
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(address),
            v4 => v4,
        };
        if address.is_loopback() {
            return self == Self::AlsoLocalhost;
        }
        match address {
            IpAddr::V4(v4) => {
                let [a, b, ..] = v4.octets();
                !(v4.is_private()
                    || v4.is_link_local()
                    || v4.is_unspecified()
                    || v4.is_multicast()
                    || v4.is_broadcast()
                    || v4.is_documentation()
                    || a == 0
                    || (a == 100 && (64..128).contains(&b))
                    || (a == 192 && b == 0 && v4.octets()[2] == 0)
                    || a >= 240)
            }
            IpAddr::V6(v6) => {
                let first = v6.segments()[0];
                !(v6.is_unspecified()
                    || v6.is_multicast()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80
                    || (first == 0x2001 && v6.segments()[1] == 0x0db8))
            }
        }
    }
}

/// One endpoint: where, which events, and the secret its events are signed with (shown once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub id: EndpointId,
    pub url: String,
    pub events: Vec<EventType>,
    pub secret: String,
    pub created_at: Timestamp,
    /// The secret before the last roll, still signing until it expires (as Stripe rolls its own):
    /// a merchant switches their verifier over without missing an event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret: Option<PreviousSecret>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviousSecret {
    pub secret: String,
    pub expires_at: Timestamp,
}

/// The longest a rolled secret may keep signing: a week, as Stripe allows.
pub const MAX_PREVIOUS_SECRET_HOURS: u32 = 168;

impl WebhookEndpoint {
    pub fn new(url: &url::Url, events: Vec<EventType>, now: Timestamp) -> Self {
        Self {
            id: EndpointId::generate(),
            url: url.to_string(),
            events,
            secret: new_secret(),
            created_at: now,
            previous_secret: None,
        }
    }

    /// A new secret; the current one keeps signing for `hours` more (0: stops now).
    pub fn roll_secret(&mut self, hours: u32, now: Timestamp) {
        let previous = std::mem::replace(&mut self.secret, new_secret());
        self.previous_secret = (hours > 0).then(|| PreviousSecret {
            secret: previous,
            expires_at: now.plus_seconds(i64::from(hours.min(MAX_PREVIOUS_SECRET_HOURS)) * 3600),
        });
    }

    /// The secrets an event is signed with now: the current one, and the rolled one until it expires.
    pub fn signing_secrets(&self, now: Timestamp) -> Vec<&str> {
        let previous = self.previous_secret.as_ref().filter(|p| p.expires_at > now).map(|p| p.secret.as_str());
        std::iter::once(self.secret.as_str()).chain(previous).collect()
    }
}

fn new_secret() -> String {
    format!("whsec_{}", random_base62(32))
}

/// A merchant's endpoints, kept together (one item, at most `MAX_ENDPOINTS`): read with the other
/// things a request reads, in one round trip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEndpoints {
    pub merchant_id: MerchantId,
    pub endpoints: Vec<WebhookEndpoint>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_https_endpoints_are_allowed_in_the_cloud() {
        let cloud = Destination::PublicOnly;
        assert!(cloud.check_url("https://hooks.example.com/paylinks").is_ok());
        assert!(cloud.check_url("http://hooks.example.com/paylinks").is_err());
        assert!(cloud.check_url("https://user:pw@hooks.example.com/").is_err());
        assert!(cloud.check_url("http://127.0.0.1:8080/hook").is_err());
        assert!(Destination::AlsoLocalhost.check_url("http://127.0.0.1:8080/hook").is_ok());
        assert!(Destination::AlsoLocalhost.check_url("http://10.0.0.1/hook").is_err());
        for refused in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(!cloud.allows(refused.parse().unwrap()), "{refused}");
        }
        for allowed in ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"] {
            assert!(cloud.allows(allowed.parse().unwrap()), "{allowed}");
        }
        assert!(Destination::AlsoLocalhost.allows("127.0.0.1".parse().unwrap()));
        assert!(!Destination::AlsoLocalhost.allows("169.254.169.254".parse().unwrap()));
    }

    #[test]
    fn event_types_read_as_the_spec_names_them() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
        }
        assert_eq!(EventType::parse("link.deleted"), None);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventDeliveryStatus {
    Pending,
    Succeeded,
    Failed,
}

/// An event's way to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventDelivery {
    pub endpoint_id: EndpointId,
    pub status: EventDeliveryStatus,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status_code: Option<u16>,
    /// When the next attempt is due, while pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<Timestamp>,
    /// While pending: the token of the queue message that carries it (SQS in the cloud, the
    /// local server's own queue), which then owns its retries. A message whose token is not this
    /// one is stale (a relay that lost a race, a redelivery since) and is dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued: Option<String>,
}

/// How long past its next attempt a queued delivery may go unrecorded before it is queued again:
/// its message was lost (moved to the dead letters after a run that could not record it, or
/// taken before the relay recorded its token). Far beyond SQS's timing slack.
pub const QUEUE_LEASE_SECONDS: i64 = 3600;

impl EventDelivery {
    /// When the relay should hand it to the queue: a pending delivery not queued yet at its next
    /// attempt; a queued one only once its lease has run out with nothing recorded (the queue owns
    /// its retries until then).
    pub fn queue_due_at(&self) -> Option<Timestamp> {
        if self.status != EventDeliveryStatus::Pending {
            return None;
        }
        let at = self.next_attempt_at?;
        Some(if self.queued.is_some() { at.plus_seconds(QUEUE_LEASE_SECONDS) } else { at })
    }

    fn pending_from(endpoint_id: EndpointId, now: Timestamp) -> Self {
        Self {
            endpoint_id,
            status: EventDeliveryStatus::Pending,
            attempts: 0,
            last_status_code: None,
            next_attempt_at: Some(now),
            queued: None,
        }
    }
}

/// How long a merchant's event log keeps an event.
pub const EVENT_KEEP_DAYS: i64 = 30;

/// Something that happened to a merchant's link, order or delivery, written in the same
/// transaction as the change itself (so none is lost, and none is told of a change that did not
/// happen), with a delivery to each endpoint subscribed when it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerchantEvent {
    pub id: EventId,
    pub merchant_id: MerchantId,
    pub kind: EventType,
    pub created_at: Timestamp,
    /// The event's object, as JSON text.
    pub data: String,
    pub deliveries: Vec<EventDelivery>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_at: Option<Timestamp>,
}

impl MerchantEvent {
    /// A new event, to every endpoint of `endpoints` subscribed to its kind.
    pub fn new(
        endpoints: &[WebhookEndpoint],
        merchant: &MerchantId,
        kind: EventType,
        data: String,
        now: Timestamp,
    ) -> Self {
        let deliveries = endpoints
            .iter()
            .filter(|e| e.events.contains(&kind))
            .map(|e| EventDelivery::pending_from(e.id.clone(), now))
            .collect();
        Self {
            id: EventId::generate(now),
            merchant_id: merchant.clone(),
            kind,
            created_at: now,
            data,
            deliveries,
            purge_at: Some(now.plus_days(EVENT_KEEP_DAYS)),
        }
    }

    /// When it is due to be queued: the earliest of its pending deliveries' `queue_due_at`.
    pub fn due_at(&self) -> Option<Timestamp> {
        self.deliveries.iter().filter_map(EventDelivery::queue_due_at).min()
    }

    /// Sends it again: to every endpoint subscribed now, each delivery pending from `now`.
    pub fn redeliver(&mut self, endpoints: &[WebhookEndpoint], now: Timestamp) {
        for endpoint in endpoints.iter().filter(|e| e.events.contains(&self.kind)) {
            match self.deliveries.iter_mut().find(|d| d.endpoint_id == endpoint.id) {
                Some(delivery) => {
                    // A fresh start: every attempt again, whatever the last round spent.
                    *delivery = EventDelivery::pending_from(endpoint.id.clone(), now);
                }
                None => self.deliveries.push(EventDelivery::pending_from(endpoint.id.clone(), now)),
            }
        }
        self.purge_at = Some(now.plus_days(EVENT_KEEP_DAYS).max(self.purge_at.unwrap_or(now)));
    }
}

#[cfg(test)]
mod event_tests {
    use super::*;

    #[test]
    fn an_event_goes_to_the_endpoints_subscribed_to_its_kind_and_ids_sort_by_time() {
        let url = url::Url::parse("https://hooks.example.com/").unwrap();
        let now = Timestamp::from_unix(1_800_000_000);
        let paid = WebhookEndpoint::new(&url, vec![EventType::OrderPaid], now);
        let bounced = WebhookEndpoint::new(&url, vec![EventType::DeliveryBounced], now);
        let merchant = MerchantId::parse("m1").unwrap();
        let mut event = MerchantEvent::new(&[paid.clone(), bounced], &merchant, EventType::OrderPaid, "{}".into(), now);
        assert_eq!(event.deliveries.len(), 1);
        assert_eq!(event.deliveries[0].endpoint_id, paid.id);
        assert_eq!(EventId::parse(event.id.as_str()), Some(event.id.clone()));
        assert!(EventId::generate(now) < EventId::generate(now.plus_seconds(1)));
        assert_eq!(event.due_at(), Some(now));
        event.deliveries[0].queued = Some("token".into());
        let lease = now.plus_seconds(QUEUE_LEASE_SECONDS);
        assert_eq!(event.due_at(), Some(lease), "a queued delivery's retries are the queue's, for its lease");
        event.deliveries[0].attempts = 13;
        event.deliveries[0].status = EventDeliveryStatus::Failed;
        let later = WebhookEndpoint::new(&url, vec![EventType::OrderPaid], now);
        event.redeliver(&[paid, later], now.plus_seconds(60));
        assert_eq!(event.deliveries.len(), 2);
        assert!(event.deliveries.iter().all(|d| d.status == EventDeliveryStatus::Pending && d.queued.is_none()));
        assert!(event.deliveries.iter().all(|d| d.attempts == 0), "redelivered: every attempt again");
    }
}
