//! A customer opens a link (`/pay`, `/p/{code}`, `/pay/resolve`): the same checks everywhere, then
//! Checkout — through the link's open session when it has one, so concurrent opens make one.

use crate::config::LinkConfig;
use crate::domain::{
    DeliveryId, Link, LinkKind, LinkStatus, OpenSession, RecurringInterval, Settings, ShortCode, Timestamp,
};
use crate::ports::{Checkout, CheckoutError, CheckoutLine, LinkStore, NewCheckoutSession, StoreError};
use crate::tokens::{LinkTokens, TokenError};
use crate::usecases::link_view::LinkUrls;

/// Why a link cannot be paid, as the landing page's `payment_link_error` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Expired,
    Void,
    Invalid,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::Void => "void",
            Self::Invalid => "invalid",
        }
    }
}

/// What an open finds.
#[derive(Debug, Clone)]
pub enum Inspection {
    Payable {
        link: Box<Link>,
        settings: Settings,
        delivery_id: Option<DeliveryId>,
    },
    AlreadyPaid {
        link: Box<Link>,
        settings: Settings,
    },
    /// The order's payment is in flight (a bank debit): not payable again unless it fails.
    Processing {
        link: Box<Link>,
        settings: Settings,
    },
    Refused {
        refusal: Refusal,
        link: Option<Box<Link>>,
        settings: Option<Settings>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum RedeemError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Checkout(#[from] CheckoutError),
}

#[derive(Clone, Copy)]
pub struct Redeemer<'a> {
    pub store: &'a dyn LinkStore,
    pub checkout: &'a dyn Checkout,
    pub tokens: &'a LinkTokens,
    pub config: &'a LinkConfig,
}

/// How a customer names a link.
#[derive(Debug, Clone, Copy)]
pub enum Presented<'a> {
    Token(&'a str),
    ShortCode(&'a str),
}

impl Redeemer<'_> {
    pub fn urls(&self) -> LinkUrls<'_> {
        LinkUrls { config: self.config, tokens: self.tokens }
    }

    /// Finds the link and judges it, counting the open when asked.
    pub async fn inspect(
        &self,
        presented: Presented<'_>,
        now: Timestamp,
        count_open: bool,
    ) -> Result<Inspection, RedeemError> {
        let invalid = || Inspection::Refused { refusal: Refusal::Invalid, link: None, settings: None };
        let (link_id, delivery_id, token_expired) = match presented {
            Presented::Token(token) => match self.tokens.verify(token, now) {
                Ok(t) => (t.link_id, t.delivery_id, false),
                Err(TokenError::Invalid) => return Ok(invalid()),
                // Still find the link, so the customer lands on its merchant's page.
                Err(TokenError::Expired) => match self.tokens.link_id_ignoring_expiry(token) {
                    Some(id) => (id, None, true),
                    None => return Ok(Inspection::Refused { refusal: Refusal::Expired, link: None, settings: None }),
                },
            },
            Presented::ShortCode(code) => {
                let Some(code) = ShortCode::parse(code) else { return Ok(invalid()) };
                match self.store.resolve_short_code(&code, now).await? {
                    Some(target) => (target.link_id, target.delivery_id, false),
                    None => return Ok(invalid()),
                }
            }
        };
        crate::logging::record_link(&link_id);
        let Some(link) = self.store.get_link(&link_id, now).await? else {
            return Ok(if token_expired {
                Inspection::Refused { refusal: Refusal::Expired, link: None, settings: None }
            } else {
                invalid()
            });
        };
        if count_open && link.status != LinkStatus::Deleted {
            self.store.record_open(&link.id, delivery_id.as_ref()).await?;
        }
        let settings = self.store.get_settings(&link.merchant_id).await?.unwrap_or_default();
        let order_status = match (&link.order_id, link.kind) {
            (Some(order_id), LinkKind::Order) => {
                self.store.get_order(&link.merchant_id, order_id).await?.map(|o| o.payment_status)
            }
            _ => None,
        };
        let status = link.status_at(now);
        let refused = |refusal| Inspection::Refused {
            refusal,
            link: Some(Box::new(link.clone())),
            settings: Some(settings.clone()),
        };
        Ok(match status {
            LinkStatus::Paid => Inspection::AlreadyPaid { link: Box::new(link), settings },
            _ if order_status.is_some_and(|s| s.is_settled()) => {
                Inspection::AlreadyPaid { link: Box::new(link), settings }
            }
            LinkStatus::Deleted => refused(Refusal::Invalid),
            // Checkout shows the session that started the debit as complete, and a new one could
            // take the money twice: the customer is told to wait (a failure reopens the order).
            _ if order_status == Some(crate::domain::OrderPaymentStatus::Processing) => {
                Inspection::Processing { link: Box::new(link), settings }
            }
            LinkStatus::Void => refused(Refusal::Void),
            _ if order_status == Some(crate::domain::OrderPaymentStatus::Rejected) => refused(Refusal::Void),
            LinkStatus::Expired => refused(Refusal::Expired),
            _ if token_expired => refused(Refusal::Expired),
            LinkStatus::Active => Inspection::Payable { link: Box::new(link), settings, delivery_id },
        })
    }

