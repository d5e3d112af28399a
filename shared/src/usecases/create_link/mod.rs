//! `POST /links`: validate, check the merchant and order may be paid, then mint a link — or hand
//! back the order's link made inside the resend window. One read (the merchant's limit counted
//! beside it), one transaction.

mod command;

pub use command::{CreateLink, Expiry, LinkSubject, OrderRequest};

use super::attempts;
use crate::config::LinkConfig;
use crate::domain::{
    Currency, CurrentLink, IDEMPOTENCY_KEEP_SECONDS, IdempotencyRecord, Limit, Link, LinkId, MerchantId, Order,
    OrderError, OrderPaymentStatus, Replay, ShortCodeTarget, Spent, Timestamp, ValidationError, Versioned,
    merchant_limit_key,
};
use crate::ports::{Checkout, Commit, Found, Read, StoreError, Throttle, Wanted, Write};

#[derive(Debug, thiserror::Error)]
pub enum CreateLinkError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("{field} points at a host outside allowed_redirect_hosts")]
    RedirectHostNotAllowed { field: &'static str },
    #[error("payments are not enabled")]
    PaymentsNotEnabled,
    #[error("the customer cannot pay by card")]
    CustomerCannotPayByCard,
    #[error("the order is already paid")]
    OrderAlreadyPaid,
    #[error("the order cannot be paid")]
    OrderNotPayable,
    #[error("the order has as many links as it may have")]
    TooManyLinks,
    #[error("the new amount is below what the order was paid")]
    AmountBelowPaid,
    #[error("money was recorded for the order in another currency")]
    CurrencyMismatch,
    #[error("the idempotency key was used for another request")]
    IdempotencyKeyReused,
    /// The merchant is past its requests a minute: nothing was written or remembered.
    #[error("too many requests; again in {retry_after} s")]
    RateLimited { retry_after: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<OrderError> for CreateLinkError {
    fn from(err: OrderError) -> Self {
        match err {
            OrderError::AlreadyPaid => Self::OrderAlreadyPaid,
            OrderError::NotPayable => Self::OrderNotPayable,
            OrderError::TooManyLinks => Self::TooManyLinks,
            OrderError::AmountBelowPaid => Self::AmountBelowPaid,
            OrderError::CurrencyMismatch => Self::CurrencyMismatch,
        }
    }
}

/// The order's link made inside the resend window, as a reused create answers with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReusedLink {
    pub merchant_id: MerchantId,
    pub order_id: crate::domain::OrderId,
    pub currency: Currency,
    pub current: CurrentLink,
    /// What the order was paid in parts so far.
    pub amount_paid: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    New(Box<Link>),
    Reused(ReusedLink),
}

impl Created {
    pub fn link_id(&self) -> &LinkId {
        match self {
            Self::New(link) => &link.id,
            Self::Reused(reused) => &reused.current.id,
        }
    }
}

/// Renders a create's outcome as the response to keep: status and body, or `None` for a fault.
pub type Respond<'a> = dyn Fn(&Result<Created, CreateLinkError>) -> Option<(u16, String)> + Send + Sync + 'a;

/// A request's `Idempotency-Key`: its outcome is kept in the same transaction as the link.
pub struct Remember<'a> {
    pub key: &'a str,
    pub fingerprint: &'a str,
    /// The response the request answers with, or `None` for one not to keep (a fault).
    pub respond: &'a Respond<'a>,
}

#[derive(Debug)]
pub enum Outcome {
    Done(Result<Created, CreateLinkError>),
    /// The stored response to an earlier request with the same key.
    Replayed {
        status: u16,
        body: String,
    },
}

/// What one read decided: an answer, or a change to commit.
enum Decision {
    Answer(Result<Created, CreateLinkError>),
    Mint {
        link: Box<Link>,
        order: Option<Box<Versioned<Order>>>,
        /// What changed of the order's terms, for its older links.
        restated: Restated,
    },
    /// Lowered to exactly what it was paid: the order is paid now, and no link is made.
    Settled(Box<Versioned<Order>>),
}

/// What a create changed of an order's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Restated {
    Nothing,
    /// Another amount: its older links ask for the new balance, and the sessions they made for
    /// the old one are closed once the new link is committed.
    Amount,
    /// Another currency (no money was recorded): its older links, priced in the old one, are
    /// voided with the new link, and their sessions closed.
    Currency,
}

