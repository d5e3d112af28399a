//! The customer's pages: small, accessible HTML with the merchant's brand, no JavaScript.
//! minijinja escapes every value in `.html` templates, so names from merchants and customers
//! are inert.

use std::sync::OnceLock;

use minijinja::{Environment, context};

use paylinks::domain::{Amount, Language, Link, Settings};
use paylinks::words::words;

const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", include_str!("../templates/layout.html")),
    ("summary.html", include_str!("../templates/summary.html")),
    ("already_paid.html", include_str!("../templates/already_paid.html")),
    ("processing.html", include_str!("../templates/processing.html")),
    ("unavailable.html", include_str!("../templates/unavailable.html")),
    ("thank_you.html", include_str!("../templates/thank_you.html")),
    ("cancelled.html", include_str!("../templates/cancelled.html")),
    ("choose.html", include_str!("../templates/choose.html")),
    ("preview.html", include_str!("../templates/preview.html")),
    ("simulated_checkout.html", include_str!("../templates/simulated_checkout.html")),
    ("waiting.html", include_str!("../templates/waiting.html")),
];

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source).expect("bundled templates compile (checked by tests)");
        }
        env
    })
}

/// Who a page is shown for: the merchant's brand (or a neutral one when the link is unknown), in
/// the customer's language.
#[derive(Debug, Clone, Default)]
pub struct Brand {
    pub merchant: String,
    pub brand_color: String,
    pub logo_url: Option<String>,
    pub language: Language,
}

impl Brand {
    pub fn of(settings: &Settings) -> Self {
        Self {
            merchant: settings.display_name.clone(),
            brand_color: settings.brand_color.as_str().to_string(),
            logo_url: settings.logo_url.clone(),
            language: Language::En,
        }
    }

    pub fn neutral() -> Self {
        Self { merchant: String::new(), brand_color: "#635BFF".into(), logo_url: None, language: Language::En }
    }

    /// The same brand, in `language`.
    pub fn speaking(self, language: Language) -> Self {
        Self { language, ..self }
    }
}

/// What a page says about the link: its name, formatted amount, what it is for, and its invoice.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Summary {
    pub name: String,
    pub amount: String,
    pub items: Vec<SummaryItem>,
    pub invoice_title: Option<String>,
    pub invoice_url: Option<String>,
}

/// One line of what is paid for: "2 × Widget  USD 25.00".
#[derive(Debug, Clone, serde::Serialize)]
pub struct SummaryItem {
    pub name: String,
    pub quantity: u32,
    pub amount: String,
}

impl Summary {
    /// The link as `language` writes its amounts and names its invoice.
    pub fn of(link: &Link, language: Language) -> Self {
        let locale = link.customer.as_ref().and_then(|c| c.locale.as_deref());
        let amount =
            |minor: i64| Amount::parse(minor).map(|a| language.money(locale, link.currency, a)).unwrap_or_default();
        let line = |item: &paylinks::domain::LineItem| SummaryItem {
            name: item.name.clone(),
            quantity: item.quantity,
            amount: amount(item.unit_amount.minor() * i64::from(item.quantity)),
        };
        let invoice = words(language).invoice;
        Self {
            name: link.name.clone(),
            amount: amount(link.amount.minor()),
            items: link.line_items.iter().map(line).collect(),
            invoice_title: match (&link.invoice.number, &link.invoice.url) {
                (Some(number), _) => Some(format!("{invoice} {number}")),
                (None, Some(_)) => Some(invoice.to_string()),
                (None, None) => None,
            },
            invoice_url: link.invoice.url.clone(),
        }
    }
}

pub(crate) fn render(template: &str, brand: &Brand, extra: minijinja::Value) -> String {
    let w = words(brand.language);
    let ctx = context! {
        merchant => brand.merchant,
        // Who "{merchant}" is in a sentence when the link is unknown.
        who => if brand.merchant.is_empty() { w.the_seller } else { brand.merchant.as_str() },
        who_starting => if brand.merchant.is_empty() { w.the_seller_starting } else { brand.merchant.as_str() },
        brand_color => brand.brand_color,
        logo_url => brand.logo_url,
        lang => brand.language.code(),
        w => w,
        ..extra
    };
    environment().get_template(template).and_then(|t| t.render(ctx)).unwrap_or_else(|err| {
        tracing::error!(template, error = %err, "page failed to render");
        "<!doctype html><title>Error</title><p>Something went wrong.</p>".to_string()
    })
}

