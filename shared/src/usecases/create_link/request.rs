//! A `POST /links` body, validated, and the link it asks for.

use serde_json::Value;

use super::CreateLinkError;
use crate::domain::{
    AdjustableQuantity, Amount, CollectAddress, Currency, Customer, Email, LineItem, Link, LinkId, LinkKind,
    LinkOptions, LinkStatus, MerchantId, Order, OrderId, OrderPaymentStatus, PhoneE164, RecurringInterval, Settings,
    ShortCode, Timestamp, ValidationError,
};
use crate::usecases::fields::{Fields, web_url};

const MAX_ITEMS: usize = 100;
const MAX_QUANTITY: i64 = 10_000;

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
    Products { currency: Currency, items: Vec<LineItem>, amount: Amount },
}

/// A `POST /links` body that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateLink {
    pub name: String,
    pub subject: LinkSubject,
    pub customer: Option<Customer>,
    pub card_payments: bool,
    pub expiry: Expiry,
    pub landing_page_url: Option<url::Url>,
    pub options: LinkOptions,
    success_url: Option<url::Url>,
}

fn parse_line_items(
    items: &[Value],
    path: &str,
    products: bool,
) -> Result<Vec<(LineItem, Option<Currency>)>, ValidationError> {
    if items.is_empty() {
        return Err(ValidationError::new(path, "must have at least one item"));
    }
    if items.len() > MAX_ITEMS {
        return Err(ValidationError::new(path, format!("must have at most {MAX_ITEMS} items")));
    }
    let mut parsed = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let item_path = format!("{path}.{i}");
        let f = Fields::of(item, &item_path)?;
        let name = f.required_text("name", 200)?;
        let unit_amount = f.integer("unit_amount")?.ok_or_else(|| f.fail("unit_amount", "is required"))?;
        let unit_amount = Amount::parse(unit_amount).map_err(|e| f.fail("unit_amount", e.message))?;
        let quantity = f.integer("quantity")?.unwrap_or(1);
        if !(1..=MAX_QUANTITY).contains(&quantity) {
            return Err(f.fail("quantity", format!("must be from 1 to {MAX_QUANTITY}")));
        }
        let currency = f.parsed("currency", Currency::parse)?;
        let (adjustable_quantity, recurring) =
            if products { (parse_adjustable(&f, quantity)?, parse_recurring(&f)?) } else { (None, None) };
        parsed.push((
            LineItem { name, unit_amount, quantity: quantity as u32, adjustable_quantity, recurring },
            currency,
        ));
    }
    Ok(parsed)
}

fn parse_adjustable(f: &Fields<'_>, quantity: i64) -> Result<Option<AdjustableQuantity>, ValidationError> {
    let Some(value) = f.get("adjustable_quantity") else { return Ok(None) };
    let path = f.path("adjustable_quantity");
    let a = Fields::of(value, &path)?;
    let minimum = a.integer("minimum")?.unwrap_or(1);
    let maximum = a.integer("maximum")?.unwrap_or(99);
    if !(1..=MAX_QUANTITY).contains(&minimum) || !(1..=MAX_QUANTITY).contains(&maximum) || minimum > maximum {
        return Err(ValidationError::new(
            path,
            "minimum and maximum must be from 1 to 10000, minimum not above maximum",
        ));
    }
    if !(minimum..=maximum).contains(&quantity) {
        return Err(f.fail("quantity", "must be between the adjustable minimum and maximum"));
    }
    Ok(Some(AdjustableQuantity { minimum: minimum as u32, maximum: maximum as u32 }))
}

fn parse_recurring(f: &Fields<'_>) -> Result<Option<RecurringInterval>, ValidationError> {
    let Some(value) = f.get("recurring") else { return Ok(None) };
    let path = f.path("recurring");
    let r = Fields::of(value, &path)?;
    let interval = match r.required_text("interval", 10)?.as_str() {
        "day" => RecurringInterval::Day,
        "week" => RecurringInterval::Week,
        "month" => RecurringInterval::Month,
        "year" => RecurringInterval::Year,
        _ => return Err(r.fail("interval", "must be day, week, month or year")),
    };
    Ok(Some(interval))
}

fn total(items: &[LineItem], path: &str) -> Result<Amount, ValidationError> {
    let sum = items
        .iter()
        .try_fold(0i64, |acc, item| acc.checked_add(item.unit_amount.minor().checked_mul(i64::from(item.quantity))?))
        .unwrap_or(i64::MAX);
    Amount::parse(sum).map_err(|e| ValidationError::new(path, format!("total {}", e.message)))
}

