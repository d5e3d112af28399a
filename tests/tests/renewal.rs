//! "Ask for a new link" on an expired link's page: the merchant is told (`link.renewal_requested`
//! and the link's `renewal_requested_at`) once an hour at most, however many customers ask at
//! once; a link that is not expired sends the customer back to it. Both stores; the clock moves,
//! nothing sleeps.

use paylinks_tests::server::{TestServer, embedded, on_real_adapters, order_link, unique};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A merchant with an endpoint for `link.renewal_requested`, and a link that expires in an hour.
async fn expiring_link(server: &TestServer) -> (String, Value) {
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let endpoint = json!({"url": "http://127.0.0.1:9/paylinks", "events": ["link.renewal_requested"]});
    assert_eq!(server.call(&merchant, "POST", "/webhook-endpoints", Some(endpoint)).await.status, StatusCode::CREATED);
    let mut body = order_link(&unique("SO"));
    body["expires_in_minutes"] = json!(60);
    body.as_object_mut().unwrap().remove("landing_page_url");
    let link = server.call(&merchant, "POST", "/links", Some(body)).await;
    assert_eq!(link.status, StatusCode::CREATED, "{}", link.text);
    (merchant, link.json())
}

async fn advance(server: &TestServer, seconds: i64) {
    server.raw(server.http.post(server.url("/local/clock")).json(&json!({"advance_seconds": seconds}))).await;
}

async fn ask(server: &TestServer, token: &str) -> paylinks_tests::server::Reply {
    server.raw(server.http.post(server.url("/pay/renewal-request")).form(&[("payment_link_token", token)])).await
}

/// The token the expired page's form carries.
fn form_token(page: &str) -> String {
    let after = page.split(r#"name="payment_link_token" value=""#).nth(1).expect("the page offers the form");
    after.split('"').next().unwrap().to_string()
}

async fn told(server: &TestServer, merchant: &str) -> usize {
    let events = server.call(merchant, "GET", "/events?type=link.renewal_requested", None).await.json();
    events["data"].as_array().unwrap().len()
}

async fn asking_for_a_new_link_tells_the_merchant_once_an_hour(server: &TestServer) {
    let (merchant, link) = expiring_link(server).await;
    let url = link["url"].as_str().unwrap();
    let token = url.split("payment_link_token=").nth(1).unwrap();
    let early = ask(server, token).await;
    assert_eq!(early.status, StatusCode::SEE_OTHER, "not expired: back to the link");
    assert_eq!(told(server, &merchant).await, 0);

    advance(server, 61 * 60).await;
    let page = server.open(url).await;
    assert_eq!(page.status, StatusCode::GONE, "{}", page.text);
    let short = server.open(link["short_url"].as_str().unwrap()).await;
    assert!(!form_token(&short.text).is_empty(), "the short URL's page offers it too");
    let asked = ask(server, &form_token(&page.text)).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.text);
    assert!(asked.text.contains("Test Shop knows you would like to pay"), "{}", asked.text);
    assert_eq!(told(server, &merchant).await, 1);
    let shown = server.call(&merchant, "GET", &format!("/links/{}", link["id"].as_str().unwrap()), None).await.json();
    assert!(shown["renewal_requested_at"].is_string(), "the merchant's flag: {shown}");

    assert_eq!(ask(server, &form_token(&page.text)).await.status, StatusCode::OK, "asked again: the same page");
    assert_eq!(told(server, &merchant).await, 1, "within the hour: told once");
    advance(server, 60 * 60).await;
    ask(server, &form_token(&page.text)).await;
    assert_eq!(told(server, &merchant).await, 2, "an hour on: told again");

    assert_eq!(ask(server, "not-a-token").await.status, StatusCode::NOT_FOUND);
    let german = server.http.post(server.url("/pay/renewal-request")).header("accept-language", "de-DE,de;q=0.9");
    let german = server.raw(german.form(&[("payment_link_token", "not-a-token")])).await;
    assert!(german.text.contains("Zahlungslink nicht gefunden"), "in the browser's language: {}", german.text);
    let empty = server.raw(server.http.post(server.url("/pay/renewal-request")).form(&[("other", "x")])).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn asking_for_a_new_link_tells_the_merchant_once_an_hour_on_dynamodb() {
    asking_for_a_new_link_tells_the_merchant_once_an_hour(&on_real_adapters().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn asking_for_a_new_link_tells_the_merchant_once_an_hour_on_the_embedded_store() {
    asking_for_a_new_link_tells_the_merchant_once_an_hour(&embedded().await).await;
}

/// Eight customers ask at the same moment: the merchant is told once.
#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn customers_asking_at_once_tell_the_merchant_once() {
    let server = on_real_adapters().await;
    let (merchant, link) = expiring_link(&server).await;
    advance(&server, 61 * 60).await;
    let token = form_token(&server.open(link["url"].as_str().unwrap()).await.text);
    let asks = (0..8).map(|_| ask(&server, &token));
    for reply in futures_util::future::join_all(asks).await {
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    }
    assert_eq!(told(&server, &merchant).await, 1);
}