pub struct Creator<'a, S: Read + Commit + Throttle + ?Sized> {
    pub store: &'a S,
    pub config: &'a LinkConfig,
    /// Where sessions made for an order's older amount are closed; `None` for a caller that only
    /// ever makes new orders (text-to-pay).
    pub checkout: Option<&'a dyn Checkout>,
    /// The merchant's requests a minute, counted beside `create`'s first read (`None`: counted
    /// by the caller).
    pub merchant_limit: Option<u32>,
}

impl<S: Read + Commit + Throttle + ?Sized> Creator<'_, S> {
    /// Creates the link, or returns the order's current link when it is still active and was
    /// made inside the resend window. Concurrent creates for one order race on the order's
    /// version: one wins, the others read again and reuse its link.
    pub async fn create(
        &self,
        merchant: &MerchantId,
        request: &CreateLink,
        now: Timestamp,
        remember: Option<&Remember<'_>>,
    ) -> Result<Outcome, StoreError> {
        // The link this call last tried to write. The SDK retries an attempt that timed out, and
        // that attempt may have written: a conflict then comes from our own link, which is new.
        let mut attempted: Option<Box<Link>> = None;
        let mut limit =
            self.merchant_limit.map(|per_minute| (Limit::per_minute(per_minute), merchant_limit_key(merchant)));
        for _ in attempts() {
            let ours = attempted.as_ref().map(|link| link.id.clone());
            let asked = wanted(merchant, request, remember, ours);
            let reading = self.store.read(&asked);
            let found = match limit.take() {
                // The first read carries the merchant's limit beside it: a limited request has
                // written nothing, and no answer is remembered for its key.
                Some((limit, key)) => {
                    let (spent, found) = futures_util::join!(self.store.spend(&key, limit, now), reading);
                    if let Spent::Limited { retry_after } = spent? {
                        crate::metrics::throttled("merchant");
                        return Ok(Outcome::Done(Err(CreateLinkError::RateLimited { retry_after })));
                    }
                    found?
                }
                None => reading.await?,
            };
            if let Some(ours) = attempted.take().filter(|ours| landed(ours, &found)) {
                return Ok(Outcome::Done(Ok(Created::New(ours))));
            }
            if let Some(remember) = remember {
                match IdempotencyRecord::replay(found.idempotency.as_ref().map(|r| &r.value), remember.fingerprint, now)
                {
                    Replay::Run => {}
                    Replay::Answer { status, body } => return Ok(Outcome::Replayed { status, body }),
                    Replay::Mismatch => return Ok(Outcome::Done(Err(CreateLinkError::IdempotencyKeyReused))),
                }
            }
            let mut writes = Vec::new();
            let mut older_links = Vec::new();
            let outcome = match self.decide(merchant, request, &found, now) {
                Decision::Answer(answer) => answer,
                Decision::Settled(order) => {
                    older_links = order.link_ids.clone();
                    writes.extend(settled_writes(&order, &found, now, self.config.retention_days));
                    writes.push(Write::Order(*order));
                    Err(CreateLinkError::OrderAlreadyPaid)
                }
                Decision::Mint { link, order, restated } => {
                    if let Some(order) = order.as_ref().filter(|_| restated != Restated::Nothing) {
                        older_links = order.link_ids.iter().filter(|id| **id != link.id).cloned().collect();
                        writes.extend(self.older_links_follow(order, &older_links, restated, now).await?);
                    }
                    writes.extend(link_writes(&link, order.map(|o| *o)));
                    attempted = Some(link.clone());
                    Ok(Created::New(link))
                }
            };
            if let Some(remember) = remember {
                writes.extend(kept_answer(remember, merchant, &outcome, &found, now));
            }
            if writes.is_empty() {
                return Ok(Outcome::Done(outcome));
            }
            match self.store.commit(writes).await {
                Ok(()) => {
                    if matches!(outcome, Ok(Created::New(_))) {
                        crate::metrics::link_created();
                    }
                    self.close_older_sessions(older_links).await;
                    return Ok(Outcome::Done(outcome));
                }
                Err(StoreError::Conflict) => continue,
                Err(err) => return Err(err),
            }
        }
        Err(StoreError::Conflict)
    }

    /// A create without an `Idempotency-Key`.
    pub async fn create_once(
        &self,
        merchant: &MerchantId,
        request: &CreateLink,
        now: Timestamp,
    ) -> Result<Created, CreateLinkError> {
        match self.create(merchant, request, now, None).await? {
            Outcome::Done(done) => done,
            // Only a remembered key is replayed.
            Outcome::Replayed { .. } => Err(StoreError::Conflict.into()),
        }
    }

    /// The open Checkout Sessions of an order's older links were made for an amount it no longer
    /// has: closed, so nobody pays the old amount. Best effort (the new link stands): a payment
    /// through one that could not be closed is still credited at what it charged.
    async fn close_older_sessions(&self, older_links: Vec<LinkId>) {
        let Some(checkout) = self.checkout.filter(|_| !older_links.is_empty()) else { return };
        match self.store.read(&Wanted { links: older_links, ..Wanted::default() }).await {
            Ok(found) => super::orders::close_sessions(self.store, checkout, found.links).await,
            Err(err) => tracing::warn!(error = %err, "could not read an order's older links to close their sessions"),
        }
    }

    /// What a re-stated order's older links become: they ask for its new balance, or (another
    /// currency) they are voided, read first for their versions.
    async fn older_links_follow(
        &self,
        order: &Order,
        older_links: &[LinkId],
        restated: Restated,
        now: Timestamp,
    ) -> Result<Vec<Write>, StoreError> {
        if restated == Restated::Currency {
            let found = self.store.read(&Wanted { links: older_links.to_vec(), ..Wanted::default() }).await?;
            let retention = self.config.retention_days;
            return Ok(found
                .links
                .into_iter()
                .filter_map(|mut link| {
                    link.void(now, retention).ok().filter(|voided| *voided).map(|_| Write::Link(link))
                })
                .collect());
        }
        let retention = self.config.retention_days;
        Ok(older_links.iter().map(|id| Write::link_follows(order, id, now, retention)).collect())
    }

    fn decide(&self, merchant: &MerchantId, request: &CreateLink, found: &Found, now: Timestamp) -> Decision {
        let settings = found.settings.as_ref().map(|s| s.value.clone()).unwrap_or_default();
        if let Err(err) = request.check_eligible(&settings) {
            return Decision::Answer(Err(err));
        }
        let retention = self.config.retention_days;
        let LinkSubject::Order(ordered) = &request.subject else {
            return Decision::Mint {
                link: Box::new(request.new_link(merchant, &settings, now, retention)),
                order: None,
                restated: Restated::Nothing,
            };
        };
        let mut order = found.order.clone().unwrap_or_else(|| Versioned::new(new_order(merchant, ordered, now)));
        if let Err(err) = Order::check_payable(order.payment_status) {
            return Decision::Answer(Err(err.into()));
        }
        let same_terms = order.amount == ordered.amount && order.currency == ordered.currency;
        if let Some(current) = order.reusable_link(now, self.config.resend_window_seconds).filter(|_| same_terms) {
            let reused = ReusedLink {
                merchant_id: merchant.clone(),
                order_id: order.id.clone(),
                currency: order.currency,
                current: current.clone(),
                amount_paid: order.covered(),
            };
            return Decision::Answer(Ok(Created::Reused(reused)));
        }
        // The merchant's latest view of the order, kept with its link, unless the money recorded
        // for it says otherwise.
        let currency_changed = order.currency != ordered.currency;
        let restated = match order.restate(ordered.amount, ordered.currency, now) {
            Ok(true) if found.order.is_some() && currency_changed => Restated::Currency,
            Ok(true) if found.order.is_some() => Restated::Amount,
            Ok(_) => Restated::Nothing,
            Err(err) => return Decision::Answer(Err(err.into())),
        };
        if order.nothing_due() {
            // Lowered to what was paid: paid now — unless a debit still clears, which decides.
            return match order.settle_if_covered(now, retention) {
                true => Decision::Settled(Box::new(order)),
                false => Decision::Answer(Err(CreateLinkError::OrderAlreadyPaid)),
            };
        }
        order.customer = request.customer.clone();
        order.invoice_number = ordered.invoice_number.clone();
        order.invoice_url = ordered.invoice_url.clone();
        order.updated_at = now;
        let mut link = request.new_link(merchant, &settings, now, retention);
        if let Err(err) = order.add_link(&link) {
            return Decision::Answer(Err(err.into()));
        }
        link.order_status = Some(order.payment_status);
        link.order_paid = order.covered();
        link.order_amount = Some(order.amount);
        Decision::Mint { link: Box::new(link), order: Some(Box::new(order)), restated }
    }
}

