//! Where each aggregate lives in the table and how it is written: keys, the version attribute,
//! TTL and index attributes. The domain types know none of it.

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::expressions::{Item, n, s};
use paylinks::domain::{
    ClientSession, Delivery, DeliveryId, IdempotencyRecord, IntentRecord, Link, LinkId, MerchantId, MessageTarget,
    Order, OrderId, Payment, ReminderSchedule, SendWindow, SessionId, Settings, ShortCode, Suppression, Timestamp,
    Versioned, WebhookEndpoints,
};
use paylinks::domain::{EventId, MerchantEvent};
use paylinks::ports::StoreError;

/// The attribute that holds an item's version.
pub const VERSION: &str = "version";

/// A primary key: partition and sort key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    fn new(pk: String, sk: impl Into<String>) -> Self {
        Self { pk, sk: sk.into() }
    }

    pub fn attributes(&self) -> Item {
        Item::from([("pk".to_string(), s(&self.pk)), ("sk".to_string(), s(&self.sk))])
    }

    pub fn of_item(item: &Item) -> Option<Self> {
        match (item.get("pk"), item.get("sk")) {
            (Some(AttributeValue::S(pk)), Some(AttributeValue::S(sk))) => Some(Self::new(pk.clone(), sk.clone())),
            _ => None,
        }
    }

    pub fn settings(merchant: &MerchantId) -> Self {
        Self::new(format!("MERCHANT#{merchant}"), "SETTINGS")
    }

    pub fn order(merchant: &MerchantId, order: &OrderId) -> Self {
        Self::new(format!("MERCHANT#{merchant}"), format!("ORDER#{order}"))
    }

    pub fn idempotency(merchant: &MerchantId, key: &str) -> Self {
        Self::new(format!("MERCHANT#{merchant}"), format!("IDEM#{key}"))
    }

    pub fn link_partition(link: &LinkId) -> String {
        format!("LINK#{link}")
    }

    pub fn link(link: &LinkId) -> Self {
        Self::new(Self::link_partition(link), "LINK")
    }

    pub fn payment(link: &LinkId, session: &SessionId) -> Self {
        Self::new(Self::link_partition(link), format!("PAYMENT#{session}"))
    }

    pub fn delivery(link: &LinkId, delivery: &DeliveryId) -> Self {
        Self::new(Self::link_partition(link), format!("DELIVERY#{delivery}"))
    }

    pub fn window(link: &LinkId, key: &str) -> Self {
        Self::new(Self::link_partition(link), format!("WINDOW#{key}"))
    }

    pub fn reminder(link: &LinkId, key: &str) -> Self {
        Self::new(Self::link_partition(link), format!("REMINDER#{key}"))
    }

    /// A reusable link's session kept for one client: a partition of its own (a crowd's opens
    /// each write one, which under the link would all be writes of the link's partition), gone
    /// by TTL minutes after it can no longer be handed back.
    pub fn client_session(link: &LinkId, client: &str) -> Self {
        Self::new(format!("CLIENT#{link}#{client}"), "CLIENT")
    }

    /// A throttle key's count in the window starting at `start`.
    pub fn throttle(key: &str, start: i64) -> Self {
        Self::new(format!("THROTTLE#{key}"), format!("W#{start}"))
    }

    /// One shard of the link's own open count: a partition of its own each, so that a crowd's
    /// opens spread over items and partitions alike (summed when the link is read; removed with
    /// the link by the cascade, which knows every shard's key).
    pub fn open_shard(link: &LinkId, shard: u32) -> Self {
        Self::new(format!("OPENS#{link}#{shard}"), "OPENS")
    }

    /// Whether an `OPENS` item under the link (what follows `OPENS#` in its sort key) counts the
    /// link's own opens: the item of before the count was sharded has no name.
    pub fn is_link_open_count(name: &str) -> bool {
        name.is_empty()
    }

    /// The opens of the link (before they were sharded), or of one of its deliveries.
    pub fn opens(link: &LinkId, delivery: Option<&DeliveryId>) -> Self {
        let sk = match delivery {
            Some(delivery) => format!("OPENS#{delivery}"),
            None => "OPENS".to_string(),
        };
        Self::new(Self::link_partition(link), sk)
    }

    pub fn suppression(merchant: &MerchantId, key: &str) -> Self {
        Self::new(format!("MERCHANT#{merchant}"), format!("SUPPRESSED#{key}"))
    }

    pub fn endpoints(merchant: &MerchantId) -> Self {
        Self::new(format!("MERCHANT#{merchant}"), "WEBHOOKS")
    }

    pub fn event(merchant: &MerchantId, event: &EventId) -> Self {
        Self::new(format!("MERCHANT#{merchant}"), format!("EVENT#{event}"))
    }

    pub fn message(message_id: &str) -> Self {
        Self::new(format!("MSG#{message_id}"), "MSG")
    }

    pub fn short_code(code: &ShortCode) -> Self {
        Self::new(format!("SHORT#{}", code.as_str()), "SHORT")
    }

    pub fn intent(intent: &str) -> Self {
        Self::new(format!("PI#{intent}"), "PI")
    }
}

