//! The words of a payment request: the email (HTML with a Pay Now button in the merchant's colour,
//! and a plain-text part with the same URL) and the SMS. The merchant's own templates (settings)
//! or ours; minijinja escapes every value in the HTML part, so a customer named `<script>` is text.

use minijinja::{AutoEscape, Environment, context};

use crate::domain::{Amount, Language, Link, Settings, TimeZoneName, reminder_policy};
use crate::words::words;

/// Ours in the customer's language (`crate::words`).
const DEFAULT_SUBJECT: &str = r#"{{ w.subject|replace("{merchant}", merchant) }}"#;
const DEFAULT_REMINDER_SUBJECT: &str = r#"{{ w.reminder_subject|replace("{merchant}", merchant) }}"#;
const DEFAULT_HTML: &str = include_str!("../templates/email.html");
const DEFAULT_TEXT: &str = include_str!("../templates/email.txt");
/// Short on purpose: with the longest merchant name allowed (40) and a short URL it fits one
/// GSM-7 segment.
const DEFAULT_SMS: &str = "{{ merchant }}: please pay {{ amount }}. {{ url }}";
/// With the longest merchant name, an expiry (`13 Dec 2026 10:00 CEST`) and a short URL it still
/// fits one GSM-7 segment.
const DEFAULT_REMINDER_SMS: &str =
    "{{ merchant }}: a reminder to pay {{ amount }}{% if expires %} by {{ expires }}{% endif %}. {{ url }}";

/// Which message: the request to pay, or reminder `number` (from 1) of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wording {
    Request,
    Reminder { number: u16 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub html: String,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
#[error("the merchant's template does not render: {0}")]
pub struct TemplateError(String);

fn render(source: &str, html: bool, values: &minijinja::Value) -> Result<String, TemplateError> {
    let mut env = Environment::new();
    let escape = if html { AutoEscape::Html } else { AutoEscape::None };
    env.set_auto_escape_callback(move |_| escape);
    env.add_template("t", source).map_err(|e| TemplateError(e.to_string()))?;
    env.get_template("t").and_then(|t| t.render(values)).map_err(|e| TemplateError(e.to_string()))
}

/// Whether a merchant's template renders, checked when it is saved rather than when a customer
/// is waiting for the message. It is rendered once with sample values, so unknown filters and the
/// like are caught too. The error says on which line.
pub fn check_template(source: &str) -> Result<(), String> {
    let fail = |e: minijinja::Error| {
        let line = e.line().map(|l| format!(" on line {l}")).unwrap_or_default();
        format!("does not render{line}: {}", e.kind())
    };
    let mut env = Environment::new();
    env.add_template("t", source).map_err(fail)?;
    let sample = context! {
        url => "https://pay.example.com/p/Ab3dE9xQ2kZ",
        short_url => "https://pay.example.com/p/Ab3dE9xQ2kZ",
        amount => "USD 25.00",
        merchant => "Acme",
        customer_name => "Ada",
        link_name => "Order SO-1001",
        items => vec![context! { name => "Widget", quantity => 2, amount => "USD 25.00" }],
        invoice_title => "Invoice INV-1001",
        invoice_url => "https://shop.example.com/invoices/INV-1001.pdf",
        lang => "en",
        w => words(Language::En),
        brand_color => "#635BFF",
        logo_url => (),
        reminder => 1,
        expires => "3 Dec 2026 10:00 CET",
    };
    env.get_template("t").and_then(|t| t.render(sample)).map(|_| ()).map_err(fail)
}

/// Where a message sends its reader: `pay` behind the button, `short` to read or copy by hand (a
/// long token URL cannot wrap, and would push a phone's screen sideways).
#[derive(Debug, Clone, Copy)]
pub struct MessageUrls<'a> {
    pub pay: &'a str,
    pub short: &'a str,
}

impl<'a> MessageUrls<'a> {
    /// One URL for both (an SMS carries the short URL only).
    pub fn single(url: &'a str) -> Self {
        Self { pay: url, short: url }
    }
}

/// The customer's language for a message: the link's `customer.locale`, else English (a message
/// has no browser to ask).
fn language_of(link: &Link) -> Language {
    Language::negotiate(link.customer.as_ref().and_then(|c| c.locale.as_deref()), None)
}