    /// The Checkout Session the customer should be sent to.
    pub async fn checkout_session(
        &self,
        link: &Link,
        settings: &Settings,
        now: Timestamp,
    ) -> Result<OpenSession, RedeemError> {
        if link.kind == LinkKind::Product {
            // Reusable links: every customer gets a session of their own.
            let request =
                self.session_request(link, settings, now, format!("{}-{}", link.id, crate::domain::random_base62(16)));
            return Ok(self.checkout.create_session(&request).await?);
        }
        let mut link = link.clone();
        for _ in 0..4 {
            if let Some(session) = link.usable_session(now) {
                return Ok(session.clone());
            }
            let request = self.session_request(&link, settings, now, String::new());
            let created = match self.checkout.create_session(&request).await {
                Ok(session) => Some(session),
                Err(CheckoutError::IdempotencyConflict) => None,
                Err(err) => return Err(err.into()),
            };
            if let Some(session) = created {
                match self.store.attach_session(&link.id, link.session_seq, &session).await {
                    Ok(()) => return Ok(session),
                    Err(StoreError::Conflict) => {}
                    Err(err) => return Err(err.into()),
                }
                // Another open attached its session first: send this customer there too, and
                // close ours if Stripe made a second one.
                let winner = self.store.get_link(&link.id, now).await?;
                if let Some(won) = winner.as_ref().and_then(|l| l.usable_session(now))
                    && won.id != session.id
                {
                    let _ = self.checkout.expire_session(settings.stripe_account.as_ref(), &session.id).await;
                }
            }
            match self.store.get_link(&link.id, now).await? {
                Some(fresh) if fresh.status_at(now) == LinkStatus::Active => link = fresh,
                _ => return Err(StoreError::Conflict.into()),
            }
        }
        Err(StoreError::Conflict.into())
    }

    /// A request that is the same for every concurrent open of the link: same parameters, same
    /// idempotency key, so Stripe answers all of them with one session.
    fn session_request(&self, link: &Link, settings: &Settings, now: Timestamp, key: String) -> NewCheckoutSession {
        let expires_at = session_expiry(link, now);
        let token = self.urls().token(link);
        let base = &self.config.public_base_url;
        let param = &self.config.token_query_param;
        let idempotency_key =
            if key.is_empty() { format!("{}-s{}-{}", link.id, link.session_seq, expires_at.unix()) } else { key };
        let lines = if link.kind == LinkKind::Order && order_total_differs(link) {
            // A custom amount (after shipping or discounts) is charged as one line of the link's name.
            vec![CheckoutLine {
                name: link.name.clone(),
                unit_amount: link.amount,
                quantity: 1,
                adjustable_quantity: None,
                recurring: None,
            }]
        } else {
            link.line_items
                .iter()
                .map(|item| CheckoutLine {
                    name: item.name.clone(),
                    unit_amount: item.unit_amount,
                    quantity: item.quantity,
                    adjustable_quantity: item.adjustable_quantity.map(|a| (a.minimum, a.maximum)),
                    recurring: item.recurring.map(RecurringInterval::as_str),
                })
                .collect()
        };
        NewCheckoutSession {
            link_id: link.id.clone(),
            merchant_id: link.merchant_id.clone(),
            delivery_id: None,
            account: settings.stripe_account.clone(),
            currency: link.currency,
            lines,
            subscription: link.is_recurring(),
            customer_email: link.customer.as_ref().and_then(|c| c.email.as_ref()).map(|e| e.as_str().to_string()),
            success_url: format!("{base}/pay/complete?{param}={token}&session_id={{CHECKOUT_SESSION_ID}}"),
            cancel_url: format!("{base}/pay/cancel?{param}={token}"),
            expires_at,
            allow_promotion_codes: link.options.allow_promotion_codes,
            require_phone: link.options.require_phone,
            collect_address: link.options.collect_address,
            idempotency_key,
        }
    }

    /// Where a refused customer goes: the link's landing page with the reason, when it has one.
    pub fn landing_redirect(&self, link: Option<&Link>, refusal: Refusal) -> Option<String> {
        let landing = link?.landing_page_url.as_ref()?;
        let mut url = url::Url::parse(landing).ok()?;
        url.query_pairs_mut().append_pair(&self.config.error_query_param, refusal.as_str());
        Some(url.to_string())
    }
}

fn order_total_differs(link: &Link) -> bool {
    let sum: i64 = link.line_items.iter().map(|i| i.unit_amount.minor() * i64::from(i.quantity)).sum();
    sum != link.amount.minor()
}

fn ceil_to(t: i64, step: i64) -> i64 {
    (t + step - 1) / step * step
}

/// Stripe accepts 30 minutes to 24 hours. Rounded to a bucket so concurrent opens agree on it;
/// comfortably longer than the resend window, and no later than needed for a link that expires.
fn session_expiry(link: &Link, now: Timestamp) -> Timestamp {
    let day = ceil_to(now.unix() + 23 * 3600, 3600);
    let earliest = ceil_to(now.unix() + 31 * 60, 600);
    let at = match link.expires_at {
        Some(e) if e.unix() < day => e.unix().max(earliest),
        _ => day,
    };
    Timestamp::from_unix(at)
}
