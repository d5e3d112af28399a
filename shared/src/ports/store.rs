//! What the use cases ask of storage: read what a request needs in one round trip, commit what
//! the domain decided in one transaction. A store checks versions and writes; it decides nothing.

use async_trait::async_trait;

use crate::domain::{
    Activity, Amount, ClientSession, Delivery, DeliveryId, IdempotencyRecord, IntentRecord, Link, LinkId, MerchantId,
    MessageTarget, Order, OrderId, OrderPaymentStatus, Payment, ReminderSchedule, SendWindow, SessionId, Settings,
    ShortCode, ShortCodeTarget, Suppression, Timestamp, Versioned, WebhookEndpoints,
};
use crate::domain::{EventId, MerchantEvent};

/// Why a store call did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Something was written since it was read (or already exists); nothing was written.
    #[error("the item changed concurrently or is not in the expected state")]
    Conflict,
    /// The store could not be reached or refused the request; nothing may be assumed written.
    #[error("the store is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    pub fn unavailable(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Unavailable(Box::new(err))
    }
}

/// The keys of everything one request needs, read together (strongly consistent).
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    pub link: Option<LinkId>,
    pub settings: Option<MerchantId>,
    pub order: Option<(MerchantId, OrderId)>,
    pub payment: Option<(LinkId, SessionId)>,
    pub intent: Option<String>,
    pub links: Vec<LinkId>,
    pub windows: Vec<(LinkId, String)>,
    /// Reminder schedules, by link and recipient key (the window's).
    pub reminders: Vec<(LinkId, String)>,
    pub idempotency: Option<(MerchantId, String)>,
    pub short_code: Option<ShortCode>,
    /// Suppression list entries, by merchant and recipient key (the window's).
    pub suppressions: Vec<(MerchantId, String)>,
    /// The delivery a provider's message id belongs to.
    pub message: Option<String>,
    /// The delivery whose open last went on to this link's Checkout.
    pub last_checkout: Option<LinkId>,
    /// The merchant's webhook endpoints.
    pub endpoints: Option<MerchantId>,
    /// One of the merchant\'s events.
    pub event: Option<(MerchantId, EventId)>,
    /// A reusable link's session kept for one client (link, client key).
    pub client_session: Option<(LinkId, String)>,
}

/// What a read found, each with the version it was read at. Retention is the reader's to judge
/// (`purge_at`): DynamoDB's TTL deletes lazily.
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub link: Option<Versioned<Link>>,
    pub settings: Option<Versioned<Settings>>,
    pub order: Option<Versioned<Order>>,
    pub payment: Option<Versioned<Payment>>,
    pub intent: Option<Versioned<IntentRecord>>,
    pub links: Vec<Versioned<Link>>,
    pub windows: Vec<Versioned<SendWindow>>,
    pub reminders: Vec<Versioned<ReminderSchedule>>,
    pub idempotency: Option<Versioned<IdempotencyRecord>>,
    pub short_code: Option<ShortCodeTarget>,
    pub suppressions: Vec<Suppression>,
    pub message: Option<MessageTarget>,
    pub last_checkout: Option<DeliveryId>,
    pub endpoints: Option<Versioned<WebhookEndpoints>>,
    pub event: Option<Versioned<MerchantEvent>>,
    pub client_session: Option<ClientSession>,
}

