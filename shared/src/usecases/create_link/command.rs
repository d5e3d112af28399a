//! What `POST /links` asks for, already valid (the HTTP edge builds it from the request body),
//! and the link it makes.

use super::CreateLinkError;
use crate::domain::{
    Amount, Currency, Customer, Invoice, LineItem, Link, LinkId, LinkKind, LinkOptions, LinkReminders, LinkStatus,
    MerchantId, Order, OrderId, OrderPaymentStatus, PartialPayments, Restrictions, Settings, ShortCode, Timestamp,
};

/// How long a link lives, as the request says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    MerchantDefault,
    Never,
    Minutes(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRequest {
    pub id: OrderId,
    pub currency: Currency,
    pub line_items: Vec<LineItem>,
    pub amount: Amount,
    pub invoice_number: Option<String>,
    pub invoice_url: Option<String>,
    pub payment_status: OrderPaymentStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkSubject {
    Order(OrderRequest),
    Products {
        currency: Currency,
        items: Vec<LineItem>,
        amount: Amount,
        /// When the link stops taking payments, and what it says then.
        restrictions: Restrictions,
        inactive_message: Option<String>,
    },
}

/// A link to make: for an order, or for products (a reusable link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateLink {
    pub name: String,
    pub subject: LinkSubject,
    pub customer: Option<Customer>,
    /// `false`: the customer cannot pay by card, so no link can help them (refused).
    pub card_payments: bool,
    pub expiry: Expiry,
    pub landing_page_url: Option<url::Url>,
    pub options: LinkOptions,
    /// `options.success_url`, parsed, for the redirect allow-list.
    pub success_url: Option<url::Url>,
    /// The link's own reminder policy or `Off`; `None`: the merchant's.
    pub reminders: Option<LinkReminders>,
    /// An order link the customer may pay in parts.
    pub partial_payments: Option<PartialPayments>,
}

impl CreateLink {
    /// The merchant's rules, in the order a merchant would want to hear about them.
    pub(super) fn check_eligible(&self, settings: &Settings) -> Result<(), CreateLinkError> {
        if !settings.payments_enabled {
            return Err(CreateLinkError::PaymentsNotEnabled);
        }
        if self.landing_page_url.as_ref().is_some_and(|u| !settings.allows_redirect_to(u)) {
            return Err(CreateLinkError::RedirectHostNotAllowed { field: "landing_page_url" });
        }
        if self.success_url.as_ref().is_some_and(|u| !settings.allows_redirect_to(u)) {
            return Err(CreateLinkError::RedirectHostNotAllowed { field: "options.success_url" });
        }
        if !self.card_payments {
            return Err(CreateLinkError::CustomerCannotPayByCard);
        }
        if let LinkSubject::Order(order) = &self.subject {
            Order::check_payable(order.payment_status)?;
        }
        Ok(())
    }

    fn expires_at(&self, settings: &Settings, now: Timestamp) -> Option<Timestamp> {
        let minutes = match self.expiry {
            Expiry::Never => None,
            Expiry::Minutes(m) => Some(m),
            Expiry::MerchantDefault => settings.default_expires_in_minutes,
        };
        minutes.map(|m| now.plus_seconds(i64::from(m) * 60))
    }

    pub(super) fn new_link(
        &self,
        merchant: &MerchantId,
        settings: &Settings,
        now: Timestamp,
        retention_days: i64,
    ) -> Link {
        let (kind, order_id, amount, currency, line_items) = match &self.subject {
            LinkSubject::Order(o) => (LinkKind::Order, Some(o.id.clone()), o.amount, o.currency, o.line_items.clone()),
            LinkSubject::Products { currency, items, amount, .. } => {
                (LinkKind::Product, None, *amount, *currency, items.clone())
            }
        };
        let expires_at = self.expires_at(settings, now);
        Link {
            id: LinkId::generate(),
            merchant_id: merchant.clone(),
            kind,
            name: self.name.clone(),
            status: LinkStatus::Active,
            order_id,
            amount,
            currency,
            line_items,
            customer: self.customer.clone(),
            landing_page_url: self.landing_page_url.as_ref().map(|u| u.to_string()),
            options: self.options.clone(),
            short_code: ShortCode::generate(),
            created_at: now,
            expires_at,
            session: None,
            session_seq: 0,
            opens: 0,
            collected: 0,
            collected_manual: 0,
            purge_at: expires_at.map(|e| e.plus_days(retention_days)),
            stripe_account: settings.stripe_account.clone(),
            order_status: None,
            reminders: self.reminders.clone(),
            expiry_announced: None,
            renewal_requested_at: None,
            invoice: match &self.subject {
                LinkSubject::Order(o) => Invoice { number: o.invoice_number.clone(), url: o.invoice_url.clone() },
                LinkSubject::Products { .. } => Invoice::default(),
            },
            partial_payments: self.partial_payments,
            order_paid: 0,
            order_amount: None,
            restrictions: match &self.subject {
                LinkSubject::Products { restrictions, .. } => *restrictions,
                LinkSubject::Order(_) => Restrictions::default(),
            },
            inactive_message: match &self.subject {
                LinkSubject::Products { inactive_message, .. } => inactive_message.clone(),
                LinkSubject::Order(_) => None,
            },
            completed_payments: 0,
        }
    }
}
