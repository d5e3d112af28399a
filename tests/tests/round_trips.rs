//! DynamoDB round trips per route, counted at the wire (every call the SDK makes reaches the
//! proxy in front of moto): in the cloud each one is milliseconds a customer or Stripe waits.
//! The ceilings count round trips waited on one after another (calls sent side by side count
//! once: `aws_proxy::in_sequence`); the calls in all are printed beside them. `infra/bench.sh`
//! prints the same counts. A merchant's request also spends its per-merchant limit: beside the
//! first read where the route writes (create, send), else first (`shared/http/src/limits.rs`).

use paylinks_tests::aws_proxy::{Call, Service, in_sequence};
use paylinks_tests::server::{TestServer, on_real_adapters, order_link, unique};
use paylinks_tests::stripe_events::{event, session_of};
use reqwest::StatusCode;
use serde_json::json;

/// The DynamoDB calls `action` makes. Each call to AWS waits 20 ms first, as over a network:
/// calls sent side by side then overlap however quickly moto answers.
async fn round_trips<T>(server: &TestServer, action: impl std::future::Future<Output = T>) -> (T, Vec<Call>) {
    let aws = server.aws();
    for proxy in [&aws.dynamodb, &aws.messaging] {
        proxy.set_latency(std::time::Duration::from_millis(20));
    }
    aws.dynamodb.take_calls();
    let answer = action.await;
    let calls = aws.dynamodb.take_calls();
    for proxy in [&aws.dynamodb, &aws.messaging] {
        proxy.set_latency(std::time::Duration::ZERO);
    }
    (answer, calls.into_iter().filter(|c| c.service == Service::DynamoDb).collect())
}

fn at_most(calls: &[Call], ceiling: usize, what: &str) {
    let waited = in_sequence(calls);
    let names: Vec<&str> = calls.iter().map(|c| c.operation.as_str()).collect();
    eprintln!("ROUNDTRIPS {what}: {waited} [{ceiling}] in {} calls: {}", calls.len(), names.join(", "));
    assert!(waited <= ceiling, "{what}: {waited} round trips in sequence, at most {ceiling}: {names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_route_waits_on_as_few_dynamodb_round_trips_as_it_can() {
    let server = on_real_adapters().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;

    let (link, calls) = round_trips(&server, server.call(&merchant, "POST", "/links", Some(order_link("SO-rt")))).await;
    // The merchant's limit beside the read, then the transaction.
    at_most(&calls, 2, "create");
    let link = link.json();
    let (reused, calls) =
        round_trips(&server, server.call(&merchant, "POST", "/links", Some(order_link("SO-rt")))).await;
    assert_eq!(reused.status, StatusCode::OK);
    at_most(&calls, 2, "a reused create");

    let url = link["url"].as_str().unwrap();
    // The read, the account's pace, attaching the session, then counting the visit (after the
    // attach, never beside it: an attach that loses may end held, and a held open is no open).
    let (first, calls) = round_trips(&server, server.open(url)).await;
    at_most(&calls, 4, "first open");
    let (_, calls) = round_trips(&server, server.open(url)).await;
    at_most(&calls, 2, "open again");

    let id = link["id"].as_str().unwrap();
    let recipients: Vec<_> = (0..10).map(|i| json!({"email": format!("r{i}@example.com")})).collect();
    let path = format!("/links/{id}/email");
    server.aws().messaging.take_calls();
    let (sent, calls) =
        round_trips(&server, server.call(&merchant, "POST", &path, Some(json!({"recipients": recipients})))).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    // The merchant's limit beside the read, one claim for all ten, one commit of how they ended;
    // the ten messages side by side between the last two: four in sequence in all.
    at_most(&calls, 3, "a send to 10 recipients");
    let messages: Vec<Call> =
        server.aws().messaging.take_calls().into_iter().filter(|c| c.service == Service::SesV2).collect();
    assert_eq!(messages.len(), 10, "one message each");
    let waited = in_sequence(&messages);
    eprintln!("ROUNDTRIPS a send to 10 recipients, SES: {waited} [1] in {} calls", messages.len());
    assert_eq!(waited, 1, "the ten messages are sent side by side");

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

/// A reusable link's open, as a crowd makes it: the client's limit beside the read, its limit on
/// the link beside the account's pace, the visit counted beside keeping the session for the
/// browser. Four at most, through a short code too.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_product_links_open_waits_on_at_most_four_round_trips() {
    let server = on_real_adapters().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let body = json!({"name": "Drop", "products": [{"name": "Print", "unit_amount": 2500, "currency": "usd"}]});
    let link = server.call(&merchant, "POST", "/links", Some(body)).await.json();
    let customer = |target: &str, cookie: &str| {
        server
            .http
            .get(target)
            .header("x-forwarded-for", "198.51.100.30")
            .header("cookie", format!("paylinks_client={cookie}"))
    };
    for (what, target) in
        [("a product link's open", &link["url"]), ("a product link's open by its short code", &link["short_url"])]
    {
        let target = target.as_str().unwrap();
        let cookie = paylinks::domain::random_base62(22);
        let (first, calls) = round_trips(&server, server.raw(customer(target, &cookie))).await;
        assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.text);
        at_most(&calls, 4, what);
        let (again, calls) = round_trips(&server, server.raw(customer(target, &cookie))).await;
        assert_eq!(again.location, first.location, "the browser's own session again");
        at_most(&calls, 4, &format!("{what}, the same browser again"));
    }
}
