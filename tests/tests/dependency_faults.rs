//! Each state-changing route and the webhook, with each of its DynamoDB calls failed in turn as
//! DynamoDB fails them (transaction cancelled for a conflict or throttling, throttling, throughput
//! exceeded, a 500): a retryable 5xx, nothing half-written, and a retry with exactly one effect.

use async_trait::async_trait;
use paylinks_tests::aws_proxy::Fault;
use paylinks_tests::faults::{
    Request, Scenario, detail, every_dynamodb_step_fails_cleanly, is_retryable_fault, link_id, stripe_event,
};
use paylinks_tests::server::{
    Reply, TestServer, new_order_link, on_real_adapters, order_link, unique, with_paying_merchant,
};
use paylinks_tests::stripe_events::session_object;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn order_of(server: &TestServer, merchant: &str, order: &str) -> Value {
    let orders = server.call(merchant, "GET", "/orders?limit=100", None).await.json();
    orders["data"].as_array().unwrap().iter().find(|o| o["id"] == order).cloned().expect("the order is listed")
}

struct CreateLink {
    merchant: String,
}

#[async_trait]
impl Scenario for CreateLink {
    async fn prepare(&self, _: &TestServer) -> Request {
        let mut request = Request::merchant(&self.merchant, "POST", "/links", Some(order_link(&unique("SO"))));
        if let Request::Merchant { idempotency_key, .. } = &mut request {
            *idempotency_key = Some(unique("idem"));
        }
        request
    }

