//! The outstanding view and orders settled outside the platform, on DynamoDB (moto).

use paylinks_tests::server::{on_real_adapters, order_link, unique};
use paylinks_tests::stripe_events::{event, session_object};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn ids(reply: &Value) -> Vec<String> {
    reply["data"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn orders_are_listed_by_payment_status_and_can_be_marked_paid_or_rejected() {
    let server = on_real_adapters().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let mut links = Vec::new();
    for order in ["SO-o1", "SO-o2", "SO-o3", "SO-o4"] {
        links.push(server.call(&merchant, "POST", "/links", Some(order_link(order))).await.json());
    }
    let paid_by_stripe = session_object("cs_test_o1", links[0]["id"].as_str().unwrap(), &merchant, "paid", 2500);
    server.deliver(&event("checkout.session.completed", paid_by_stripe)).await;
    let marked = server.call(&merchant, "POST", "/orders/SO-o2/mark-paid", None).await;
    assert_eq!(marked.status, StatusCode::OK, "{}", marked.text);
    assert_eq!(marked.json()["payment_status"], "paid");
    let rejected = server.call(&merchant, "POST", "/orders/SO-o3/reject", None).await;
    assert_eq!(rejected.json()["payment_status"], "rejected");

    let outstanding = server.call(&merchant, "GET", "/orders?payment_status=outstanding", None).await.json();
    assert_eq!(ids(&outstanding), vec!["SO-o4"]);
    let order = &outstanding["data"][0];
    assert_eq!(order["amount"], 2500);
    assert_eq!(order["customer"]["email"], "ada@example.com");
    assert_eq!(order["link_ids"], json!([links[3]["id"]]));
    let mut paid = ids(&server.call(&merchant, "GET", "/orders?payment_status=paid", None).await.json());
    paid.sort();
    assert_eq!(paid, vec!["SO-o1", "SO-o2"]);
    assert_eq!(
        ids(&server.call(&merchant, "GET", "/orders?payment_status=rejected", None).await.json()),
        vec!["SO-o3"]
    );
    assert_eq!(ids(&server.call(&merchant, "GET", "/orders", None).await.json()).len(), 4);

    let detail =
        server.call(&merchant, "GET", &format!("/links/{}", links[1]["id"].as_str().unwrap()), None).await.json();
    assert_eq!(detail["payments"][0]["source"], "manual");
    let revisit = server.open(links[1]["url"].as_str().unwrap()).await;
    assert!(
        revisit.text.contains("This order has already been paid"),
        "a link of an order paid outside stops taking money"
    );
    let refused = server.open(links[2]["url"].as_str().unwrap()).await;
    assert_eq!(refused.location.unwrap(), "https://shop.example.com/payment-problem?payment_link_error=void");

    let again = server.call(&merchant, "POST", "/orders/SO-o1/mark-paid", None).await;
    assert_eq!((again.status, again.error_code().as_str()), (StatusCode::CONFLICT, "order_already_paid"));
    // Marking paid again what was marked paid is harmless (a retry whose answer was lost).
    let retried = server.call(&merchant, "POST", "/orders/SO-o2/mark-paid", None).await;
    assert_eq!(retried.status, StatusCode::OK, "{}", retried.text);
    let detail =
        server.call(&merchant, "GET", &format!("/links/{}", links[1]["id"].as_str().unwrap()), None).await.json();
    assert_eq!(detail["payments"].as_array().unwrap().len(), 1, "one manual payment: {detail}");
    let reject_paid = server.call(&merchant, "POST", "/orders/SO-o1/reject", None).await;
    assert_eq!(reject_paid.error_code(), "order_already_paid");
    let stranger = unique("stranger");
    assert_eq!(server.call(&stranger, "POST", "/orders/SO-o4/mark-paid", None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(ids(&server.call(&stranger, "GET", "/orders", None).await.json()).len(), 0);
    assert_eq!(server.call(&merchant, "POST", "/orders/SO-none/reject", None).await.status, StatusCode::NOT_FOUND);
    let bad = server.call(&merchant, "GET", "/orders?payment_status=lost", None).await;
    assert_eq!((bad.status, bad.error_code().as_str()), (StatusCode::BAD_REQUEST, "invalid_query"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_outstanding_view_pages_newest_change_first() {
    let server = on_real_adapters().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    for i in 0..7 {
        server.call(&merchant, "POST", "/links", Some(order_link(&format!("SO-p{i}")))).await;
    }
    let mut seen = Vec::new();
    let mut path = "/orders?payment_status=outstanding&limit=3".to_string();
    loop {
        let page = server.call(&merchant, "GET", &path, None).await.json();
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/orders?payment_status=outstanding&limit=3&cursor={cursor}"),
            None => break,
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cursor_edited_by_hand_is_the_callers_400_not_an_outage() {
    use base64::Engine;
    let server = on_real_adapters().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let encode = |position: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(position);
    // Each decodes as text, but as a key condition DynamoDB would reject it: an empty key, a
    // range whose low end is past its high end, a position of the other view.
    let tampered = [
        format!("/orders?cursor={}", encode("")),
        format!("/orders?cursor={}", encode("ZZZZ")),
        format!("/orders?cursor={}", encode("ORDER#")),
        format!("/orders?payment_status=paid&cursor={}", encode("")),
        format!("/orders?payment_status=paid&cursor={}", encode("ORDER#SO-1")),
        format!("/orders?cursor={}", encode("9999999999999#SO-1")),
    ];
    for path in tampered {
        let reply = server.call(&merchant, "GET", &path, None).await;
        assert_eq!((reply.status, reply.error_code().as_str()), (StatusCode::BAD_REQUEST, "invalid_query"), "{path}");
    }
    // The untampered shapes still page.
    for path in [
        format!("/orders?cursor={}", encode("ORDER#SO-1")),
        format!("/orders?payment_status=paid&cursor={}", encode("9999999999999#SO-1")),
    ] {
        assert_eq!(server.call(&merchant, "GET", &path, None).await.status, StatusCode::OK, "{path}");
    }
}
