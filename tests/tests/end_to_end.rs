//! The customer's and merchant's journeys through the local server on the real adapters:
//! DynamoDB on moto server and Stripe at the Stripe-wire fake.

use paylinks_tests::server::{TestServer, on_real_adapters, order_link, unique};
use paylinks_tests::stripe_events::{event, session_object};
use reqwest::StatusCode;
use serde_json::json;

async fn merchant_ready(server: &TestServer, extra: serde_json::Value) -> String {
    let merchant = unique("merchant");
    server.enable_payments(&merchant, extra).await;
    merchant
}

fn session_id_of(location: &str) -> String {
    location.rsplit('/').next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_link_created_opened_and_paid_turns_the_order_paid_and_shows_the_already_paid_page() {
    let server = on_real_adapters().await;
    let merchant = merchant_ready(&server, json!({})).await;
    let created = server.call(&merchant, "POST", "/links", Some(order_link("SO-1001"))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let link = created.json();
    assert_eq!(link["status"], "active");
    assert_eq!(link["amount"], 2500);
    assert_eq!(link["reused"], false);

    let opened = server.open(link["url"].as_str().unwrap()).await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER);
    let location = opened.location.unwrap();
    assert!(location.starts_with("https://checkout.stripe.com/"), "{location}");
    let session_id = session_id_of(&location);

    let paid = server.stripe().complete(&session_id, "paid", "ada@example.com", "Ada Lovelace");
    let delivered = server.deliver(&event("checkout.session.completed", paid)).await;
    assert_eq!(delivered.status, StatusCode::OK, "{}", delivered.text);
    assert_eq!(delivered.json()["result"], "recorded");

    let detail = server.call(&merchant, "GET", &format!("/links/{}", link["id"].as_str().unwrap()), None).await.json();
    assert_eq!(detail["status"], "paid");
    assert_eq!(detail["opens"], 1);
    assert_eq!(detail["payments"].as_array().unwrap().len(), 1);
    assert_eq!(detail["payments"][0]["amount"], 2500);
    assert_eq!(detail["payments"][0]["customer_email"], "ada@example.com");
    assert_eq!(detail["payments"][0]["source"], "stripe");

    let revisit = server.open(link["url"].as_str().unwrap()).await;
    assert_eq!(revisit.status, StatusCode::OK);
    assert!(revisit.text.contains("This order has already been paid"), "{}", revisit.text);
    let short = server.open(link["short_url"].as_str().unwrap()).await;
    assert!(short.text.contains("This order has already been paid"));
    let again = server.call(&merchant, "POST", "/links", Some(order_link("SO-1001"))).await;
    assert_eq!(again.error_code(), "order_already_paid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn voiding_a_link_closes_its_stripe_session_and_sends_customers_to_the_landing_page_with_void() {
    let server = on_real_adapters().await;
    let merchant = merchant_ready(&server, json!({})).await;
    let link = server.call(&merchant, "POST", "/links", Some(order_link("SO-void"))).await.json();
    let url = link["url"].as_str().unwrap();
    let session_id = session_id_of(&server.open(url).await.location.unwrap());

    let path = format!("/links/{}", link["id"].as_str().unwrap());
    let voided = server.call(&merchant, "PATCH", &path, Some(json!({"active": false}))).await;
    assert_eq!(voided.status, StatusCode::OK, "{}", voided.text);
    assert_eq!(voided.json()["status"], "void");
    assert_eq!(
        server.stripe().session(&session_id).unwrap()["status"],
        "expired",
        "the open Stripe page can no longer pay"
    );

    let refused = server.open(url).await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert_eq!(refused.location.unwrap(), "https://shop.example.com/payment-problem?payment_link_error=void");

    let reactivated =
        server.call(&merchant, "PATCH", &path, Some(json!({"active": true, "name": "Renamed"}))).await.json();
    assert_eq!(reactivated["status"], "active");
    assert_eq!(reactivated["name"], "Renamed");
    let reopened = server.open(url).await;
    assert_eq!(reopened.status, StatusCode::SEE_OTHER);
    assert_ne!(session_id_of(&reopened.location.unwrap()), session_id, "the expired session is not reused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_payment_that_arrives_for_a_void_link_is_recorded_and_flagged() {
    let server = on_real_adapters().await;
    let merchant = merchant_ready(&server, json!({})).await;
    let link = server.call(&merchant, "POST", "/links", Some(order_link("SO-late"))).await.json();
    let id = link["id"].as_str().unwrap();
    server.call(&merchant, "PATCH", &format!("/links/{id}"), Some(json!({"active": false}))).await;
    let body = event("checkout.session.completed", session_object("cs_test_late", id, &merchant, "paid", 2500));
    assert_eq!(server.deliver(&body).await.json()["result"], "recorded");
    let detail = server.call(&merchant, "GET", &format!("/links/{id}"), None).await.json();
    assert_eq!(detail["payments"][0]["flag"], "link_void");
    assert_eq!(detail["status"], "void", "a payment never silently reactivates a void link");
    assert_eq!(detail["earnings"]["stripe"], 2500, "the money counts");
    let orders = server.call(&merchant, "GET", "/orders?payment_status=paid", None).await.json();
    assert_eq!(orders["data"][0]["id"], "SO-late", "money was taken: the order is paid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn another_merchants_link_is_not_found_on_every_route() {
    let server = on_real_adapters().await;
    let owner = merchant_ready(&server, json!({})).await;
    let stranger = merchant_ready(&server, json!({})).await;
    let link = server.call(&owner, "POST", "/links", Some(order_link("SO-mine"))).await.json();
    let path = format!("/links/{}", link["id"].as_str().unwrap());
    let routes = [
        ("GET", path.clone(), None),
        ("PATCH", path.clone(), Some(json!({"active": false}))),
        ("POST", format!("{path}/email"), Some(json!({"recipients": [{"email": "x@example.com"}]}))),
        ("POST", format!("{path}/sms"), Some(json!({"recipients": [{"phone": "+14155550123"}]}))),
        ("POST", "/orders/SO-mine/mark-paid".to_string(), None),
        ("POST", "/orders/SO-mine/reject".to_string(), None),
        ("DELETE", path.clone(), None),
    ];
    for (method, route, body) in routes {
        let reply = server.call(&stranger, method, &route, body).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method} {route}: {}", reply.text);
        assert_eq!(reply.error_code(), "not_found");
    }
    let listed = server.call(&stranger, "GET", "/links", None).await.json();
    assert_eq!(listed["data"], json!([]), "nor listed");
    assert_eq!(server.call(&owner, "GET", &path, None).await.json()["status"], "active", "untouched");
    let other_order = server.call(&stranger, "POST", "/links", Some(order_link("SO-mine"))).await;
    assert_eq!(other_order.status, StatusCode::CREATED, "order ids are per merchant");
    assert_ne!(other_order.json()["id"], link["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn creating_again_within_the_resend_window_returns_the_same_link() {
    let server = on_real_adapters().await;
    let merchant = merchant_ready(&server, json!({})).await;
    let first = server.call(&merchant, "POST", "/links", Some(order_link("SO-reuse"))).await;
    let second = server.call(&merchant, "POST", "/links", Some(order_link("SO-reuse"))).await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.json()["reused"], true);
    assert_eq!(second.json()["id"], first.json()["id"]);
    assert_eq!(second.json()["url"], first.json()["url"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_idempotency_key_returns_the_first_response_to_every_retry() {
    let server = on_real_adapters().await;
    let merchant = merchant_ready(&server, json!({})).await;
    let send = |body: serde_json::Value| {
        server
            .http
            .post(server.url("/links"))
            .bearer_auth(server.token(&merchant))
            .header("idempotency-key", "retry-me-1")
            .json(&body)
    };
    let first = server.raw(send(order_link("SO-idem"))).await;
    let retry = server.raw(send(order_link("SO-idem"))).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(retry.status, StatusCode::CREATED, "the first response, not a reuse");
    assert_eq!(retry.json(), first.json());
    let other = server.raw(send(order_link("SO-other"))).await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other.error_code(), "idempotency_key_reused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stripe_receives_the_checkout_parameters_and_the_connect_account() {
    let server = on_real_adapters().await;
    let merchant = merchant_ready(&server, json!({"stripe_account": "acct_1Connected"})).await;
    let mut body = order_link("SO-params");
    body["options"] = json!({"allow_promotion_codes": true, "require_phone": true, "collect_address": "billing"});
    let link = server.call(&merchant, "POST", "/links", Some(body)).await.json();
    server.open(link["url"].as_str().unwrap()).await;
    let create = server.stripe().requests().into_iter().find(|r| r.path == "/v1/checkout/sessions").unwrap();
    assert_eq!(create.stripe_account.as_deref(), Some("acct_1Connected"));
    assert!(create.idempotency_key.is_some());
    assert_eq!(create.param("mode"), Some("payment"));
    assert_eq!(create.param("metadata[link_id]"), link["id"].as_str());
    assert_eq!(create.param("metadata[merchant_id]"), Some(merchant.as_str()));
    assert_eq!(create.param("client_reference_id"), link["id"].as_str());
    assert_eq!(create.param("customer_email"), Some("ada@example.com"));
    assert_eq!(create.param("allow_promotion_codes"), Some("true"));
    assert_eq!(create.param("phone_number_collection[enabled]"), Some("true"));
    assert_eq!(create.param("billing_address_collection"), Some("required"));
    assert_eq!(create.param("line_items[0][price_data][unit_amount]"), Some("1250"));
    assert_eq!(create.param("line_items[0][quantity]"), Some("2"));
    assert!(create.param("success_url").unwrap().starts_with(&server.url("/pay/complete?payment_link_token=")));
    let expires: i64 = create.param("expires_at").unwrap().parse().unwrap();
    let now = paylinks_tests::stripe_events::now();
    assert!(expires > now + 23 * 3600 - 5 && expires <= now + 24 * 3600, "a day, within Stripe's limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_stripe_expires_a_session_the_next_open_makes_a_new_one() {
    let server = on_real_adapters().await;
    let merchant = merchant_ready(&server, json!({})).await;
    let link = server.call(&merchant, "POST", "/links", Some(order_link("SO-expire"))).await.json();
    let url = link["url"].as_str().unwrap();
    let first = session_id_of(&server.open(url).await.location.unwrap());
    assert_eq!(session_id_of(&server.open(url).await.location.unwrap()), first, "an open session is reused");
    let expired = session_object(&first, link["id"].as_str().unwrap(), &merchant, "unpaid", 2500);
    assert_eq!(server.deliver(&event("checkout.session.expired", expired)).await.json()["result"], "session_forgotten");
    let second = session_id_of(&server.open(url).await.location.unwrap());
    assert_ne!(second, first);
    assert_eq!(server.stripe().sessions_created(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_delayed_payment_is_processing_until_it_succeeds() {
    let server = on_real_adapters().await;
    let merchant = merchant_ready(&server, json!({})).await;
    let link = server.call(&merchant, "POST", "/links", Some(order_link("SO-ach"))).await.json();
    let id = link["id"].as_str().unwrap();
    let unpaid = session_object("cs_test_ach", id, &merchant, "unpaid", 2500);
    server.deliver(&event("checkout.session.completed", unpaid.clone())).await;
    let detail = server.call(&merchant, "GET", &format!("/links/{id}"), None).await.json();
    assert_eq!(detail["status"], "active");
    assert_eq!(detail["payments"][0]["status"], "processing");
    let mut paid = unpaid;
    paid["payment_status"] = json!("paid");
    server.deliver(&event("checkout.session.async_payment_succeeded", paid)).await;
    let detail = server.call(&merchant, "GET", &format!("/links/{id}"), None).await.json();
    assert_eq!(detail["status"], "paid");
    assert_eq!(detail["payments"][0]["status"], "paid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_expired_link_sends_the_customer_to_the_landing_page_or_says_gone() {
    let server = on_real_adapters().await;
    let merchant = merchant_ready(&server, json!({})).await;
    let mut body = order_link("SO-old");
    body["expires_in_minutes"] = json!(1);
    let link = server.call(&merchant, "POST", "/links", Some(body)).await.json();
    assert!(link["expires_at"].is_string());
    // Age the link past its expiry in the table itself, as time would.
    let id = link["id"].as_str().unwrap();
    let client = paylinks_tests::moto::inspector().await;
    client
        .update_item()
        .table_name(server.table.as_deref().unwrap())
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(format!("LINK#{id}")))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S("LINK".into()))
        .update_expression("SET expires_at = :past")
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_values(":past", aws_sdk_dynamodb::types::AttributeValue::S("2020-01-01T00:00:00Z".into()))
        .send()
        .await
        .unwrap();
    // The order keeps what a reused create answers with, its current link's expiry among it.
    client
        .update_item()
        .table_name(server.table.as_deref().unwrap())
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(format!("MERCHANT#{merchant}")))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S("ORDER#SO-old".into()))
        .update_expression("SET current_link.expires_at = :past")
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_values(":past", aws_sdk_dynamodb::types::AttributeValue::S("2020-01-01T00:00:00Z".into()))
        .send()
        .await
        .unwrap();
    let detail = server.call(&merchant, "GET", &format!("/links/{id}"), None).await.json();
    assert_eq!(detail["status"], "expired");
    let bare_url = link["short_url"].as_str().unwrap();
    let refused = server.open(bare_url).await;
    assert_eq!(refused.location.unwrap(), "https://shop.example.com/payment-problem?payment_link_error=expired");
    let created = server.call(&merchant, "POST", "/links", Some(order_link("SO-old"))).await;
    assert_eq!(created.status, StatusCode::CREATED, "an expired link is not reused");
}
