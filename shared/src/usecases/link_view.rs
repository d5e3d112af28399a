//! How a link is shown to its merchant: its public URLs and fields, as the SPEC names them.

use serde::Serialize;

use crate::config::LinkConfig;
use crate::domain::{Link, LinkId, LinkKind, MerchantId, ShortCode, Timestamp};
use crate::tokens::{LinkToken, LinkTokens};

/// Builds the URLs customers open.
#[derive(Debug, Clone, Copy)]
pub struct LinkUrls<'a> {
    pub config: &'a LinkConfig,
    pub tokens: &'a LinkTokens,
}

impl LinkUrls<'_> {
    /// The link's own token. Issued "at" the link's creation, so the same link always has the
    /// same URL, and the token expires when the link does.
    pub fn token(&self, link: &Link) -> String {
        self.token_of(&link.id, &link.merchant_id, link.created_at, link.expires_at)
    }

    pub fn token_of(
        &self,
        id: &LinkId,
        merchant: &MerchantId,
        created_at: Timestamp,
        expires_at: Option<Timestamp>,
    ) -> String {
        let claims =
            LinkToken { link_id: id.clone(), merchant_id: Some(merchant.clone()), delivery_id: None, expires_at };
        self.tokens.issue(&claims, created_at)
    }

    /// The link's token naming the delivery a customer came through (a short code's).
    pub fn token_for_delivery(&self, link: &Link, delivery: Option<&crate::domain::DeliveryId>) -> String {
        let claims = LinkToken {
            link_id: link.id.clone(),
            merchant_id: Some(link.merchant_id.clone()),
            delivery_id: delivery.cloned(),
            expires_at: link.expires_at,
        };
        self.tokens.issue(&claims, link.created_at)
    }

    pub fn pay_url_for_token(&self, token: &str) -> String {
        format!("{}/pay?{}={token}", self.config.public_base_url, self.config.token_query_param)
    }

    pub fn pay_url(&self, link: &Link) -> String {
        self.pay_url_for_token(&self.token(link))
    }

    pub fn short_url(&self, link: &Link) -> String {
        self.short_url_of(&link.short_code)
    }

    pub fn short_url_of(&self, code: &ShortCode) -> String {
        self.config.short_url(code)
    }
}

/// Money taken for a link: through Stripe (earnings) apart from what was marked paid by hand.
#[derive(Debug, Clone, Serialize)]
pub struct Earnings {
    pub stripe: i64,
    pub manual: i64,
    pub currency: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LinkSummary {
    pub id: String,
    pub kind: LinkKind,
    pub status: &'static str,
    pub url: String,
    pub short_url: String,
    pub amount: i64,
    pub currency: String,
    pub name: String,
    pub order_id: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub renewal_requested_at: Option<Timestamp>,
    pub earnings: Earnings,
    /// An order link's order: paid so far (parts, or the whole) and still due.
    pub amount_paid: Option<i64>,
    pub amount_due: Option<i64>,
}

impl LinkSummary {
    pub fn of(link: &Link, urls: LinkUrls<'_>, now: Timestamp) -> Self {
        Self {
            id: link.id.to_string(),
            kind: link.kind,
            status: link.status_at(now).as_str(),
            url: urls.pay_url(link),
            short_url: urls.short_url(link),
            amount: link.amount.minor(),
            currency: link.currency.code().to_string(),
            name: link.name.clone(),
            order_id: link.order_id.as_ref().map(ToString::to_string),
            created_at: link.created_at,
            expires_at: link.expires_at,
            renewal_requested_at: link.renewal_requested_at,
            earnings: Earnings {
                stripe: link.collected,
                manual: link.collected_manual,
                currency: link.currency.code().to_string(),
            },
            amount_paid: link.order_id.is_some().then_some(link.paid_of_order()),
            amount_due: link.order_id.is_some().then_some(link.balance()),
        }
    }
}

impl LinkSummary {
    /// The order's link made inside the resend window, from what the order keeps of it.
    pub fn of_reused(reused: &crate::usecases::create_link::ReusedLink, urls: LinkUrls<'_>) -> Self {
        let current = &reused.current;
        let token = urls.token_of(&current.id, &reused.merchant_id, current.created_at, current.expires_at);
        Self {
            id: current.id.to_string(),
            kind: LinkKind::Order,
            status: crate::domain::LinkStatus::Active.as_str(),
            url: urls.pay_url_for_token(&token),
            short_url: urls.short_url_of(&current.short_code),
            amount: current.amount.minor(),
            currency: reused.currency.code().to_string(),
            name: current.name.clone(),
            order_id: Some(reused.order_id.to_string()),
            created_at: current.created_at,
            expires_at: current.expires_at,
            renewal_requested_at: None,
            // Only parts of the order may have been paid through it; not counted here.
            earnings: Earnings { stripe: 0, manual: 0, currency: reused.currency.code().to_string() },
            amount_paid: Some(reused.amount_paid),
            amount_due: Some((current.amount.minor() - reused.amount_paid).max(0)),
        }
    }
}
