//! `POST /links`: a link for an order, or for products (a reusable link).

use paylinks::domain::{
    Amount, CollectAddress, Currency, Customer, Email, LineItem, LinkOptions, OrderId, OrderPaymentStatus, PhoneE164,
    ValidationError,
};
use paylinks::usecases::create_link::{CreateLink, Expiry, LinkSubject, OrderRequest};
use serde::Deserialize;

use super::Object;
use super::fields::{at, expiry_minutes, parsed, present, required, text, web_url};
use super::line_items::{LineItemBody, Sold, line_items, total};
use super::reminders::{LinkRemindersBody, link_reminders};
use super::ways_to_pay::{PartialPaymentsBody, RestrictionsBody, inactive_message, partial_payments, restrictions};

#[derive(Debug, Deserialize)]
pub struct CreateLinkBody {
    name: Option<String>,
    order: Option<Object<OrderBody>>,
    products: Option<Vec<Object<LineItemBody>>>,
    customer: Option<Object<CustomerBody>>,
    /// Absent: the merchant's default. `null`: never.
    #[serde(default, deserialize_with = "present")]
    expires_in_minutes: Option<Option<i64>>,
    landing_page_url: Option<String>,
    options: Option<Object<OptionsBody>>,
    /// Absent or `null`: the merchant's policy. `false`: none. An object: the link's own.
    reminders: Option<LinkRemindersBody>,
    /// Order links: the customer may pay in parts of at least `minimum_amount`.
    partial_payments: Option<Object<PartialPaymentsBody>>,
    /// Product links: stop after this many payments, then show `inactive_message`.
    restrictions: Option<Object<RestrictionsBody>>,
    inactive_message: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OrderBody {
    id: Option<String>,
    currency: Option<String>,
    line_items: Option<Vec<Object<LineItemBody>>>,
    amount: Option<i64>,
    invoice_number: Option<String>,
    invoice_url: Option<String>,
    payment_status: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CustomerBody {
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    card_payments: Option<bool>,
    locale: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OptionsBody {
    allow_promotion_codes: Option<bool>,
    require_phone: Option<bool>,
    collect_address: Option<String>,
    success_url: Option<String>,
    allow_tip: Option<bool>,
}

impl TryFrom<CreateLinkBody> for CreateLink {
    type Error = ValidationError;

    fn try_from(body: CreateLinkBody) -> Result<Self, ValidationError> {
        let limits = (body.restrictions, body.inactive_message);
        let subject = match (body.order, body.products) {
            (Some(Object(order)), None) => {
                if limits.0.is_some() || limits.1.is_some() {
                    let field = if limits.0.is_some() { "restrictions" } else { "inactive_message" };
                    return Err(ValidationError::new(field, "is for product links (an order link is paid once)"));
                }
                LinkSubject::Order(order_request(order)?)
            }
            (None, Some(products)) => products_subject(products, limits)?,
            (Some(_), Some(_)) => return Err(ValidationError::new("products", "cannot be given together with order")),
            (None, None) => {
                return Err(ValidationError::new("order", "is required (or products, for a reusable link)"));
            }
        };
        let name = match (text(body.name, "name", 200)?, &subject) {
            (Some(name), _) => name,
            (None, LinkSubject::Order(order)) => format!("Order {}", order.id),
            (None, LinkSubject::Products { .. }) => return Err(ValidationError::new("name", "is required")),
        };
        let expiry = match body.expires_in_minutes {
            None => Expiry::MerchantDefault,
            Some(None) => Expiry::Never,
            Some(Some(minutes)) => Expiry::Minutes(expiry_minutes(minutes, "expires_in_minutes")?),
        };
        let (customer, card_payments) = match body.customer {
            None => (None, true),
            Some(Object(c)) => {
                let card_payments = c.card_payments.unwrap_or(true);
                (Some(customer(c.name, c.email, c.phone, c.locale)?), card_payments)
            }
        };
        let (options, success_url) = options(body.options.map(|Object(o)| o))?;
        let partial_payments = match (body.partial_payments, &subject) {
            (None, _) => None,
            (Some(Object(p)), LinkSubject::Order(order)) => Some(partial_payments(p, order.amount, order.currency)?),
            (Some(_), LinkSubject::Products { .. }) => {
                return Err(ValidationError::new("partial_payments", "is for order links"));
            }
        };
        if options.allow_tip && matches!(subject, LinkSubject::Products { .. }) {
            return Err(ValidationError::new("options.allow_tip", "is for order links"));
        }
        Ok(Self {
            name,
            subject,
            customer,
            card_payments,
            expiry,
            landing_page_url: web_url(body.landing_page_url, "landing_page_url")?,
            options,
            success_url,
            reminders: body.reminders.map(|r| link_reminders(r, "reminders")).transpose()?,
            partial_payments,
        })
    }
}

fn order_request(order: OrderBody) -> Result<OrderRequest, ValidationError> {
    let id = required(parsed(order.id, "order.id", OrderId::parse)?, "order.id")?;
    let currency = required(parsed(order.currency, "order.currency", Currency::parse)?, "order.currency")?;
    let items = required(order.line_items, "order.line_items")?;
    let mut lines = Vec::with_capacity(items.len());
    for (item, item_currency) in line_items(items, "order.line_items", Sold::AsOrdered)? {
        if item_currency.is_some_and(|c| c != currency) {
            return Err(ValidationError::new("order.line_items", "must all be in the order's currency"));
        }
        lines.push(item);
    }
    in_steps(&lines, currency, "order.line_items")?;
    let amount = match order.amount {
        Some(minor) => Amount::parse(minor).map_err(|e| ValidationError::new("order.amount", e.message))?,
        None => total(&lines, "order.line_items")?,
    };
    currency.check(amount.minor()).map_err(|e| e.under("order.amount"))?;
    let payment_status = match text(order.payment_status, "order.payment_status", 40)? {
        None => OrderPaymentStatus::Outstanding,
        Some(text) => OrderPaymentStatus::parse(&text).ok_or_else(|| {
            ValidationError::new(
                "order.payment_status",
                "must be outstanding, processing, paid, refunded, partially_refunded, rejected, not_tracked or deleted",
            )
        })?,
    };
    Ok(OrderRequest {
        id,
        currency,
        line_items: lines,
        amount,
        invoice_number: text(order.invoice_number, "order.invoice_number", 100)?,
        invoice_url: web_url(order.invoice_url, "order.invoice_url")?.map(String::from),
        payment_status,
    })
}

fn products_subject(
    products: Vec<Object<LineItemBody>>,
    (restricted, message): (Option<Object<RestrictionsBody>>, Option<String>),
) -> Result<LinkSubject, ValidationError> {
    let parsed = line_items(products, "products", Sold::AsProducts)?;
    let mut currency = None;
    for (i, (_, c)) in parsed.iter().enumerate() {
        let path = format!("products.{i}.currency");
        let c = required(*c, &path)?;
        if currency.is_some_and(|seen| seen != c) {
            return Err(ValidationError::new(path, "must match the other products' currency"));
        }
        currency = Some(c);
    }
    let items: Vec<LineItem> = parsed.into_iter().map(|(item, _)| item).collect();
    if items.len() > 1 && items.iter().any(|i| i.custom_amount.is_some()) {
        return Err(ValidationError::new("products", "with a custom_amount may hold that one product only"));
    }
    if items.iter().filter(|i| i.recurring.is_some()).count() > 1 {
        return Err(ValidationError::new("products", "may hold at most one recurring product"));
    }
    let amount = total(&items, "products")?;
    let currency = currency.expect("at least one product");
    in_steps(&items, currency, "products")?;
    Ok(LinkSubject::Products {
        currency,
        items,
        amount,
        restrictions: restricted.map(|Object(r)| restrictions(r)).transpose()?.unwrap_or_default(),
        inactive_message: inactive_message(message)?,
    })
}

/// Every price in what Stripe takes in the currency (three-decimal ones end in 0, ISK and UGX are
/// whole units).
fn in_steps(items: &[LineItem], currency: Currency, path: &str) -> Result<(), ValidationError> {
    for (i, item) in items.iter().enumerate() {
        let custom = item.custom_amount.iter().flat_map(|c| [Some(c.minimum), Some(c.maximum), c.preset]).flatten();
        for amount in std::iter::once(item.unit_amount).chain(custom) {
            currency.check(amount.minor()).map_err(|e| e.under(&format!("{path}.{i}.unit_amount")))?;
        }
    }
    Ok(())
}

fn customer(
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    locale: Option<String>,
) -> Result<Customer, ValidationError> {
    Ok(Customer {
        name: text(name, "customer.name", 200)?,
        email: parsed(email, "customer.email", Email::parse)?,
        phone: parsed(phone, "customer.phone", PhoneE164::parse)?,
        locale: locale.as_deref().map(paylinks::domain::parse_locale).transpose()?,
    })
}

fn options(body: Option<OptionsBody>) -> Result<(LinkOptions, Option<url::Url>), ValidationError> {
    let Some(body) = body else { return Ok((LinkOptions::default(), None)) };
    let path = |name| at("options", name);
    let collect_address = match text(body.collect_address, &path("collect_address"), 20)?.as_deref() {
        None | Some("none") => CollectAddress::None,
        Some("billing") => CollectAddress::Billing,
        Some("shipping") => CollectAddress::Shipping,
        Some(_) => return Err(ValidationError::new(path("collect_address"), "must be none, billing or shipping")),
    };
    let success_url = web_url(body.success_url, &path("success_url"))?;
    let options = LinkOptions {
        allow_promotion_codes: body.allow_promotion_codes.unwrap_or(false),
        require_phone: body.require_phone.unwrap_or(false),
        collect_address,
        success_url: success_url.as_ref().map(|u| u.to_string()),
        allow_tip: body.allow_tip.unwrap_or(false),
    };
    Ok((options, success_url))
}
