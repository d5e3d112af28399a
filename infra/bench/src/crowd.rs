//! One hot link under a crowd, on the local server (embedded store, the fake Stripe): opens a
//! second and the latency of `GET /pay` as distinct customers (each its own address and browser)
//! open one product link side by side — with the pace out of the way, and with it spent (every
//! customer after the first of each second waits on "Preparing your checkout…").

use std::sync::Arc;
use std::time::{Duration, Instant};

use paylinks_tests::crowd::Customer;
use paylinks_tests::server::{TestServer, embedded_on_fake_stripe_tuned, unique};
use reqwest::StatusCode;
use serde_json::json;

/// Opens in one run, and customers opening side by side.
const OPENS: usize = 4000;
const SIDE_BY_SIDE: usize = 32;

pub fn run() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    println!(
        "One hot product link on the local server (embedded store, fake Stripe), {SIDE_BY_SIDE} customers side by side"
    );
    runtime.block_on(async {
        crowd("pace out of the way", u32::MAX, StatusCode::SEE_OTHER).await;
        crowd("pace spent (1 a second)", 1, StatusCode::OK).await;
    });
}

async fn crowd(what: &str, pace: u32, mostly: StatusCode) {
    let server = Arc::new(embedded_on_fake_stripe_tuned(|o| o.link_config.stripe_sessions_per_second = pace).await);
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let body = json!({"name": "Drop", "products": [{"name": "Print", "unit_amount": 2500, "currency": "usd"}]});
    let link = server.call(&merchant, "POST", "/links", Some(body)).await.json();
    let url = Arc::new(link["url"].as_str().expect("a link").to_string());
    let started = Instant::now();
    let workers: Vec<_> = (0..SIDE_BY_SIDE)
        .map(|worker| {
            let (server, url) = (server.clone(), url.clone());
            tokio::spawn(async move { opens(&server, &url, worker, mostly).await })
        })
        .collect();
    let mut times = Vec::with_capacity(OPENS);
    let mut as_expected = 0;
    for worker in workers {
        let (worker_times, worker_expected) = worker.await.expect("a worker");
        times.extend(worker_times);
        as_expected += worker_expected;
    }
    let elapsed = started.elapsed();
    times.sort();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q) as usize].as_secs_f64() * 1e3;
    println!(
        "  {what:<26} {:>7.0} opens/s   p50 {:>6.2} ms   p99 {:>6.2} ms   {as_expected} of {} answered {}",
        times.len() as f64 / elapsed.as_secs_f64(),
        at(0.5),
        at(0.99),
        times.len(),
        mostly.as_u16()
    );
}

/// One worker's share of the opens, each a new customer; the time of each and how many were
/// answered `expected`.
async fn opens(server: &TestServer, url: &str, worker: usize, expected: StatusCode) -> (Vec<Duration>, usize) {
    let mut times = Vec::new();
    let mut as_expected = 0;
    for n in (worker..OPENS).step_by(SIDE_BY_SIDE) {
        let customer = Customer::nth(n);
        let request = server
            .http
            .get(url)
            .header("x-forwarded-for", &customer.address)
            .header("cookie", format!("paylinks_client={}", customer.cookie));
        let started = Instant::now();
        let reply = server.raw(request).await;
        times.push(started.elapsed());
        as_expected += usize::from(reply.status == expected);
    }
    (times, as_expected)
}