    async fn exactly_one_effect(&self, server: &TestServer, request: &Request, reply: &Reply) {
        let Request::Merchant { body: Some(body), .. } = request else { unreachable!() };
        let order = order_of(server, &self.merchant, body["order"]["id"].as_str().unwrap()).await;
        assert_eq!(order["link_ids"], json!([link_id(reply)]), "one link for the order");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn creating_a_link_under_dynamodb_faults_answers_5xx_and_the_retry_makes_one_link() {
    let (server, merchant) = with_paying_merchant().await;
    every_dynamodb_step_fails_cleanly(&server, &CreateLink { merchant }).await;
}

/// A send to one recipient: `channel` is `email` or `sms`, `recipient` its one entry.
struct Send {
    merchant: String,
    channel: &'static str,
    recipient: Value,
}

#[async_trait]
impl Scenario for Send {
    async fn prepare(&self, server: &TestServer) -> Request {
        let link = new_order_link(server, &self.merchant).await;
        let path = format!("/links/{}/{}", link["id"].as_str().unwrap(), self.channel);
        Request::merchant(&self.merchant, "POST", path, Some(json!({"recipients": [self.recipient]})))
    }

    async fn exactly_one_effect(&self, server: &TestServer, request: &Request, reply: &Reply) {
        let Request::Merchant { path, .. } = request else { unreachable!() };
        let link = path.trim_start_matches("/links/").split('/').next().unwrap();
        let deliveries = detail(server, &self.merchant, link).await["deliveries"].clone();
        assert_eq!(deliveries.as_array().unwrap().len(), 1, "one delivery: {deliveries}");
        // A fault after the provider took the message: the retry finds it sent and sends no second.
        let status = reply.json()["deliveries"][0]["status"].clone();
        assert!(status == "sent" || status == "deduplicated", "{status}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sending_an_email_under_dynamodb_faults_answers_5xx_and_the_retry_sends_one() {
    let (server, merchant) = with_paying_merchant().await;
    let send = Send { merchant, channel: "email", recipient: json!({"email": "ada@example.com"}) };
    every_dynamodb_step_fails_cleanly(&server, &send).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sending_an_sms_under_dynamodb_faults_answers_5xx_and_the_retry_sends_one() {
    let (server, merchant) = with_paying_merchant().await;
    let send = Send { merchant, channel: "sms", recipient: json!({"phone": "+14155550155"}) };
    every_dynamodb_step_fails_cleanly(&server, &send).await;
}

struct Open;

#[async_trait]
impl Scenario for Open {
    async fn prepare(&self, server: &TestServer) -> Request {
        let merchant = unique("merchant");
        server.enable_payments(&merchant, json!({})).await;
        Request::Open(new_order_link(server, &merchant).await["url"].as_str().unwrap().to_string())
    }

    async fn exactly_one_effect(&self, server: &TestServer, request: &Request, reply: &Reply) {
        let Request::Open(url) = request else { unreachable!() };
        let location = reply.location.clone().expect("a redirect to Checkout");
        let again = server.open(url).await;
        assert_eq!(again.location, Some(location), "the open session is reused: one session per link");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn opening_a_link_under_dynamodb_faults_answers_5xx_and_the_retry_makes_one_session() {
    let server = on_real_adapters().await;
    every_dynamodb_step_fails_cleanly(&server, &Open).await;
}

struct Void {
    merchant: String,
}

#[async_trait]
impl Scenario for Void {
    async fn prepare(&self, server: &TestServer) -> Request {
        let link = new_order_link(server, &self.merchant).await;
        let path = format!("/links/{}", link["id"].as_str().unwrap());
        Request::merchant(&self.merchant, "PATCH", path, Some(json!({"active": false})))
    }

    async fn exactly_one_effect(&self, _: &TestServer, _: &Request, reply: &Reply) {
        assert_eq!(reply.json()["status"], "void");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn voiding_a_link_under_dynamodb_faults_answers_5xx_and_the_retry_voids_it() {
    let (server, merchant) = with_paying_merchant().await;
    every_dynamodb_step_fails_cleanly(&server, &Void { merchant }).await;
}

struct Delete {
    merchant: String,
}

#[async_trait]
impl Scenario for Delete {
    async fn prepare(&self, server: &TestServer) -> Request {
        let link = new_order_link(server, &self.merchant).await;
        Request::merchant(&self.merchant, "DELETE", format!("/links/{}", link["id"].as_str().unwrap()), None)
    }

    async fn exactly_one_effect(&self, server: &TestServer, request: &Request, _: &Reply) {
        let Request::Merchant { path, .. } = request else { unreachable!() };
        let gone = server.call(&self.merchant, "GET", path, None).await;
        assert!(gone.status == StatusCode::NOT_FOUND || gone.json()["status"] == "deleted", "{}", gone.text);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deleting_a_link_under_dynamodb_faults_answers_5xx_and_the_retry_deletes_it() {
    let (server, merchant) = with_paying_merchant().await;
    every_dynamodb_step_fails_cleanly(&server, &Delete { merchant }).await;
}

struct PutSettings;

#[async_trait]
impl Scenario for PutSettings {
    async fn prepare(&self, _: &TestServer) -> Request {
        Request::merchant(&unique("merchant"), "PUT", "/settings", Some(json!({"display_name": "Faulty Shop"})))
    }

    async fn exactly_one_effect(&self, server: &TestServer, request: &Request, _: &Reply) {
        let Request::Merchant { merchant, .. } = request else { unreachable!() };
        assert_eq!(server.call(merchant, "GET", "/settings", None).await.json()["display_name"], "Faulty Shop");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn saving_settings_under_dynamodb_faults_answers_5xx_and_the_retry_saves_them() {
    let server = on_real_adapters().await;
    every_dynamodb_step_fails_cleanly(&server, &PutSettings).await;
}

/// `mark-paid` or `reject` of a fresh order.
struct OrderAction {
    merchant: String,
    action: &'static str,
    status: &'static str,
}

#[async_trait]
impl Scenario for OrderAction {
    async fn prepare(&self, server: &TestServer) -> Request {
        let order = unique("SO");
        let created = server.call(&self.merchant, "POST", "/links", Some(order_link(&order))).await;
        assert_eq!(created.status, StatusCode::CREATED);
        Request::merchant(&self.merchant, "POST", format!("/orders/{order}/{}", self.action), None)
    }

    async fn exactly_one_effect(&self, server: &TestServer, _: &Request, reply: &Reply) {
        let order = reply.json();
        assert_eq!(order["payment_status"], self.status);
        if self.action == "mark-paid" {
            let link = order["link_ids"][0].as_str().unwrap();
            let payments = detail(server, &self.merchant, link).await["payments"].clone();
            assert_eq!(payments.as_array().unwrap().len(), 1, "one manual payment: {payments}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn marking_an_order_paid_under_dynamodb_faults_answers_5xx_and_the_retry_records_one_payment() {
    let (server, merchant) = with_paying_merchant().await;
    every_dynamodb_step_fails_cleanly(&server, &OrderAction { merchant, action: "mark-paid", status: "paid" }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rejecting_an_order_under_dynamodb_faults_answers_5xx_and_the_retry_rejects_it() {
    let (server, merchant) = with_paying_merchant().await;
    every_dynamodb_step_fails_cleanly(&server, &OrderAction { merchant, action: "reject", status: "rejected" }).await;
}

/// A completed Checkout Session of a fresh order link.
struct Completed {
    merchant: String,
}

#[async_trait]
impl Scenario for Completed {
    async fn prepare(&self, server: &TestServer) -> Request {
        let link = new_order_link(server, &self.merchant).await;
        let session = session_object(&unique("cs_test"), link["id"].as_str().unwrap(), &self.merchant, "paid", 2500);
        stripe_event("checkout.session.completed", session)
    }

    async fn exactly_one_effect(&self, server: &TestServer, request: &Request, reply: &Reply) {
        let Request::Webhook(body) = request else { unreachable!() };
        assert_eq!(reply.status, StatusCode::OK);
        let event: Value = serde_json::from_str(body).unwrap();
        let link = event["data"]["object"]["metadata"]["link_id"].as_str().unwrap();
        let detail = detail(server, &self.merchant, link).await;
        assert_eq!(detail["payments"].as_array().unwrap().len(), 1, "one payment: {}", detail["payments"]);
        assert_eq!(detail["status"], "paid");
        let repeat = server.deliver(body).await;
        assert_eq!(repeat.json()["result"], "duplicate");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_completed_checkout_under_dynamodb_faults_answers_5xx_and_stripes_retry_records_one_payment() {
    let (server, merchant) = with_paying_merchant().await;
    every_dynamodb_step_fails_cleanly(&server, &Completed { merchant }).await;
}

/// The defect this file was written for: DynamoDB cancels the payment's transaction because another
/// transaction touched the order (`TransactionConflict`). That is not "already recorded".
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_payment_whose_transaction_conflicts_is_not_taken_for_a_repeat_and_stripe_is_told_to_retry() {
    let (server, merchant) = with_paying_merchant().await;
    let link = new_order_link(&server, &merchant).await;
    let link_id = link["id"].as_str().unwrap();
    let body = paylinks_tests::stripe_events::event(
        "checkout.session.completed",
        session_object("cs_test_conflict", link_id, &merchant, "paid", 2500),
    );
    server.aws().dynamodb.fail("TransactWriteItems", Fault::TransactionCanceled(vec!["None", "TransactionConflict"]));
    let first = server.deliver(&body).await;
    server.aws().dynamodb.clear();
    assert!(is_retryable_fault(first.status), "Stripe must retry: {} {}", first.status, first.text);
    assert_eq!(detail(&server, &merchant, link_id).await["payments"], json!([]));
    let retried = server.deliver(&body).await;
    assert_eq!(retried.json()["result"], "recorded");
    let order = order_of(&server, &merchant, link["order_id"].as_str().unwrap()).await;
    assert_eq!(order["payment_status"], "paid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refund_or_a_mark_paid_whose_transaction_conflicts_answers_5xx_not_a_repeat_or_409() {
    let (server, merchant) = with_paying_merchant().await;
    let link = new_order_link(&server, &merchant).await;
    let order = link["order_id"].as_str().unwrap();
    let conflict = || Fault::TransactionCanceled(vec!["TransactionConflict", "None"]);
    server.aws().dynamodb.fail("TransactWriteItems", conflict());
    let marked = server.call(&merchant, "POST", &format!("/orders/{order}/mark-paid"), None).await;
    server.aws().dynamodb.clear();
    assert_eq!(marked.status, StatusCode::SERVICE_UNAVAILABLE, "{}", marked.text);

    let mut session = session_object("cs_test_refund", link["id"].as_str().unwrap(), &merchant, "paid", 2500);
    session["payment_intent"] = json!("pi_conflict");
    assert_eq!(
        server.deliver(&paylinks_tests::stripe_events::event("checkout.session.completed", session)).await.status,
        200
    );
    let charge = json!({"id": "ch_1", "object": "charge", "amount": 2500, "amount_refunded": 2500, "payment_intent": "pi_conflict"});
    let refund = paylinks_tests::stripe_events::event("charge.refunded", charge);
    server.aws().dynamodb.fail("TransactWriteItems", conflict());
    let first = server.deliver(&refund).await;
    server.aws().dynamodb.clear();
    assert!(is_retryable_fault(first.status), "{} {}", first.status, first.text);
    assert_eq!(server.deliver(&refund).await.json()["result"], "recorded");
    assert_eq!(order_of(&server, &merchant, order).await["payment_status"], "refunded");
}

/// Two transactions on one item at once (a webhook and a mark-paid, two opens): DynamoDB cancels
/// one for `TransactionConflict`, having written nothing. A moment later the item is free: the
/// store tries again rather than send Stripe away with a 5xx.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_transaction_that_meets_another_for_a_moment_is_tried_again_not_failed() {
    let (server, merchant) = with_paying_merchant().await;
    let link = new_order_link(&server, &merchant).await;
    let id = link["id"].as_str().unwrap();
    let order = link["order_id"].as_str().unwrap();
    let dynamodb = &server.aws().dynamodb;
    dynamodb.fail_times("TransactWriteItems", 2, Fault::TransactionCanceled(vec!["None", "TransactionConflict"]));
    let paid =
        stripe_event("checkout.session.completed", session_object("cs_test_contended", id, &merchant, "paid", 2500));
    let reply = paid.send(&server).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json()["result"], "recorded");
    let tries = dynamodb.take_calls().iter().filter(|c| c.operation == "TransactWriteItems").count();
    assert!(tries >= 3, "two cancelled tries, then the one that landed: {tries}");
    assert_eq!(order_of(&server, &merchant, order).await["payment_status"], "paid");
    assert_eq!(detail(&server, &merchant, id).await["payments"].as_array().map(Vec::len), Some(1));
}
