//! Every customer page and email, looked at in headless Chromium at 360 px and 1280 px: saved with
//! screenshots under `target/screens/`, and no wider than the screen (nothing scrolls sideways),
//! with long names, two lines and an invoice, as merchants really send them.

use paylinks_tests::browser::look_at;
use paylinks_tests::server::{TestServer, embedded, order_link, unique};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A long-named order of two long-named lines, with an invoice, expiring in an hour.
async fn link(server: &TestServer, merchant: &str) -> Value {
    let mut body = order_link(&unique("SO"));
    body.as_object_mut().unwrap().remove("landing_page_url");
    body["name"] = json!("Order SO-2026-11-0042 — spring collection restock for the Kensington store");
    body["customer"]["name"] = json!("Maximiliane Alexandra von Wolkenstein-Trostburg");
    body["order"]["line_items"] = json!([
        {"name": "Hand-thrown stoneware serving platter, speckled oatmeal glaze (large)", "unit_amount": 4850, "quantity": 2},
        {"name": "Linen napkins, set of six", "unit_amount": 2400, "quantity": 1}
    ]);
    body["order"]["invoice_number"] = json!("INV-2026-000042");
    body["order"]["invoice_url"] =
        json!("https://shop.example.com/account/invoices/INV-2026-000042/download?format=pdf&locale=en");
    body["expires_in_minutes"] = json!(60);
    let made = server.call(merchant, "POST", "/links", Some(body)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    made.json()
}

fn page(reply: &paylinks_tests::server::Reply) -> &str {
    assert!(reply.text.starts_with("<!doctype html>"), "a page: {} {}", reply.status, reply.text);
    &reply.text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_and_email_fits_a_phone_and_a_desktop() {
    let server = embedded().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({"display_name": "Müller & Söhne Feinkost GmbH"})).await;
    let paid = link(&server, &merchant).await;
    let expiring = link(&server, &merchant).await;

    let id = paid["id"].as_str().unwrap();
    assert_eq!(server.call(&merchant, "POST", &format!("/links/{id}/email"), None).await.status, StatusCode::OK);
    let outbox = std::fs::read_to_string(server.outbox_file()).unwrap();
    let email: Value = serde_json::from_str(outbox.lines().last().unwrap()).unwrap();
    look_at("email", email["html"].as_str().unwrap());
    // And in Japanese (CJK wraps anywhere: Noto CJK, installed with chromium, draws it).
    let mut japanese = order_link(&unique("SO"));
    japanese["customer"]["locale"] = json!("ja-JP");
    japanese["order"]["currency"] = json!("jpy");
    japanese.as_object_mut().unwrap().remove("landing_page_url");
    let made = server.call(&merchant, "POST", "/links", Some(japanese)).await.json();
    let path = format!("/links/{}/email", made["id"].as_str().unwrap());
    assert_eq!(server.call(&merchant, "POST", &path, None).await.status, StatusCode::OK);
    let outbox = std::fs::read_to_string(server.outbox_file()).unwrap();
    let email: Value = serde_json::from_str(outbox.lines().last().unwrap()).unwrap();
    look_at("email-ja", email["html"].as_str().unwrap());

    let url = paid["url"].as_str().unwrap();
    let token = url.split("payment_link_token=").nth(1).unwrap();
    let checkout = server.open(url).await.location.unwrap();
    look_at("simulated-checkout", page(&server.open(&checkout).await));
    look_at("cancelled", page(&server.open(&server.url(&format!("/pay/cancel?payment_link_token={token}"))).await));
    server.raw(server.http.post(&checkout).form(&[("outcome", "paid")])).await;
    look_at("thank-you", page(&server.open(&server.url(&format!("/pay/complete?payment_link_token={token}"))).await));
    look_at("already-paid", page(&server.open(url).await));

    server.raw(server.http.post(server.url("/local/clock")).json(&json!({"advance_seconds": 61 * 60}))).await;
    let expired = server.open(expiring["url"].as_str().unwrap()).await;
    look_at("expired", page(&expired));
    let token = expiring["url"].as_str().unwrap().split("payment_link_token=").nth(1).unwrap();
    let asked = server.raw(server.http.post(server.url("/pay/renewal-request")).form(&[("payment_link_token", token)]));
    look_at("renewal-requested", page(&asked.await));
    look_at("not-found", page(&server.open(&server.url("/pay?payment_link_token=not-a-token")).await));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_where_a_customer_chooses_fit_a_phone_and_a_desktop() {
    let server = embedded().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({"display_name": "Müller & Söhne Feinkost GmbH"})).await;
    // Parts and a tip together, in German: the longest words this page has.
    let mut body = order_link(&unique("SO"));
    body.as_object_mut().unwrap().remove("landing_page_url");
    body["customer"]["locale"] = json!("de-DE");
    body["order"]["line_items"] =
        json!([{"name": "Maßgefertigte Eichenholz-Esstischplatte, geölt", "unit_amount": 128000, "quantity": 1}]);
    body["partial_payments"] = json!({"minimum_amount": 30000});
    body["options"] = json!({"allow_tip": true});
    let made = server.call(&merchant, "POST", "/links", Some(body)).await.json();
    look_at("choose-part-and-tip", page(&server.open(made["url"].as_str().unwrap()).await));
    let token = made["url"].as_str().unwrap().split("payment_link_token=").nth(1).unwrap().to_string();
    let refused = server
        .raw(server.http.post(server.url("/pay")).form(&[("payment_link_token", token.as_str()), ("amount", "100")]))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    look_at("choose-refused", page(&refused));

    let pwyw = json!({"name": "Unterstützen Sie unseren Podcast", "products": [{"name": "Beitrag", "currency": "eur",
        "custom_amount": {"minimum": 300, "maximum": 50000, "preset": 1500}}]});
    let made = server.call(&merchant, "POST", "/links", Some(pwyw)).await.json();
    look_at("choose-price", page(&server.open(made["url"].as_str().unwrap()).await));

    let limited = json!({"name": "Workshop", "products": [{"name": "Seat", "unit_amount": 5000, "currency": "usd"}],
        "restrictions": {"completed_payments_limit": 1},
        "inactive_message": "All seats are taken — thank you! We will announce the next workshop on our website."});
    let made = server.call(&merchant, "POST", "/links", Some(limited)).await.json();
    let url = made["url"].as_str().unwrap();
    let checkout = server.open(url).await.location.unwrap();
    server.raw(server.http.post(&checkout).form(&[("outcome", "paid")])).await;
    let completed = server.open(url).await;
    assert_eq!(completed.status, StatusCode::GONE, "{}", completed.text);
    look_at("completed", page(&completed));
}

/// "Preparing your checkout…": a customer held by the Stripe account's pace (one a second here),
/// in German, under a long merchant name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_waiting_page_fits_a_phone_and_a_desktop() {
    let server =
        paylinks_tests::server::embedded_on_fake_stripe_tuned(|o| o.link_config.stripe_sessions_per_second = 1).await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({"display_name": "Müller & Söhne Feinkost GmbH"})).await;
    let body =
        json!({"name": "Adventskalender", "products": [{"name": "Kalender", "unit_amount": 2500, "currency": "eur"}]});
    let made = server.call(&merchant, "POST", "/links", Some(body)).await.json();
    let url = made["url"].as_str().unwrap();
    for _ in 0..10 {
        server.open(url).await;
        let second = server.raw(server.http.get(url).header("accept-language", "de")).await;
        if second.status == StatusCode::OK {
            look_at("waiting", page(&second));
            return;
        }
    }
    panic!("never held at a pace of one a second");
}

/// The measurement bites: a document with an unbreakable line wider than a phone fails.
#[test]
#[should_panic(expected = "scrolls sideways")]
fn a_document_wider_than_the_screen_is_caught() {
    let long = "x".repeat(120);
    look_at("too-wide", &format!("<!doctype html><meta name=viewport content='width=device-width'><p>{long}</p>"));
}
