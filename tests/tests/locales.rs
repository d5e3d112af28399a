//! The customer's language, for each one pages and emails are written in: the link's
//! `customer.locale` (else the browser's `Accept-Language`) picks the words, amounts are written
//! as that language writes them (JPY without decimals), and Checkout gets the same locale.

use paylinks::domain::Language;
use paylinks::words::words;
use paylinks_tests::server::{TestServer, embedded, on_real_adapters, order_link, unique};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The order's total (USD 25.00, or JPY 2,500) as `language` writes it.
fn total(language: Language) -> &'static str {
    match language {
        Language::En => "USD 25.00",
        Language::De | Language::Fr | Language::Es => "25,00\u{a0}USD",
        Language::Ja => "JPY 2,500",
    }
}

async fn link(server: &TestServer, merchant: &str, locale: Option<&str>, currency: &str) -> Value {
    let mut body = order_link(&unique("SO"));
    body.as_object_mut().unwrap().remove("landing_page_url");
    body["order"]["currency"] = json!(currency);
    if currency == "jpy" {
        body["order"]["line_items"] = json!([{"name": "Widget", "unit_amount": 1250, "quantity": 2}]);
    }
    if let Some(locale) = locale {
        body["customer"]["locale"] = json!(locale);
    }
    let made = server.call(merchant, "POST", "/links", Some(body)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    made.json()
}

#[tokio::test]
async fn each_language_writes_the_email_and_the_pages_and_its_amounts() {
    let server = embedded().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({"display_name": "Test Shop"})).await;
    for (language, tag) in [
        (Language::En, "en-GB"),
        (Language::De, "de-AT"),
        (Language::Fr, "fr"),
        (Language::Es, "es-ES"),
        (Language::Ja, "ja-JP"),
    ] {
        let currency = if language == Language::Ja { "jpy" } else { "usd" };
        let w = words(language);
        let made = link(&server, &merchant, Some(tag), currency).await;
        let id = made["id"].as_str().unwrap();
        assert_eq!(server.call(&merchant, "POST", &format!("/links/{id}/email"), None).await.status, StatusCode::OK);
        let outbox = std::fs::read_to_string(server.outbox_file()).unwrap();
        let email: Value = serde_json::from_str(outbox.lines().last().unwrap()).unwrap();
        assert_eq!(email["subject"], w.subject.replace("{merchant}", "Test Shop"), "{tag}");
        let (html, text) = (email["html"].as_str().unwrap(), email["text"].as_str().unwrap());
        assert!(html.contains(&format!("<html lang=\"{}\">", language.code())), "{tag}");
        for part in [html, text] {
            assert!(part.contains(w.pay_now) && part.contains(total(language)), "{tag}: {part}");
        }

        // A link without a locale follows the browser's.
        let plain = link(&server, &merchant, None, currency).await;
        let token = plain["url"].as_str().unwrap().split("payment_link_token=").nth(1).unwrap().to_string();
        let accept = format!("{}, en;q=0.5", language.code());
        let cancel = server.url(&format!("/pay/cancel?payment_link_token={token}"));
        let page = server.raw(server.http.get(cancel).header("accept-language", accept)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text.contains(w.cancelled_heading) && page.text.contains(total(language)), "{tag}: {}", page.text);
    }
}

#[tokio::test]
async fn checkout_gets_the_customers_locale_or_else_the_browsers() {
    let server = on_real_adapters().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    for (locale, expected) in [(Some("de-CH"), "de"), (Some("ja"), "ja"), (Some("pt-BR"), "auto"), (None, "auto")] {
        let made = link(&server, &merchant, locale, "usd").await;
        assert_eq!(server.open(made["url"].as_str().unwrap()).await.status, StatusCode::SEE_OTHER);
        let created = server.stripe().requests().into_iter().rev().find(|r| r.path == "/v1/checkout/sessions").unwrap();
        assert_eq!(created.param("locale"), Some(expected), "{locale:?}");
    }
    let mut body = order_link(&unique("SO"));
    body["customer"]["locale"] = json!("not a locale");
    let refused = server.call(&merchant, "POST", "/links", Some(body)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
    assert!(refused.text.contains("customer.locale"), "{}", refused.text);
}
