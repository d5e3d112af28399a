//! Every step of a route, failed in turn at the wire: DynamoDB's real error shapes injected by the
//! proxy in front of moto, one AWS call at a time. For each step and fault the route must answer a
//! retryable 5xx, leave the table either as it was or as the successful retry leaves it (never
//! something in between), and the retry must succeed with exactly one effect.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use reqwest::StatusCode;
use serde_json::Value;

use crate::aws_proxy::{Fault, Service};
use crate::server::{Reply, TestServer};
use crate::stripe_events;

/// A request as a dashboard, a browser or Stripe sends it.
#[derive(Debug, Clone)]
pub enum Request {
    Merchant {
        merchant: String,
        method: &'static str,
        path: String,
        body: Option<Value>,
        idempotency_key: Option<String>,
    },
    Open(String),
    Webhook(String),
}

impl Request {
    pub fn merchant(merchant: &str, method: &'static str, path: impl Into<String>, body: Option<Value>) -> Self {
        Self::Merchant { merchant: merchant.into(), method, path: path.into(), body, idempotency_key: None }
    }

    pub async fn send(&self, server: &TestServer) -> Reply {
        match self {
            Self::Merchant { merchant, method, path, body, idempotency_key } => {
                let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
                let mut request = server.http.request(method, server.url(path)).bearer_auth(server.token(merchant));
                if let Some(body) = body {
                    request = request.json(body);
                }
                if let Some(key) = idempotency_key {
                    request = request.header("idempotency-key", key);
                }
                server.raw(request).await
            }
            Self::Open(url) => server.open(url).await,
            Self::Webhook(body) => server.deliver(body).await,
        }
    }
}

/// One route: how to make a fresh case of it, and what "exactly one effect" means for it.
#[async_trait]
pub trait Scenario: Sync {
    /// Sets up what the request needs (a link, an order…), fresh each time, and returns it.
    async fn prepare(&self, server: &TestServer) -> Request;

    /// After the retry succeeded: the effect happened once, not twice, not zero times.
    async fn exactly_one_effect(&self, server: &TestServer, request: &Request, reply: &Reply);
}

/// Attributes that may differ between a faulted request and its retry without anything being
/// half-written: retention deadlines. Open counters (`OPENS` items: an open happened whether or
/// not Checkout could be reached) are left out whole; idempotency records are not kept on a 5xx.
const BOOKKEEPING: [&str; 2] = ["ttl", "purge_at"];

/// The table as text, item by item, without bookkeeping. Read from moto directly, not through
/// the proxy, so no fault can touch it.
pub async fn table_state(table: &str) -> BTreeMap<String, String> {
    let client = crate::moto::inspector().await;
    let mut state = BTreeMap::new();
    let mut start = None;
    loop {
        let page =
            client.scan().table_name(table).set_exclusive_start_key(start).send().await.expect("moto scans the table");
        for item in page.items.unwrap_or_default() {
            let text = |name: &str| match item.get(name) {
                Some(AttributeValue::S(v)) => v.clone(),
                _ => String::new(),
            };
            let key = format!("{} {}", text("pk"), text("sk"));
            if text("sk").starts_with("IDEM#") || text("sk").starts_with("OPENS") {
                continue;
            }
            // Counters of attempts (a request that failed still spent its limit, as a gateway's
            // throttle counts it) and a product link's session kept for a browser (a cache of
            // what Stripe made) are not state a fault may half-write.
            if text("pk").starts_with("THROTTLE#") || text("sk").starts_with("CLIENT#") {
                continue;
            }
            let fields: serde_json::Map<String, Value> = item
                .iter()
                .filter(|(name, _)| !BOOKKEEPING.contains(&name.as_str()))
                .map(|(name, value)| (name.clone(), canonical(value)))
                .collect();
            state.insert(key, Value::Object(fields).to_string());
        }
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return state,
        }
    }
}

