//! A store that cannot be reached answers 5xx (Stripe retries, dashboards retry) and never a 4xx.

use std::sync::Arc;

use lambda_http::Body;
use lambda_http::http::StatusCode;
use paylinks::config::LinkConfig;
use paylinks::ports::SystemClock;
use paylinks_dynamodb::DynamoStore;
use paylinks_http::webhook_signature::WebhookSecrets;
use paylinks_tests::stripe_events::{WEBHOOK_SECRET, event, now, session_object, signature};
use secrecy::SecretString;

#[tokio::test]
async fn a_webhook_that_cannot_reach_the_table_answers_503_so_stripe_retries() {
    let client = paylinks_tests::moto::dynamo().await;
    let deps = stripe_webhook::Deps {
        store: Arc::new(DynamoStore::new(client, "no-such-table")),
        secrets: WebhookSecrets::parse(&SecretString::from(WEBHOOK_SECRET.to_string())).unwrap(),
        config: LinkConfig::with_base_url("https://pay.example.com"),
        clock: Arc::new(SystemClock),
    };
    let body =
        event("checkout.session.completed", session_object("cs_test_f", "pl_0123456789abcdefghijkl", "m", "paid", 100));
    let request = lambda_http::http::Request::builder()
        .method("POST")
        .uri("/stripe/webhook")
        .header("stripe-signature", signature(WEBHOOK_SECRET, now(), &body))
        .body(Body::Text(body))
        .unwrap();
    let response = stripe_webhook::handle(&deps, request).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let Body::Text(text) = response.body() else { panic!("a JSON body") };
    let body: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(body["error"]["code"], "service_unavailable");
    assert!(!text.contains("no-such-table"), "no internals in the body: {text}");
}
