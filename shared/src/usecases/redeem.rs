//! A customer opens a link (`/pay`, `/p/{code}`, `/pay/resolve`): the same checks everywhere, then
//! Checkout — through the link's open session when it has one, so concurrent opens make one.
//! A new session waits on its client's limit and its Stripe account's pace (`domain::Pace`),
//! both spent side by side; only then is the visit counted, beside keeping the session for the
//! browser: a product link's open waits on three DynamoDB round trips (four through a short
//! code), the client's limit beside the first read.

use super::{attempts, retained};
use crate::config::LinkConfig;
use crate::domain::{
    Amount, ClientSession, DeliveryId, Limit, Link, LinkId, LinkKind, MerchantId, OpenSession, Openable, Pace,
    PaymentChoice, RecurringInterval, SESSIONS_PER_ADDRESS_AND_LINK, Settings, ShortCode, Spent, Timestamp, Versioned,
};
use crate::ports::{
    Checkout, CheckoutError, CheckoutLine, Commit, CountOpens, NewCheckoutSession, Read, StoreError, Throttle, Visit,
    Wanted, Write,
};
use crate::tokens::{LinkTokens, TokenError};
use crate::usecases::link_view::LinkUrls;

pub use crate::domain::Refusal;

/// What an open finds.
#[derive(Debug, Clone)]
pub enum Inspection {
    Payable {
        link: Box<Versioned<Link>>,
        settings: Settings,
        delivery_id: Option<DeliveryId>,
        /// The session kept for the opening browser on this reusable link, read with the link.
        kept: Option<Box<ClientSession>>,
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
    /// A reusable link that took as many payments as it may: its merchant's message.
    Completed {
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
    /// The link changed while its session was being made (voided, paid, expired): the customer
    /// is answered for what the link is now, not with a fault.
    #[error("the link stopped taking payments while its session was made")]
    NoLongerPayable,
    /// This client is past one of its limits (`domain::rate_limit`): nothing was asked of Stripe.
    #[error("too many tries; again in {retry_after} s")]
    Throttled { retry_after: i64 },
    /// The Stripe account's pace of new sessions is spent for this second: the customer waits on
    /// our page, which tries again by itself. Nothing was asked of Stripe, nothing counted.
    #[error("the account's pace of new sessions is spent; again in {retry_after} s")]
    Held { retry_after: i64 },
}

/// What an open may ask of the store.
pub trait OpenStore: Read + Commit + CountOpens + Throttle {}

impl<T: Read + Commit + CountOpens + Throttle + ?Sized> OpenStore for T {}

pub struct Redeemer<'a, S: OpenStore + ?Sized> {
    pub store: &'a S,
    pub checkout: &'a dyn Checkout,
    pub tokens: &'a LinkTokens,
    pub config: &'a LinkConfig,
}

/// Who is opening a link, as far as the request tells.
#[derive(Debug, Clone, Default)]
pub struct Client {
    /// Our cookie's value: the browser across opens.
    pub browser: Option<String>,
    /// The cookie came with the request (else it was just given): only then can there be a
    /// session of theirs to hand back.
    pub returning: bool,
    /// Their address behind API Gateway, hashed (`domain::address_key`).
    pub address: Option<String>,
    /// The session kept for this browser on the link being opened (`Inspection::Payable`'s).
    pub kept: Option<ClientSession>,
}

impl Client {
    /// The same client, with the session kept for its browser on the link it opens.
    pub fn with_kept(&self, kept: Option<&ClientSession>) -> Self {
        Self { kept: kept.cloned(), ..self.clone() }
    }
}

/// How a customer names a link.
#[derive(Debug, Clone, Copy)]
pub enum Presented<'a> {
    Token(&'a str),
    ShortCode(&'a str),
}

/// Which link a customer named, as far as the token or short code tells.
struct Named {
    link_id: LinkId,
    merchant_id: Option<MerchantId>,
    delivery_id: Option<DeliveryId>,
    token_expired: bool,
}

impl<S: OpenStore + ?Sized> Redeemer<'_, S> {
    pub fn urls(&self) -> LinkUrls<'_> {
        LinkUrls { config: self.config, tokens: self.tokens }
    }