/// One item of a commit. A versioned item is written only if it is still at the version it was
/// read at (version 0: only if it does not exist), and then as the next version.
// A commit holds a handful of writes for the length of one call: boxing the link (the largest)
// would cost an allocation on every write for no memory anyone would notice.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Write {
    Link(Versioned<Link>),
    /// The order's status onto one of its links that was not read: the order's own versioned
    /// write in the same commit orders these. A link that is no longer stored is left alone.
    LinkFollowsOrder {
        link: LinkId,
        status: OrderPaymentStatus,
        /// What the order was paid so far, and its amount: the balance its links ask for.
        amount_paid: i64,
        order_amount: Amount,
        purge_at: Option<Timestamp>,
    },
    Order(Versioned<Order>),
    Payment(Versioned<Payment>),
    Intent(Versioned<IntentRecord>),
    Delivery(Versioned<Delivery>),
    Window(Versioned<SendWindow>),
    Reminder(Versioned<ReminderSchedule>),
    Settings(MerchantId, Versioned<Settings>),
    Idempotency(Versioned<IdempotencyRecord>),
    /// Only if no code of that name exists.
    ShortCode(ShortCode, ShortCodeTarget),
    /// A claim undone: these go, if still at the version read.
    DropDelivery(Versioned<Delivery>),
    DropWindow(Versioned<SendWindow>),
    DropShortCode(ShortCode),
    /// An address onto its merchant's suppression list (idempotent: written whole).
    Suppress(Suppression),
    /// Which delivery a provider's message id is, for its later events (idempotent).
    MessageSent(MessageTarget),
    /// A step of a delivery's funnel, kept apart from its versioned state like its opens: the
    /// first time is kept, a repeat changes nothing.
    Activity {
        link: LinkId,
        delivery: DeliveryId,
        activity: Activity,
        at: Timestamp,
    },
    Endpoints(Versioned<WebhookEndpoints>),
    /// A merchant\'s event, written with the change it tells of.
    Event(Versioned<MerchantEvent>),
    /// A reusable link's session for one client (written whole: the newest wins).
    ClientSession(ClientSession),
}

impl Write {
    /// One of `order`'s links takes its status and balance; an order that ended ends the link's
    /// retention clock too.
    pub fn link_follows(order: &Order, link: &LinkId, now: Timestamp, retention_days: i64) -> Self {
        let ended = order.payment_status.is_settled() || order.payment_status.ends_links();
        Self::LinkFollowsOrder {
            link: link.clone(),
            status: order.payment_status,
            amount_paid: order.covered(),
            order_amount: order.amount,
            purge_at: ended.then(|| now.plus_days(retention_days)),
        }
    }
}

#[async_trait]
pub trait Read: Send + Sync {
    async fn read(&self, wanted: &Wanted) -> Result<Found, StoreError>;
}

#[async_trait]
pub trait Commit: Send + Sync {
    /// All of it or none of it; `Conflict` when any item was not as read.
    async fn commit(&self, writes: Vec<Write>) -> Result<(), StoreError>;
}

/// What one customer's request came to, as the funnel counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Visit {
    /// The link was opened (a choice posted from our page is not another open: the page's was
    /// counted when it was shown).
    pub opened: bool,
    /// A Checkout Session was handed to this customer: the funnel's checkout start.
    pub checkout: bool,
    /// That session is the link's one, shared by every recipient (an order link): its payment is
    /// put down to the delivery whose checkout start came last.
    pub shared_session: bool,
}

/// Opens are counters, apart from the versioned state: many customers open at once.
#[async_trait]
pub trait CountOpens: Send + Sync {
    /// Counts a visit of the link (through `delivery`'s own URL, when it was), keeping the
    /// delivery's first open and first checkout start: the funnel's moments, kept apart from its
    /// versioned state. A visit that is neither an open nor a checkout start writes nothing.
    async fn count_visit(
        &self,
        link: &LinkId,
        delivery: Option<&DeliveryId>,
        at: Timestamp,
        visit: Visit,
    ) -> Result<(), StoreError>;
}

/// Everything stored under one link, opens counted in.
#[derive(Debug, Clone, Default)]
pub struct LinkRecords {
    pub link: Option<Versioned<Link>>,
    pub payments: Vec<Payment>,
    pub deliveries: Vec<Delivery>,
}

#[async_trait]
pub trait ReadLinkRecords: Send + Sync {
    async fn link_records(&self, link: &LinkId) -> Result<LinkRecords, StoreError>;
}

