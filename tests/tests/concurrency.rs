//! Races a real deployment sees, through the local server on DynamoDB (moto) and the fake Stripe.

use std::sync::Arc;

use paylinks_tests::server::{on_real_adapters, order_link, unique};
use paylinks_tests::stripe_events::event;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn fifty_concurrent_opens_of_one_link_make_one_stripe_session() {
    let server = Arc::new(on_real_adapters().await);
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let link = server.call(&merchant, "POST", "/links", Some(order_link("SO-crowd"))).await.json();
    let url = link["url"].as_str().unwrap().to_string();
    let opens = (0..50).map(|_| {
        let server = server.clone();
        let url = url.clone();
        tokio::spawn(async move { server.open(&url).await })
    });
    let mut locations = Vec::new();
    for open in opens {
        let reply = open.await.unwrap();
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
        locations.push(reply.location.unwrap());
    }
    locations.sort();
    locations.dedup();
    assert_eq!(locations.len(), 1, "every customer is sent to the same session");
    assert_eq!(server.stripe().sessions_created(), 1);
    let detail = server.call(&merchant, "GET", &format!("/links/{}", link["id"].as_str().unwrap()), None).await.json();
    assert_eq!(detail["opens"], 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn the_same_completed_event_delivered_fifty_times_at_once_records_one_payment() {
    let server = Arc::new(on_real_adapters().await);
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let link = server.call(&merchant, "POST", "/links", Some(order_link("SO-storm"))).await.json();
    let location = server.open(link["url"].as_str().unwrap()).await.location.unwrap();
    let session_id = location.rsplit('/').next().unwrap().to_string();
    let paid = server.stripe().complete(&session_id, "paid", "ada@example.com", "Ada Lovelace");
    let body = event("checkout.session.completed", paid);
    let deliveries = (0..50).map(|_| {
        let server = server.clone();
        let body = body.clone();
        tokio::spawn(async move { server.deliver(&body).await })
    });
    let mut recorded = 0;
    for delivery in deliveries {
        let reply = delivery.await.unwrap();
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        if reply.json()["result"] == "recorded" {
            recorded += 1;
        }
    }
    assert_eq!(recorded, 1);
    let detail = server.call(&merchant, "GET", &format!("/links/{}", link["id"].as_str().unwrap()), None).await.json();
    assert_eq!(detail["payments"].as_array().unwrap().len(), 1);
    assert_eq!(detail["status"], "paid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn twenty_concurrent_creates_for_one_order_return_one_link() {
    let server = Arc::new(on_real_adapters().await);
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let creates = (0..20).map(|_| {
        let server = server.clone();
        let merchant = merchant.clone();
        tokio::spawn(async move { server.call(&merchant, "POST", "/links", Some(order_link("SO-rush"))).await })
    });
    let mut ids = Vec::new();
    let mut created = 0;
    for create in creates {
        let reply = create.await.unwrap();
        assert!(reply.status == StatusCode::CREATED || reply.status == StatusCode::OK, "{}", reply.text);
        if reply.status == StatusCode::CREATED {
            created += 1;
        }
        ids.push(reply.json()["id"].as_str().unwrap().to_string());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 1, "one link for the order");
    assert_eq!(created, 1, "the others reuse it");
}
