//! The narrow capabilities the use cases need. Adapters implement them; handlers ask only for
//! the ones they use.

use async_trait::async_trait;

use crate::domain::{
    Amount, Currency, Delivery, DeliveryId, Email, Link, LinkId, LinkStatus, MerchantId, OpenSession, Order, OrderId,
    OrderPaymentStatus, Payment, PhoneE164, SessionId, Settings, ShortCode, ShortCodeTarget, StripeAccount, Timestamp,
};

/// Why a store call did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A condition did not hold (someone else changed the item first); nothing was written.
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

/// What a webhook event means for one Checkout Session's payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionOutcome {
    pub payment: Payment,
    /// The link is an order link that still exists: it turns `paid` with the payment.
    pub closes_link: bool,
}

/// A merchant's change to an order's status, with what comes with it.
#[derive(Debug, Clone, Copy)]
pub struct OrderChange<'a> {
    /// The statuses the order may be in for the change to apply.
    pub from: &'a [OrderPaymentStatus],
    pub to: OrderPaymentStatus,
    pub at: Timestamp,
    /// A payment made outside the platform, recorded in the same transaction.
    pub manual_payment: Option<&'a Payment>,
    pub purge_at: Option<Timestamp>,
}

/// Whether an outcome changed anything: repeats and stale events change nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Changed,
    Unchanged,
}

/// How long an `Idempotency-Key` is remembered.
pub const IDEMPOTENCY_KEEP_SECONDS: i64 = 86_400;

/// How long a key stays `in_progress` for the request that claimed it. Past its function's
/// timeout that request is dead (Lambda killed it, or its deadline answered 503 without freeing
/// the key): the same request may take the key over, instead of a day of `idempotency_in_progress`.
pub const IDEMPOTENCY_LEASE_SECONDS: i64 = crate::budgets::CREATE_LINK.timeout_seconds as i64;

/// An `Idempotency-Key` record: a state machine written with conditions, not a cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// First use of the key: go ahead, then complete or abandon it.
    Started,
    /// A request with this key is still running.
    InProgress,
    /// The key was used for another request body.
    Mismatch,
    /// Done before: answer with the stored response.
    Completed { status: u16, body: String },
}

#[async_trait]
pub trait SettingsStore: Send + Sync {
    async fn get_settings(&self, merchant: &MerchantId) -> Result<Option<Settings>, StoreError>;
    async fn put_settings(&self, merchant: &MerchantId, settings: &Settings) -> Result<(), StoreError>;
}

#[async_trait]
pub trait LinkStore: SettingsStore + DeliveryStore {
    async fn get_order(&self, merchant: &MerchantId, order: &OrderId) -> Result<Option<Order>, StoreError>;

    /// Writes a new order link and makes it the order's current link, in one transaction, only if
    /// the order's current link is still `expected_current` and the order is not settled.
    async fn create_order_link(
        &self,
        link: &Link,
        order: &Order,
        expected_current: Option<&LinkId>,
    ) -> Result<(), StoreError>;

    /// Writes a new link that belongs to no order (a product link).
    async fn create_link(&self, link: &Link) -> Result<(), StoreError>;

    /// The link, unless the store may already have forgotten it (past `purge_at`).
    async fn get_link(&self, id: &LinkId, now: Timestamp) -> Result<Option<Link>, StoreError>;

    async fn resolve_short_code(&self, code: &ShortCode, now: Timestamp)
    -> Result<Option<ShortCodeTarget>, StoreError>;

    /// Moves the link to `to` only if its stored status is one of `from`; `Conflict` otherwise.
    async fn set_link_status(
        &self,
        id: &LinkId,
        from: &[LinkStatus],
        to: LinkStatus,
        purge_at: Option<Timestamp>,
    ) -> Result<(), StoreError>;

    async fn rename_link(&self, id: &LinkId, name: &str) -> Result<(), StoreError>;

    /// Sets (or, with `None`, removes) the retention deadline of everything the link owns — its
    /// deliveries, payments and short codes — so nothing outlives the link by more than the
    /// retention period. The link item's own deadline comes with its status change.
    async fn retain_link_data(&self, link: &Link, purge_at: Option<Timestamp>) -> Result<(), StoreError>;

    async fn record_open(&self, id: &LinkId, delivery: Option<&DeliveryId>) -> Result<(), StoreError>;

    /// Attaches a Checkout Session if no other was attached since `expected_seq` was read and the
    /// link is still active: one session per link however many customers open it at once.
    async fn attach_session(&self, id: &LinkId, expected_seq: u32, session: &OpenSession) -> Result<(), StoreError>;

    /// Forgets the session if it is still the link's open one. Returns whether it was.
    async fn forget_session(&self, id: &LinkId, session: &SessionId) -> Result<bool, StoreError>;