/// An order settled by a create: its links follow it, and its merchant hears `order.paid`.
fn settled_writes(order: &Order, found: &Found, now: Timestamp, retention_days: i64) -> Vec<Write> {
    let mut writes: Vec<Write> =
        order.link_ids.iter().map(|id| Write::link_follows(order, id, now, retention_days)).collect();
    let endpoints = found.endpoints.as_ref().map(|e| e.value.endpoints.clone()).unwrap_or_default();
    let told = crate::usecases::events::of_order(&endpoints, order, crate::domain::PaymentSource::Stripe, now);
    writes.extend(told.map(|e| Write::Event(Versioned::new(e))));
    writes
}

/// A new link, its short code and (for an order link) its order.
fn link_writes(link: &Link, order: Option<Versioned<Order>>) -> Vec<Write> {
    let target = ShortCodeTarget {
        link_id: link.id.clone(),
        merchant_id: Some(link.merchant_id.clone()),
        delivery_id: None,
        purge_at: link.purge_at,
    };
    let mut writes = vec![Write::ShortCode(link.short_code.clone(), target), Write::Link(Versioned::new(link.clone()))];
    writes.extend(order.map(Write::Order));
    writes
}

/// The answer an `Idempotency-Key` keeps, written with the change itself (none for a fault).
fn kept_answer(
    remember: &Remember<'_>,
    merchant: &MerchantId,
    outcome: &Result<Created, CreateLinkError>,
    found: &Found,
    now: Timestamp,
) -> Option<Write> {
    let (status, body) = (remember.respond)(outcome)?;
    let record = IdempotencyRecord {
        merchant_id: merchant.clone(),
        key: remember.key.to_string(),
        fingerprint: remember.fingerprint.to_string(),
        status,
        body,
        expires_at: now.plus_seconds(IDEMPOTENCY_KEEP_SECONDS),
    };
    let version = found.idempotency.as_ref().map_or(0, |r| r.version);
    Some(Write::Idempotency(Versioned::at(record, version)))
}

