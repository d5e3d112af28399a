//! What strangers and bots may not do to a merchant's links: a `HEAD` or a chat app's link
//! preview never makes a Checkout Session or counts an open; one client hammering a reusable link
//! is refused past its own limit, never the customers after it; one address may open links only
//! so often (`429` with `Retry-After`, no Stripe call). On DynamoDB (moto) and the fake Stripe,
//! and the embedded store. A crowd of distinct customers is `crowd.rs`.

use paylinks_tests::crowd::{Customer, until_checkout};
use paylinks_tests::server::{
    TestServer, embedded, embedded_with_merchant_limit, on_real_adapters, on_real_adapters_tuned, order_link, unique,
};
use paylinks_tests::stripe_events::{event, session_of};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_head_or_a_link_preview_makes_no_session_and_counts_no_open() {
    let server = on_real_adapters().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let product = json!({"name": "Tote bag", "products": [{"name": "Tote", "unit_amount": 2000, "currency": "usd"}]});
    for body in [order_link(&unique("SO")), product] {
        let link = server.call(&merchant, "POST", "/links", Some(body)).await.json();
        let url = link["url"].as_str().unwrap();
        let head = server.raw(server.http.head(url)).await;
        assert_eq!(head.status, StatusCode::OK);
        for agent in [
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "WhatsApp/2.23.20.0 A",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        ] {
            for target in [url, link["short_url"].as_str().unwrap()] {
                let preview = server.raw(server.http.get(target).header("user-agent", agent)).await;
                assert_eq!(preview.status, StatusCode::OK, "{agent}: {}", preview.text);
                assert!(
                    preview.text.contains("og:title") && preview.text.contains("Open this link"),
                    "{}",
                    preview.text
                );
            }
        }
        assert_eq!(server.stripe().sessions_of_link(link["id"].as_str().unwrap()).len(), 0, "no session for a look");
        let detail =
            server.call(&merchant, "GET", &format!("/links/{}", link["id"].as_str().unwrap()), None).await.json();
        assert_eq!(detail["opens"], 0, "a look is not an open");
        let person = server.open(url).await;
        assert_eq!(person.status, StatusCode::SEE_OTHER, "a person still goes to Checkout");
    }
}

/// Sessions one client may have made on one reusable link a minute
/// (`domain::SESSIONS_PER_ADDRESS_AND_LINK`).
const SESSIONS_PER_ADDRESS_AND_LINK: usize = 5;

async fn product_link(server: &TestServer, merchant: &str) -> serde_json::Value {
    let body = json!({"name": "Flash sale", "products": [{"name": "Tee", "unit_amount": 1500, "currency": "usd"}]});
    server.call(merchant, "POST", "/links", Some(body)).await.json()
}

/// The lock-out of before: forty opens from one IPv6 /64 took the link's whole allowance and
/// every other customer was refused. Now the /64 is one client, refused past its own limit,
/// its refused opens not counted, and the next customer goes straight to Checkout.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_client_hammering_a_reusable_link_locks_out_only_itself() {
    // The account's pace (`crowd.rs`) well above these forty opens, which a fast machine sends
    // within a second: only the address's limit is looked at here.
    let server = on_real_adapters_tuned(|o| o.link_config.stripe_sessions_per_second = 100).await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let link = product_link(&server, &merchant).await;
    let (url, id) = (link["url"].as_str().unwrap(), link["id"].as_str().unwrap());
    at_a_fresh_minute(&server).await;
    let (mut sent, mut refused) = (0, 0);
    for i in 1..=40 {
        let address = format!("2001:db8:1:2::{i:x}");
        let reply = server.raw(server.http.get(url).header("x-forwarded-for", address)).await;
        match reply.status {
            StatusCode::SEE_OTHER => sent += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                refused += 1;
                assert!(reply.text.contains("Too many tries"), "a friendly page: {}", reply.text);
                assert!(reply.retry_after.is_some(), "Retry-After");
            }
            other => panic!("{other}: {}", reply.text),
        }
    }
    assert_eq!((sent, refused), (SESSIONS_PER_ADDRESS_AND_LINK, 40 - SESSIONS_PER_ADDRESS_AND_LINK));
    // (Through the waiting page, should the account's pace be spent this second.)
    let another = Customer { address: "198.51.100.20".into(), cookie: paylinks::domain::random_base62(22) };
    let reached = until_checkout(&server, url, &another, 10).await;
    assert!(
        reached.checkout.is_some(),
        "another customer is not locked out: {:?} {}",
        reached.statuses,
        reached.last_text
    );
    assert_eq!(server.stripe().sessions_of_link(id).len(), SESSIONS_PER_ADDRESS_AND_LINK + 1);
    let detail = server.call(&merchant, "GET", &format!("/links/{id}"), None).await.json();
    assert_eq!(detail["opens"], SESSIONS_PER_ADDRESS_AND_LINK + 1, "a refused open is not counted");
}