fn values(
    settings: &Settings,
    link: &Link,
    customer_name: Option<&str>,
    urls: MessageUrls<'_>,
    wording: Wording,
    language: Language,
) -> minijinja::Value {
    let locale = link.customer.as_ref().and_then(|c| c.locale.as_deref());
    let amount =
        |minor: i64| Amount::parse(minor).map(|a| language.money(locale, link.currency, a)).unwrap_or_default();
    let w = words(language);
    let merchant =
        if settings.display_name.is_empty() { "Your seller".to_string() } else { settings.display_name.clone() };
    // The expiry in the reminder policy's time zone (UTC without one).
    let zone = reminder_policy(link.reminders.as_ref(), settings.reminders.as_ref())
        .map(|p| p.time_zone.clone())
        .unwrap_or_else(TimeZoneName::utc);
    let reminder = match wording {
        Wording::Request => None,
        Wording::Reminder { number } => Some(number),
    };
    context! {
        reminder => reminder,
        expires => link.expires_at.map(|at| zone.local_text_in(at, language)),
        url => urls.pay,
        short_url => urls.short,
        amount => amount(link.amount.minor()),
        lang => language.code(),
        w => w,
        merchant => merchant,
        customer_name => customer_name,
        link_name => link.name,
        items => link.line_items.iter().map(|item| context! {
            name => item.name,
            quantity => item.quantity,
            amount => amount(item.unit_amount.minor() * i64::from(item.quantity)),
        }).collect::<Vec<_>>(),
        invoice_title => match (&link.invoice.number, &link.invoice.url) {
            (Some(number), _) => Some(format!("{} {number}", w.invoice)),
            (None, Some(_)) => Some(w.invoice.to_string()),
            (None, None) => None,
        },
        invoice_url => link.invoice.url,
        brand_color => settings.brand_color.as_str(),
        logo_url => settings.logo_url,
    }
}

pub fn email(
    settings: &Settings,
    link: &Link,
    customer_name: Option<&str>,
    urls: MessageUrls<'_>,
) -> Result<RenderedEmail, TemplateError> {
    email_as(settings, link, customer_name, urls, Wording::Request)
}

/// The email in the words of a request or of a reminder: the merchant's template for it, or ours
/// (one HTML and text template for both, saying so when it is a reminder).
pub fn email_as(
    settings: &Settings,
    link: &Link,
    customer_name: Option<&str>,
    urls: MessageUrls<'_>,
    wording: Wording,
) -> Result<RenderedEmail, TemplateError> {
    let v = values(settings, link, customer_name, urls, wording, language_of(link));
    let (template, default_subject) = match wording {
        Wording::Request => (&settings.email_template, DEFAULT_SUBJECT),
        Wording::Reminder { .. } => (&settings.reminder_email_template, DEFAULT_REMINDER_SUBJECT),
    };
    let (subject, html, text) = match template {
        Some(t) => (t.subject.as_str(), t.html.as_str(), t.text.as_str()),
        None => (default_subject, DEFAULT_HTML, DEFAULT_TEXT),
    };
    // A subject is one line: whatever a name holds, it cannot add headers.
    let subject = render(subject, false, &v)?.replace(['\r', '\n'], " ");
    Ok(RenderedEmail { subject, html: render(html, true, &v)?, text: render(text, false, &v)? })
}

pub fn sms(settings: &Settings, link: &Link, url: &str) -> Result<String, TemplateError> {
    sms_as(settings, link, url, Wording::Request)
}

pub fn sms_as(settings: &Settings, link: &Link, url: &str, wording: Wording) -> Result<String, TemplateError> {
    let source = match wording {
        Wording::Request => settings.sms_template.as_ref().map(|t| t.text.as_str()).unwrap_or(DEFAULT_SMS),
        Wording::Reminder { .. } => {
            settings.reminder_sms_template.as_ref().map(|t| t.text.as_str()).unwrap_or(DEFAULT_REMINDER_SMS)
        }
    };
    // Texts are written in English (their amounts too): one segment, whatever the language.
    let v = values(settings, link, None, MessageUrls::single(url), wording, Language::En);
    Ok(render(source, false, &v)?.trim().to_string())
}

/// GSM 03.38 basic set; the extension characters count twice.
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u{1b}ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM7_EXTENSION: &str = "^{}\\[~]|€\u{c}";

/// How many SMS segments a text takes: GSM-7 when every character is in it (160 alone, 153 per
/// part), else UCS-2 (70 alone, 67 per part).
pub fn sms_segments(text: &str) -> usize {
    let gsm_units: Option<usize> = text.chars().try_fold(0, |units, c| {
        if GSM7_BASIC.contains(c) {
            Some(units + 1)
        } else if GSM7_EXTENSION.contains(c) {
            Some(units + 2)
        } else {
            None
        }
    });
    let (units, single, part) = match gsm_units {
        Some(units) => (units, 160, 153),
        None => (text.encode_utf16().count(), 70, 67),
    };
    if units <= single { 1 } else { units.div_ceil(part) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_follow_gsm7_and_ucs2_limits() {
        assert_eq!(sms_segments(&"a".repeat(160)), 1);
        assert_eq!(sms_segments(&"a".repeat(161)), 2);
        assert_eq!(sms_segments(&"€".repeat(80)), 1);
        assert_eq!(sms_segments(&"€".repeat(81)), 2);
        assert_eq!(sms_segments(&"ж".repeat(70)), 1);
        assert_eq!(sms_segments(&"ж".repeat(71)), 2);
    }
}