pub fn already_paid(brand: &Brand, summary: &Summary) -> String {
    render("already_paid.html", brand, context! { summary => summary })
}

/// A payment that takes days to clear (a bank debit) is under way: no second Checkout.
pub fn processing(brand: &Brand, summary: &Summary) -> String {
    render("processing.html", brand, context! { summary => summary })
}

fn unavailable(brand: &Brand, heading: &str, explanation: &str, extra: minijinja::Value) -> String {
    render("unavailable.html", brand, context! { heading => heading, explanation => explanation, ..extra })
}

/// An expired link's page; with the link's token, a button that asks the merchant for a new one.
pub fn expired(brand: &Brand, renewal_token: Option<&str>) -> String {
    let w = words(brand.language);
    unavailable(brand, w.expired_heading, w.expired_text, context! { renewal_token => renewal_token })
}

/// After asking for a new link: the merchant has been told (once an hour at most, whoever asks).
pub fn renewal_requested(brand: &Brand) -> String {
    let w = words(brand.language);
    unavailable(brand, w.renewal_heading, "", context! { asked => true })
}

/// A reusable link past its limit: the merchant's own message, or ours.
pub fn completed(brand: &Brand, message: Option<&str>) -> String {
    let w = words(brand.language);
    unavailable(brand, w.completed_heading, message.unwrap_or(w.completed_text), context! { completed => true })
}

pub fn void(brand: &Brand) -> String {
    let w = words(brand.language);
    unavailable(brand, w.void_heading, w.void_text, context! {})
}

pub fn not_found(brand: &Brand) -> String {
    let w = words(brand.language);
    unavailable(brand, w.not_found_heading, w.not_found_text, context! {})
}

/// Past a limit on the public routes (`429`): come back in a minute.
pub fn throttled(brand: &Brand) -> String {
    let w = words(brand.language);
    unavailable(brand, w.throttled_heading, w.throttled_text, context! { completed => true })
}

/// Held by the Stripe account's pace (`200`): "Preparing your checkout…", moving on to
/// `retry_url` by itself after `refresh_seconds` (a meta refresh: no JavaScript), or at once
/// through its button.
pub fn waiting(brand: &Brand, retry_url: &str, refresh_seconds: i64) -> String {
    render("waiting.html", brand, context! { retry_url => retry_url, refresh_seconds => refresh_seconds })
}

pub fn not_available_now(brand: &Brand) -> String {
    let w = words(brand.language);
    unavailable(brand, w.unavailable_heading, w.unavailable_text, context! {})
}

/// What a link-preview bot or a `HEAD` sees of a payable link: what it is for, no Checkout.
pub fn preview(brand: &Brand, summary: &Summary) -> String {
    render("preview.html", brand, context! { summary => summary })
}

pub fn thank_you(brand: &Brand, summary: &Summary) -> String {
    render("thank_you.html", brand, context! { summary => summary })
}

pub fn cancelled(brand: &Brand, summary: &Summary, pay_url: &str) -> String {
    render("cancelled.html", brand, context! { summary => summary, pay_url => pay_url })
}

pub fn simulated_checkout(brand: &Brand, summary: &Summary) -> String {
    render("simulated_checkout.html", brand, context! { summary => summary })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_template_compiles() {
        for (name, _) in TEMPLATES {
            environment().get_template(name).unwrap();
        }
    }

    #[test]
    fn an_expired_page_with_a_token_offers_to_ask_for_a_new_link() {
        let page = expired(&Brand::neutral(), Some("tok\"en"));
        assert!(page.contains(r#"action="/pay/renewal-request""#) && page.contains("tok&quot;en"), "{page}");
        assert!(!expired(&Brand::neutral(), None).contains("<form"));
        assert!(!renewal_requested(&Brand::neutral()).contains("<form"));
    }

    #[test]
    fn names_from_merchants_and_customers_come_out_inert() {
        let brand = Brand { merchant: "<script>alert(1)</script>".into(), ..Brand::neutral() };
        let summary =
            Summary { name: "<img src=x onerror=alert(1)>".into(), amount: "USD 1.00".into(), ..Summary::default() };
        let page = already_paid(&brand, &summary);
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(!page.contains("<img src=x"), "{page}");
        assert!(page.contains("&lt;script&gt;"));
    }
}