    async fn named(&self, presented: Presented<'_>, now: Timestamp) -> Result<Result<Named, Refusal>, StoreError> {
        Ok(match presented {
            Presented::Token(token) => match self.tokens.verify(token, now) {
                Ok(t) => Ok(Named {
                    link_id: t.link_id,
                    merchant_id: t.merchant_id,
                    delivery_id: t.delivery_id,
                    token_expired: false,
                }),
                Err(TokenError::Invalid) => Err(Refusal::Invalid),
                // Still find the link, so the customer lands on its merchant's page.
                Err(TokenError::Expired) => match self.tokens.verify_ignoring_expiry(token) {
                    Some(t) => Ok(Named {
                        link_id: t.link_id,
                        merchant_id: t.merchant_id,
                        delivery_id: None,
                        token_expired: true,
                    }),
                    None => Err(Refusal::Expired),
                },
            },
            Presented::ShortCode(code) => {
                let Some(code) = ShortCode::parse(code) else { return Ok(Err(Refusal::Invalid)) };
                let wanted = Wanted { short_code: Some(code), ..Wanted::default() };
                match self.store.read(&wanted).await?.short_code {
                    Some(target) => Ok(Named {
                        link_id: target.link_id,
                        merchant_id: target.merchant_id,
                        delivery_id: target.delivery_id,
                        token_expired: false,
                    }),
                    None => Err(Refusal::Invalid),
                }
            }
        })
    }

    /// The link and its merchant's settings, read together when the token names the merchant,
    /// with the session kept for a returning browser (`client`) if the link is reusable.
    async fn link_and_settings(
        &self,
        named: &Named,
        client: Option<&Client>,
        now: Timestamp,
    ) -> Result<Option<(Versioned<Link>, Settings, Option<ClientSession>)>, StoreError> {
        let kept_as = client
            .filter(|c| c.returning)
            .and_then(|c| c.browser.as_deref())
            .map(|cookie| (named.link_id.clone(), ClientSession::client_key(cookie, named.delivery_id.as_ref())));
        let wanted = Wanted {
            link: Some(named.link_id.clone()),
            settings: named.merchant_id.clone(),
            client_session: kept_as,
            ..Wanted::default()
        };
        let found = self.store.read(&wanted).await?;
        let kept = found.client_session;
        let Some(link) = retained(found.link, now) else { return Ok(None) };
        let settings = match found.settings {
            Some(settings) if named.merchant_id.as_ref() == Some(&link.merchant_id) => settings.value,
            Some(_) => Settings::default(),
            // A token issued before tokens named their merchant: one more read.
            None if named.merchant_id.is_none() => super::settings::get_settings(self.store, &link.merchant_id).await?,
            None => Settings::default(),
        };
        Ok(Some((link, settings, kept)))
    }

    /// Finds the link and judges it, for `client` when it is opening (its kept session read
    /// with the link). Nothing is counted here: what the visit came to is known only once it is
    /// answered (`count_open`, `checkout_session`).
    pub async fn inspect(
        &self,
        presented: Presented<'_>,
        client: Option<&Client>,
        now: Timestamp,
    ) -> Result<Inspection, RedeemError> {
        Ok(self.inspect_opening(presented, client, now).await?.0)
    }

    /// As `inspect`, with the delivery whose URL the customer came through (whatever the link
    /// is now: its open is that recipient's, payable or not).
    pub async fn inspect_opening(
        &self,
        presented: Presented<'_>,
        client: Option<&Client>,
        now: Timestamp,
    ) -> Result<(Inspection, Option<DeliveryId>), RedeemError> {
        let refused = |refusal| (Inspection::Refused { refusal, link: None, settings: None }, None);
        let named = match self.named(presented, now).await? {
            Ok(named) => named,
            Err(refusal) => return Ok(refused(refusal)),
        };
        crate::logging::record_link(&named.link_id);
        let Some((link, settings, kept)) = self.link_and_settings(&named, client, now).await? else {
            return Ok(refused(if named.token_expired { Refusal::Expired } else { Refusal::Invalid }));
        };
        let shown = Box::new(link.value.clone());
        let delivery = named.delivery_id.clone();
        let inspection = match link.openable(now) {
            Openable::AlreadyPaid => Inspection::AlreadyPaid { link: shown, settings },
            Openable::Processing => Inspection::Processing { link: shown, settings },
            Openable::Completed => Inspection::Completed { link: shown, settings },
            Openable::Refused(refusal) => Inspection::Refused { refusal, link: Some(shown), settings: Some(settings) },
            Openable::Payable if named.token_expired => {
                Inspection::Refused { refusal: Refusal::Expired, link: Some(shown), settings: Some(settings) }
            }
            Openable::Payable => Inspection::Payable {
                link: Box::new(link),
                settings,
                delivery_id: named.delivery_id,
                kept: kept.map(Box::new),
            },
        };
        Ok((inspection, delivery))
    }