/// An attribute as JSON with sorted keys, so equal items print alike.
fn canonical(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::M(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), canonical(v))).collect()),
        AttributeValue::L(list) => Value::Array(list.iter().map(canonical).collect()),
        other => Value::String(format!("{other:?}")),
    }
}

/// The items that differ between two states, as they are in the second.
fn difference(from: &BTreeMap<String, String>, to: &BTreeMap<String, String>) -> BTreeMap<String, Option<String>> {
    let keys: std::collections::BTreeSet<&String> = from.keys().chain(to.keys()).collect();
    keys.into_iter().filter(|k| from.get(*k) != to.get(*k)).map(|k| (k.clone(), to.get(k).cloned())).collect()
}

/// The faults DynamoDB can answer an operation with.
pub fn dynamodb_faults(operation: &str) -> Vec<Fault> {
    let mut faults = vec![Fault::Throttling, Fault::ThroughputExceeded, Fault::InternalError];
    if operation == "TransactWriteItems" {
        faults = vec![
            Fault::TransactionCanceled(vec!["TransactionConflict", "None"]),
            Fault::TransactionCanceled(vec!["None", "ThrottlingError"]),
            Fault::InternalError,
        ];
    }
    faults
}

/// A retryable answer: 500, 502, 503 or 504, never 501 (that says "never works").
pub fn is_retryable_fault(status: StatusCode) -> bool {
    matches!(status.as_u16(), 500 | 502 | 503 | 504)
}

/// Fails each DynamoDB call the route makes, one step at a time, with each fault DynamoDB can
/// answer it with; checks the three promises after each.
pub async fn every_dynamodb_step_fails_cleanly(server: &TestServer, scenario: &dyn Scenario) {
    let proxy = &server.aws().dynamodb;
    let table = server.table.clone().expect("a moto table");
    // A healthy run first, to learn the steps.
    let request = scenario.prepare(server).await;
    proxy.take_calls();
    let healthy = request.send(server).await;
    assert!(healthy.status.is_success() || healthy.status.is_redirection(), "healthy run: {}", healthy.text);
    let steps: Vec<String> =
        proxy.take_calls().into_iter().filter(|c| c.service == Service::DynamoDb).map(|c| c.operation).collect();
    assert!(!steps.is_empty(), "the route calls DynamoDB");
    for (step, operation) in steps.iter().enumerate() {
        let earlier = steps[..step].iter().filter(|o| *o == operation).count() as u32;
        for fault in dynamodb_faults(operation) {
            let request = scenario.prepare(server).await;
            let before = table_state(&table).await;
            proxy.fail_after(operation, earlier, fault.clone());
            let faulted = request.send(server).await;
            proxy.clear();
            let what = format!("step {step} ({operation}) failing with {fault:?}");
            assert!(is_retryable_fault(faulted.status), "{what}: answered {} {}", faulted.status, faulted.text);
            let after_fault = table_state(&table).await;
            let retried = request.send(server).await;
            assert!(
                retried.status.is_success() || retried.status.is_redirection(),
                "{what}: the retry answered {} {}",
                retried.status,
                retried.text
            );
            let after_retry = table_state(&table).await;
            assert!(
                after_fault == before || after_fault == after_retry,
                "{what}: half-written.\nwritten by the faulted request: {:#?}\nthen by the retry: {:#?}",
                difference(&before, &after_fault),
                difference(&after_fault, &after_retry),
            );
            scenario.exactly_one_effect(server, &request, &retried).await;
        }
    }
}

/// The merchant's view of a link.
pub async fn detail(server: &TestServer, merchant: &str, link: &str) -> Value {
    server.call(merchant, "GET", &format!("/links/{link}"), None).await.json()
}

/// The id of the link a create answered with.
pub fn link_id(reply: &Reply) -> String {
    reply.json()["id"].as_str().unwrap().to_string()
}

/// An event Stripe signs now for `object`.
pub fn stripe_event(kind: &str, object: Value) -> Request {
    Request::Webhook(stripe_events::event(kind, object))
}
