//! The merchant's event log: events written with the change they tell of, to the endpoints
//! subscribed when it happened, listed newest first, redelivered on demand. On DynamoDB (moto)
//! with the Stripe fake, and on the embedded store.

use paylinks_tests::server::{TestServer, embedded, on_real_adapters, order_link, unique};
use paylinks_tests::stripe_events::{charge, event, session_of};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn merchant_with_endpoint(server: &TestServer, events: Value) -> (String, String) {
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let endpoint = json!({"url": "http://127.0.0.1:9/paylinks", "events": events});
    let made = server.call(&merchant, "POST", "/webhook-endpoints", Some(endpoint)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    (merchant, made.json()["id"].as_str().unwrap().to_string())
}

async fn events(server: &TestServer, merchant: &str, query: &str) -> Value {
    let listed = server.call(merchant, "GET", &format!("/events{query}"), None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    listed.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_payment_and_its_refund_are_events_to_the_endpoints_subscribed() {
    let server = on_real_adapters().await;
    let (merchant, endpoint) =
        merchant_with_endpoint(&server, json!(["link.paid", "order.paid", "order.refunded"])).await;
    let link = server.call(&merchant, "POST", "/links", Some(order_link(&unique("SO")))).await.json();
    let session = session_of(server.open(link["url"].as_str().unwrap()).await.location.as_deref().unwrap());
    let paid = server.stripe().complete(&session, "paid", "ada@example.com", "Ada");
    let intent = paid["payment_intent"].as_str().unwrap().to_string();
    for _ in 0..2 {
        // Stripe delivers at least once: the repeat records nothing, and tells nothing again.
        assert_eq!(server.deliver(&event("checkout.session.completed", paid.clone())).await.status, StatusCode::OK);
    }
    let log = events(&server, &merchant, "").await;
    let kinds: Vec<&str> = log["data"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 2, "{log}");
    assert!(kinds.contains(&"link.paid") && kinds.contains(&"order.paid"), "{kinds:?}");
    let order_paid = log["data"].as_array().unwrap().iter().find(|e| e["type"] == "order.paid").unwrap();
    assert_eq!(order_paid["data"]["order"]["payment_status"], "paid");
    assert_eq!(order_paid["deliveries"][0]["endpoint_id"], endpoint.as_str());
    assert_eq!(order_paid["deliveries"][0]["status"], "pending");
    let link_paid = log["data"].as_array().unwrap().iter().find(|e| e["type"] == "link.paid").unwrap();
    assert_eq!(link_paid["data"]["payment"]["amount"], 2500);
    assert!(!link_paid.to_string().contains("ada@example.com"), "no customer details in an event body");

    let refunded = server.deliver(&event("charge.refunded", charge(&intent, 2500, 2500))).await;
    assert_eq!(refunded.status, StatusCode::OK, "{}", refunded.text);
    // Events of one second have no order among themselves: find it by type.
    let refunds = events(&server, &merchant, "?type=order.refunded").await;
    assert_eq!(refunds["data"][0]["data"]["order"]["payment_status"], "refunded", "{refunds}");
    let only = events(&server, &merchant, "?type=order.paid").await;
    assert_eq!(only["data"].as_array().unwrap().len(), 1);
    assert_eq!(events(&server, &unique("merchant"), "").await["data"], json!([]), "another merchant's log is empty");
}

#[tokio::test]
async fn a_failed_or_bounced_delivery_is_an_event_and_a_page_of_events_leads_to_the_next() {
    let server = on_real_adapters().await;
    let (merchant, _) = merchant_with_endpoint(&server, json!(["delivery.failed", "delivery.bounced"])).await;
    let link = server.call(&merchant, "POST", "/links", Some(order_link(&unique("SO")))).await.json();
    let id = link["id"].as_str().unwrap();
    // moto texts refuse numbers ending in 99 as opted out: a failed delivery for good.
    let texted = server
        .call(&merchant, "POST", &format!("/links/{id}/sms"), Some(json!({"recipients": [{"phone": "+14155550199"}]})))
        .await;
    assert_eq!(texted.json()["deliveries"][0]["status"], "failed", "{}", texted.text);
    let mailed = server
        .call(
            &merchant,
            "POST",
            &format!("/links/{id}/email"),
            Some(json!({"recipients": [{"email": "gone@example.com"}]})),
        )
        .await;
    let message_id = mailed.json()["deliveries"][0]["message_id"].as_str().unwrap().to_string();
    let bounce = paylinks_tests::delivery_events::ses_event("Bounce", &message_id, Some("Permanent"));
    let notification = json!({"Type": "Notification", "Message": bounce.to_string()});
    let recorded = server.raw(server.http.post(server.url("/ses/events")).json(&notification)).await;
    assert_eq!(recorded.json()["recorded"], true);

    let first = events(&server, &merchant, "?limit=1").await;
    let cursor = first["next_cursor"].as_str().expect("a second page").to_string();
    let second = events(&server, &merchant, &format!("?limit=1&cursor={cursor}")).await;
    // One second apart at most: their order within it is not defined.
    let both = [&first["data"][0], &second["data"][0]];
    let bounced = both.iter().find(|e| e["type"] == "delivery.bounced").expect("the bounce");
    assert_eq!(bounced["data"]["delivery"]["permanent"], true);
    let failed = both.iter().find(|e| e["type"] == "delivery.failed").expect("the failed text");
    assert_eq!(failed["data"]["delivery"]["error"], "opted_out");
    let shown = format!("{first}{second}");
    assert!(!shown.contains("+14155550199") && !shown.contains("gone@example.com"), "no recipient in an event body");
    let cursor = second["next_cursor"].as_str().expect("a full page leads on").to_string();
    assert_eq!(events(&server, &merchant, &format!("?limit=1&cursor={cursor}")).await["data"], json!([]));
}

#[tokio::test]
async fn an_event_is_redelivered_to_the_endpoints_subscribed_now() {
    let server = on_real_adapters().await;
    let (merchant, _) = merchant_with_endpoint(&server, json!(["delivery.failed"])).await;
    let link = server.call(&merchant, "POST", "/links", Some(order_link(&unique("SO")))).await.json();
    let id = link["id"].as_str().unwrap();
    // moto refuses numbers ending in 99 as opted out: a delivery failed for good.
    let texted = server
        .call(&merchant, "POST", &format!("/links/{id}/sms"), Some(json!({"recipients": [{"phone": "+14155550299"}]})))
        .await;
    assert_eq!(texted.json()["deliveries"][0]["status"], "failed", "{}", texted.text);
    let event_id = events(&server, &merchant, "").await["data"][0]["id"].as_str().unwrap().to_string();
    let later = json!({"url": "http://127.0.0.1:9/second", "events": ["delivery.failed"]});
    server.call(&merchant, "POST", "/webhook-endpoints", Some(later)).await;
    let again = server.call(&merchant, "POST", &format!("/events/{event_id}/redeliver"), None).await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.text);
    assert_eq!(again.json()["deliveries"].as_array().unwrap().len(), 2, "the endpoint added since, too");
    let stranger = server.call(&unique("merchant"), "POST", &format!("/events/{event_id}/redeliver"), None).await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);
    let bad = server.call(&merchant, "GET", "/events?type=link.exploded", None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_embedded_store_keeps_the_same_log() {
    let server = embedded().await;
    let (merchant, _) = merchant_with_endpoint(&server, json!(["link.paid"])).await;
    let mut body = order_link(&unique("SO"));
    body.as_object_mut().unwrap().remove("landing_page_url");
    let link = server.call(&merchant, "POST", "/links", Some(body)).await.json();
    let checkout = server.open(link["url"].as_str().unwrap()).await.location.unwrap();
    let paid = server.raw(server.http.post(&checkout).form(&[("outcome", "paid")])).await;
    assert_eq!(paid.status, StatusCode::SEE_OTHER, "{}", paid.text);
    let log = events(&server, &merchant, "").await;
    let link_paid = log["data"].as_array().unwrap().iter().find(|e| e["type"] == "link.paid").expect("link.paid");
    assert_eq!(link_paid["deliveries"].as_array().unwrap().len(), 1, "to the subscribed endpoint");
    let order_paid = log["data"].as_array().unwrap().iter().find(|e| e["type"] == "order.paid").expect("order.paid");
    assert_eq!(order_paid["deliveries"], json!([]), "logged, to no endpoint: none subscribed to it");
}

/// The embedded server and a merchant whose endpoint (on this machine, answering `answers` first)
/// is told of `order.paid`; the endpoint as made (with its secret).
async fn told_of_order_paid_at_a_local_endpoint(
    answers: &[u16],
) -> (paylinks_tests::endpoint::Endpoint, TestServer, String, Value) {
    let endpoint = paylinks_tests::endpoint::Endpoint::start(answers).await;
    let server = embedded().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let made = server
        .call(&merchant, "POST", "/webhook-endpoints", Some(json!({"url": endpoint.url, "events": ["order.paid"]})))
        .await
        .json();
    (endpoint, server, merchant, made)
}

/// On the local server: events go out signed with the endpoint's secret, verifiable with the
/// Stripe recipe; a 500 is retried after the backoff (the clock moved, no sleep), then succeeds.
#[tokio::test]
async fn events_go_out_signed_and_a_failed_one_is_retried_with_backoff() {
    let (endpoint, server, merchant, made) = told_of_order_paid_at_a_local_endpoint(&[500]).await;
    let secret = made["secret"].as_str().unwrap().to_string();
    let mut body = order_link(&unique("SO"));
    body.as_object_mut().unwrap().remove("landing_page_url");
    let link = server.call(&merchant, "POST", "/links", Some(body)).await.json();
    let checkout = server.open(link["url"].as_str().unwrap()).await.location.unwrap();
    server.raw(server.http.post(&checkout).form(&[("outcome", "paid")])).await;

    let advance = |seconds: i64| {
        server.raw(server.http.post(server.url("/local/clock")).json(&json!({"advance_seconds": seconds})))
    };
    let first = advance(0).await.json();
    assert_eq!(first["ran"]["webhooks"]["retrying"], 1, "{first}");
    let second = advance(30).await.json();
    assert_eq!(second["ran"]["webhooks"]["due"], 0, "not before the backoff: {second}");
    let third = advance(60).await.json();
    assert_eq!(third["ran"]["webhooks"]["succeeded"], 1, "{third}");

    let got = endpoint.received();
    assert_eq!(got.len(), 2, "one try, one retry");
    assert_eq!(got[0].event_id, got[1].event_id, "the same event, to deduplicate by");
    let sent: Value = serde_json::from_str(&got[1].body).unwrap();
    assert_eq!((sent["type"].clone(), sent["id"].as_str().unwrap()), (json!("order.paid"), got[1].event_id.as_str()));
    assert!(sent.get("deliveries").is_none(), "the body is the event, not its bookkeeping");
    // The Stripe recipe: t from the header, HMAC-SHA256 of "t.body" with the endpoint's secret.
    let t: i64 = got[1].signature.split(',').next().unwrap().trim_start_matches("t=").parse().unwrap();
    assert_eq!(got[1].signature, paylinks::signature::sign(&secret, t, got[1].body.as_bytes()));
    let log = events(&server, &merchant, "?type=order.paid").await;
    let delivery = &log["data"][0]["deliveries"][0];
    assert_eq!((delivery["status"].clone(), delivery["attempts"].clone()), (json!("succeeded"), json!(2)));
}

/// In the cloud's policy an event never goes to the loopback or the metadata service, however the
/// endpoint was registered; the poster refuses before connecting.
#[tokio::test]
async fn the_cloud_poster_never_connects_to_private_addresses() {
    use paylinks::ports::{PostEvent, Posted};
    let endpoint = paylinks_tests::endpoint::Endpoint::start(&[]).await;
    let cloud = paylinks_webhooks::WebhookPoster::new(paylinks::domain::Destination::PublicOnly);
    for url in
        [endpoint.url.as_str(), "http://169.254.169.254/latest/meta-data/", "https://localhost/hook", "http://[::1]:9/"]
    {
        assert_eq!(cloud.post(url, &[], "{}").await, Posted::Refused, "{url}");
    }
    assert!(endpoint.received().is_empty());
    let local = paylinks_webhooks::WebhookPoster::new(paylinks::domain::Destination::AlsoLocalhost);
    assert_eq!(local.post(&endpoint.url, &[], "{}").await, Posted::Status(200));
}

/// `link.expired` is told once, when the expiry passes (the clock moved, no sleep), for links
/// that expired unpaid only; a link extended after it was told is told again at its new expiry.
async fn an_expiry_is_told_once_for_an_unpaid_link(server: &TestServer) {
    let (merchant, _) = merchant_with_endpoint(server, json!(["link.expired"])).await;
    let mut body = order_link(&unique("SO"));
    body["expires_in_minutes"] = json!(60);
    body.as_object_mut().unwrap().remove("landing_page_url");
    let unpaid = server.call(&merchant, "POST", "/links", Some(body.clone())).await.json();
    body["order"]["id"] = json!(unique("SO"));
    let paid = server.call(&merchant, "POST", "/links", Some(body)).await.json();
    let checkout = server.open(paid["url"].as_str().unwrap()).await.location.unwrap();
    if server.on_fake_stripe() {
        let completed = server.stripe().complete(&session_of(&checkout), "paid", "ada@example.com", "Ada");
        assert_eq!(server.deliver(&event("checkout.session.completed", completed)).await.status, StatusCode::OK);
    } else {
        server.raw(server.http.post(&checkout).form(&[("outcome", "paid")])).await;
    }

    let advance = async |seconds: i64| {
        let moved = server.raw(server.http.post(server.url("/local/clock")).json(&json!({"advance_seconds": seconds})));
        moved.await.json()["ran"]["expiries"].clone()
    };
    assert_eq!(advance(30 * 60).await["told"], 0, "not expired yet");
    assert_eq!(advance(31 * 60).await["told"], 1, "the unpaid one, not the paid one");
    assert_eq!(advance(60).await["told"], 0, "told once");
    let told = events(server, &merchant, "?type=link.expired").await;
    assert_eq!(told["data"].as_array().unwrap().len(), 1, "{told}");
    assert_eq!(told["data"][0]["data"]["link"]["id"], unpaid["id"]);
    assert_eq!(told["data"][0]["deliveries"][0]["status"], "pending", "to the endpoint subscribed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_expiry_is_told_once_on_dynamodb() {
    an_expiry_is_told_once_for_an_unpaid_link(&on_real_adapters().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_expiry_is_told_once_on_the_embedded_store() {
    an_expiry_is_told_once_for_an_unpaid_link(&embedded().await).await;
}

/// An order marked paid (its links follow it by an update, not a whole write) takes its links out
/// of the expiry index: leftovers would crowd out the links whose expiry is to be told.
#[tokio::test]
async fn a_link_whose_order_was_paid_leaves_the_expiry_index() {
    let server = on_real_adapters().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let order = unique("SO");
    let mut body = order_link(&order);
    body["expires_in_minutes"] = json!(60);
    let link = server.call(&merchant, "POST", "/links", Some(body)).await.json();
    let index_key = || async {
        let item = paylinks_tests::moto::raw_link(server.table.as_deref().unwrap(), link["id"].as_str().unwrap());
        item.await.get("gsi3pk").and_then(|v| v.as_s().ok()).cloned()
    };
    assert!(index_key().await.is_some_and(|k| k.starts_with("EXPIRIES#")), "due to be told");
    let paid = server.call(&merchant, "POST", &format!("/orders/{order}/mark-paid"), None).await;
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.text);
    assert_eq!(index_key().await, None, "nothing to tell of a paid order's link");
}

/// The v1 signatures of a `Paylinks-Signature` header that `secret` makes for `body`.
fn signed_by(header: &str, secret: &str, body: &str) -> bool {
    let t: i64 = header.split(',').next().unwrap().trim_start_matches("t=").parse().unwrap();
    let ours = paylinks::signature::sign(secret, t, body.as_bytes());
    let ours = ours.split_once(",v1=").unwrap().1;
    header.split(',').filter_map(|p| p.strip_prefix("v1=")).any(|v1| v1 == ours)
}

/// Rolling an endpoint's secret, as Stripe does: both sign until the old one's expiry, then only
/// the new one; another merchant's endpoint is not found, and the hours are bounded.
#[tokio::test]
async fn a_rolled_secret_signs_beside_the_new_one_until_it_expires() {
    let (endpoint, server, merchant, made) = told_of_order_paid_at_a_local_endpoint(&[]).await;
    let (id, old) = (made["id"].as_str().unwrap(), made["secret"].as_str().unwrap().to_string());
    let path = format!("/webhook-endpoints/{id}/roll-secret");
    let too_long = server.call(&merchant, "POST", &path, Some(json!({"previous_secret_expires_in_hours": 169}))).await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(server.call(&unique("stranger"), "POST", &path, None).await.status, StatusCode::NOT_FOUND);
    let rolled = server.call(&merchant, "POST", &path, Some(json!({"previous_secret_expires_in_hours": 2}))).await;
    assert_eq!(rolled.status, StatusCode::OK, "{}", rolled.text);
    let rolled = rolled.json();
    let new = rolled["secret"].as_str().unwrap().to_string();
    assert!(new != old && new.starts_with("whsec_") && rolled["previous_secret_expires_at"].is_string());
    let listed = server.call(&merchant, "GET", "/webhook-endpoints", None).await.json();
    assert!(listed["data"][0].get("secret").is_none(), "listed without secrets: {listed}");

    let pay = || async {
        let mut body = order_link(&unique("SO"));
        body.as_object_mut().unwrap().remove("landing_page_url");
        let link = server.call(&merchant, "POST", "/links", Some(body)).await.json();
        let checkout = server.open(link["url"].as_str().unwrap()).await.location.unwrap();
        server.raw(server.http.post(&checkout).form(&[("outcome", "paid")])).await;
        server.raw(server.http.post(server.url("/local/clock")).json(&json!({"advance_seconds": 0}))).await;
    };
    pay().await;
    let during = endpoint.received().pop().expect("the event went out");
    assert!(signed_by(&during.signature, &new, &during.body) && signed_by(&during.signature, &old, &during.body));
    server.raw(server.http.post(server.url("/local/clock")).json(&json!({"advance_seconds": 2 * 3600}))).await;
    pay().await;
    let after = endpoint.received().pop().unwrap();
    assert!(signed_by(&after.signature, &new, &after.body), "{}", after.signature);
    assert!(!signed_by(&after.signature, &old, &after.body), "the old secret expired");
}
