//! An email or SMS provider that fails (throttles, answers 500) and text-to-pay retried with its
//! `Idempotency-Key` after any fault: a retryable 503, nothing recorded for the message that was
//! not sent, and a retry that sends exactly one.

use paylinks_tests::aws_proxy::Fault;
use paylinks_tests::faults::{Request, detail, dynamodb_faults, is_retryable_fault, link_id};
use paylinks_tests::server::{TestServer, new_order_link, on_real_adapters, unique, with_paying_merchant};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_email_provider_that_throttles_is_retried_by_the_client_then_answers_503_and_nothing_is_recorded() {
    let (server, merchant) = with_paying_merchant().await;
    let link = new_order_link(&server, &merchant).await;
    let path = format!("/links/{}/email", link["id"].as_str().unwrap());
    let body = json!({"recipients": [{"email": "grace@example.com"}]});
    let mail = &server.aws().messaging;

    mail.fail_times("SendEmail", 1, Fault::TooManyRequests);
    let patient = server.call(&merchant, "POST", &path, Some(body.clone())).await;
    assert_eq!(patient.json()["deliveries"][0]["status"], "sent", "one throttle is retried: {}", patient.text);

    let link = new_order_link(&server, &merchant).await;
    let path = format!("/links/{}/email", link["id"].as_str().unwrap());
    mail.take_calls();
    mail.fail("SendEmail", Fault::TooManyRequests);
    let throttled = server.call(&merchant, "POST", &path, Some(body.clone())).await;
    mail.clear();
    assert_eq!(throttled.status, StatusCode::SERVICE_UNAVAILABLE, "{}", throttled.text);
    let attempts = mail.take_calls().iter().filter(|c| c.operation == "SendEmail").count();
    assert_eq!(attempts as u32, paylinks::budgets::SES.attempts, "bounded by the SES budget");
    assert_eq!(detail(&server, &merchant, link["id"].as_str().unwrap()).await["deliveries"], json!([]));
    let retried = server.call(&merchant, "POST", &path, Some(body)).await;
    assert_eq!(retried.json()["deliveries"][0]["status"], "sent");
    let sent = mail.take_calls().iter().filter(|c| c.operation == "SendEmail" && !c.faulted).count();
    assert_eq!(sent, 1, "one message");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_sms_provider_that_fails_answers_503_and_the_retry_sends_one_text() {
    let (server, merchant) = with_paying_merchant().await;
    let link = new_order_link(&server, &merchant).await;
    let path = format!("/links/{}/sms", link["id"].as_str().unwrap());
    let sms = &server.aws().messaging;
    for (operation, fault) in
        [("Publish", Fault::InternalError), ("CheckIfPhoneNumberIsOptedOut", Fault::TooManyRequests)]
    {
        sms.fail(operation, fault);
        let failed = server.call(&merchant, "POST", &path, None).await;
        sms.clear();
        assert_eq!(failed.status, StatusCode::SERVICE_UNAVAILABLE, "{operation}: {}", failed.text);
    }
    sms.take_calls();
    let sent = server.call(&merchant, "POST", &path, None).await;
    assert_eq!(sent.json()["deliveries"][0]["status"], "sent", "{}", sent.text);
    assert_eq!(sms.take_calls().iter().filter(|c| c.operation == "Publish" && !c.faulted).count(), 1);
}

/// A text-to-pay request with an Idempotency-Key, for a merchant of its own.
async fn keyed_text_to_pay(server: &TestServer) -> (String, Request) {
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let body = json!({"phone": "+14155550166", "amount": 4200, "currency": "usd", "description": "Deposit"});
    let mut request = Request::merchant(&merchant, "POST", "/text-to-pay", Some(body));
    if let Request::Merchant { idempotency_key, .. } = &mut request {
        *idempotency_key = Some(unique("ttp"));
    }
    (merchant, request)
}

/// Text-to-pay makes an order and a link before it texts: a fault after them cannot take them back,
/// so the promise is the retry's, with the same key: one order, one link, one text.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn text_to_pay_retried_with_its_key_after_any_fault_makes_one_order_and_sends_one_text() {
    let server = on_real_adapters().await;
    let (dynamodb, messaging) = (&server.aws().dynamodb, &server.aws().messaging);
    let (_, request) = keyed_text_to_pay(&server).await;
    dynamodb.take_calls();
    assert_eq!(request.send(&server).await.status, StatusCode::CREATED);
    let steps: Vec<String> = dynamodb.take_calls().into_iter().map(|c| c.operation).collect();
    let mut cases: Vec<(Option<(String, u32)>, Fault)> = vec![(None, Fault::InternalError)];
    for (step, operation) in steps.iter().enumerate() {
        let earlier = steps[..step].iter().filter(|o| *o == operation).count() as u32;
        for fault in dynamodb_faults(operation) {
            cases.push((Some((operation.clone(), earlier)), fault));
        }
    }
    for (step, fault) in cases {
        let (merchant, request) = keyed_text_to_pay(&server).await;
        messaging.take_calls();
        match &step {
            Some((operation, earlier)) => dynamodb.fail_after(operation, *earlier, fault.clone()),
            None => messaging.fail("Publish", fault.clone()),
        }
        let faulted = request.send(&server).await;
        dynamodb.clear();
        messaging.clear();
        let what = format!("{step:?} failing with {fault:?}");
        assert!(is_retryable_fault(faulted.status), "{what}: answered {} {}", faulted.status, faulted.text);
        let retried = request.send(&server).await;
        assert_eq!(retried.status, StatusCode::CREATED, "{what}: the retry answered {}", retried.text);
        let orders = server.call(&merchant, "GET", "/orders?limit=100", None).await.json();
        assert_eq!(orders["data"].as_array().unwrap().len(), 1, "{what}: one order: {orders}");
        let deliveries = detail(&server, &merchant, &link_id(&retried)).await["deliveries"].clone();
        assert_eq!(deliveries.as_array().unwrap().len(), 1, "{what}: one delivery: {deliveries}");
        let texts = messaging.take_calls().iter().filter(|c| c.operation == "Publish" && !c.faulted).count();
        assert_eq!(texts, 1, "{what}: one text, whichever attempt sent it");
    }
}