async fn one_address_may_open_links_only_so_often(server: &TestServer) {
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let link = server.call(&merchant, "POST", "/links", Some(order_link(&unique("SO")))).await.json();
    let url = link["url"].as_str().unwrap();
    let address = "203.0.113.7".to_string();
    at_a_fresh_minute(server).await;
    let from = |address: &str| server.http.get(url).header("x-forwarded-for", address.to_string());
    for _ in 0..60 {
        assert_eq!(server.raw(from(&address)).await.status, StatusCode::SEE_OTHER);
    }
    let refused = server.raw(from(&address)).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{}", refused.text);
    let wait: i64 = refused.retry_after.as_deref().expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let token = url.split("payment_link_token=").nth(1).unwrap();
    let resolve = server.url(&format!("/pay/resolve?payment_link_token={token}"));
    let json = server.raw(server.http.get(&resolve).header("x-forwarded-for", address.clone())).await;
    assert_eq!((json.status, json.error_code()), (StatusCode::TOO_MANY_REQUESTS, "rate_limited".to_string()));
    assert_eq!(
        server.raw(from("198.51.100.9")).await.status,
        StatusCode::SEE_OTHER,
        "another address is not held back"
    );
    // An IPv6 client is its /64: sixty addresses of one block are one client.
    at_a_fresh_minute(server).await;
    for i in 1..=60 {
        assert_eq!(server.raw(from(&format!("2001:db8:1:2::{i:x}"))).await.status, StatusCode::SEE_OTHER);
    }
    let same_block = server.raw(from("2001:db8:1:2:ffff::1")).await;
    assert_eq!(same_block.status, StatusCode::TOO_MANY_REQUESTS, "{}", same_block.text);
    assert_eq!(server.raw(from("2001:db8:1:3::1")).await.status, StatusCode::SEE_OTHER, "another /64");
}

/// Moves the server's clock to just past the start of a minute: the limits count fixed minutes,
/// and a burst that straddled two would see two minutes' worth.
async fn at_a_fresh_minute(server: &TestServer) {
    let clock = server.raw(server.http.get(server.url("/local/clock"))).await.json();
    let now: paylinks::domain::Timestamp = serde_json::from_value(clock["now"].clone()).expect("a time");
    let now = now.unix();
    let advance = 60 - now.rem_euclid(60) + 1;
    server.raw(server.http.post(server.url("/local/clock")).json(&json!({"advance_seconds": advance}))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_address_may_open_links_only_so_often_on_dynamodb() {
    one_address_may_open_links_only_so_often(&on_real_adapters().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_address_may_open_links_only_so_often_on_the_embedded_store() {
    one_address_may_open_links_only_so_often(&embedded().await).await;
}

/// A merchant's own requests are limited per merchant (a dashboard in a loop): `429` JSON with
/// `Retry-After`; another merchant is not held back.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_merchant_in_a_loop_is_limited_and_others_are_not() {
    let server = embedded_with_merchant_limit(5).await;
    at_a_fresh_minute(&server).await;
    let merchant = unique("merchant");
    for _ in 0..5 {
        assert_eq!(server.call(&merchant, "GET", "/links", None).await.status, StatusCode::OK);
    }
    let refused = server.call(&merchant, "GET", "/links", None).await;
    assert_eq!((refused.status, refused.error_code()), (StatusCode::TOO_MANY_REQUESTS, "rate_limited".to_string()));
    let posted = server.call(&merchant, "POST", "/links", Some(order_link(&unique("SO")))).await;
    assert_eq!(posted.status, StatusCode::TOO_MANY_REQUESTS, "every merchant route counts");
    assert_eq!(server.call(&unique("other"), "GET", "/links", None).await.status, StatusCode::OK);
}

/// Pays a Checkout URL: at the fake Stripe (and its event to the webhook), or the simulated page.
async fn pay_through(server: &TestServer, checkout: &str) {
    if server.on_fake_stripe() {
        let paid = server.stripe().complete(&session_of(checkout), "paid", "a@example.com", "A");
        assert_eq!(server.deliver(&event("checkout.session.completed", paid)).await.json()["result"], "recorded");
    } else {
        server.raw(server.http.post(checkout).form(&[("outcome", "paid")])).await;
    }
}

/// A customer reloading a reusable link goes back to the session they had minutes ago (our cookie
/// names their browser); another browser, even at the same address with the same user agent (an
/// office, a carrier's NAT), gets its own; a payment through the link ends the reuse.
async fn a_browser_reopening_a_reusable_link_gets_its_session_back(server: &TestServer) {
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let link = product_link(server, &merchant).await;
    let url = link["url"].as_str().unwrap();
    let first = server.open(url).await;
    let cookie = first.set_cookie.clone().expect("a browser is given our cookie");
    assert!(cookie.starts_with("paylinks_client=") && cookie.contains("HttpOnly"), "{cookie}");
    let cookie = cookie.split(';').next().unwrap().to_string();
    let with_cookie = || server.http.get(url).header("cookie", cookie.clone());
    for _ in 0..4 {
        let again = server.raw(with_cookie()).await;
        assert_eq!(again.location, first.location, "the same browser, the same session");
        assert!(again.set_cookie.is_none(), "a returning browser keeps its cookie");
    }
    let stranger = server.open(url).await;
    assert_ne!(stranger.location, first.location, "another browser, a session of its own");
    pay_through(server, first.location.as_deref().unwrap()).await;
    let after = server.raw(with_cookie()).await;
    assert_ne!(after.location, first.location, "a paid session is never handed back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_browser_reopening_a_reusable_link_gets_its_session_back_on_dynamodb() {
    let server = on_real_adapters().await;
    a_browser_reopening_a_reusable_link_gets_its_session_back(&server).await;
    assert_eq!(
        server.stripe().sessions_created(),
        3,
        "the first browser's twice (before and after paying), the other's"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_browser_reopening_a_reusable_link_gets_its_session_back_on_the_embedded_store() {
    a_browser_reopening_a_reusable_link_gets_its_session_back(&embedded().await).await;
}