pub fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(StoreError::unavailable)
}

pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(StoreError::unavailable)
}

pub fn version_of(item: &Item) -> u64 {
    match item.get(VERSION) {
        Some(AttributeValue::N(v)) => v.parse().unwrap_or(0),
        _ => 0,
    }
}

/// A stored item as the domain value and the version it was read at.
pub fn versioned<T: DeserializeOwned>(item: Item) -> Result<Versioned<T>, StoreError> {
    let version = version_of(&item);
    Ok(Versioned::at(from_item(item)?, version))
}

/// An order as stored. One written before its money was a ledger has no `entries` but the two
/// counters it kept then (`amount_paid`, `amount_refunded`): the domain turns them into its
/// opening entries, and its next write stores those.
pub fn order_of(item: Item) -> Result<Versioned<Order>, StoreError> {
    let counter = |name: &str| match item.get(name) {
        Some(AttributeValue::N(n)) => n.parse::<i64>().unwrap_or(0),
        _ => 0,
    };
    let legacy = (!item.contains_key("entries")).then(|| (counter("amount_paid"), counter("amount_refunded")));
    let mut order: Versioned<Order> = versioned(item)?;
    if let Some((paid, refunded)) = legacy {
        order.adopt_counters(paid, refunded);
    }
    Ok(order)
}

/// How an aggregate is laid out: its key and the attributes beside its fields.
pub trait Layout: Serialize {
    fn key(&self) -> Key;

    /// Index and TTL attributes.
    fn extra(&self) -> Vec<(&'static str, AttributeValue)> {
        Vec::new()
    }

    /// The whole item as written at the next version.
    fn item(&self, version: u64) -> Result<Item, StoreError>
    where
        Self: Sized,
    {
        let mut item = to_item(self)?;
        item.extend(self.key().attributes());
        item.insert(VERSION.into(), n(version));
        item.extend(self.extra().into_iter().map(|(name, value)| (name.to_string(), value)));
        Ok(item)
    }
}

/// DynamoDB's TTL attribute: epoch seconds.
pub fn ttl(at: Option<Timestamp>) -> Vec<(&'static str, AttributeValue)> {
    at.map(|t| ("ttl", n(t.unix()))).into_iter().collect()
}

impl Layout for Link {
    fn key(&self) -> Key {
        Key::link(&self.id)
    }

    fn extra(&self) -> Vec<(&'static str, AttributeValue)> {
        let mut extra =
            vec![("gsi1pk", s(format!("MERCHANT#{}#LINKS", self.merchant_id))), ("gsi1sk", s(self.list_position()))];
        // In the due index (`gsi3`, partitions of its own) until its expiry is told.
        if let Some(due_at) = self.expiry_due_at() {
            extra.push(("gsi3pk", s(expiry_shard(&self.id))));
            extra.push(("gsi3sk", s(due_position(due_at, &self.id, "expiry"))));
        }
        extra.extend(ttl(self.purge_at));
        extra
    }
}

impl Layout for Order {
    fn key(&self) -> Key {
        Key::order(&self.merchant_id, &self.id)
    }

    /// Listed by payment status through `gsi2`: one partition per merchant and status. Beside its
    /// entries, the two counters code from before the ledger reads (`amount_paid`,
    /// `amount_refunded`, derived here): during a gradual deploy both versions run, and an old
    /// one that rewrites the order keeps its figures (the new one then opens them as counters).
    fn extra(&self) -> Vec<(&'static str, AttributeValue)> {
        let figures = self.figures();
        let mut extra = vec![
            ("gsi2pk", s(format!("MERCHANT#{}#ORDERS#{}", self.merchant_id, self.payment_status.as_str()))),
            ("gsi2sk", s(self.status_position())),
            ("amount_paid", n(self.covered())),
            ("amount_refunded", n(figures.amount_refunded)),
        ];
        extra.extend(ttl(self.purge_at));
        extra
    }
}

impl Layout for Payment {
    fn key(&self) -> Key {
        Key::payment(&self.link_id, &self.session_id)
    }

    fn extra(&self) -> Vec<(&'static str, AttributeValue)> {
        ttl(self.purge_at)
    }
}

impl Layout for IntentRecord {
    fn key(&self) -> Key {
        Key::intent(&self.intent)
    }

    fn extra(&self) -> Vec<(&'static str, AttributeValue)> {
        ttl(self.purge_at)
    }
}

