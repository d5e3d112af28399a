//! What the customer sees of what they pay for: every line item and the order's invoice, in the
//! email (both parts), on our pages, and in Checkout (the payment's description and the line
//! above the pay button).

use paylinks_tests::server::{TestServer, embedded, on_real_adapters, order_link, unique};
use reqwest::StatusCode;
use serde_json::{Value, json};

const INVOICE_URL: &str = "https://shop.example.com/invoices/INV-1001.pdf";

/// An invoiced order of two lines: 2 × Widget (USD 25.00) and a Gadget (USD 5.00).
async fn invoiced_link(server: &TestServer) -> (String, Value) {
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let mut body = order_link(&unique("SO"));
    body.as_object_mut().unwrap().remove("landing_page_url");
    body["order"]["line_items"] = json!([
        {"name": "Widget", "unit_amount": 1250, "quantity": 2},
        {"name": "Gadget", "unit_amount": 500, "quantity": 1}
    ]);
    body["order"]["invoice_number"] = json!("INV-1001");
    body["order"]["invoice_url"] = json!(INVOICE_URL);
    let link = server.call(&merchant, "POST", "/links", Some(body)).await;
    assert_eq!(link.status, StatusCode::CREATED, "{}", link.text);
    (merchant, link.json())
}

#[tokio::test]
async fn the_email_and_the_checkout_page_list_every_item_and_the_invoice() {
    let server = embedded().await;
    let (merchant, link) = invoiced_link(&server).await;
    let id = link["id"].as_str().unwrap();
    let sent = server.call(&merchant, "POST", &format!("/links/{id}/email"), None).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    let outbox = std::fs::read_to_string(server.outbox_file()).unwrap();
    let email: Value = serde_json::from_str(outbox.lines().last().unwrap()).unwrap();
    let (html, text) = (email["html"].as_str().unwrap(), email["text"].as_str().unwrap());
    for part in [html, text] {
        assert!(part.contains("Widget") && part.contains("Gadget"), "every line: {part}");
        assert!(part.contains("Invoice INV-1001") && part.contains("INV-1001.pdf"), "the invoice: {part}");
    }
    assert!(text.contains("- 2 x Widget: USD 25.00") && text.contains("- Gadget: USD 5.00"), "{text}");

    let checkout = server.open(link["url"].as_str().unwrap()).await.location.unwrap();
    let page = server.open(&checkout).await;
    assert_eq!(page.status, StatusCode::OK);
    for shown in ["2 × Widget", "USD 25.00", "Gadget", "USD 5.00", "Invoice INV-1001"] {
        assert!(page.text.contains(shown), "the simulated Checkout shows {shown}: {}", page.text);
    }
}

#[tokio::test]
async fn checkout_names_the_invoice_and_our_pages_show_what_was_paid_for() {
    let server = on_real_adapters().await;
    let (_, link) = invoiced_link(&server).await;
    let url = link["url"].as_str().unwrap();
    assert_eq!(server.open(url).await.status, StatusCode::SEE_OTHER);
    let created = server.stripe().requests().into_iter().rev().find(|r| r.path == "/v1/checkout/sessions").unwrap();
    let told = format!("Invoice INV-1001 · {INVOICE_URL}");
    assert_eq!(created.param("payment_intent_data[description]"), Some(told.as_str()));
    assert_eq!(created.param("custom_text[submit][message]"), Some(told.as_str()));

    let token = url.split("payment_link_token=").nth(1).unwrap();
    let thanks = server.open(&server.url(&format!("/pay/complete?payment_link_token={token}"))).await;
    assert_eq!(thanks.status, StatusCode::OK);
    for shown in ["2 × Widget", "Gadget", "Invoice INV-1001", "INV-1001.pdf"] {
        assert!(thanks.text.contains(shown), "the thank-you page shows {shown}: {}", thanks.text);
    }
    assert!(!thanks.text.contains("receipt"), "no promise of a receipt nobody knows is sent");
}

/// An invoice URL as long as a link takes (2048) would break Stripe's limits: Checkout gets the
/// invoice's title alone, and the customer can still pay; in the customer's language.
#[tokio::test]
async fn a_long_invoice_url_is_left_out_of_checkout_and_the_title_follows_the_language() {
    let server = on_real_adapters().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let mut body = order_link(&unique("SO"));
    body["order"]["invoice_number"] = json!("INV-1001");
    body["order"]["invoice_url"] = json!(format!("https://shop.example.com/{}", "a".repeat(2000)));
    body["customer"]["locale"] = json!("de");
    let link = server.call(&merchant, "POST", "/links", Some(body)).await;
    assert_eq!(link.status, StatusCode::CREATED, "{}", link.text);
    assert_eq!(server.open(link.json()["url"].as_str().unwrap()).await.status, StatusCode::SEE_OTHER);
    let created = server.stripe().requests().into_iter().rev().find(|r| r.path == "/v1/checkout/sessions").unwrap();
    assert_eq!(created.param("payment_intent_data[description]"), Some("Rechnung INV-1001"));
    assert_eq!(created.param("custom_text[submit][message]"), Some("Rechnung INV-1001"));
}
