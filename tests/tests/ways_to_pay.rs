//! Ways to pay beyond "the whole amount, once", end to end through the local server on DynamoDB
//! (moto) and the fake Stripe: parts of an order chosen on our page (and the race for the last
//! part), a tip on its own line, and a reusable link that stops at exactly its limit.

use std::sync::Arc;

use paylinks_tests::server::{TestServer, on_real_adapters, order_link, unique};
use paylinks_tests::stripe_events::{charge, event, session_of};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A merchant told of the order's events, and an order link of 100.00 that takes parts of at
/// least 30.00.
async fn partial_link(server: &TestServer) -> (String, Value) {
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let endpoint = json!({"url": "http://127.0.0.1:9/hooks", "events": ["order.partially_paid", "order.paid"]});
    assert_eq!(server.call(&merchant, "POST", "/webhook-endpoints", Some(endpoint)).await.status, StatusCode::CREATED);
    let mut body = order_link(&unique("SO"));
    body["order"]["line_items"] = json!([{"name": "Deposit-able sofa", "unit_amount": 5000, "quantity": 2}]);
    body["partial_payments"] = json!({"minimum_amount": 3000});
    let link = server.call(&merchant, "POST", "/links", Some(body)).await;
    assert_eq!(link.status, StatusCode::CREATED, "{}", link.text);
    (merchant, link.json())
}

fn token_of(link: &Value) -> String {
    link["url"].as_str().unwrap().split_once("payment_link_token=").unwrap().1.to_string()
}

async fn choose(server: &TestServer, token: &str, fields: &[(&str, &str)]) -> paylinks_tests::server::Reply {
    let mut form = vec![("payment_link_token", token)];
    form.extend_from_slice(fields);
    server.raw(server.http.post(server.url("/pay")).form(&form)).await
}

async fn pay(server: &TestServer, session: &str) -> Value {
    let paid = server.stripe().complete(session, "paid", "ada@example.com", "Ada Lovelace");
    server.deliver(&event("checkout.session.completed", paid)).await.json()
}

async fn order_of(server: &TestServer, merchant: &str, link: &Value) -> Value {
    let orders = server.call(merchant, "GET", "/orders", None).await.json();
    let id = link["order_id"].as_str().unwrap();
    orders["data"].as_array().unwrap().iter().find(|o| o["id"] == id).cloned().expect("the order is listed")
}

