//! DynamoDB round trips per route, counted at the wire (every call the SDK makes reaches the
//! proxy in front of moto): in the cloud each one is milliseconds a customer or Stripe waits.
//! The floors are the targets; `infra/bench.sh` prints the same counts. A merchant's
//! request spends one more, first: its per-merchant limit (`shared/http/src/limits.rs`), counted
//! before any work so a limited request does none.

use paylinks_tests::aws_proxy::Service;
use paylinks_tests::server::{TestServer, on_real_adapters, order_link, unique};
use paylinks_tests::stripe_events::{event, session_of};
use reqwest::StatusCode;
use serde_json::json;

/// The DynamoDB calls `action` makes.
async fn round_trips<T>(server: &TestServer, action: impl std::future::Future<Output = T>) -> (T, Vec<String>) {
    server.aws().dynamodb.take_calls();
    let answer = action.await;
    let calls = server.aws().dynamodb.take_calls();
    (answer, calls.into_iter().filter(|c| c.service == Service::DynamoDb).map(|c| c.operation).collect())
}

fn at_most(calls: &[String], floor: usize, what: &str) {
    eprintln!("ROUNDTRIPS {what}: {} [{floor}] {}", calls.len(), calls.join(", "));
    assert!(calls.len() <= floor, "{what}: {} round trips, at most {floor}: {calls:?}", calls.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_route_waits_on_as_few_dynamodb_round_trips_as_it_can() {
    let server = on_real_adapters().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;

    let (link, calls) = round_trips(&server, server.call(&merchant, "POST", "/links", Some(order_link("SO-rt")))).await;
    at_most(&calls, 1 + 2, "create");
    let link = link.json();
    let (reused, calls) =
        round_trips(&server, server.call(&merchant, "POST", "/links", Some(order_link("SO-rt")))).await;
    assert_eq!(reused.status, StatusCode::OK);
    at_most(&calls, 1 + 1, "a reused create");

    let url = link["url"].as_str().unwrap();
    let (first, calls) = round_trips(&server, server.open(url)).await;
    at_most(&calls, 3, "first open");
    let (_, calls) = round_trips(&server, server.open(url)).await;
    at_most(&calls, 2, "open again");

    let id = link["id"].as_str().unwrap();
    let recipients: Vec<_> = (0..10).map(|i| json!({"email": format!("r{i}@example.com")})).collect();
    let path = format!("/links/{id}/email");
    let (sent, calls) =
        round_trips(&server, server.call(&merchant, "POST", &path, Some(json!({"recipients": recipients})))).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    at_most(&calls, 1 + 10 + 3, "a send to 10 recipients");

    let session = session_of(first.location.as_deref().unwrap());
    let paid = server.stripe().complete(&session, "paid", "r1@example.com", "Ada");
    let body = event("checkout.session.completed", paid);
    let (_, calls) = round_trips(&server, server.deliver(&body)).await;
    at_most(&calls, 3, "a completed checkout after 10 recipients");
    let (repeat, calls) = round_trips(&server, server.deliver(&body)).await;
    assert_eq!(repeat.json()["result"], "duplicate");
    at_most(&calls, 1, "the same event again");
    let (_, calls) = round_trips(&server, server.open(url)).await;
    at_most(&calls, 2, "a revisit after paying");
}
