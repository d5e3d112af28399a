//! The lifecycle's races, each closed by a rule of the domain and run here concurrently through
//! the local server on DynamoDB (moto) and the fake Stripe: whatever wins, nothing is lost, no
//! session stays open on an ended link, and nothing ended comes back.

use std::sync::Arc;

use paylinks_tests::crowd::refresh_of;
use paylinks_tests::server::{Reply, TestServer, on_real_adapters, order_link, unique};
use paylinks_tests::stripe_events::{charge, event, session_object, session_of};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn ready() -> (Arc<TestServer>, String) {
    let server = Arc::new(on_real_adapters().await);
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    (server, merchant)
}

/// `count` customers opening `url` at once, each following the waiting page (the Stripe
/// account's pace spent by the others) to wherever it leads.
fn opens(server: &Arc<TestServer>, url: &str, count: usize) -> Vec<tokio::task::JoinHandle<Reply>> {
    (0..count)
        .map(|_| {
            let (server, url) = (server.clone(), url.to_string());
            tokio::spawn(async move {
                let mut reply = server.open(&url).await;
                while let (StatusCode::OK, Some((seconds, next))) = (reply.status, refresh_of(&reply.text)) {
                    tokio::time::sleep(std::time::Duration::from_secs(seconds)).await;
                    reply = server.open(&next).await;
                }
                reply
            })
        })
        .collect()
}

fn call(
    server: &Arc<TestServer>,
    merchant: &str,
    method: &'static str,
    path: String,
    body: Option<Value>,
) -> tokio::task::JoinHandle<Reply> {
    let (server, merchant) = (server.clone(), merchant.to_string());
    tokio::spawn(async move { server.call(&merchant, method, &path, body).await })
}

/// What an open led to: Checkout, or a refusal (the link's landing page with the reason).
fn landed(reply: &Reply) -> String {
    match (reply.status, reply.location.as_deref()) {
        (StatusCode::SEE_OTHER, Some(location)) if location.contains("payment_link_error=") => {
            location.rsplit('=').next().unwrap().to_string()
        }
        (StatusCode::SEE_OTHER, Some(_)) => "checkout".into(),
        (status, _) => status.as_str().to_string(),
    }
}

