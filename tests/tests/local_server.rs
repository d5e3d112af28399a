//! The local server on its embedded defaults, as a newcomer meets it: simulated checkout pays
//! through the real webhook path, and the pages Stripe sends customers back to.

use paylinks_tests::server::{embedded, order_link, unique};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn simulated_checkout_pays_the_dev_merchants_link_through_the_webhook() {
    let server = embedded().await;
    let merchant = server.running.dev_merchant.clone();
    let mut body = order_link("SO-sim");
    body.as_object_mut().unwrap().remove("landing_page_url");
    let link = server.call(&merchant, "POST", "/links", Some(body)).await;
    assert_eq!(link.status, StatusCode::CREATED, "the dev merchant can take payments: {}", link.text);
    let link = link.json();
    let opened = server.open(link["url"].as_str().unwrap()).await;
    let checkout = opened.location.unwrap();
    assert!(checkout.starts_with(&server.url("/simulated-checkout/cs_sim_")), "{checkout}");
    let page = server.open(&checkout).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("USD 25.00") && page.text.contains("Pay"));

    let paid = server.raw(server.http.post(&checkout).form(&[("outcome", "paid")])).await;
    assert_eq!(paid.status, StatusCode::SEE_OTHER, "{}", paid.text);
    let complete = paid.location.unwrap();
    assert!(complete.starts_with(&server.url("/pay/complete?")), "{complete}");
    let thanks = server.open(&complete).await;
    assert!(thanks.text.contains("Thank you for your payment"));

    let detail = server.call(&merchant, "GET", &format!("/links/{}", link["id"].as_str().unwrap()), None).await.json();
    assert_eq!(detail["status"], "paid");
    assert_eq!(detail["payments"][0]["amount"], 2500);
    let revisit = server.open(link["url"].as_str().unwrap()).await;
    assert!(revisit.text.contains("This order has already been paid"));
}

#[tokio::test]
async fn leaving_checkout_offers_the_way_back_and_a_success_url_is_honoured() {
    let server = embedded().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({"brand_color": "#112233", "display_name": "Corner <Shop>"})).await;
    let mut body = order_link("SO-back");
    body["options"] = json!({"success_url": "https://shop.example.com/thanks"});
    let link = server.call(&merchant, "POST", "/links", Some(body)).await.json();
    let url = link["url"].as_str().unwrap();
    let token = url.split_once("payment_link_token=").unwrap().1;

    let cancel = server.open(&server.url(&format!("/pay/cancel?payment_link_token={token}"))).await;
    assert_eq!(cancel.status, StatusCode::OK);
    assert!(cancel.text.contains("Return to payment") && cancel.text.contains(token), "a way back to the link");
    assert!(cancel.text.contains("#112233"), "in the merchant's colour");
    assert!(cancel.text.contains("Corner &lt;Shop&gt;"), "names are escaped");

    let complete = server.open(&server.url(&format!("/pay/complete?payment_link_token={token}&session_id=cs_x"))).await;
    assert_eq!(complete.status, StatusCode::SEE_OTHER);
    assert_eq!(complete.location.unwrap(), "https://shop.example.com/thanks");

    let resolved = server.open(&server.url(&format!("/pay/resolve?payment_link_token={token}"))).await.json();
    assert_eq!(resolved["status"], "active");
    assert_eq!(resolved["amount"], 2500);
    assert_eq!(resolved["merchant"]["brand_color"], "#112233");
}

#[tokio::test]
async fn a_deleted_link_is_gone_for_the_merchant_and_invalid_for_the_customer() {
    let server = embedded().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let link = server.call(&merchant, "POST", "/links", Some(order_link("SO-del"))).await.json();
    let path = format!("/links/{}", link["id"].as_str().unwrap());
    assert_eq!(server.call(&merchant, "DELETE", &path, None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(server.call(&merchant, "GET", &path, None).await.status, StatusCode::NOT_FOUND);
    let opened = server.open(link["url"].as_str().unwrap()).await;
    assert_eq!(opened.location.unwrap(), "https://shop.example.com/payment-problem?payment_link_error=invalid");
}

#[tokio::test]
async fn a_product_link_is_reusable_and_gives_every_customer_a_session_of_their_own() {
    let server = embedded().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let body = json!({
        "name": "T-shirts",
        "products": [{"name": "T-shirt", "unit_amount": 2000, "currency": "usd", "quantity": 1,
                      "adjustable_quantity": {"minimum": 1, "maximum": 5}}]
    });
    let link = server.call(&merchant, "POST", "/links", Some(body)).await;
    assert_eq!(link.status, StatusCode::CREATED, "{}", link.text);
    let link = link.json();
    assert_eq!(link["kind"], "product");
    let first = server.open(link["url"].as_str().unwrap()).await.location.unwrap();
    let second = server.open(link["url"].as_str().unwrap()).await.location.unwrap();
    assert_ne!(first, second);
    let two_recurring = json!({
        "name": "Plans",
        "products": [
            {"name": "A", "unit_amount": 100, "currency": "usd", "recurring": {"interval": "month"}},
            {"name": "B", "unit_amount": 100, "currency": "usd", "recurring": {"interval": "year"}}
        ]
    });
    let refused = server.call(&merchant, "POST", "/links", Some(two_recurring)).await;
    assert_eq!(refused.json()["error"]["field"], "products");
}