    /// Counts an open that stopped at one of our pages: a choice to make, or a link that is not
    /// payable now (an unknown link is no open of anything), through `delivery`'s URL.
    pub async fn count_open(
        &self,
        inspection: &Inspection,
        delivery: Option<&DeliveryId>,
        now: Timestamp,
    ) -> Result<(), RedeemError> {
        let (link, delivery) = match inspection {
            Inspection::Payable { link, delivery_id, .. } => (&link.value, delivery_id.as_ref()),
            Inspection::AlreadyPaid { link, .. }
            | Inspection::Processing { link, .. }
            | Inspection::Completed { link, .. }
            | Inspection::Refused { link: Some(link), refusal: Refusal::Expired | Refusal::Void, .. } => {
                (link.as_ref(), delivery)
            }
            Inspection::Refused { .. } => return Ok(()),
        };
        let visit = Visit { opened: true, ..Visit::default() };
        self.store.count_visit(&link.id, delivery, now, visit).await?;
        crate::metrics::link_opened();
        Ok(())
    }

    /// Counts a customer handed a session: a checkout start, and an open too unless the open was
    /// counted with our page before (`opened`). A fault answers a retryable 5xx like any other
    /// (the retry hands back the same session: the link's, or the one kept for the browser).
    async fn count_checkout(
        &self,
        link: &Link,
        delivery: Option<&DeliveryId>,
        opened: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let visit = Visit { opened, checkout: true, shared_session: link.kind == LinkKind::Order };
        self.store.count_visit(&link.id, delivery, now, visit).await?;
        if opened {
            crate::metrics::link_opened();
        }
        Ok(())
    }

    /// Gives back one spent of `spend` (a key and its limit). Best effort: a spend not given back
    /// holds its client or the crowd back a little, for the rest of its window at most.
    async fn give_back(&self, spend: Option<(&str, Limit)>, now: Timestamp) {
        let Some((key, limit)) = spend else { return };
        if let Err(err) = self.store.give_back(key, limit, now).await {
            tracing::warn!(error = %err, "a limit's spend could not be given back");
        }
    }

    /// Spends one of the link's Stripe account's pace, on one of its shards (another when the
    /// first is spent, see `Pace`); with the shard's key and limit, to give it back.
    async fn pace(&self, link: &Link, now: Timestamp) -> Result<(Spent, String, Limit), StoreError> {
        let pace = Pace { per_second: self.config.stripe_sessions_per_second };
        let account = link.stripe_account.as_ref().map(|a| a.as_str());
        let first = crate::domain::random_below(pace.shards());
        let spent = self.spend_shard(pace, account, first, now).await?;
        match (&spent.0, pace.another_shard(first, crate::domain::random_below(u32::MAX))) {
            (Spent::Limited { .. }, Some(second)) => self.spend_shard(pace, account, second, now).await,
            _ => Ok(spent),
        }
    }

    async fn spend_shard(
        &self,
        pace: Pace,
        account: Option<&str>,
        shard: u32,
        now: Timestamp,
    ) -> Result<(Spent, String, Limit), StoreError> {
        let (key, limit) = (Pace::key(account, shard), pace.shard_limit(shard));
        Ok((self.store.spend(&key, limit, now).await?, key, limit))
    }

    /// The Checkout Session the customer should be sent to, for what they chose on our page
    /// (`choice`, checked by `Link::choose`; the whole amount when the link asks for nothing).
    /// `delivery`: whose URL the customer came through, named on a product link's session (its
    /// own customer's); an order link's session is shared by every recipient. `client`: who is
    /// opening (a product link hands a returning browser the session it had minutes ago, and
    /// limits how many one address may have made). `opened`: this request is the link's open
    /// (not a choice posted from our page), counted with the checkout start once a session is
    /// handed over.
    pub async fn checkout_session(
        &self,
        link: &Versioned<Link>,
        delivery: Option<&DeliveryId>,
        choice: PaymentChoice,
        client: &Client,
        opened: bool,
        now: Timestamp,
    ) -> Result<OpenSession, RedeemError> {
        if link.kind == LinkKind::Product {
            return self.product_session(link, delivery, choice, client, opened, now).await;
        }
        self.order_session(link, delivery, choice, opened, now).await
    }