#[async_trait]
pub trait ListLinks: Send + Sync {
    /// The merchant's links created in `[from, to]`, newest first, strictly older than `before`
    /// (a position from an earlier page), at most `limit` of them, each with its position.
    /// Read from the merchant's index, never by scanning the table.
    async fn links_page(
        &self,
        merchant: &MerchantId,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(Link, String)>, StoreError>;
}

#[async_trait]
pub trait ListOrders: Send + Sync {
    /// The merchant's orders, most recently changed first when filtered by status (through the
    /// status index), else by order id; strictly after `after` (a position from an earlier page).
    async fn orders_page(
        &self,
        merchant: &MerchantId,
        status: Option<OrderPaymentStatus>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(Order, String)>, StoreError>;
}

/// A link's records go when the link goes: retention follows the link's own TTL, and this cascade
/// (a DynamoDB Streams consumer in the cloud) removes what it owned.
#[async_trait]
pub trait RemoveLinkRecords: Send + Sync {
    /// Removes everything stored under the link and what leads to it (its short codes, the
    /// PaymentIntent records of its payments). Returns how many items went; harmless to repeat.
    async fn remove_link_records(&self, link: &LinkId, short_code: Option<&ShortCode>) -> Result<usize, StoreError>;
}

/// Reminder schedules whose next slot is due, from an index of the due ones (never a scan).
#[async_trait]
pub trait DueReminders: Send + Sync {
    /// Schedules due at or before `now`, earliest first, at most `limit`. The index lags the table
    /// a little (DynamoDB's are eventually consistent): read each again before acting on it.
    async fn due_reminders(&self, now: Timestamp, limit: usize) -> Result<Vec<ReminderSchedule>, StoreError>;
}

/// Events with a delivery due, from an index of the pending ones (never a scan).
#[async_trait]
pub trait DueEvents: Send + Sync {
    /// Events with a delivery due at or before `now`, earliest first, at most `limit`. The index
    /// lags the table a little: read each again before acting on it.
    async fn due_events(&self, now: Timestamp, limit: usize) -> Result<Vec<MerchantEvent>, StoreError>;
}

/// Links whose expiry is due to be told (`link.expired`), from an index (never a scan).
#[async_trait]
pub trait DueExpiries: Send + Sync {
    /// Links expired at or before `now` and not told yet, earliest first, at most `limit`. The
    /// index lags the table a little: read each again before acting on it.
    async fn due_expiries(&self, now: Timestamp, limit: usize) -> Result<Vec<Link>, StoreError>;
}

/// The merchant's event log, newest first.
#[async_trait]
pub trait ListEvents: Send + Sync {
    /// Events strictly older than `before` (an event id from an earlier page), at most `limit`.
    async fn events_page(
        &self,
        merchant: &MerchantId,
        before: Option<&EventId>,
        limit: usize,
    ) -> Result<Vec<MerchantEvent>, StoreError>;
}

/// Fixed-window counters (`domain::Limit`): one conditional write per spend, so a limit holds
/// across concurrent callers.
#[async_trait]
pub trait Throttle: Send + Sync {
    /// Spends one of `limit` for `key` in the window `now` falls in.
    async fn spend(
        &self,
        key: &str,
        limit: crate::domain::Limit,
        now: Timestamp,
    ) -> Result<crate::domain::Spent, StoreError>;

    /// Gives back one spent for `key` in the window `now` falls in: a request held for another
    /// reason (the pace) is not held against its client too.
    async fn give_back(&self, key: &str, limit: crate::domain::Limit, now: Timestamp) -> Result<(), StoreError>;
}

/// Everything a function may ask of one store; each use case names only the parts it uses.
pub trait Store:
    Read
    + Commit
    + CountOpens
    + ReadLinkRecords
    + ListLinks
    + ListOrders
    + DueReminders
    + ListEvents
    + DueEvents
    + DueExpiries
    + Throttle
{
}

impl<T> Store for T where
    T: Read
        + Commit
        + CountOpens
        + ReadLinkRecords
        + ListLinks
        + ListOrders
        + DueReminders
        + ListEvents
        + DueEvents
        + DueExpiries
        + Throttle
{
}
