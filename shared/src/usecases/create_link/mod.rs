//! `POST /links`: validate, check the merchant and order may be paid, then mint a link — or hand
//! back the order's link made inside the resend window. One read, one transaction.

mod command;

pub use command::{CreateLink, Expiry, LinkSubject, OrderRequest};

use super::attempts;
use crate::config::LinkConfig;
use crate::domain::{
    Currency, CurrentLink, IDEMPOTENCY_KEEP_SECONDS, IdempotencyRecord, Link, LinkId, MerchantId, Order, OrderError,
    OrderPaymentStatus, Replay, ShortCodeTarget, Timestamp, ValidationError, Versioned,
};
use crate::ports::{Commit, Found, Read, StoreError, Wanted, Write};

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
    #[error("the idempotency key was used for another request")]
    IdempotencyKeyReused,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<OrderError> for CreateLinkError {
    fn from(err: OrderError) -> Self {
        match err {
            OrderError::AlreadyPaid => Self::OrderAlreadyPaid,
            OrderError::NotPayable => Self::OrderNotPayable,
            OrderError::TooManyLinks => Self::TooManyLinks,
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
    Mint { link: Box<Link>, order: Option<Box<Versioned<Order>>> },
}

pub struct Creator<'a, S: Read + Commit + ?Sized> {
    pub store: &'a S,
    pub config: &'a LinkConfig,
}

impl<S: Read + Commit + ?Sized> Creator<'_, S> {
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
        for _ in attempts() {
            let ours = attempted.as_ref().map(|link| link.id.clone());
            let found = self.store.read(&wanted(merchant, request, remember, ours)).await?;
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
            let outcome = match self.decide(merchant, request, &found, now) {
                Decision::Answer(answer) => answer,
                Decision::Mint { link, order } => {
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
            };
        };
        let mut order = found.order.clone().unwrap_or_else(|| Versioned::new(new_order(merchant, ordered, now)));
        if let Err(err) = Order::check_payable(order.payment_status) {
            return Decision::Answer(Err(err.into()));
        }
        if let Some(current) = order.reusable_link(now, self.config.resend_window_seconds) {
            let reused = ReusedLink {
                merchant_id: merchant.clone(),
                order_id: order.id.clone(),
                currency: order.currency,
                current: current.clone(),
                amount_paid: order.amount_paid,
            };
            return Decision::Answer(Ok(Created::Reused(reused)));
        }
        // The merchant's latest view of the order, kept with its link.
        order.amount = ordered.amount;
        order.currency = ordered.currency;
        order.customer = request.customer.clone();
        order.invoice_number = ordered.invoice_number.clone();
        order.invoice_url = ordered.invoice_url.clone();
        order.updated_at = now;
        let mut link = request.new_link(merchant, &settings, now, retention);
        if let Err(err) = order.add_link(&link) {
            return Decision::Answer(Err(err.into()));
        }
        link.order_status = Some(order.payment_status);
        link.order_paid = order.amount_paid;
        link.order_amount = Some(order.amount);
        Decision::Mint { link: Box::new(link), order: Some(Box::new(order)) }
    }
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
        amount_paid: 0,
        amount_refunded: 0,
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
        ..Wanted::default()
    }
}

/// Whether a write this call believed failed was committed after all. (DynamoDB makes a retried
/// transaction idempotent through its client request token; moto does not, and the check costs
/// a key in a read that happens anyway, only after a conflict.)
fn landed(ours: &Link, found: &Found) -> bool {
    found.link.as_ref().is_some_and(|link| link.id == ours.id)
}