    /// A reusable link: every customer gets a session of their own (each a Stripe call on the
    /// account's key), or the one their browser had minutes ago.
    async fn product_session(
        &self,
        link: &Versioned<Link>,
        delivery: Option<&DeliveryId>,
        choice: PaymentChoice,
        client: &Client,
        opened: bool,
        now: Timestamp,
    ) -> Result<OpenSession, RedeemError> {
        let kept_as = client.browser.as_deref().map(|cookie| ClientSession::client_key(cookie, delivery));
        if let Some(session) = client.kept.as_ref().and_then(|kept| kept.reusable(choice, link.version, now)) {
            let session = session.clone();
            self.count_checkout(link, delivery, opened, now).await?;
            return Ok(session);
        }
        // The client's own limit and the account's pace, side by side; what one spent is given
        // back when the other says no. A client past its limit is refused and takes nothing from
        // the crowd's pace; a client held by the pace gets its spend back, so waiting never turns
        // into a refusal.
        let address_key = client.address.as_ref().map(|address| format!("sessions:{}:{address}", link.id));
        let theirs = async {
            match &address_key {
                Some(key) => self.store.spend(key, SESSIONS_PER_ADDRESS_AND_LINK, now).await.map(Some),
                None => Ok(None),
            }
        };
        let (theirs, pace) = futures_util::join!(theirs, self.pace(link, now));
        let address_spend = address_key.as_ref().map(|key| (key.as_str(), SESSIONS_PER_ADDRESS_AND_LINK));
        let theirs = match theirs {
            Ok(theirs) => theirs,
            Err(err) => {
                if let Ok((Spent::Allowed, key, limit)) = &pace {
                    self.give_back(Some((key.as_str(), *limit)), now).await;
                }
                return Err(err.into());
            }
        };
        let (pace, pace_key, pace_limit) = match pace {
            Ok(pace) => pace,
            Err(err) => {
                if theirs == Some(Spent::Allowed) {
                    self.give_back(address_spend, now).await;
                }
                return Err(err.into());
            }
        };
        match (theirs, pace) {
            (Some(Spent::Limited { retry_after }), pace) => {
                crate::metrics::throttled("link");
                if pace == Spent::Allowed {
                    self.give_back(Some((pace_key.as_str(), pace_limit)), now).await;
                }
                return Err(RedeemError::Throttled { retry_after });
            }
            (theirs, Spent::Limited { retry_after }) => {
                crate::metrics::throttled("pace");
                if theirs == Some(Spent::Allowed) {
                    self.give_back(address_spend, now).await;
                }
                return Err(RedeemError::Held { retry_after });
            }
            _ => {}
        }
        let key = format!("{}-{}", link.id, crate::domain::random_base62(16));
        let request =
            NewCheckoutSession { delivery_id: delivery.cloned(), ..self.session_request(link, choice, now, key) };
        let session = match self.checkout.create_session(&request).await {
            Ok(session) => session,
            // Stripe's own limit on the account, past our pace (other callers of the same key):
            // the customer waits as for the pace, their spend on the link given back.
            Err(CheckoutError::RateLimited) => {
                crate::metrics::throttled("pace");
                self.give_back(address_spend, now).await;
                return Err(RedeemError::Held { retry_after: 1 });
            }
            Err(err) => return Err(err.into()),
        };
        crate::metrics::session_created();
        let keep = async {
            let Some(kept_as) = kept_as else { return };
            let kept = ClientSession::new(link.id.clone(), kept_as, session.clone(), link.version, now);
            // Best effort: without it the next open makes another session, as before.
            if let Err(err) = self.store.commit(vec![Write::ClientSession(kept)]).await {
                tracing::warn!(error = %err, "a client's session could not be kept for reuse");
            }
        };
        let ((), counted) = futures_util::join!(keep, self.count_checkout(link, delivery, opened, now));
        counted?;
        Ok(session)
    }

