//! After the first payment: reusable product links, subscriptions, refunds, Stripe Connect and
//! earnings — on DynamoDB (moto) and the fake Stripe.

use paylinks_tests::server::{TestServer, on_real_adapters, order_link, unique};
use paylinks_tests::stripe_events::{charge, event, session_object, session_of};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn ready(extra: Value) -> (TestServer, String) {
    let server = on_real_adapters().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, extra).await;
    (server, merchant)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_product_link_paid_three_times_has_three_payments_and_stays_active() {
    let (server, merchant) = ready(json!({})).await;
    let body = json!({"name": "Tote bag", "products": [{"name": "Tote", "unit_amount": 2000, "currency": "usd"}]});
    let link = server.call(&merchant, "POST", "/links", Some(body)).await.json();
    let id = link["id"].as_str().unwrap();
    for (i, buyer) in ["a", "b", "c"].iter().enumerate() {
        let session = session_of(&server.open(link["url"].as_str().unwrap()).await.location.unwrap());
        let paid = server.stripe().complete(&session, "paid", &format!("{buyer}@example.com"), &format!("Buyer {i}"));
        assert_eq!(server.deliver(&event("checkout.session.completed", paid)).await.json()["result"], "recorded");
    }
    let detail = server.call(&merchant, "GET", &format!("/links/{id}"), None).await.json();
    assert_eq!(detail["status"], "active");
    let payments = detail["payments"].as_array().unwrap();
    assert_eq!(payments.len(), 3);
    let emails: Vec<&str> = payments.iter().map(|p| p["customer_email"].as_str().unwrap()).collect();
    assert!(emails.contains(&"a@example.com") && emails.contains(&"c@example.com"));
    assert_eq!(detail["earnings"], json!({"stripe": 6000, "manual": 0, "currency": "usd"}));
    let listed = server.call(&merchant, "GET", "/links?kind=product", None).await.json();
    assert_eq!(listed["data"][0]["earnings"]["stripe"], 6000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_recurring_product_makes_a_subscription_checkout_with_the_link_options() {
    let (server, merchant) = ready(json!({})).await;
    let body = json!({
        "name": "Membership",
        "products": [{"name": "Monthly", "unit_amount": 900, "currency": "eur", "recurring": {"interval": "month"},
                      "adjustable_quantity": {"minimum": 1, "maximum": 3}}],
        "options": {"allow_promotion_codes": true, "require_phone": true, "collect_address": "shipping",
                    "success_url": "https://shop.example.com/welcome"}
    });
    let link = server.call(&merchant, "POST", "/links", Some(body)).await.json();
    server.open(link["url"].as_str().unwrap()).await;
    let create = server.stripe().requests().into_iter().find(|r| r.path == "/v1/checkout/sessions").unwrap();
    assert_eq!(create.param("mode"), Some("subscription"));
    assert_eq!(create.param("line_items[0][price_data][recurring][interval]"), Some("month"));
    assert_eq!(create.param("line_items[0][price_data][currency]"), Some("eur"));
    assert_eq!(create.param("line_items[0][adjustable_quantity][enabled]"), Some("true"));
    assert_eq!(create.param("line_items[0][adjustable_quantity][maximum]"), Some("3"));
    assert_eq!(create.param("allow_promotion_codes"), Some("true"));
    assert_eq!(create.param("phone_number_collection[enabled]"), Some("true"));
    assert!(create.param("shipping_address_collection[allowed_countries][0]").is_some());
    let token = link["url"].as_str().unwrap().split_once("payment_link_token=").unwrap().1;
    let done = server.open(&server.url(&format!("/pay/complete?payment_link_token={token}"))).await;
    assert_eq!(done.location.as_deref(), Some("https://shop.example.com/welcome"), "the custom success URL");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refunds_turn_the_order_partially_refunded_then_refunded_and_never_back() {
    let (server, merchant) = ready(json!({})).await;
    let link = server.call(&merchant, "POST", "/links", Some(order_link("SO-refund"))).await.json();
    let id = link["id"].as_str().unwrap();
    let mut paid = session_object("cs_test_refund", id, &merchant, "paid", 2500);
    paid["payment_intent"] = json!("pi_refund_1");
    server.deliver(&event("checkout.session.completed", paid)).await;
    let status = || async {
        let orders = server.call(&merchant, "GET", "/orders", None).await.json();
        orders["data"][0]["payment_status"].as_str().unwrap().to_string()
    };
    assert_eq!(status().await, "paid");
    let partial = server.deliver(&event("charge.refunded", charge("pi_refund_1", 2500, 1000))).await;
    assert_eq!(partial.json()["result"], "recorded");
    assert_eq!(status().await, "partially_refunded");
    server.deliver(&event("charge.refunded", charge("pi_refund_1", 2500, 2500))).await;
    assert_eq!(status().await, "refunded");
    let late = server.deliver(&event("charge.refunded", charge("pi_refund_1", 2500, 1000))).await;
    assert_eq!(late.json()["result"], "duplicate");
    assert_eq!(status().await, "refunded");
    let detail = server.call(&merchant, "GET", &format!("/links/{id}"), None).await.json();
    assert_eq!(detail["payments"][0]["refunded"], 2500);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refund_that_arrives_before_its_payment_is_kept_and_applied_when_the_payment_lands() {
    let (server, merchant) = ready(json!({})).await;
    let link = server.call(&merchant, "POST", "/links", Some(order_link("SO-early-refund"))).await.json();
    let id = link["id"].as_str().unwrap();
    let early = server.deliver(&event("charge.refunded", charge("pi_early_1", 2500, 1000))).await;
    assert_eq!(early.json()["result"], "kept_for_its_payment");
    let again = server.deliver(&event("charge.refunded", charge("pi_early_1", 2500, 1000))).await;
    assert_eq!(again.json()["result"], "duplicate");
    let mut paid = session_object("cs_test_early_refund", id, &merchant, "paid", 2500);
    paid["payment_intent"] = json!("pi_early_1");
    assert_eq!(server.deliver(&event("checkout.session.completed", paid)).await.json()["result"], "recorded");
    let orders = server.call(&merchant, "GET", "/orders", None).await.json();
    assert_eq!(orders["data"][0]["payment_status"], "partially_refunded");
    let detail = server.call(&merchant, "GET", &format!("/links/{id}"), None).await.json();
    assert_eq!(detail["payments"][0]["refunded"], 1000);
    let rest = server.deliver(&event("charge.refunded", charge("pi_early_1", 2500, 2500))).await;
    assert_eq!(rest.json()["result"], "recorded");
    let orders = server.call(&merchant, "GET", "/orders", None).await.json();
    assert_eq!(orders["data"][0]["payment_status"], "refunded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn connect_events_count_only_for_the_merchant_of_that_account() {
    let (server, merchant) = ready(json!({"stripe_account": "acct_1Merchant"})).await;
    let link = server.call(&merchant, "POST", "/links", Some(order_link("SO-connect"))).await.json();
    let id = link["id"].as_str().unwrap();
    let with_account = |account: Option<&str>, session: &str| {
        let mut body: Value = serde_json::from_str(&event(
            "checkout.session.completed",
            session_object(session, id, &merchant, "paid", 2500),
        ))
        .unwrap();
        body["account"] = json!(account);
        body.to_string()
    };
    assert_eq!(server.deliver(&with_account(Some("acct_1Someone"), "cs_test_c1")).await.json()["result"], "ignored");
    assert_eq!(server.deliver(&with_account(None, "cs_test_c2")).await.json()["result"], "ignored");
    assert_eq!(server.deliver(&with_account(Some("acct_1Merchant"), "cs_test_c3")).await.json()["result"], "recorded");
    let detail = server.call(&merchant, "GET", &format!("/links/{id}"), None).await.json();
    assert_eq!(detail["payments"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn manual_payments_are_kept_apart_from_earnings() {
    let (server, merchant) = ready(json!({})).await;
    let link = server.call(&merchant, "POST", "/links", Some(order_link("SO-cash"))).await.json();
    let marked = server.call(&merchant, "POST", "/orders/SO-cash/mark-paid", None).await;
    assert_eq!(marked.status, StatusCode::OK);
    let detail = server.call(&merchant, "GET", &format!("/links/{}", link["id"].as_str().unwrap()), None).await.json();
    assert_eq!(detail["earnings"], json!({"stripe": 0, "manual": 2500, "currency": "usd"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_payment_is_recorded_at_what_stripe_charged_not_the_list_price() {
    let (server, merchant) = ready(json!({})).await;
    let mut cases = Vec::new();
    // A promotion code takes 500 off; a 100% code makes Checkout answer `no_payment_required`.
    for (order, payment_status, charged) in [("SO-promo", "paid", 2000), ("SO-free", "no_payment_required", 0)] {
        let link = server.call(&merchant, "POST", "/links", Some(order_link(order))).await.json();
        let session = session_of(&server.open(link["url"].as_str().unwrap()).await.location.unwrap());
        let mut paid = server.stripe().complete(&session, payment_status, "payer@example.com", "Pat Payer");
        assert_eq!(paid["amount_total"], 2500, "the fake charges the list price unless told otherwise");
        paid["amount_total"] = json!(charged);
        assert_eq!(server.deliver(&event("checkout.session.completed", paid)).await.json()["result"], "recorded");
        cases.push((link["id"].as_str().unwrap().to_string(), order, charged));
    }
    for (id, order, charged) in cases {
        let detail = server.call(&merchant, "GET", &format!("/links/{id}"), None).await.json();
        assert_eq!(detail["payments"][0]["amount"], charged, "{order}");
        assert_eq!(detail["earnings"]["stripe"], charged, "{order}");
    }
    let paid = server.call(&merchant, "GET", "/orders?payment_status=paid", None).await.json();
    let paid: Vec<&str> = paid["data"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert!(paid.contains(&"SO-promo") && paid.contains(&"SO-free"), "{paid:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_a_failed_bank_debit_the_next_open_makes_a_new_checkout_session() {
    let (server, merchant) = ready(json!({})).await;
    let link = server.call(&merchant, "POST", "/links", Some(order_link("SO-debit"))).await.json();
    let url = link["url"].as_str().unwrap();
    let first = session_of(&server.open(url).await.location.unwrap());
    let processing = server.stripe().complete(&first, "unpaid", "payer@example.com", "Pat Payer");
    server.deliver(&event("checkout.session.completed", processing.clone())).await;
    // While the debit is pending the customer is told so, and not sent to pay a second time.
    let pending = server.open(url).await;
    assert_eq!((pending.status, pending.location.as_deref()), (StatusCode::OK, None), "{}", pending.text);
    assert!(pending.text.contains("being processed"), "{}", pending.text);
    let token = url.split("payment_link_token=").nth(1).unwrap();
    let resolved = server.open(&server.url(&format!("/pay/resolve?payment_link_token={token}"))).await;
    assert_eq!(resolved.json()["status"], "processing");
    let failed = server.deliver(&event("checkout.session.async_payment_failed", processing)).await;
    assert_eq!(failed.status, StatusCode::OK);
    let outstanding = server.call(&merchant, "GET", "/orders?payment_status=outstanding", None).await.json();
    assert!(outstanding["data"].as_array().unwrap().iter().any(|o| o["id"] == "SO-debit"), "{outstanding}");
    let again = server.open(url).await;
    let second = session_of(again.location.as_deref().expect("a redirect to Checkout"));
    assert_ne!(second, first, "Stripe shows the failed session as complete: a new one is needed");
    assert_eq!(session_of(&server.open(url).await.location.unwrap()), second, "and it is reused while open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn giving_back_a_flagged_second_payment_leaves_the_order_paid() {
    let (server, merchant) = ready(json!({})).await;
    let link = server.call(&merchant, "POST", "/links", Some(order_link("SO-twice"))).await.json();
    let id = link["id"].as_str().unwrap();
    for (session, intent) in [("cs_test_first", "pi_first"), ("cs_test_second", "pi_second")] {
        let mut paid = session_object(session, id, &merchant, "paid", 2500);
        paid["payment_intent"] = json!(intent);
        assert_eq!(server.deliver(&event("checkout.session.completed", paid)).await.json()["result"], "recorded");
    }
    let detail = server.call(&merchant, "GET", &format!("/links/{id}"), None).await.json();
    assert_eq!(detail["payments"][1]["flag"], "already_paid", "{detail}");
    server.deliver(&event("charge.refunded", charge("pi_second", 2500, 2500))).await;
    let orders = server.call(&merchant, "GET", "/orders", None).await.json();
    assert_eq!(orders["data"][0]["payment_status"], "paid", "the first payment stands");
}
