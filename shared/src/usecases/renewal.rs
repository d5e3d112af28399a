//! `POST /pay/renewal-request`: a customer who met a link expired asks its merchant for a new one,
//! instead of a dead end. The merchant is told (`link.renewal_requested`, and the link's
//! `renewal_requested_at` flag) in one transaction with the flag, at most once an hour per link,
//! however many customers ask at once.

use super::{attempts, events};
use crate::domain::{Language, Link, RenewalRequest, Settings, Timestamp, Versioned};
use crate::ports::{Commit, Read, StoreError, Wanted, Write};
use crate::tokens::LinkTokens;

/// What the customer is shown after asking.
#[derive(Debug)]
pub enum Renewal {
    /// The merchant knows (now, or from an ask within the hour).
    Asked { settings: Box<Settings>, language: Language },
    /// The link is not expired: the customer goes back to it (to pay, or to see why not).
    NotExpired,
    /// No link of ours: a token not ours, or a link gone.
    Unknown,
}

pub async fn request_renewal<S: Read + Commit + ?Sized>(
    store: &S,
    tokens: &LinkTokens,
    token: &str,
    accept_language: Option<&str>,
    now: Timestamp,
) -> Result<Renewal, StoreError> {
    // An expired link's token is expired too: its signature is what counts here.
    let Some(claims) = tokens.verify_ignoring_expiry(token) else { return Ok(Renewal::Unknown) };
    for _ in attempts() {
        // Tokens name their merchant: the link, its settings and endpoints in one read.
        let merchant = claims.merchant_id.clone();
        let wanted = Wanted {
            link: Some(claims.link_id.clone()),
            settings: merchant.clone(),
            endpoints: merchant.clone(),
            ..Wanted::default()
        };
        let mut found = store.read(&wanted).await?;
        let Some(link) = found.link.take() else { return Ok(Renewal::Unknown) };
        if merchant.as_ref().is_some_and(|m| m != &link.merchant_id) {
            return Ok(Renewal::Unknown);
        }
        if merchant.is_none() {
            let owner = Some(link.merchant_id.clone());
            found = store.read(&Wanted { settings: owner.clone(), endpoints: owner, ..Wanted::default() }).await?;
        }
        let settings = found.settings.map(|s| s.value).unwrap_or_default();
        let mut link: Versioned<Link> = link;
        let locale = link.customer.as_ref().and_then(|c| c.locale.as_deref());
        let language = Language::negotiate(locale, accept_language);
        match link.request_renewal(now) {
            RenewalRequest::NotExpired => return Ok(Renewal::NotExpired),
            RenewalRequest::TooSoon => return Ok(Renewal::Asked { settings: Box::new(settings), language }),
            RenewalRequest::Taken => {}
        }
        let endpoints = found.endpoints.map(|e| e.value.endpoints).unwrap_or_default();
        let told = events::link_renewal_requested(&endpoints, &link, now);
        match store.commit(vec![Write::Link(link.clone()), Write::Event(Versioned::new(told))]).await {
            Ok(()) => return Ok(Renewal::Asked { settings: Box::new(settings), language }),
            // Another customer asked at the same moment: read again (theirs told the merchant).
            Err(StoreError::Conflict) => continue,
            Err(err) => return Err(err),
        }
    }
    Err(StoreError::Conflict)
}