    /// An order link: one session at a time, shared by every open that chose the same. The
    /// visit is counted once a session is handed over: after it is attached (never beside: an
    /// attach that loses may end in a held or refused answer, which is not counted).
    async fn order_session(
        &self,
        link: &Versioned<Link>,
        delivery: Option<&DeliveryId>,
        choice: PaymentChoice,
        opened: bool,
        now: Timestamp,
    ) -> Result<OpenSession, RedeemError> {
        let origin = link;
        let mut link = link.clone();
        for _ in attempts() {
            // Every order session is made for a stated amount: the part chosen, or the balance
            // now. A part chosen against a balance that shrank since (a part paid meanwhile) is
            // not charged: the customer chooses again.
            let balance = link.balance();
            let made_for = match choice.part {
                Some(part) if part.minor() > balance => return Err(RedeemError::NoLongerPayable),
                Some(part) => part,
                None => Amount::parse(balance).map_err(|_| RedeemError::NoLongerPayable)?,
            };
            let open = link.usable_session(now);
            if let Some(session) = open.filter(|s| s.choice == choice && s.made_for == Some(made_for)) {
                let session = session.clone();
                self.count_checkout(origin, delivery, opened, now).await?;
                return Ok(session);
            }
            if let (Spent::Limited { retry_after }, ..) = self.pace(&link, now).await? {
                crate::metrics::throttled("pace");
                return Err(RedeemError::Held { retry_after });
            }
            // Another choice's session (a customer who changed their mind) is replaced, then closed.
            let replaced = open.map(|s| s.id.clone());
            // The same key for every open that read this version of the link and chose the same:
            // Stripe answers them all with one session. A link written since (a session attached
            // or abandoned, a void, a reactivation) gets a new key, so an abandoned session is
            // never handed back.
            let key = format!(
                "{}-s{}-v{}-a{}{}",
                link.id,
                link.session_seq,
                link.version,
                made_for.minor(),
                choice_key(choice)
            );
            let request = self.session_request(&link, choice, now, key);
            let created = match self.checkout.create_session(&request).await {
                Ok(session) => Some(session),
                // Another open is making the same session: read again to find it.
                Err(CheckoutError::IdempotencyConflict) => None,
                // Stripe's own limit on the account: the customer waits, as for the pace.
                Err(CheckoutError::RateLimited) => {
                    crate::metrics::throttled("pace");
                    return Err(RedeemError::Held { retry_after: 1 });
                }
                Err(err) => return Err(err.into()),
            };
            if let Some(session) = &created {
                let mut next = link.clone();
                let session = OpenSession { choice, made_for: Some(made_for), ..session.clone() };
                if next.attach_session(session.clone(), now).is_ok() {
                    match self.store.commit(vec![Write::Link(next)]).await {
                        Ok(()) => {
                            crate::metrics::session_created();
                            if let Some(replaced) = replaced {
                                // Best effort: a payment through it is still recorded (and
                                // flagged if it pays more than was due).
                                let _ = self.checkout.expire_session(link.stripe_account.as_ref(), &replaced).await;
                            }
                            self.count_checkout(origin, delivery, opened, now).await?;
                            return Ok(session);
                        }
                        Err(StoreError::Conflict) => {}
                        Err(err) => return Err(err.into()),
                    }
                }
            }
            let wanted = Wanted { link: Some(link.id.clone()), ..Wanted::default() };
            let fresh = retained(self.store.read(&wanted).await?.link, now);
            let payable = fresh.as_ref().filter(|f| f.openable(now) == Openable::Payable);
            let theirs = payable
                .and_then(|f| f.usable_session(now))
                .filter(|s| s.choice == choice && s.made_for == Some(made_for))
                .map(|s| s.id.clone());
            if let Some(ours) = &created
                && theirs.as_ref() != Some(&ours.id)
            {
                // Stripe made a second session (another open attached first), or the link was
                // voided while ours was made: nobody may pay through ours.
                let _ = self.checkout.expire_session(link.stripe_account.as_ref(), &ours.id).await;
            }
            match payable {
                Some(fresh) => link = fresh.clone(),
                None => return Err(RedeemError::NoLongerPayable),
            }
        }
        Err(StoreError::Conflict.into())
    }