async fn detail(server: &TestServer, merchant: &str, link: &Value) -> Value {
    server.call(merchant, "GET", &format!("/links/{}", link["id"].as_str().unwrap()), None).await.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_order_paid_in_parts_is_partially_paid_until_its_balance_is_paid() {
    let server = on_real_adapters().await;
    let (merchant, link) = partial_link(&server).await;
    let token = token_of(&link);

    let page = server.open(link["url"].as_str().unwrap()).await;
    assert_eq!(page.status, StatusCode::OK, "our page first, not Checkout: {}", page.text);
    assert!(page.text.contains(r#"action="/pay""#) && page.text.contains("USD 100.00"), "{}", page.text);
    assert_eq!(server.stripe().sessions_created(), 0, "no session before the customer chose");
    let short = server.open(link["short_url"].as_str().unwrap()).await;
    assert!(short.status == StatusCode::OK && short.text.contains(r#"name="payment_link_token""#));

    for (fields, why) in [
        (vec![("amount", "2999")], "below the minimum"),
        (vec![("amount", "10001")], "above the balance"),
        (vec![("amount", "other"), ("other_amount", "abc")], "not an amount"),
        (vec![("amount", "other"), ("other_amount", "12.345")], "too many decimals"),
    ] {
        let refused = choose(&server, &token, &fields).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{why}: {}", refused.text);
        assert!(refused.text.contains(r#"role="alert""#), "{why}: the page says what is wrong");
    }
    assert_eq!(server.stripe().sessions_created(), 0, "a refused choice makes no session");

    // 40.00 typed in the major unit, as people write money.
    let first = choose(&server, &token, &[("amount", "other"), ("other_amount", "40.00")]).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.text);
    let session = session_of(&first.location.unwrap());
    let made = server.stripe().session(&session).unwrap();
    assert_eq!((made["amount_total"].as_i64(), &made["metadata"]["part_amount"]), (Some(4000), &json!("4000")));
    let again = choose(&server, &token, &[("amount", "4000")]).await;
    assert_eq!(session_of(&again.location.unwrap()), session, "the same choice reuses its session");
    assert_eq!(pay(&server, &session).await["result"], "recorded");

    let order = order_of(&server, &merchant, &link).await;
    assert_eq!(
        (&order["payment_status"], &order["amount_paid"], &order["amount_due"]),
        (&json!("partially_paid"), &json!(4000), &json!(6000))
    );
    let shown = detail(&server, &merchant, &link).await;
    assert_eq!(
        (&shown["status"], &shown["amount_paid"], &shown["amount_due"]),
        (&json!("active"), &json!(4000), &json!(6000))
    );
    assert_eq!(shown["payments"][0]["partial"], true);

    let page = server.open(link["url"].as_str().unwrap()).await;
    assert!(
        page.text.contains("USD 60.00") && page.text.contains("USD 40.00"),
        "the balance and what was paid: {}",
        page.text
    );
    let rest = choose(&server, &token, &[("amount", "6000")]).await;
    let rest_session = session_of(&rest.location.unwrap());
    assert_ne!(rest_session, session);
    assert_eq!(pay(&server, &rest_session).await["result"], "recorded");
    let order = order_of(&server, &merchant, &link).await;
    assert_eq!((&order["payment_status"], &order["amount_due"]), (&json!("paid"), &json!(0)));
    assert_eq!(detail(&server, &merchant, &link).await["status"], "paid");
    let done = server.open(link["url"].as_str().unwrap()).await;
    assert!(done.text.contains("already been paid"), "{}", done.text);

    let events = server.call(&merchant, "GET", "/events", None).await.json();
    let kinds: Vec<&str> = events["data"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"order.partially_paid") && kinds.contains(&"order.paid"), "{kinds:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn two_parts_racing_for_the_last_of_the_balance_are_both_recorded_and_the_excess_flagged() {
    let server = Arc::new(on_real_adapters().await);
    let (merchant, link) = partial_link(&server).await;
    let token = token_of(&link);
    let first = session_of(&choose(&server, &token, &[("amount", "6000")]).await.location.unwrap());
    assert_eq!(pay(&server, &first).await["result"], "recorded");
    // Two customers on the last 40.00: one chose it all, the other changed the amount after;
    // Stripe completes both (the first was closed too late).
    let a = session_of(&choose(&server, &token, &[("amount", "4000")]).await.location.unwrap());
    let b =
        session_of(&choose(&server, &token, &[("amount", "other"), ("other_amount", "35")]).await.location.unwrap());
    assert_ne!(a, b);
    let bodies: Vec<String> = [&a, &b]
        .iter()
        .map(|s| event("checkout.session.completed", server.stripe().complete(s, "paid", "x@example.com", "X")))
        .collect();
    let races = bodies.into_iter().map(|body| {
        let server = server.clone();
        tokio::spawn(async move { server.deliver(&body).await })
    });
    for race in races {
        let reply = race.await.unwrap();
        assert_eq!(
            (reply.status, reply.json()["result"].clone()),
            (StatusCode::OK, json!("recorded")),
            "{}",
            reply.text
        );
    }
    let shown = detail(&server, &merchant, &link).await;
    let payments = shown["payments"].as_array().unwrap();
    assert_eq!(payments.len(), 3, "no money lost: {shown}");
    let flagged: Vec<&Value> = payments.iter().filter(|p| !p["flag"].is_null()).collect();
    assert_eq!(flagged.len(), 1, "the one that came second is flagged for a refund: {payments:?}");
    assert!(["overpaid", "already_paid"].contains(&flagged[0]["flag"].as_str().unwrap()));
    let order = order_of(&server, &merchant, &link).await;
    assert_eq!(order["payment_status"], "paid");
    assert_eq!(shown["earnings"]["stripe"], 6000 + 4000 + 3500);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tip_is_its_own_line_and_recorded_apart_from_what_the_order_is_owed() {
    let server = on_real_adapters().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let mut body = order_link(&unique("SO"));
    body["options"] = json!({"allow_tip": true});
    let link = server.call(&merchant, "POST", "/links", Some(body)).await.json();
    let token = token_of(&link);
    let page = server.open(link["url"].as_str().unwrap()).await;
    assert!(page.text.contains(r#"name="tip" value="15""#) && page.text.contains("USD 3.75"), "{}", page.text);
    let too_much = choose(&server, &token, &[("tip", "other"), ("tip_amount", "25.01")]).await;
    assert_eq!(too_much.status, StatusCode::UNPROCESSABLE_ENTITY);
    let chosen = choose(&server, &token, &[("tip", "15")]).await;
    let session = session_of(&chosen.location.unwrap());
    let create = server.stripe().requests().into_iter().rfind(|r| r.path == "/v1/checkout/sessions").unwrap();
    assert_eq!(create.param("line_items[1][price_data][product_data][name]"), Some("Tip"));
    assert_eq!(create.param("line_items[1][price_data][unit_amount]"), Some("375"));
    assert_eq!(create.param("metadata[tip_amount]"), Some("375"));
    assert_eq!(pay(&server, &session).await["result"], "recorded");
    let shown = detail(&server, &merchant, &link).await;
    assert_eq!(shown["status"], "paid");
    assert_eq!((&shown["payments"][0]["amount"], &shown["payments"][0]["tip_amount"]), (&json!(2875), &json!(375)));
    let order = order_of(&server, &merchant, &link).await;
    assert_eq!((&order["amount_paid"], &order["amount_due"]), (&json!(2500), &json!(0)), "the tip is not the order's");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn a_reusable_link_with_a_limit_takes_exactly_that_many_payments_however_they_race() {
    let server = Arc::new(on_real_adapters().await);
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let body = json!({
        "name": "Workshop seat",
        "products": [{"name": "Seat", "unit_amount": 5000, "currency": "usd"}],
        "restrictions": {"completed_payments_limit": 3},
        "inactive_message": "Sold out: thank you! Join the waiting list at the shop."
    });
    let link = server.call(&merchant, "POST", "/links", Some(body)).await.json();
    let url = link["url"].as_str().unwrap().to_string();
    // Seven customers open it at once and all pay.
    let mut sessions = Vec::new();
    for _ in 0..7 {
        sessions.push(session_of(&server.open(&url).await.location.unwrap()));
    }
    let bodies: Vec<String> = sessions
        .iter()
        .map(|s| event("checkout.session.completed", server.stripe().complete(s, "paid", "y@example.com", "Y")))
        .collect();
    let deliveries = bodies.into_iter().map(|body| {
        let server = server.clone();
        tokio::spawn(async move { server.deliver(&body).await })
    });
    for delivery in deliveries {
        assert_eq!(delivery.await.unwrap().status, StatusCode::OK);
    }
    let shown = detail(&server, &merchant, &link).await;
    assert_eq!((&shown["status"], &shown["completed_payments"]), (&json!("completed"), &json!(3)), "{shown}");
    let payments = shown["payments"].as_array().unwrap();
    assert_eq!(payments.len(), 7, "money that came is never dropped");
    let counted = payments.iter().filter(|p| p["flag"].is_null()).count();
    assert_eq!(counted, 3, "exactly the limit counts; the rest are flagged: {payments:?}");
    assert!(payments.iter().filter(|p| !p["flag"].is_null()).all(|p| p["flag"] == "limit_reached"));

    let late = server.open(&url).await;
    assert_eq!(late.status, StatusCode::GONE);
    assert!(late.text.contains("Sold out: thank you!"), "the merchant's message: {}", late.text);
    assert_eq!(server.stripe().sessions_created(), 7, "no session once completed");
    let voided = server
        .call(&merchant, "PATCH", &format!("/links/{}", link["id"].as_str().unwrap()), Some(json!({"active": false})))
        .await;
    assert_eq!((voided.status, voided.error_code()), (StatusCode::CONFLICT, "link_completed".to_string()));
    let listed = server.call(&merchant, "GET", "/links?status=completed", None).await.json();
    assert_eq!(listed["data"][0]["id"], link["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ways_to_pay_are_refused_where_they_do_not_belong() {
    let server = on_real_adapters().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let product = json!([{"name": "Seat", "unit_amount": 5000, "currency": "usd"}]);
    let cases = [
        (json!({"partial_payments": {"minimum_amount": 2501}}), "partial_payments.minimum_amount"),
        (json!({"partial_payments": {"minimum_amount": 0}}), "partial_payments.minimum_amount"),
        (json!({"partial_payments": {}}), "partial_payments.minimum_amount"),
        (json!({"restrictions": {"completed_payments_limit": 3}}), "restrictions"),
        (
            json!({"products": product, "order": null, "name": "P", "partial_payments": {"minimum_amount": 100}}),
            "partial_payments",
        ),
        (json!({"products": product, "order": null, "name": "P", "options": {"allow_tip": true}}), "options.allow_tip"),
        (
            json!({"products": product, "order": null, "name": "P", "restrictions": {"completed_payments_limit": 0}}),
            "restrictions.completed_payments_limit",
        ),
    ];
    for (extra, field) in cases {
        let mut body = order_link(&unique("SO"));
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        if body["order"].is_null() {
            body.as_object_mut().unwrap().remove("order");
            body.as_object_mut().unwrap().remove("landing_page_url");
        }
        let reply = server.call(&merchant, "POST", "/links", Some(body)).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {}", reply.text);
        assert_eq!(reply.json()["error"]["field"], field, "{}", reply.text);
    }
    // A link with nothing to choose sends a posted form straight on to the link.
    let plain = server.call(&merchant, "POST", "/links", Some(order_link(&unique("SO")))).await.json();
    let posted = choose(&server, &token_of(&plain), &[("amount", "100")]).await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER);
    assert!(posted.location.unwrap().contains("/pay?payment_link_token="));
    let no_token = server.raw(server.http.post(server.url("/pay")).form(&[("amount", "100")])).await;
    assert_eq!(no_token.status, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pay_what_you_want_takes_the_price_the_customer_names_within_its_bounds() {
    let server = on_real_adapters().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let product = json!({"name": "Support the podcast", "currency": "usd",
                         "custom_amount": {"minimum": 500, "maximum": 10000, "preset": 2000}});
    for (products, field) in [
        (
            json!([{"name": "x", "currency": "usd", "unit_amount": 100, "custom_amount": {"minimum": 500, "maximum": 900}}]),
            "products.0.unit_amount",
        ),
        (
            json!([{"name": "x", "currency": "usd", "custom_amount": {"minimum": 500, "maximum": 900, "preset": 901}}]),
            "products.0.custom_amount.preset",
        ),
        (
            json!([{"name": "x", "currency": "usd", "custom_amount": {"minimum": 900, "maximum": 500}}]),
            "products.0.custom_amount.maximum",
        ),
        (
            json!([{"name": "x", "currency": "usd", "custom_amount": {"maximum": 500}}]),
            "products.0.custom_amount.minimum",
        ),
        (json!([product.clone(), {"name": "y", "currency": "usd", "unit_amount": 100}]), "products"),
    ] {
        let reply = server.call(&merchant, "POST", "/links", Some(json!({"name": "P", "products": products}))).await;
        assert_eq!(
            (reply.status, reply.json()["error"]["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!(field)),
            "{}",
            reply.text
        );
    }
    let link = server.call(&merchant, "POST", "/links", Some(json!({"name": "Tip jar", "products": [product]}))).await;
    assert_eq!(link.status, StatusCode::CREATED, "{}", link.text);
    let link = link.json();
    let token = token_of(&link);
    let page = server.open(link["url"].as_str().unwrap()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains(r#"value="20.00""#) && page.text.contains("USD 5.00") && page.text.contains("USD 100.00"),
        "{}",
        page.text
    );
    let low = choose(&server, &token, &[("amount", "other"), ("other_amount", "4.99")]).await;
    assert_eq!(low.status, StatusCode::UNPROCESSABLE_ENTITY);
    let named = choose(&server, &token, &[("amount", "other"), ("other_amount", "35")]).await;
    assert_eq!(named.status, StatusCode::SEE_OTHER, "{}", named.text);
    let session = session_of(&named.location.unwrap());
    let create = server.stripe().requests().into_iter().rfind(|r| r.path == "/v1/checkout/sessions").unwrap();
    assert_eq!(create.param("line_items[0][price_data][unit_amount]"), Some("3500"));
    assert_eq!(pay(&server, &session).await["result"], "recorded");
    let other =
        session_of(&choose(&server, &token, &[("amount", "other"), ("other_amount", "35")]).await.location.unwrap());
    assert_ne!(other, session, "every customer of a reusable link gets a session of their own");
    let shown = detail(&server, &merchant, &link).await;
    assert_eq!((&shown["status"], &shown["payments"][0]["amount"]), (&json!("active"), &json!(3500)));
}

/// Pays `session` with its own PaymentIntent, for refunds to find it.
async fn pay_with_intent(server: &TestServer, session: &str, intent: &str) {
    let mut paid = server.stripe().complete(session, "paid", "ada@example.com", "Ada Lovelace");
    paid["payment_intent"] = json!(intent);
    assert_eq!(server.deliver(&event("checkout.session.completed", paid)).await.json()["result"], "recorded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parts_are_refunded_one_by_one() {
    let server = on_real_adapters().await;
    let (merchant, link) = partial_link(&server).await;
    let token = token_of(&link);
    let first = session_of(&choose(&server, &token, &[("amount", "4000")]).await.location.unwrap());
    let intent = unique("pi");
    pay_with_intent(&server, &first, &intent).await;
    server.deliver(&event("charge.refunded", charge(&intent, 4000, 4000))).await;
    let order = order_of(&server, &merchant, &link).await;
    assert_eq!(
        (&order["payment_status"], &order["amount_due"]),
        (&json!("outstanding"), &json!(10000)),
        "a part given back before the order was paid is owed again"
    );
    let page = server.open(link["url"].as_str().unwrap()).await;
    assert!(page.text.contains("USD 100.00"), "the customer is asked for all of it again");

    let (a, b) = (unique("pi"), unique("pi"));
    let part = session_of(&choose(&server, &token, &[("amount", "3000")]).await.location.unwrap());
    pay_with_intent(&server, &part, &a).await;
    let rest = session_of(&choose(&server, &token, &[("amount", "7000")]).await.location.unwrap());
    pay_with_intent(&server, &rest, &b).await;
    assert_eq!(order_of(&server, &merchant, &link).await["payment_status"], "paid");
    server.deliver(&event("charge.refunded", charge(&a, 3000, 3000))).await;
    assert_eq!(
        order_of(&server, &merchant, &link).await["payment_status"],
        "partially_refunded",
        "one of two parts back"
    );
    server.deliver(&event("charge.refunded", charge(&b, 7000, 7000))).await;
    assert_eq!(order_of(&server, &merchant, &link).await["payment_status"], "refunded");
}
