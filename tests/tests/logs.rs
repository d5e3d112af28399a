//! Logs as an operator reads them: the template asks Lambda for JSON lines, and what the
//! functions write — here through the very subscriber a Lambda installs, set to JSON as
//! `LoggingConfig` sets it — is one JSON object per line, tagged with the merchant's and the
//! link's ids, and never holds an email address, a phone number, a token or a secret, even when
//! things go wrong (the paths that log the most).

use std::sync::OnceLock;

use paylinks::domain::{LinkId, MerchantId};
use paylinks::logging::{LogSettings, record_link, record_merchant, request_span, subscriber};
use paylinks_tests::aws_proxy::Fault;
use paylinks_tests::log_capture::CapturedLog;
use paylinks_tests::server::{TOKEN_SECRET, on_real_adapters, order_link, unique};
use paylinks_tests::stripe_events::{WEBHOOK_SECRET, event, session_object};
use paylinks_tests::template::{self, Stack};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The process's log, captured from the first call on (one subscriber per process).
fn captured() -> &'static CapturedLog {
    static LOG: OnceLock<CapturedLog> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = CapturedLog::default();
        let settings = LogSettings { json: true, level: "INFO".into() };
        tracing::subscriber::set_global_default(subscriber(&settings, log.clone())).expect("the only subscriber");
        log
    })
}

#[test]
fn every_function_asks_lambda_for_json_logs() {
    let stack = Stack { table: "t", email_identity: "example.com", webhook_queue: "paylinks-webhooks" };
    let globals = template::template()["Globals"]["Function"]["LoggingConfig"].clone();
    assert_eq!(globals["LogFormat"].as_str(), Some("JSON"));
    assert!(globals["ApplicationLogLevel"].as_str().is_some(), "a level the code reads as AWS_LAMBDA_LOG_LEVEL");
    for function in template::functions(&stack) {
        let own = &function.properties["LoggingConfig"]["LogFormat"];
        assert!(own.is_null() || own.as_str() == Some("JSON"), "{} overrides the log format", function.logical_id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn log_lines_are_json_with_the_ids_and_hold_no_personal_data_or_secret() {
    let log = captured();
    let server = on_real_adapters().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let email = "private.person@example.com";
    let phone = "+14155550199"; // moto's opted-out numbers end in 99: a refusal that is logged
    let mut body = order_link("SO-logs");
    body["customer"] = json!({"name": "Private Person", "email": email, "phone": phone, "card_payments": true});
    let link = server.call(&merchant, "POST", "/links", Some(body)).await.json();
    let id = link["id"].as_str().unwrap().to_string();
    let url = link["url"].as_str().unwrap().to_string();
    let token = url.split("payment_link_token=").nth(1).unwrap().to_string();

    // Paths that log: a provider that fails, a refused number, a forged webhook, a payment for a
    // voided link, a store that fails.
    server.aws().messaging.fail("SendEmail", Fault::InternalError);
    server
        .call(&merchant, "POST", &format!("/links/{id}/email"), Some(json!({"recipients": [{"email": email}]})))
        .await;
    server.aws().messaging.clear();
    server.call(&merchant, "POST", &format!("/links/{id}/sms"), Some(json!({"recipients": [{"phone": phone}]}))).await;
    let forged = server
        .raw(server.http.post(server.url("/stripe/webhook")).header("stripe-signature", "t=1,v1=00").body("{}"))
        .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    server.call(&merchant, "PATCH", &format!("/links/{id}"), Some(json!({"active": false}))).await;
    let mut paid = session_object("cs_test_logs", &id, &merchant, "paid", 2500);
    paid["customer_details"] = json!({"email": email, "name": "Private Person", "phone": phone});
    server.deliver(&event("checkout.session.completed", paid)).await;
    server.aws().dynamodb.fail("BatchGetItem", Fault::InternalError);
    server.open(&url).await;
    server.call(&merchant, "GET", &format!("/links/{id}"), None).await;
    server.aws().dynamodb.clear();

    let text = log.text();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON line: {line}")))
        .collect();
    let ours: Vec<&Value> = lines.iter().filter(|line| line.to_string().contains(&merchant)).collect();
    assert!(ours.len() >= 3, "the failures above were logged with their merchant: {text}");
    assert!(ours.iter().any(|line| line.to_string().contains(&id)), "and with their link: {text}");
    let forbidden = [email, phone, "Private Person", &token, TOKEN_SECRET, WEBHOOK_SECRET, "sk_test_fake"];
    for line in &lines {
        let line = line.to_string();
        for secret in forbidden {
            assert!(!line.contains(secret), "a log line holds {secret:?}: {line}");
        }
        assert!(!line.contains('\u{1b}'), "ANSI escapes: {line}");
    }
}

/// What `log` writes through a subscriber of `settings`, on this thread only.
fn lines(settings: &LogSettings, log: impl FnOnce()) -> String {
    let captured = CapturedLog::default();
    tracing::subscriber::with_default(subscriber(settings, captured.clone()), log);
    captured.text()
}

#[test]
fn a_json_line_carries_the_request_id_function_merchant_and_link_and_no_colour() {
    let settings = LogSettings { json: true, level: "INFO".into() };
    let text = lines(&settings, || {
        let invoke = tracing::info_span!("Lambda runtime invoke", requestId = "req-123");
        let _invoke = invoke.enter();
        let request = request_span("create-link");
        let _request = request.enter();
        record_merchant(&MerchantId::parse("merchant-1").unwrap());
        record_link(&LinkId::parse("pl_0123456789abcdefghijAB").unwrap());
        tracing::warn!(reason = "a test", "something worth a look");
        tracing::debug!("below the level: not written");
    });
    assert!(!text.contains('\u{1b}'), "no ANSI escapes: {text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    let line: Value = serde_json::from_str(lines[0]).expect("one JSON object per line");
    assert_eq!(line["level"], "WARN");
    assert_eq!(line["fields"]["message"], "something worth a look");
    let spans = line["spans"].as_array().expect("the spans");
    assert_eq!(spans[0]["requestId"], "req-123");
    assert_eq!(spans[1]["function"], "create-link");
    assert_eq!(spans[1]["merchant"], "merchant-1");
    assert_eq!(spans[1]["link"], "pl_0123456789abcdefghijAB");
}

#[test]
fn text_lines_have_no_colour_either_and_the_level_is_honoured() {
    let settings = LogSettings { json: false, level: "ERROR".into() };
    let text = lines(&settings, || {
        tracing::warn!("filtered out");
        tracing::error!("kept");
    });
    assert!(!text.contains('\u{1b}') && text.contains("kept") && !text.contains("filtered"), "{text}");
}

#[test]
fn debug_is_written_when_asked_for_and_per_target_levels_apply() {
    let settings = LogSettings { json: false, level: "DEBUG".into() };
    let text = lines(&settings, || tracing::debug!("a debug line"));
    assert!(text.contains("a debug line"), "AWS_LAMBDA_LOG_LEVEL=DEBUG writes debug lines: {text}");

    let settings = LogSettings { json: false, level: "logs=trace,warn".into() };
    let text = lines(&settings, || tracing::trace!("this test's own trace"));
    assert!(text.contains("this test's own trace"), "a target's own level: {text}");
}
