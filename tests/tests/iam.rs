//! Every route runs under exactly the IAM policy `template.yaml` gives its function (see
//! tests/src/cloud.rs and tests/src/iam.rs): a call the role does not allow fails the route as AWS
//! would fail it, and a grant no call uses is reported, so roles stay as small as the code.

use paylinks_tests::aws_proxy::Fault;
use paylinks_tests::cloud::Cloud;
use paylinks_tests::server::{order_link, unique};
use paylinks_tests::stripe_events::{charge, event, session_of};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The route answered `expected`; when not, which calls IAM refused says why.
fn answered(cloud: &Cloud, reply: &paylinks_tests::server::Reply, expected: StatusCode, what: &str) {
    assert_eq!(reply.status, expected, "{what}: {}\nrefused by IAM: {:?}", reply.text, cloud.refused());
}

/// A link's customer page under another path of the redeem function (`/pay/complete`, …).
fn sibling(url: &str, page: &str) -> String {
    url.replacen("/pay?", &format!("/pay/{page}?"), 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_route_works_under_its_functions_own_role_and_every_grant_is_used() {
    let cloud = Cloud::start().await;
    let merchant = unique("merchant");

    // manage-links: settings (with reminders a day after each first delivery).
    let reminders = json!({"reminders": {"after_days": [1], "channels": ["email", "sms"]}});
    cloud.enable_payments(&merchant, reminders).await;
    answered(&cloud, &cloud.call(&merchant, "GET", "/settings", None).await, StatusCode::OK, "GET /settings");
    // manage-links: webhook endpoints (an address literal: nothing to resolve here).
    let endpoint = json!({"url": "https://93.184.216.34/paylinks", "events": ["order.paid"]});
    let made = cloud.call(&merchant, "POST", "/webhook-endpoints", Some(endpoint)).await;
    answered(&cloud, &made, StatusCode::CREATED, "POST /webhook-endpoints");
    let listed = cloud.call(&merchant, "GET", "/webhook-endpoints", None).await;
    answered(&cloud, &listed, StatusCode::OK, "GET /webhook-endpoints");
    let endpoint_path = format!("/webhook-endpoints/{}", made.json()["id"].as_str().unwrap());
    let (link, second) = create_links(&cloud, &merchant).await;
    let id = link["id"].as_str().unwrap().to_string();
    let message_id = send_links(&cloud, &merchant, &id).await;
    send_reminders(&cloud).await;
    record_email_events(&cloud, &message_id).await;
    let funnel = cloud.call(&merchant, "GET", "/funnel", None).await;
    answered(&cloud, &funnel, StatusCode::OK, "GET /funnel");
    assert_eq!(funnel.json()["steps"]["delivered"], 1, "the email SES delivered");
    let log = cloud.call(&merchant, "GET", "/events", None).await;
    answered(&cloud, &log, StatusCode::OK, "GET /events");
    let session = open_pages(&cloud, &link).await;
    deliver_events(&cloud, &merchant, &link, session).await;
    send_webhooks(&cloud).await;
    answered(&cloud, &cloud.call(&merchant, "DELETE", &endpoint_path, None).await, StatusCode::NO_CONTENT, "DELETE");
    // link-qr: the link's QR code, under its own role.
    let qr = cloud.call(&merchant, "GET", &format!("/links/{id}/qr.png"), None).await;
    answered(&cloud, &qr, StatusCode::OK, "GET /links/{id}/qr.png");
    manage_links_and_orders(&cloud, &merchant, &id, &second).await;
    // link-cleanup: the removal of a link (its TTL passed) takes its records with it.
    let removed = paylinks_tests::cascade::remove_link(&cloud.table, &id).await;
    let cleanup =
        paylinks_tests::cascade::cleanup(&cloud.function("link-cleanup").aws().dynamodb.url, &cloud.table).await;
    let response = link_cleanup::handle(&cleanup, removed).await.unwrap();
    assert!(response.batch_item_failures.is_empty(), "the cascade ran under its role");

    assert_eq!(cloud.refused(), Vec::<String>::new(), "calls the template's roles do not allow");
    assert_eq!(cloud.unused_grants(), Vec::<String>::new(), "grants no call used");
}

/// create-link, with an idempotency key and without: the first link, and a second one.
async fn create_links(cloud: &Cloud, merchant: &str) -> (Value, Value) {
    // create-link, with an idempotency key and without.
    let creator = cloud.function("create-link");
    let keyed = |key: &str, order: &str| {
        let request = creator.http.post(creator.url("/links")).bearer_auth(creator.token(merchant));
        creator.raw(request.header("idempotency-key", key).json(&order_link(order)))
    };
    let link = keyed("iam-1", "SO-iam1").await;
    answered(cloud, &link, StatusCode::CREATED, "POST /links with a key");
    let link = link.json();
    // A key is kept with the link it made: a fault keeps neither, and the retry makes both.
    creator.aws().dynamodb.fail_times("TransactWriteItems", 3, Fault::InternalError);
    let given_up = keyed("iam-2", "SO-iam2").await;
    creator.aws().dynamodb.clear();
    assert!(given_up.status.is_server_error(), "{}", given_up.text);
    answered(cloud, &keyed("iam-2", "SO-iam2").await, StatusCode::CREATED, "the retry with the same key");
    let second = cloud.call(merchant, "POST", "/links", Some(order_link("SO-iam3"))).await;
    answered(cloud, &second, StatusCode::CREATED, "POST /links");
    let second = second.json();

    (link, second)
}

/// send-email and send-sms, and each one's transient failure that releases its window. Returns
/// the SES message id of the email sent.
async fn send_links(cloud: &Cloud, merchant: &str, id: &str) -> String {
    let email = format!("/links/{id}/email");
    let recipients = json!({"recipients": [{"email": "iam@example.com"}]});
    let sent = cloud.call(merchant, "POST", &email, Some(recipients.clone())).await;
    answered(cloud, &sent, StatusCode::OK, "email");
    let message_id = sent.json()["deliveries"][0]["message_id"].as_str().expect("SES's message id").to_string();
    let mailer = cloud.function("send-email");
    mailer.aws().messaging.fail("SendEmail", Fault::InternalError);
    let other = json!({"recipients": [{"email": "iam-2@example.com"}]});
    let failed = cloud.call(merchant, "POST", &email, Some(other)).await;
    mailer.aws().messaging.clear();
    answered(cloud, &failed, StatusCode::SERVICE_UNAVAILABLE, "email while SES fails");
    let sms = format!("/links/{id}/sms");
    let phone = json!({"recipients": [{"phone": "+14155550142"}]});
    answered(cloud, &cloud.call(merchant, "POST", &sms, Some(phone)).await, StatusCode::OK, "sms");
    let texter = cloud.function("send-sms");
    texter.aws().messaging.fail("Publish", Fault::InternalError);
    let phone = json!({"recipients": [{"phone": "+14155550143"}]});
    let failed = cloud.call(merchant, "POST", &sms, Some(phone)).await;
    texter.aws().messaging.clear();
    answered(cloud, &failed, StatusCode::SERVICE_UNAVAILABLE, "sms while SNS fails");
    let text_to_pay = json!({"phone": "+14155550144", "amount": 4200, "currency": "usd", "description": "Deposit"});
    answered(
        cloud,
        &cloud.call(merchant, "POST", "/text-to-pay", Some(text_to_pay)).await,
        StatusCode::CREATED,
        "text-to-pay",
    );
    message_id
}

/// send-webhooks: the schedule queues the events due; from SQS, the endpoint's 500 puts the
/// message off (its visibility), and the next receive's 200 ends it (no network here).
async fn send_webhooks(cloud: &Cloud) {
    use paylinks_tests::sqs;
    struct FailsOnce(std::sync::atomic::AtomicBool);
    #[async_trait::async_trait]
    impl paylinks::ports::PostEvent for FailsOnce {
        async fn post(&self, _: &str, _: &[(&'static str, String)], _: &str) -> paylinks::ports::Posted {
            let failed_before = self.0.swap(true, std::sync::atomic::Ordering::SeqCst);
            paylinks::ports::Posted::Status(if failed_before { 200 } else { 500 })
        }
    }
    let aws = cloud.function("send-webhooks").aws();
    let poster = std::sync::Arc::new(FailsOnce(Default::default()));
    let deps =
        sqs::send_webhooks_deps(&aws.dynamodb.url, &aws.messaging.url, &cloud.table, &cloud.webhook_queue_url, poster)
            .await;
    let relayed = sqs::invoke(&deps, json!({})).await;
    assert!(relayed["queued"].as_u64() >= Some(1), "order.paid was queued: {relayed}");
    let batch = sqs::receive(&cloud.webhook_queue_url).await;
    let receipt = batch["Records"][0]["receiptHandle"].as_str().unwrap().to_string();
    let answered = sqs::invoke(&deps, batch).await;
    assert_eq!(answered["batchItemFailures"].as_array().map(Vec::len), Some(1), "put off: {answered}");
    sqs::make_visible(&cloud.webhook_queue_url, &receipt).await;
    let answered = sqs::invoke(&deps, sqs::receive(&cloud.webhook_queue_url).await).await;
    assert_eq!(answered["batchItemFailures"], json!([]), "delivered: {answered}");
}

/// delivery-events: SES says the email was delivered, then that its recipient complained.
async fn record_email_events(cloud: &Cloud, message_id: &str) {
    use paylinks_tests::delivery_events::{deps, ses_event, sns_event};
    let function = cloud.function("delivery-events");
    let deps = deps(&function.aws().dynamodb.url, &cloud.table).await;
    let events = [ses_event("Delivery", message_id, None), ses_event("Complaint", message_id, None)];
    let recorded = delivery_events::handle(&deps, sns_event(&events)).await.expect("recorded under its role");
    assert_eq!(recorded, 2);
}

/// send-reminders, a day later: the email's slot undone while SES fails, then sent; the texts.
async fn send_reminders(cloud: &Cloud) {
    let function = cloud.function("send-reminders");
    let (dynamodb, messaging) = (&function.aws().dynamodb, &function.aws().messaging);
    let tomorrow = paylinks::ports::Clock::now(&paylinks::ports::SystemClock).plus_seconds(86_400 + 60);
    let base = function.url("");
    let scheduler =
        paylinks_tests::reminders::scheduler(&dynamodb.url, &messaging.url, &cloud.table, &base, tomorrow).await;
    messaging.fail("SendEmail", Fault::InternalError);
    let outage = scheduler.run().await.expect("the run reads and writes under its role");
    messaging.clear();
    assert_eq!((outage.sent, outage.retry_later), (2, 1), "the two texts; the email waits: {outage:?}");
    // The slot waits a scheduler period after the outage.
    let later = tomorrow.plus_seconds(300);
    let scheduler =
        paylinks_tests::reminders::scheduler(&dynamodb.url, &messaging.url, &cloud.table, &base, later).await;
    let after = scheduler.run().await.expect("a second run");
    assert_eq!(after.sent, 1, "the email's slot, once SES is back: {after:?}");
    // The same run tells expiries (the links expire within the day, if at all): under its role.
    scheduler.tell_expired().await.expect("expiries read and written under its role");
}

/// redeem-link: every customer page. Returns the Checkout Session the link opened.
async fn open_pages(cloud: &Cloud, link: &Value) -> String {
    let url = link["url"].as_str().unwrap();
    let opened = cloud.open(url).await;
    answered(cloud, &opened, StatusCode::SEE_OTHER, "GET /pay");
    let session = session_of(opened.location.as_deref().unwrap());
    answered(cloud, &cloud.open(link["short_url"].as_str().unwrap()).await, StatusCode::SEE_OTHER, "GET /p/{code}");
    answered(cloud, &cloud.open(&sibling(url, "resolve")).await, StatusCode::OK, "GET /pay/resolve");
    assert!(!cloud.open(&sibling(url, "cancel")).await.status.is_server_error(), "GET /pay/cancel");

    session
}

/// stripe-webhook: a bank debit that fails, one that succeeds, an expiry, a refund; and a payment
/// of an order with an earlier, voided link.
async fn deliver_events(cloud: &Cloud, merchant: &str, link: &Value, session: String) {
    let url = link["url"].as_str().unwrap();
    let processing = cloud.stripe.complete(&session, "unpaid", "iam@example.com", "Ida");
    answered(
        cloud,
        &cloud.deliver(&event("checkout.session.completed", processing.clone())).await,
        StatusCode::OK,
        "completed",
    );
    answered(
        cloud,
        &cloud.deliver(&event("checkout.session.async_payment_failed", processing)).await,
        StatusCode::OK,
        "failed",
    );
    let session = session_of(cloud.open(url).await.location.as_deref().unwrap());
    let expired = cloud.stripe.complete(&session, "unpaid", "iam@example.com", "Ida");
    answered(cloud, &cloud.deliver(&event("checkout.session.expired", expired)).await, StatusCode::OK, "expired");
    let session = session_of(cloud.open(url).await.location.as_deref().unwrap());
    let paid = cloud.stripe.complete(&session, "paid", "iam@example.com", "Ida");
    let payment_intent = paid["payment_intent"].as_str().unwrap().to_string();
    answered(cloud, &cloud.deliver(&event("checkout.session.completed", paid)).await, StatusCode::OK, "paid");
    answered(cloud, &cloud.open(&sibling(url, "complete")).await, StatusCode::OK, "GET /pay/complete");
    let refund = event("charge.refunded", charge(&payment_intent, 2500, 1000));
    answered(cloud, &cloud.deliver(&refund).await, StatusCode::OK, "refunded");
    // An order with an earlier, voided link: its payment moves that link too, without reading it.
    let earlier = cloud.call(merchant, "POST", "/links", Some(order_link("SO-iam5"))).await.json();
    let earlier = format!("/links/{}", earlier["id"].as_str().unwrap());
    let voided = cloud.call(merchant, "PATCH", &earlier, Some(json!({"active": false}))).await;
    answered(cloud, &voided, StatusCode::OK, "PATCH active false");
    let later = cloud.call(merchant, "POST", "/links", Some(order_link("SO-iam5"))).await.json();
    let session = session_of(cloud.open(later["url"].as_str().unwrap()).await.location.as_deref().unwrap());
    let paid = cloud.stripe.complete(&session, "paid", "iam@example.com", "Ida");
    answered(cloud, &cloud.deliver(&event("checkout.session.completed", paid)).await, StatusCode::OK, "paid again");
}

/// manage-links: links and orders.
async fn manage_links_and_orders(cloud: &Cloud, merchant: &str, id: &str, second: &Value) {
    answered(cloud, &cloud.call(merchant, "GET", "/links", None).await, StatusCode::OK, "GET /links");
    answered(
        cloud,
        &cloud.call(merchant, "GET", &format!("/links/{id}"), None).await,
        StatusCode::OK,
        "GET /links/{id}",
    );
    let second_id = second["id"].as_str().unwrap();
    let patch = json!({"name": "Renamed"});
    answered(
        cloud,
        &cloud.call(merchant, "PATCH", &format!("/links/{second_id}"), Some(patch)).await,
        StatusCode::OK,
        "PATCH",
    );
    answered(cloud, &cloud.call(merchant, "GET", "/orders", None).await, StatusCode::OK, "GET /orders");
    let outstanding = cloud.call(merchant, "GET", "/orders?payment_status=outstanding", None).await;
    answered(cloud, &outstanding, StatusCode::OK, "GET /orders by status");
    let third = cloud.call(merchant, "POST", "/links", Some(order_link("SO-iam4"))).await;
    answered(cloud, &third, StatusCode::CREATED, "POST /links");
    // A re-create at another amount: its older link follows, and its sessions are looked at.
    let mut raised = order_link("SO-iam4");
    raised["order"]["amount"] = json!(9900);
    answered(cloud, &cloud.call(merchant, "POST", "/links", Some(raised)).await, StatusCode::CREATED, "re-create");
    answered(cloud, &cloud.call(merchant, "GET", "/orders/SO-iam4", None).await, StatusCode::OK, "GET /orders/{id}");
    answered(
        cloud,
        &cloud.call(merchant, "POST", "/orders/SO-iam3/mark-paid", None).await,
        StatusCode::OK,
        "mark-paid",
    );
    answered(cloud, &cloud.call(merchant, "POST", "/orders/SO-iam4/reject", None).await, StatusCode::OK, "reject");
    let third = format!("/links/{}", third.json()["id"].as_str().unwrap());
    assert!(cloud.call(merchant, "DELETE", &third, None).await.status.is_success(), "DELETE /links/{{id}}");
}