fn parse_order(value: &Value) -> Result<OrderRequest, ValidationError> {
    let f = Fields::of(value, "order")?;
    let id = f.parsed("id", OrderId::parse)?.ok_or_else(|| f.fail("id", "is required"))?;
    let currency = f.parsed("currency", Currency::parse)?.ok_or_else(|| f.fail("currency", "is required"))?;
    let items = f.array("line_items")?.ok_or_else(|| f.fail("line_items", "is required"))?;
    let mut line_items = Vec::new();
    for (item, item_currency) in parse_line_items(items, "order.line_items", false)? {
        if item_currency.is_some_and(|c| c != currency) {
            return Err(ValidationError::new("order.line_items", "must all be in the order's currency"));
        }
        line_items.push(item);
    }
    let amount = match f.integer("amount")? {
        Some(minor) => Amount::parse(minor).map_err(|e| f.fail("amount", e.message))?,
        None => total(&line_items, "order.line_items")?,
    };
    let payment_status = match f.text("payment_status", 40)? {
        None => OrderPaymentStatus::Outstanding,
        Some(text) => OrderPaymentStatus::parse(&text).ok_or_else(|| {
            f.fail(
                "payment_status",
                "must be outstanding, processing, paid, refunded, partially_refunded, rejected, not_tracked or deleted",
            )
        })?,
    };
    let invoice_url = web_url(&f, "invoice_url")?.map(String::from);
    Ok(OrderRequest {
        id,
        currency,
        line_items,
        amount,
        invoice_number: f.text("invoice_number", 100)?,
        invoice_url,
        payment_status,
    })
}

fn parse_products(value: &Value) -> Result<LinkSubject, ValidationError> {
    let items = value.as_array().ok_or_else(|| ValidationError::new("products", "must be a list"))?;
    let parsed = parse_line_items(items, "products", true)?;
    let mut currency = None;
    for (i, (_, c)) in parsed.iter().enumerate() {
        let c = c.ok_or_else(|| ValidationError::new(format!("products.{i}.currency"), "is required"))?;
        if currency.is_some_and(|seen| seen != c) {
            return Err(ValidationError::new(
                format!("products.{i}.currency"),
                "must match the other products' currency",
            ));
        }
        currency = Some(c);
    }
    let items: Vec<LineItem> = parsed.into_iter().map(|(item, _)| item).collect();
    if items.iter().filter(|i| i.recurring.is_some()).count() > 1 {
        return Err(ValidationError::new("products", "may hold at most one recurring product"));
    }
    let amount = total(&items, "products")?;
    Ok(LinkSubject::Products { currency: currency.expect("at least one product"), items, amount })
}

fn parse_customer(value: Option<&Value>) -> Result<(Option<Customer>, bool), ValidationError> {
    let Some(value) = value else { return Ok((None, true)) };
    let f = Fields::of(value, "customer")?;
    let customer = Customer {
        name: f.text("name", 200)?,
        email: f.parsed("email", Email::parse)?,
        phone: f.parsed("phone", PhoneE164::parse)?,
    };
    Ok((Some(customer), f.boolean("card_payments")?.unwrap_or(true)))
}

fn parse_options(value: Option<&Value>) -> Result<(LinkOptions, Option<url::Url>), ValidationError> {
    let Some(value) = value else { return Ok((LinkOptions::default(), None)) };
    let f = Fields::of(value, "options")?;
    let collect_address = match f.text("collect_address", 20)?.as_deref() {
        None | Some("none") => CollectAddress::None,
        Some("billing") => CollectAddress::Billing,
        Some("shipping") => CollectAddress::Shipping,
        Some(_) => return Err(f.fail("collect_address", "must be none, billing or shipping")),
    };
    let success_url = web_url(&f, "success_url")?;
    let options = LinkOptions {
        allow_promotion_codes: f.boolean("allow_promotion_codes")?.unwrap_or(false),
        require_phone: f.boolean("require_phone")?.unwrap_or(false),
        collect_address,
        success_url: success_url.as_ref().map(|u| u.to_string()),
    };
    Ok((options, success_url))
}

impl CreateLink {
    pub fn parse(body: &Value) -> Result<Self, ValidationError> {
        let f = Fields::of(body, "")?;
        let subject = match (f.get("order"), f.get("products")) {
            (Some(order), None) => LinkSubject::Order(parse_order(order)?),
            (None, Some(products)) => parse_products(products)?,
            (Some(_), Some(_)) => return Err(ValidationError::new("products", "cannot be given together with order")),
            (None, None) => {
                return Err(ValidationError::new("order", "is required (or products, for a reusable link)"));
            }
        };
        let name = match (f.text("name", 200)?, &subject) {
            (Some(name), _) => name,
            (None, LinkSubject::Order(order)) => format!("Order {}", order.id),
            (None, LinkSubject::Products { .. }) => return Err(f.fail("name", "is required")),
        };
        let expiry = if !f.is_present("expires_in_minutes") {
            Expiry::MerchantDefault
        } else {
            match f.get("expires_in_minutes") {
                None => Expiry::Never,
                Some(v) => Expiry::Minutes(
                    crate::usecases::settings_patch::parse_expiry_minutes(v)
                        .map_err(|e| e.under("expires_in_minutes"))?,
                ),
            }
        };
        let (customer, card_payments) = parse_customer(f.get("customer"))?;
        let (options, success_url) = parse_options(f.get("options"))?;
        Ok(Self {
            name,
            subject,
            customer,
            card_payments,
            expiry,
            landing_page_url: web_url(&f, "landing_page_url")?,
            options,
            success_url,
        })
    }

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
            LinkSubject::Products { currency, items, amount } => {
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
        }
    }
}
