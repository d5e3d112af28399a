//! Orders are ledgers: the four sequences that once counted an order wrong, and the other findings
//! of issue 20, end to end through the local server on DynamoDB (moto) and the fake Stripe. Each
//! failed on the counters that came before the ledger.

use paylinks_tests::fake_stripe::StripeFault;
use paylinks_tests::server::{TestServer, on_real_adapters_tuned, order_link, unique};
use paylinks_tests::stripe_events::{charge, event, session_of};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A server that mints a new link for every create (no resend window: the sequences re-create
/// orders at once), and a merchant whose endpoint hears of every order event.
async fn ready() -> (TestServer, String) {
    let server = on_real_adapters_tuned(|options| options.link_config.resend_window_seconds = 0).await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let events = ["order.paid", "order.partially_paid", "order.overpaid", "order.refunded"];
    let endpoint = json!({"url": "http://127.0.0.1:9/hooks", "events": events});
    assert_eq!(server.call(&merchant, "POST", "/webhook-endpoints", Some(endpoint)).await.status, StatusCode::CREATED);
    (server, merchant)
}

/// An order link for `order` of `amount` (one line), with `extra` fields merged in.
async fn create(server: &TestServer, merchant: &str, order: &str, amount: i64, extra: Value) -> Value {
    let reply = server.call(merchant, "POST", "/links", Some(body(order, amount, extra))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.json()
}

fn body(order: &str, amount: i64, extra: Value) -> Value {
    let mut body = order_link(order);
    body["order"]["line_items"] = json!([{"name": "Sofa", "unit_amount": amount, "quantity": 1}]);
    for (key, value) in extra.as_object().unwrap() {
        body[key] = value.clone();
    }
    body
}

/// The Checkout Session an open of `link` is sent to.
async fn session(server: &TestServer, link: &Value) -> String {
    let opened = server.open(link["url"].as_str().unwrap()).await;
    session_of(opened.location.as_deref().unwrap_or_else(|| panic!("a redirect to Checkout: {}", opened.text)))
}

/// A part of `amount` (minor units) chosen on the link's page: its session.
async fn part(server: &TestServer, link: &Value, amount: i64) -> String {
    let token = link["url"].as_str().unwrap().split_once("payment_link_token=").unwrap().1.to_string();
    let amount = amount.to_string();
    let form = [("payment_link_token", token.as_str()), ("amount", amount.as_str())];
    let chosen = server.raw(server.http.post(server.url("/pay")).form(&form)).await;
    session_of(chosen.location.as_deref().unwrap_or_else(|| panic!("a redirect to Checkout: {}", chosen.text)))
}

/// The customer pays the session (whatever became of it at Stripe since): Stripe's event.
async fn pay(server: &TestServer, session: &str, intent: &str) -> Value {
    let mut paid = server.stripe().complete(session, "paid", "ada@example.com", "Ada Lovelace");
    paid["payment_intent"] = json!(intent);
    server.deliver(&event("checkout.session.completed", paid)).await.json()
}

async fn order(server: &TestServer, merchant: &str, id: &str) -> Value {
    let reply = server.call(merchant, "GET", &format!("/orders/{id}"), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json()
}

fn figures(order: &Value) -> (String, i64, i64, i64) {
    let n = |key: &str| order[key].as_i64().unwrap_or_else(|| panic!("{key} in {order}"));
    (order["payment_status"].as_str().unwrap().to_string(), n("amount_paid"), n("amount_due"), n("overpaid_amount"))
}

async fn event_types(server: &TestServer, merchant: &str) -> Vec<String> {
    let events = server.call(merchant, "GET", "/events", None).await.json();
    events["data"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap().to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_whole_session_is_credited_what_it_charged_when_the_order_was_raised_or_lowered_since() {
    let (server, merchant) = ready().await;
    // Raised: SO-A for 10.00, its session made for 10.00, then 500.00.
    let first = create(&server, &merchant, "SO-A", 1000, json!({})).await;
    let old = session(&server, &first).await;
    create(&server, &merchant, "SO-A", 50_000, json!({})).await;
    let closed = server.stripe().session(&old).unwrap();
    assert_eq!(closed["status"], "expired", "the session made for the old amount is closed at Stripe");
    assert_eq!(closed["metadata"]["amount"], "1000", "and it said what it was made for");
    // A customer who paid it just before: 10.00 received, 490.00 still due.
    assert_eq!(pay(&server, &old, "pi_raised").await["result"], "recorded");
    let raised = order(&server, &merchant, "SO-A").await;
    assert_eq!(figures(&raised), ("partially_paid".into(), 1000, 49_000, 0), "{raised}");

    // Lowered: SO-A2 for 500.00, then 10.00; the old 500.00 session is paid.
    let first = create(&server, &merchant, "SO-A2", 50_000, json!({})).await;
    let old = session(&server, &first).await;
    create(&server, &merchant, "SO-A2", 1000, json!({})).await;
    pay(&server, &old, "pi_lowered").await;
    let lowered = order(&server, &merchant, "SO-A2").await;
    assert_eq!(figures(&lowered), ("paid".into(), 1000, 0, 49_000), "{lowered}");
    assert_eq!(lowered["refund_due"], 49_000);
    let entries = lowered["entries"].as_array().unwrap();
    let overpayment = entries.iter().find(|e| e["type"] == "overpayment").expect("an overpayment entry");
    assert_eq!((&overpayment["amount"], &overpayment["flag"]), (&json!(49_000), &json!("overpaid")));
    assert_eq!(overpayment["payment_intent"], "pi_lowered");
    assert!(event_types(&server, &merchant).await.contains(&"order.overpaid".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_whole_session_paid_after_a_part_flags_what_it_paid_beyond_the_balance() {
    let (server, merchant) = ready().await;
    let whole_link = create(&server, &merchant, "SO-B", 10_000, json!({})).await;
    let whole = session(&server, &whole_link).await;
    let parts = create(&server, &merchant, "SO-B", 10_000, json!({"partial_payments": {"minimum_amount": 3000}})).await;
    let third = part(&server, &parts, 3000).await;
    pay(&server, &third, "pi_part").await;
    assert_eq!(figures(&order(&server, &merchant, "SO-B").await), ("partially_paid".into(), 3000, 7000, 0));
    let paid = pay(&server, &whole, "pi_whole").await;
    assert_eq!(paid["result"], "recorded");
    let after = order(&server, &merchant, "SO-B").await;
    assert_eq!(figures(&after), ("paid".into(), 10_000, 0, 3000), "{after}");
    let detail = server.call(&merchant, "GET", &format!("/links/{}", whole_link["id"].as_str().unwrap()), None).await;
    assert_eq!(detail.json()["payments"][0]["flag"], "overpaid");
    let told = server.call(&merchant, "GET", "/events?type=order.overpaid", None).await.json();
    let data = &told["data"][0]["data"];
    assert_eq!((&data["payment_intent"], &data["order"]["refund_due"]), (&json!("pi_whole"), &json!(3000)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_part_refunded_before_its_payment_event_is_owed_again_when_the_payment_lands() {
    let (server, merchant) = ready().await;
    let link = create(&server, &merchant, "SO-C", 10_000, json!({"partial_payments": {"minimum_amount": 3000}})).await;
    let half = part(&server, &link, 5000).await;
    let early = server.deliver(&event("charge.refunded", charge("pi_half", 5000, 5000))).await;
    assert_eq!(early.json()["result"], "kept_for_its_payment");
    assert_eq!(pay(&server, &half, "pi_half").await["result"], "recorded");
    let after = order(&server, &merchant, "SO-C").await;
    assert_eq!(figures(&after), ("outstanding".into(), 0, 10_000, 0), "{after}");
    assert_eq!(after["amount_refunded"], 5000);
    // The customer pays half again: still half due, not paid with half given back.
    let again = part(&server, &link, 5000).await;
    pay(&server, &again, "pi_again").await;
    assert_eq!(figures(&order(&server, &merchant, "SO-C").await), ("partially_paid".into(), 5000, 5000, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_order_is_not_re_created_below_what_was_paid_nor_in_another_currency() {
    let (server, merchant) = ready().await;
    let link = create(&server, &merchant, "SO-D", 10_000, json!({"partial_payments": {"minimum_amount": 3000}})).await;
    let paid = part(&server, &link, 6000).await;
    pay(&server, &paid, "pi_sixty").await;
    let below = server.call(&merchant, "POST", "/links", Some(body("SO-D", 5000, json!({})))).await;
    assert_eq!(
        (below.status, below.error_code()),
        (StatusCode::CONFLICT, "amount_below_paid".into()),
        "{}",
        below.text
    );
    let mut euros = body("SO-D", 20_000, json!({}));
    euros["order"]["currency"] = json!("eur");
    let other = server.call(&merchant, "POST", "/links", Some(euros)).await;
    assert_eq!((other.status, other.error_code()), (StatusCode::CONFLICT, "currency_mismatch".into()));
    assert_eq!(figures(&order(&server, &merchant, "SO-D").await), ("partially_paid".into(), 6000, 4000, 0));
    // Lowered to exactly what was paid: nothing is left to pay, so the order is paid (no link).
    let equal = server.call(&merchant, "POST", "/links", Some(body("SO-D", 6000, json!({})))).await;
    assert_eq!(equal.error_code(), "order_already_paid", "nothing would be left to pay");
    assert_eq!(figures(&order(&server, &merchant, "SO-D").await), ("paid".into(), 6000, 0, 0));
    assert!(server.open(link["url"].as_str().unwrap()).await.text.contains("already been paid"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_order_re_created_in_another_currency_voids_the_links_priced_in_the_old_one() {
    let (server, merchant) = ready().await;
    let dollars = create(&server, &merchant, "SO-CUR", 5000, json!({})).await;
    let old = session(&server, &dollars).await;
    let mut yen = body("SO-CUR", 7500, json!({}));
    yen["order"]["currency"] = json!("jpy");
    assert_eq!(server.call(&merchant, "POST", "/links", Some(yen)).await.status, StatusCode::CREATED);
    let id = dollars["id"].as_str().unwrap();
    assert_eq!(server.call(&merchant, "GET", &format!("/links/{id}"), None).await.json()["status"], "void");
    let back = server.call(&merchant, "PATCH", &format!("/links/{id}"), Some(json!({"active": true}))).await;
    assert_eq!(
        (back.status, back.error_code()),
        (StatusCode::CONFLICT, "currency_mismatch".into()),
        "priced in dollars"
    );
    assert_eq!(server.stripe().session(&old).unwrap()["status"], "expired");
    // Paid in dollars just before: none of the yen order is paid, the dollars are to give back.
    pay(&server, &old, "pi_dollars").await;
    let after = order(&server, &merchant, "SO-CUR").await;
    assert_eq!((&after["payment_status"], &after["amount_due"]), (&json!("outstanding"), &json!(7500)));
    let overpayment = &after["entries"][0];
    assert_eq!((&overpayment["type"], &overpayment["currency"]), (&json!("overpayment"), &json!("usd")));
    assert_eq!(overpayment["flag"], "currency_mismatch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_order_written_before_the_ledger_keeps_what_it_was_paid() {
    let (server, merchant) = ready().await;
    let link =
        create(&server, &merchant, "SO-OLD", 10_000, json!({"partial_payments": {"minimum_amount": 3000}})).await;
    let paid = part(&server, &link, 4000).await;
    pay(&server, &paid, "pi_old").await;
    // The order item as the counters wrote it: no entries, 40.00 paid.
    let table = server.table.clone().unwrap();
    let dynamo = paylinks_tests::moto::dynamo().await;
    let key = |s: &str| aws_sdk_dynamodb::types::AttributeValue::S(s.to_string());
    dynamo
        .update_item()
        .table_name(&table)
        .key("pk", key(&format!("MERCHANT#{merchant}")))
        .key("sk", key("ORDER#SO-OLD"))
        .update_expression("REMOVE entries SET amount_paid = :paid, amount_refunded = :none")
        .expression_attribute_values(":paid", aws_sdk_dynamodb::types::AttributeValue::N("4000".into()))
        .expression_attribute_values(":none", aws_sdk_dynamodb::types::AttributeValue::N("0".into()))
        .send()
        .await
        .unwrap();
    let old = order(&server, &merchant, "SO-OLD").await;
    assert_eq!(figures(&old), ("partially_paid".into(), 4000, 6000, 0), "{old}");
    assert_eq!(old["entries"][0]["flag"], "legacy");
    // Its part's refunds come out of the opening payment, each event's rise once.
    for total in [1000, 1500, 1500] {
        server.deliver(&event("charge.refunded", charge("pi_old", 4000, total))).await;
    }
    assert_eq!(figures(&order(&server, &merchant, "SO-OLD").await), ("partially_paid".into(), 2500, 7500, 0));
    let rest = part(&server, &link, 7500).await;
    pay(&server, &rest, "pi_rest").await;
    assert_eq!(figures(&order(&server, &merchant, "SO-OLD").await), ("paid".into(), 10_000, 0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tip_given_back_is_the_tip_and_the_order_is_refunded_only_when_all_of_it_came_back() {
    let (server, merchant) = ready().await;
    let link = create(&server, &merchant, "SO-TIP", 10_000, json!({"options": {"allow_tip": true}})).await;
    let token = link["url"].as_str().unwrap().split_once("payment_link_token=").unwrap().1.to_string();
    let form = [("payment_link_token", token.as_str()), ("tip", "10")];
    let chosen = server.raw(server.http.post(server.url("/pay")).form(&form)).await;
    let tipped = session_of(&chosen.location.unwrap());
    pay(&server, &tipped, "pi_tipped").await;
    server.deliver(&event("charge.refunded", charge("pi_tipped", 11_000, 1000))).await;
    let after = order(&server, &merchant, "SO-TIP").await;
    assert_eq!(figures(&after), ("paid".into(), 10_000, 0, 0), "a tip-only refund leaves the order's money: {after}");
    assert_eq!((&after["tip_amount"], &after["amount_refunded"]), (&json!(0), &json!(1000)));
    server.deliver(&event("charge.refunded", charge("pi_tipped", 11_000, 6000))).await;
    assert_eq!(order(&server, &merchant, "SO-TIP").await["payment_status"], "partially_refunded");
    server.deliver(&event("charge.refunded", charge("pi_tipped", 11_000, 11_000))).await;
    assert_eq!(order(&server, &merchant, "SO-TIP").await["payment_status"], "refunded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retried_mark_paid_closes_the_session_stripe_failed_to_close_and_tells_the_merchant() {
    let (server, merchant) = ready().await;
    let link = create(&server, &merchant, "SO-MARK", 2500, json!({})).await;
    let open = session(&server, &link).await;
    server.stripe().fail(StripeFault::ServerError);
    let marked = server.call(&merchant, "POST", "/orders/SO-MARK/mark-paid", None).await;
    assert_eq!(marked.status, StatusCode::OK, "{}", marked.text);
    server.stripe().clear();
    assert_eq!(server.stripe().session(&open).unwrap()["status"], "open", "Stripe failed: still open");
    let retried = server.call(&merchant, "POST", "/orders/SO-MARK/mark-paid", None).await;
    assert_eq!(retried.status, StatusCode::OK, "marking paid again is harmless: {}", retried.text);
    assert_eq!(server.stripe().session(&open).unwrap()["status"], "expired", "the retry closed it");
    let after = order(&server, &merchant, "SO-MARK").await;
    assert_eq!(after["entries"][0]["type"], "manual");
    let told = server.call(&merchant, "GET", "/events?type=order.paid", None).await.json();
    assert_eq!(told["data"][0]["data"]["source"], "manual", "{told}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rejected_order_keeps_sight_of_what_it_collected_and_another_merchant_sees_no_order() {
    let (server, merchant) = ready().await;
    let link =
        create(&server, &merchant, "SO-REJ", 10_000, json!({"partial_payments": {"minimum_amount": 3000}})).await;
    let paid = part(&server, &link, 3000).await;
    pay(&server, &paid, "pi_rej").await;
    assert_eq!(server.call(&merchant, "POST", "/orders/SO-REJ/reject", None).await.status, StatusCode::OK);
    let rejected = order(&server, &merchant, "SO-REJ").await;
    assert_eq!(figures(&rejected), ("rejected".into(), 3000, 0, 0), "{rejected}");
    assert_eq!(rejected["refund_due"], 3000);
    let stranger = server.call(&unique("merchant"), "GET", "/orders/SO-REJ", None).await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_decimal_amounts_end_in_zero_wherever_they_come_from() {
    let (server, merchant) = ready().await;
    let mut kwd = body("SO-KWD", 12_345, json!({}));
    kwd["order"]["currency"] = json!("kwd");
    let refused = server.call(&merchant, "POST", "/links", Some(kwd.clone())).await;
    assert_eq!((refused.status, refused.error_code()), (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed".into()));
    kwd["order"]["line_items"][0]["unit_amount"] = json!(12_340);
    kwd["options"] = json!({"allow_tip": true});
    kwd["partial_payments"] = json!({"minimum_amount": 1000});
    let link = server.call(&merchant, "POST", "/links", Some(kwd)).await.json();
    let token = link["url"].as_str().unwrap().split_once("payment_link_token=").unwrap().1.to_string();
    // 15 % of 12.340 is 1.851: charged as 1.850, the nearest Stripe takes.
    let form = [("payment_link_token", token.as_str()), ("amount", "12340"), ("tip", "15")];
    let chosen = server.raw(server.http.post(server.url("/pay")).form(&form)).await;
    let made = server.stripe().session(&session_of(&chosen.location.unwrap())).unwrap();
    assert_eq!(made["metadata"]["tip_amount"], "1850");
    // "1,000" on an English page is a thousand dinars (above the balance), never 1.000.
    let typed = [("payment_link_token", token.as_str()), ("amount", "other"), ("other_amount", "1,000")];
    let read = server.raw(server.http.post(server.url("/pay")).form(&typed)).await;
    assert_eq!(read.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", read.text);
    assert!(read.text.contains("KWD 12.340"), "the balance is named: {}", read.text);
    let odd = [("payment_link_token", token.as_str()), ("amount", "other"), ("other_amount", "1.234")];
    let read = server.raw(server.http.post(server.url("/pay")).form(&odd)).await;
    assert_eq!(read.status, StatusCode::UNPROCESSABLE_ENTITY, "not an amount Stripe charges");
}
