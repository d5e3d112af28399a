//! A product link shared widely sells to everyone: a thousand distinct customers (each its own
//! address and browser) open one link in bursts. None is refused at first open, none sees a
//! fault; the ones who arrive while the Stripe account's pace is spent wait on "Preparing your
//! checkout…" and reach Checkout by its refresh; Stripe is never asked faster than the pace;
//! every open is counted once. On DynamoDB (moto, serialised) and the embedded store.

use std::sync::Arc;
use std::time::Duration;

use paylinks_tests::crowd::{Customer, Outcome, per_second, refresh_of, until_checkout};
use paylinks_tests::server::{TestServer, embedded_on_fake_stripe_tuned, on_real_adapters_tuned, unique};
use reqwest::StatusCode;
use serde_json::json;

const CUSTOMERS: usize = 1000;
/// A waiting customer follows at most this many waiting pages (each one to three seconds).
const MAX_WAITS: usize = 60;

/// How the crowd comes: customers arriving together, the pause between bursts, and the
/// server's pace (`STRIPE_SESSIONS_PER_SECOND`), below the crowd's arrival rate so that some wait.
struct Crowd {
    burst: usize,
    between_bursts: Duration,
    pace: usize,
}

/// One crowd at a time: two at once on two cores would each measure the other.
static ONE_CROWD_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn a_crowd_on_one_product_link_all_reach_checkout(server: TestServer, crowd: Crowd) {
    // What the functions log shows with a failure: which dependency a fault came from.
    let _ = tracing_subscriber::fmt().with_max_level(tracing::Level::WARN).with_test_writer().try_init();
    let _alone = ONE_CROWD_AT_A_TIME.lock().await;
    let Crowd { burst: size, between_bursts, pace } = crowd;
    let server = Arc::new(server);
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let body = json!({"name": "Limited drop", "products": [{"name": "Print", "unit_amount": 2500, "currency": "usd"}]});
    let link = server.call(&merchant, "POST", "/links", Some(body)).await.json();
    let (url, id) = (link["url"].as_str().unwrap().to_string(), link["id"].as_str().unwrap().to_string());

    let mut customers = Vec::new();
    for burst in 0..CUSTOMERS / size {
        for n in burst * size..(burst + 1) * size {
            let (server, url) = (server.clone(), url.clone());
            customers
                .push(tokio::spawn(async move { until_checkout(&server, &url, &Customer::nth(n), MAX_WAITS).await }));
        }
        tokio::time::sleep(between_bursts).await;
    }
    let mut outcomes: Vec<Outcome> = Vec::new();
    for customer in customers {
        outcomes.push(customer.await.unwrap());
    }

    for outcome in &outcomes {
        assert!(
            matches!(outcome.statuses[0], StatusCode::SEE_OTHER | StatusCode::OK),
            "a first open is never refused: {:?} {}",
            outcome.statuses,
            outcome.last_text
        );
        assert!(outcome.statuses.iter().all(|s| !s.is_server_error()), "no fault: {:?}", outcome.statuses);
        let checkout = outcome.checkout.as_deref().unwrap_or_default();
        assert!(checkout.starts_with("https://checkout.stripe.com/"), "{:?} {}", outcome.statuses, outcome.last_text);
    }
    let waited = outcomes.iter().filter(|o| o.waited() > 0).count();
    assert!(waited > 0, "the pace held some of the crowd on the waiting page");

    let made = server.stripe().sessions_of_link(&id).len();
    assert_eq!(made, CUSTOMERS, "one session each: a held open makes none");
    // The pace counts whole seconds of the server's clock, which moves with the machine's (the
    // local server's offset is whole seconds); a session is asked for a moment after its second
    // is counted, so one second at Stripe may hold the tail of the one before: never more than
    // two seconds' worth.
    let busiest = per_second(&server.stripe().creation_times()).into_values().max().unwrap_or_default();
    assert!(busiest <= 2 * pace, "{busiest} sessions in one second at a pace of {pace}");
    let times = server.stripe().creation_times();
    let span = times.iter().max().unwrap().duration_since(*times.iter().min().unwrap()).unwrap().as_secs_f64();
    assert!(made as f64 <= pace as f64 * (span.ceil() + 1.0), "{made} sessions over {span:.1} s at {pace}/s");

    if let Some(aws) = server.aws.as_ref() {
        // Shown with a failure: how long moto kept the functions waiting.
        let calls = aws.dynamodb.take_calls();
        let mut waits: Vec<u128> =
            calls.iter().filter_map(|c| Some(c.ended?.duration_since(c.started).as_millis())).collect();
        waits.sort_unstable();
        let at = |q: usize| {
            waits.get((waits.len() * q / 100).min(waits.len().saturating_sub(1))).copied().unwrap_or_default()
        };
        eprintln!("{} DynamoDB calls, p50 {} ms, p99 {} ms, max {} ms", waits.len(), at(50), at(99), at(100));
    }
    let detail = server.call(&merchant, "GET", &format!("/links/{id}"), None).await.json();
    assert_eq!(detail["opens"], CUSTOMERS, "each customer's open counted once, held opens not at all");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn a_crowd_on_one_product_link_all_reach_checkout_on_the_embedded_store() {
    let crowd = Crowd { burst: 100, between_bursts: Duration::from_millis(250), pace: 50 };
    let pace = crowd.pace as u32;
    let server = embedded_on_fake_stripe_tuned(|o| o.link_config.stripe_sessions_per_second = pace).await;
    a_crowd_on_one_product_link_all_reach_checkout(server, crowd).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn a_crowd_on_one_product_link_all_reach_checkout_on_dynamodb() {
    // moto applies one request at a time, about three hundred a second on a quiet machine, and
    // a DynamoDB call that waits two seconds is given up: the crowd comes slower than on the
    // embedded store (an open is six requests, a wait about as many), in small bursts a second
    // apart at the default pace, so that moto keeps up even on a loaded CI machine. Some still
    // wait: a burst's opens fall on the pace's shards at random.
    let crowd = Crowd { burst: 20, between_bursts: Duration::from_secs(1), pace: 25 };
    let pace = crowd.pace as u32;
    let server = on_real_adapters_tuned(|o| o.link_config.stripe_sessions_per_second = pace).await;
    a_crowd_on_one_product_link_all_reach_checkout(server, crowd).await;
}

/// Opens `url` as a fresh browser right after another took this second's only session: the
/// second opener is held. (A second may turn between the two: then again.) With the sessions
/// handed out on the way.
async fn held_open(server: &TestServer, url: &str, language: &str) -> (paylinks_tests::server::Reply, usize) {
    let mut handed = 0;
    for _ in 0..10 {
        let first = server.raw(server.http.get(url)).await;
        assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.text);
        handed += 1;
        let second = server.raw(server.http.get(url).header("accept-language", language)).await;
        if second.status == StatusCode::OK {
            return (second, handed);
        }
        handed += 1;
    }
    panic!("never held at a pace of one a second");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_held_customer_waits_on_a_page_in_their_language_that_comes_back_by_itself() {
    let server = embedded_on_fake_stripe_tuned(|o| o.link_config.stripe_sessions_per_second = 1).await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let body = json!({"name": "Drop", "products": [{"name": "Print", "unit_amount": 2500, "currency": "eur"}]});
    let link = server.call(&merchant, "POST", "/links", Some(body)).await.json();
    let (url, id) = (link["url"].as_str().unwrap(), link["id"].as_str().unwrap());
    let (held, handed) = held_open(&server, url, "de-DE,de;q=0.9").await;
    assert!(held.text.contains("Ihre Bezahlung wird vorbereitet"), "in German: {}", held.text);
    let wait: u64 = held.retry_after.as_deref().expect("Retry-After").parse().unwrap();
    assert!((1..=3).contains(&wait), "{wait}");
    let (seconds, again) = refresh_of(&held.text).expect("a meta refresh");
    assert_eq!((seconds, again.as_str()), (wait, url), "back to the same link, as long as Retry-After says");
    assert_eq!(server.stripe().sessions_of_link(id).len(), handed, "a held open asks nothing of Stripe");
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let reached = server.open(&again).await;
    assert_eq!(reached.status, StatusCode::SEE_OTHER, "{}", reached.text);

    // A choice posted from our page comes back as a GET carrying the same fields.
    let mut order = paylinks_tests::server::order_link(&unique("SO"));
    order["options"] = json!({"allow_tip": true});
    let made = server.call(&merchant, "POST", "/links", Some(order)).await.json();
    let token = made["url"].as_str().unwrap().split("payment_link_token=").nth(1).unwrap().to_string();
    let choice = [("payment_link_token", token.as_str()), ("tip", "other"), ("tip_amount", "2,50")];
    let mut held = None;
    for _ in 0..10 {
        server.raw(server.http.get(url)).await;
        let posted =
            server.raw(server.http.post(server.url("/pay")).header("accept-language", "de").form(&choice)).await;
        if posted.status == StatusCode::OK {
            held = Some(posted);
            break;
        }
        assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.text);
    }
    let held = held.expect("a posted choice held at a pace of one a second");
    let (seconds, again) = refresh_of(&held.text).expect("a meta refresh");
    assert!(again.contains("tip=other") && again.contains("tip_amount=2%2C50"), "{again}");
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let reached = server.open(&again).await;
    assert_eq!(reached.status, StatusCode::SEE_OTHER, "{}", reached.text);
    let session =
        server.stripe().session(&paylinks_tests::stripe_events::session_of(reached.location.as_deref().unwrap()));
    assert_eq!(session.unwrap()["metadata"]["tip_amount"], "250", "the tip chosen before the wait");
}