/// An order this system has not seen: outstanding until a payment says otherwise.
fn new_order(merchant: &MerchantId, ordered: &OrderRequest, now: Timestamp) -> Order {
    Order {
        merchant_id: merchant.clone(),
        id: ordered.id.clone(),
        payment_status: OrderPaymentStatus::Outstanding,
        amount: ordered.amount,
        currency: ordered.currency,
        customer: None,
        invoice_number: None,
        invoice_url: None,
        entries: Vec::new(),
        processing: Vec::new(),
        link_ids: Vec::new(),
        current_link: None,
        updated_at: now,
        purge_at: None,
    }
}

fn wanted(
    merchant: &MerchantId,
    request: &CreateLink,
    remember: Option<&Remember<'_>>,
    ours: Option<LinkId>,
) -> Wanted {
    Wanted {
        link: ours,
        settings: Some(merchant.clone()),
        order: match &request.subject {
            LinkSubject::Order(order) => Some((merchant.clone(), order.id.clone())),
            LinkSubject::Products { .. } => None,
        },
        idempotency: remember.map(|r| (merchant.clone(), r.key.to_string())),
        // Told if a re-stated order turns paid.
        endpoints: matches!(request.subject, LinkSubject::Order(_)).then(|| merchant.clone()),
        ..Wanted::default()
    }
}

/// Whether a write this call believed failed was committed after all. (DynamoDB makes a retried
/// transaction idempotent through its client request token; moto does not, and the check costs
/// a key in a read that happens anyway, only after a conflict.)
fn landed(ours: &Link, found: &Found) -> bool {
    found.link.as_ref().is_some_and(|link| link.id == ours.id)
}