impl Layout for Delivery {
    fn key(&self) -> Key {
        Key::delivery(&self.link_id, &self.id)
    }

    /// A delivery holds the recipient's address: it goes with the rest of the link's data.
    fn extra(&self) -> Vec<(&'static str, AttributeValue)> {
        ttl(self.purge_at)
    }
}

impl Layout for SendWindow {
    fn key(&self) -> Key {
        Key::window(&self.link_id, &self.key)
    }

    /// A window may go once it no longer blocks anything.
    fn extra(&self) -> Vec<(&'static str, AttributeValue)> {
        ttl(Some(self.delivery.created_at.plus_days(2)))
    }
}

/// Partitions of the due-reminder index (`gsi3`): a schedule's is fixed by its link, so the
/// writes of a busy hour spread over several partitions; the scheduler reads them all.
pub const REMINDER_SHARDS: u32 = 4;

pub fn reminder_shard(link: &LinkId) -> String {
    let shard =
        link.as_str().bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b))) % REMINDER_SHARDS;
    format!("REMINDERS#{shard}")
}

/// Partitions of the due index (`gsi3`) for links whose expiry is to be told.
pub const EXPIRY_SHARDS: u32 = 4;

pub fn expiry_shard(link: &LinkId) -> String {
    let shard = link.as_str().bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b))) % EXPIRY_SHARDS;
    format!("EXPIRIES#{shard}")
}

/// A position in the due index: due time first (zero-padded, so text order is time order).
pub fn due_position(due_at: Timestamp, link: &LinkId, key: &str) -> String {
    format!("{:012}#{link}#{key}", due_at.unix().max(0))
}

impl Layout for ReminderSchedule {
    fn key(&self) -> Key {
        Key::reminder(&self.link_id, &self.key)
    }

    /// In the due index only while a slot is left: a finished schedule leaves it (sparse index).
    fn extra(&self) -> Vec<(&'static str, AttributeValue)> {
        let mut extra = Vec::new();
        if let Some(due_at) = self.due_at {
            extra.push(("gsi3pk", s(reminder_shard(&self.link_id))));
            extra.push(("gsi3sk", s(due_position(due_at, &self.link_id, &self.key))));
        }
        extra.extend(ttl(self.purge_at));
        extra
    }
}

impl Layout for IdempotencyRecord {
    fn key(&self) -> Key {
        Key::idempotency(&self.merchant_id, &self.key)
    }

    fn extra(&self) -> Vec<(&'static str, AttributeValue)> {
        ttl(Some(self.expires_at))
    }
}

/// The merchant's own list: kept as long as the merchant is.
impl Layout for Suppression {
    fn key(&self) -> Key {
        Key::suppression(&self.merchant_id, &self.key)
    }
}

/// Kept minutes, gone within the hour after.
impl Layout for ClientSession {
    fn key(&self) -> Key {
        Key::client_session(&self.link_id, &self.client)
    }

    fn extra(&self) -> Vec<(&'static str, AttributeValue)> {
        ttl(Some(self.purge_at))
    }
}

/// The merchant's own: kept as long as the merchant is.
impl Layout for WebhookEndpoints {
    fn key(&self) -> Key {
        Key::endpoints(&self.merchant_id)
    }
}

/// Partitions of the pending-events index (`gsi4`), as `REMINDER_SHARDS` for reminders.
pub const EVENT_SHARDS: u32 = 4;

pub fn event_shard(event: &EventId) -> String {
    let shard = event.as_str().bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b))) % EVENT_SHARDS;
    format!("EVENTS#{shard}")
}

/// Kept for the merchant's event log, 30 days.
impl Layout for MerchantEvent {
    fn key(&self) -> Key {
        Key::event(&self.merchant_id, &self.id)
    }

    fn extra(&self) -> Vec<(&'static str, AttributeValue)> {
        // In the pending index (`gsi4`) while a delivery is due, by when.
        let mut extra = Vec::new();
        if let Some(due_at) = self.due_at() {
            extra.push(("gsi4pk", s(event_shard(&self.id))));
            extra.push(("gsi4sk", s(format!("{:012}#{}", due_at.unix().max(0), self.id))));
        }
        extra.extend(ttl(self.purge_at));
        extra
    }
}

impl Layout for MessageTarget {
    fn key(&self) -> Key {
        Key::message(&self.message_id)
    }

    fn extra(&self) -> Vec<(&'static str, AttributeValue)> {
        ttl(self.purge_at)
    }
}

/// Settings are keyed by their merchant, which the value does not carry.
pub struct MerchantSettings<'a>(pub &'a MerchantId, pub &'a Settings);

impl Serialize for MerchantSettings<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.1.serialize(serializer)
    }
}

impl Layout for MerchantSettings<'_> {
    fn key(&self) -> Key {
        Key::settings(self.0)
    }
}