    /// A request that is the same for every concurrent open of the link: same parameters, same
    /// idempotency key, so Stripe answers all of them with one session.
    fn session_request(&self, link: &Link, choice: PaymentChoice, now: Timestamp, key: String) -> NewCheckoutSession {
        let expires_at = session_expiry(link, now);
        let token = self.urls().token(link);
        let base = &self.config.public_base_url;
        let param = &self.config.token_query_param;
        let idempotency_key = format!("{key}-{}", expires_at.unix());
        let language = language_of(link);
        // What an order session charges toward its order: the part chosen, or the balance now.
        let made_for = (link.kind == LinkKind::Order)
            .then(|| choice.part.or_else(|| Amount::parse(link.balance()).ok()).unwrap_or(link.amount));
        let mut lines = match made_for {
            // A custom amount (after shipping or discounts), a part or what is left of the
            // balance is charged as one line of the link's name.
            Some(due) if due.minor() != line_total(link) || choice.part.is_some() => {
                let name = if due == link.amount {
                    link.name.clone()
                } else {
                    format!("{} · {}", link.name, crate::words::words(language).part_payment)
                };
                vec![CheckoutLine { name, unit_amount: due, quantity: 1, adjustable_quantity: None, recurring: None }]
            }
            _ => link
                .line_items
                .iter()
                .map(|item| CheckoutLine {
                    name: item.name.clone(),
                    // Pay what you want: the price the customer named on our page.
                    unit_amount: choice.price.filter(|_| item.custom_amount.is_some()).unwrap_or(item.unit_amount),
                    quantity: item.quantity,
                    adjustable_quantity: item.adjustable_quantity.map(|a| (a.minimum, a.maximum)),
                    recurring: item.recurring.map(RecurringInterval::as_str),
                })
                .collect(),
        };
        if let Some(tip) = choice.tip {
            // A line of its own: the customer sees it, and the payment records it apart.
            let name = crate::words::words(language).tip.to_string();
            lines.push(CheckoutLine {
                name,
                unit_amount: tip,
                quantity: 1,
                adjustable_quantity: None,
                recurring: None,
            });
        }
        NewCheckoutSession {
            link_id: link.id.clone(),
            merchant_id: link.merchant_id.clone(),
            delivery_id: None,
            account: link.stripe_account.clone(),
            currency: link.currency,
            lines,
            subscription: link.is_recurring(),
            customer_email: link.customer.as_ref().and_then(|c| c.email.as_ref()).map(|e| e.as_str().to_string()),
            success_url: format!("{base}/pay/complete?{param}={token}&session_id={{CHECKOUT_SESSION_ID}}"),
            cancel_url: format!("{base}/pay/cancel?{param}={token}"),
            expires_at,
            allow_promotion_codes: link.options.allow_promotion_codes,
            invoice: invoice_text(link),
            // The link's, never one open's browser: an order link's session is shared by every
            // open, and its request must be the same for each (Stripe's idempotency).
            locale: link
                .customer
                .as_ref()
                .and_then(|c| c.locale.as_deref())
                .and_then(crate::domain::Language::of_tag)
                .map_or("auto", crate::domain::Language::code),
            require_phone: link.options.require_phone,
            collect_address: link.options.collect_address,
            made_for,
            choice,
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

/// What tells one choice's session from another's in its idempotency key.
fn choice_key(choice: PaymentChoice) -> String {
    let part = choice.part.map(|p| format!("-p{}", p.minor())).unwrap_or_default();
    let tip = choice.tip.map(|t| format!("-t{}", t.minor())).unwrap_or_default();
    format!("{part}{tip}")
}

/// The link's customer's language (never one open's browser: a session is shared).
fn language_of(link: &Link) -> crate::domain::Language {
    crate::domain::Language::negotiate(link.customer.as_ref().and_then(|c| c.locale.as_deref()), None)
}

/// What the link's line items add up to.
fn line_total(link: &Link) -> i64 {
    link.line_items.iter().map(|i| i.unit_amount.minor() * i64::from(i.quantity)).sum()
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

/// The longest invoice text Checkout is given: within Stripe's limits for a PaymentIntent's
/// description (1000) and for `custom_text[submit][message]` (500 in its API schema).
const CHECKOUT_INVOICE_TEXT_MAX: usize = 500;

/// "Rechnung INV-1001 · https://…": what Checkout shows of the order's invoice, if it has one, in
/// the link's language; without the URL when the whole would be too long for Stripe (a too-long
/// parameter would refuse the session, and the customer could not pay).
fn invoice_text(link: &Link) -> Option<String> {
    let invoice = &link.invoice;
    let language = language_of(link);
    let word = crate::words::words(language).invoice;
    let title = invoice.number.as_ref().map(|n| format!("{word} {n}"));
    let whole = match (&title, &invoice.url) {
        (Some(title), Some(url)) => format!("{title} · {url}"),
        (Some(title), None) => title.clone(),
        (None, Some(url)) => format!("{word}: {url}"),
        (None, None) => return None,
    };
    if whole.chars().count() <= CHECKOUT_INVOICE_TEXT_MAX {
        return Some(whole);
    }
    // A number is at most 100 characters: the title alone always fits.
    Some(title.unwrap_or_else(|| word.to_string()))
}