    /// Records what happened to a session's payment, exactly once per session and state:
    /// `Paid` once (from nothing, processing or failed), `Processing` only first,
    /// `Failed` only from nothing or processing. The link and order follow in the same transaction.
    async fn apply_session_outcome(&self, outcome: &SessionOutcome) -> Result<Applied, StoreError>;

    async fn list_payments(&self, link: &LinkId) -> Result<Vec<Payment>, StoreError>;

    /// The payment a Stripe PaymentIntent paid, for its refunds.
    async fn find_payment_by_intent(&self, payment_intent: &str) -> Result<Option<Payment>, StoreError>;

    /// Raises the refunded total of a payment (never lowers it: refund events repeat and
    /// reorder) and moves its order to `order_status`. `Unchanged` when nothing was newer.
    async fn record_refund(
        &self,
        payment: &Payment,
        refunded_total: i64,
        order_status: OrderPaymentStatus,
        at: Timestamp,
    ) -> Result<Applied, StoreError>;

    /// The merchant's orders, most recently changed first when filtered by status (through the
    /// status index), else by order id; strictly after `after` (a position from an earlier page).
    async fn orders_page(
        &self,
        merchant: &MerchantId,
        status: Option<OrderPaymentStatus>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(Order, String)>, StoreError>;

    /// Moves an order whose status is one of `from` to `to`, and records `manual_payment` (paid
    /// outside the platform) in the same transaction; `Conflict` when the order is elsewhere.
    async fn set_order_status(
        &self,
        merchant: &MerchantId,
        order: &OrderId,
        change: &OrderChange<'_>,
    ) -> Result<(), StoreError>;

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

    async fn begin_idempotent(
        &self,
        merchant: &MerchantId,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
    ) -> Result<IdempotencyBegin, StoreError>;

    async fn complete_idempotent(
        &self,
        merchant: &MerchantId,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError>;

    /// Frees the key after a failure that should not be replayed (a dependency fault).
    async fn abandon_idempotent(&self, merchant: &MerchantId, key: &str) -> Result<(), StoreError>;
}

/// Whether this send owns the recipient's re-send window or another did first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    Claimed,
    /// A delivery to the same recipient on the same channel inside the window: its message stands.
    Existing(Box<Delivery>),
}

#[async_trait]
pub trait DeliveryStore: Send + Sync {
    /// Records a pending delivery, its short code, and the claim on the (link, channel, recipient)
    /// re-send window, in one transaction, unless a claim made after `window_cutoff` holds it.
    async fn claim_delivery(
        &self,
        delivery: &Delivery,
        window_key: &str,
        window_cutoff: Timestamp,
    ) -> Result<Claim, StoreError>;

    /// Records how the send ended. A failed send releases the window, so a retry can send again.
    async fn finish_delivery(&self, delivery: &Delivery, window_key: &str) -> Result<(), StoreError>;

    /// Undoes a claim whose message could not be sent for now: the delivery, its short code and
    /// its hold on the window go together, so the caller's retry starts from nothing.
    async fn release_delivery(&self, delivery: &Delivery, window_key: &str) -> Result<(), StoreError>;

    async fn list_deliveries(&self, link: &LinkId) -> Result<Vec<Delivery>, StoreError>;
}

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

/// A line of a Checkout Session, in the currency of the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutLine {
    pub name: String,
    pub unit_amount: Amount,
    pub quantity: u32,
    pub adjustable_quantity: Option<(u32, u32)>,
    pub recurring: Option<&'static str>,
}

/// Everything Stripe needs to make a Checkout Session for one link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCheckoutSession {
    pub link_id: LinkId,
    pub merchant_id: MerchantId,
    pub delivery_id: Option<DeliveryId>,
    pub account: Option<StripeAccount>,
    pub currency: Currency,
    pub lines: Vec<CheckoutLine>,
    pub subscription: bool,
    pub customer_email: Option<String>,
    pub success_url: String,
    pub cancel_url: String,
    pub expires_at: Timestamp,
    pub allow_promotion_codes: bool,
    pub require_phone: bool,
    pub collect_address: crate::domain::CollectAddress,
    /// The same key for the same link and attempt: concurrent opens get one session from Stripe.
    pub idempotency_key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    /// Stripe saw this idempotency key with other parameters; another open is making the session.
    #[error("the idempotency key was used with other parameters")]
    IdempotencyConflict,
    #[error("the payment provider is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

#[async_trait]
pub trait Checkout: Send + Sync {
    async fn create_session(&self, request: &NewCheckoutSession) -> Result<OpenSession, CheckoutError>;

    /// Closes an open session so nobody can pay through it any more (a voided link).
    async fn expire_session(&self, account: Option<&StripeAccount>, session: &SessionId) -> Result<(), CheckoutError>;
}

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        Timestamp::from_unix(seconds)
    }
}