/// Every Checkout Session Stripe made for the link is closed.
fn no_session_open(server: &TestServer, link_id: &str, what: &str) {
    let sessions = server.stripe().sessions_of_link(link_id);
    assert!(!sessions.is_empty(), "{what}: customers reached Checkout");
    for session in sessions {
        assert_eq!(session["status"], "expired", "{what}: {} is still open", session["id"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn settling_an_order_while_customers_open_its_link_leaves_no_checkout_session_open() {
    let (server, merchant) = ready().await;
    for (order, action, page) in [("SO-mark", "mark-paid", "200"), ("SO-reject", "reject", "void")] {
        let link = server.call(&merchant, "POST", "/links", Some(order_link(order))).await.json();
        let (id, url) = (link["id"].as_str().unwrap(), link["url"].as_str().unwrap());
        assert_eq!(landed(&server.open(url).await), "checkout", "a session is open before");
        let racing = opens(&server, url, 20);
        let settled = call(&server, &merchant, "POST", format!("/orders/{order}/{action}"), None).await.unwrap();
        assert_eq!(settled.status, StatusCode::OK, "{action}: {}", settled.text);
        for open in racing {
            let led_to = landed(&open.await.unwrap());
            assert!(["checkout", page].contains(&led_to.as_str()), "{action}: an open led to {led_to}");
        }
        no_session_open(&server, id, action);
        assert_eq!(landed(&server.open(url).await), page, "{action}: the link no longer takes money");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn voiding_while_customers_open_closes_every_session_attached_up_to_the_void() {
    let (server, merchant) = ready().await;
    let link = server.call(&merchant, "POST", "/links", Some(order_link("SO-void-race"))).await.json();
    let (id, url) = (link["id"].as_str().unwrap(), link["url"].as_str().unwrap());
    let racing = opens(&server, url, 20);
    let voided = call(&server, &merchant, "PATCH", format!("/links/{id}"), Some(json!({"active": false})));
    assert_eq!(voided.await.unwrap().status, StatusCode::OK);
    for open in racing {
        let led_to = landed(&open.await.unwrap());
        assert!(["checkout", "void"].contains(&led_to.as_str()), "an open led to {led_to}");
    }
    if !server.stripe().sessions_of_link(id).is_empty() {
        no_session_open(&server, id, "void");
    }
    assert_eq!(landed(&server.open(url).await), "void");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_open_whose_link_is_voided_while_its_session_is_made_lands_on_void_not_a_fault() {
    let (server, merchant) = ready().await;
    let link = server.call(&merchant, "POST", "/links", Some(order_link("SO-void-mid-open"))).await.json();
    let (id, url) = (link["id"].as_str().unwrap().to_string(), link["url"].as_str().unwrap());
    server.stripe().hold_sessions();
    let open = opens(&server, url, 1).remove(0);
    let making = || server.stripe().requests().iter().any(|r| r.path == "/v1/checkout/sessions");
    for _ in 0..500 {
        if making() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(making(), "the open asked Stripe for a session");
    let voided = server.call(&merchant, "PATCH", &format!("/links/{id}"), Some(json!({"active": false}))).await;
    assert_eq!(voided.status, StatusCode::OK, "{}", voided.text);
    server.stripe().release_sessions();
    assert_eq!(landed(&open.await.unwrap()), "void", "the customer is told the link is void");
    no_session_open(&server, &id, "void mid-open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn a_payment_racing_a_void_is_recorded_once_and_never_reactivates_the_link() {
    let (server, merchant) = ready().await;
    for round in 0..5 {
        let link = server.call(&merchant, "POST", "/links", Some(order_link(&format!("SO-late-{round}")))).await.json();
        let id = link["id"].as_str().unwrap().to_string();
        let paid = event(
            "checkout.session.completed",
            session_object(&format!("cs_test_late_{round}"), &id, &merchant, "paid", 2500),
        );
        let delivered = {
            let server = server.clone();
            tokio::spawn(async move { server.deliver(&paid).await })
        };
        let voided = call(&server, &merchant, "PATCH", format!("/links/{id}"), Some(json!({"active": false})));
        assert_eq!(delivered.await.unwrap().json()["result"], "recorded");
        let voided = voided.await.unwrap();
        let detail = server.call(&merchant, "GET", &format!("/links/{id}"), None).await.json();
        assert_eq!(detail["payments"].as_array().unwrap().len(), 1, "money is never dropped");
        if voided.status == StatusCode::OK {
            // The void came first: the payment is flagged and the link stays void.
            assert_eq!(detail["status"], "void");
            assert_eq!(detail["payments"][0]["flag"], "link_void");
        } else {
            assert_eq!(voided.error_code(), "link_already_paid");
            assert_eq!(detail["status"], "paid");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn creating_links_while_the_order_is_rejected_never_undoes_the_reject() {
    let (server, merchant) = ready().await;
    let first = server.call(&merchant, "POST", "/links", Some(order_link("SO-undo"))).await.json();
    // Voided, so the creates below mint new links instead of reusing it.
    server
        .call(&merchant, "PATCH", &format!("/links/{}", first["id"].as_str().unwrap()), Some(json!({"active": false})))
        .await;
    let creates: Vec<_> =
        (0..10).map(|_| call(&server, &merchant, "POST", "/links".into(), Some(order_link("SO-undo")))).collect();
    let rejected = call(&server, &merchant, "POST", "/orders/SO-undo/reject".into(), None).await.unwrap();
    assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.text);
    for create in creates {
        let reply = create.await.unwrap();
        match reply.status {
            StatusCode::CREATED | StatusCode::OK => {
                let url = reply.json()["url"].as_str().unwrap().to_string();
                assert_eq!(landed(&server.open(&url).await), "void", "a link made before the reject stops working");
            }
            StatusCode::CONFLICT => assert_eq!(reply.error_code(), "order_not_payable"),
            other => panic!("a create answered {other}: {}", reply.text),
        }
    }
    let orders = server.call(&merchant, "GET", "/orders?payment_status=rejected", None).await.json();
    assert_eq!(orders["data"][0]["id"], "SO-undo", "still rejected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn creating_links_while_a_bank_debit_starts_keeps_the_order_processing() {
    let (server, merchant) = ready().await;
    let first = server.call(&merchant, "POST", "/links", Some(order_link("SO-debit"))).await.json();
    let id = first["id"].as_str().unwrap();
    server.call(&merchant, "PATCH", &format!("/links/{id}"), Some(json!({"active": false}))).await;
    let debit = event("checkout.session.completed", session_object("cs_test_debit", id, &merchant, "unpaid", 2500));
    let creates: Vec<_> =
        (0..10).map(|_| call(&server, &merchant, "POST", "/links".into(), Some(order_link("SO-debit")))).collect();
    assert_eq!(server.deliver(&debit).await.json()["result"], "recorded");
    for create in creates {
        assert!(create.await.unwrap().status.is_success());
    }
    let orders = server.call(&merchant, "GET", "/orders?payment_status=processing", None).await.json();
    assert_eq!(orders["data"][0]["id"], "SO-debit", "a create never writes over a payment in flight");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_settings_updates_of_different_fields_all_stay() {
    let (server, merchant) = ready().await;
    let updates = [
        json!({"display_name": "Acme Tea"}),
        json!({"brand_color": "#112233"}),
        json!({"logo_url": "https://cdn.example.com/logo.png"}),
        json!({"default_expires_in_minutes": 600}),
        json!({"allowed_redirect_hosts": ["shop.example.com"]}),
    ];
    let puts: Vec<_> =
        updates.iter().map(|u| call(&server, &merchant, "PUT", "/settings".into(), Some(u.clone()))).collect();
    for put in puts {
        assert_eq!(put.await.unwrap().status, StatusCode::OK);
    }
    let settings = server.call(&merchant, "GET", "/settings", None).await.json();
    for update in updates {
        let (field, value) = update.as_object().unwrap().iter().next().unwrap();
        assert_eq!(&settings[field], value, "{field} was lost to a concurrent update");
    }
    assert_eq!(settings["payments_enabled"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_requests_with_one_idempotency_key_make_one_link_and_one_answer() {
    let (server, merchant) = ready().await;
    let requests: Vec<_> = (0..10)
        .map(|_| {
            let server = server.clone();
            let request = server
                .http
                .post(server.url("/links"))
                .bearer_auth(server.token(&merchant))
                .header("idempotency-key", "race-key")
                .json(&order_link("SO-key-race"));
            tokio::spawn(async move { server.raw(request).await })
        })
        .collect();
    let mut bodies = Vec::new();
    for request in requests {
        let reply = request.await.unwrap();
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        bodies.push(reply.json());
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "every retry answers with the first response");
    let orders = server.call(&merchant, "GET", "/orders", None).await.json();
    assert_eq!(orders["data"][0]["link_ids"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn a_refund_racing_its_payment_is_applied_whichever_lands_first() {
    let (server, merchant) = ready().await;
    for round in 0..5 {
        let order = format!("SO-refund-race-{round}");
        let link = server.call(&merchant, "POST", "/links", Some(order_link(&order))).await.json();
        let id = link["id"].as_str().unwrap();
        let intent = format!("pi_race_{round}");
        let mut paid = session_object(&format!("cs_test_refund_race_{round}"), id, &merchant, "paid", 2500);
        paid["payment_intent"] = json!(intent);
        let bodies = [event("charge.refunded", charge(&intent, 2500, 1000)), event("checkout.session.completed", paid)];
        let deliveries: Vec<_> = bodies
            .into_iter()
            .map(|body| {
                let server = server.clone();
                tokio::spawn(async move { server.deliver(&body).await })
            })
            .collect();
        for delivery in deliveries {
            assert_eq!(delivery.await.unwrap().status, StatusCode::OK);
        }
        let detail = server.call(&merchant, "GET", &format!("/links/{id}"), None).await.json();
        assert_eq!(detail["payments"][0]["refunded"], 1000, "round {round}: the refund is not lost");
        let orders = server.call(&merchant, "GET", "/orders?payment_status=partially_refunded", None).await.json();
        assert!(orders["data"].as_array().unwrap().iter().any(|o| o["id"] == order.as_str()), "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_links_events_count_from_the_account_it_was_made_on_not_todays_settings() {
    let (server, merchant) = ready().await;
    server.call(&merchant, "PUT", "/settings", Some(json!({"stripe_account": "acct_1Before"}))).await;
    let link = server.call(&merchant, "POST", "/links", Some(order_link("SO-account"))).await.json();
    let id = link["id"].as_str().unwrap();
    let session = session_of(server.open(link["url"].as_str().unwrap()).await.location.as_deref().unwrap());
    server.call(&merchant, "PUT", "/settings", Some(json!({"stripe_account": "acct_1After"}))).await;
    let from = |account: &str| {
        let mut body: Value = serde_json::from_str(&event(
            "checkout.session.completed",
            session_object(&session, id, &merchant, "paid", 2500),
        ))
        .unwrap();
        body["account"] = json!(account);
        body.to_string()
    };
    assert_eq!(server.deliver(&from("acct_1After")).await.json()["result"], "ignored");
    assert_eq!(server.deliver(&from("acct_1Before")).await.json()["result"], "recorded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_settled_orders_links_stay_closed_after_the_order_itself_is_forgotten() {
    let (server, merchant) = ready().await;
    let link = server.call(&merchant, "POST", "/links", Some(order_link("SO-forgotten"))).await.json();
    assert_eq!(server.call(&merchant, "POST", "/orders/SO-forgotten/mark-paid", None).await.status, StatusCode::OK);
    // DynamoDB's TTL removes the order when its retention ends; the link knows its order's end.
    paylinks_tests::moto::inspector()
        .await
        .delete_item()
        .table_name(server.table.as_deref().unwrap())
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(format!("MERCHANT#{merchant}")))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S("ORDER#SO-forgotten".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(landed(&server.open(link["url"].as_str().unwrap()).await), "200", "already paid, not payable again");
}
