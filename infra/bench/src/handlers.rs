//! Handler time on the embedded adapters: what our code costs per request, with no network.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lambda_http::{Body, Request, RequestExt};
use paylinks::config::LinkConfig;
use paylinks::domain::{MerchantId, Settings};
use paylinks::ports::SystemClock;
use paylinks::tokens::LinkTokens;
use paylinks_embedded::EmbeddedStore;
use paylinks_embedded::simulated_checkout::SimulatedCheckout;
use paylinks_http::webhook_signature::{WebhookSecrets, sign};
use paylinks_http::with_merchant_claims;
use secrecy::SecretString;
use serde_json::{Value, json};

const RUNS: usize = 2000;

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q) as usize].as_secs_f64() * 1e6;
    println!("{name:<34} p50 {:>8.1} µs   p99 {:>8.1} µs   ({} runs)", at(0.5), at(0.99), times.len());
}

fn create_request(order: usize) -> Request {
    let body = json!({
        "order": {"id": format!("SO-{order}"), "currency": "usd", "line_items": [{"name": "Widget", "unit_amount": 1250, "quantity": 2}]},
        "customer": {"name": "Ada", "email": "ada@example.com"}
    });
    let request =
        lambda_http::http::Request::builder().method("POST").uri("/links").body(Body::Text(body.to_string())).unwrap();
    with_merchant_claims(request, HashMap::from([("sub".to_string(), "m1".to_string())]))
}

/// The three handlers measured, over one embedded store.
struct Handlers {
    create: create_link::Deps,
    redeem: redeem_link::Deps,
    webhook: stripe_webhook::Deps,
}

async fn handlers() -> Handlers {
    let store = Arc::new(EmbeddedStore::new());
    let settings = Settings { payments_enabled: true, ..Settings::default() };
    paylinks::usecases::settings::save_settings(store.as_ref(), &MerchantId::parse("m1").unwrap(), &settings)
        .await
        .unwrap();
    let tokens = Arc::new(LinkTokens::new(&SecretString::from("b".repeat(32))).unwrap());
    // Thousands of creates by one merchant: its per-minute limit would answer them 429.
    let config =
        LinkConfig { merchant_requests_per_minute: u32::MAX, ..LinkConfig::with_base_url("https://pay.example.com") };
    Handlers {
        create: create_link::Deps {
            store: store.clone(),
            checkout: Arc::new(SimulatedCheckout::new("https://pay.example.com")),
            tokens: tokens.clone(),
            config: config.clone(),
            clock: Arc::new(SystemClock),
        },
        redeem: redeem_link::Deps {
            store: store.clone(),
            checkout: Arc::new(SimulatedCheckout::new("https://pay.example.com")),
            tokens,
            config: config.clone(),
            clock: Arc::new(SystemClock),
        },
        webhook: stripe_webhook::Deps {
            store,
            secrets: WebhookSecrets::parse(&SecretString::from("whsec_bench".to_string())).unwrap(),
            config,
            clock: Arc::new(SystemClock),
        },
    }
}

pub fn run() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let handlers = handlers().await;
        let links = creates(&handlers).await;
        opens(&handlers, &links).await;
        payments(&handlers, &links).await;
    });
}

async fn creates(handlers: &Handlers) -> Vec<Value> {
    let mut times = Vec::new();
    let mut links: Vec<Value> = Vec::new();
    for i in 0..RUNS {
        let started = Instant::now();
        let response = create_link::handle(&handlers.create, create_request(i)).await.unwrap();
        times.push(started.elapsed());
        if let Body::Text(text) = response.body() {
            links.push(serde_json::from_str(text).unwrap());
        }
    }
    report("create-link POST /links", times);
    links
}

async fn opens(handlers: &Handlers, links: &[Value]) {
    let open = |link: &Value| {
        let token = link["url"].as_str().unwrap().split_once("payment_link_token=").unwrap().1.to_string();
        lambda_http::http::Request::builder()
            .uri("/pay")
            .body(Body::Empty)
            .unwrap()
            .with_query_string_parameters(HashMap::from([("payment_link_token".to_string(), token)]))
    };
    let mut first = Vec::new();
    let mut again = Vec::new();
    for link in links {
        let started = Instant::now();
        redeem_link::handle(&handlers.redeem, open(link)).await.unwrap();
        first.push(started.elapsed());
        let started = Instant::now();
        redeem_link::handle(&handlers.redeem, open(link)).await.unwrap();
        again.push(started.elapsed());
    }
    report("redeem-link GET /pay (new session)", first);
    report("redeem-link GET /pay (reused)", again);
}

async fn payments(handlers: &Handlers, links: &[Value]) {
    let mut times = Vec::new();
    for (i, link) in links.iter().enumerate() {
        let body = json!({"id": format!("evt_{i}"), "type": "checkout.session.completed", "data": {"object": {
            "id": format!("cs_bench_{i}"), "payment_status": "paid", "amount_total": 2500, "currency": "usd",
            "metadata": {"link_id": link["id"], "merchant_id": "m1"}}}})
        .to_string();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let request = lambda_http::http::Request::builder()
            .method("POST")
            .uri("/stripe/webhook")
            .header("stripe-signature", sign("whsec_bench", now, body.as_bytes()))
            .body(Body::Text(body))
            .unwrap();
        let started = Instant::now();
        stripe_webhook::handle(&handlers.webhook, request).await.unwrap();
        times.push(started.elapsed());
    }
    report("stripe-webhook completed event", times);
}
