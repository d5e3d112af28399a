//! A dependency that takes the request and never answers, and a Stripe that fails as Stripe fails
//! (500, 429 with `Retry-After`): each route answers a retryable 5xx while its Lambda would still
//! be alive to send it, and the retry, once the dependency is back, has exactly one effect.
//! The bound is the function's own timeout from `budgets.rs` (checked against `template.yaml` in
//! route_table.rs): Lambda kills a function at it, and a test that waited longer would be testing
//! an answer no customer could receive.

use std::future::Future;

use paylinks::budgets::{self, FunctionBudget};
use paylinks_tests::aws_proxy::Fault;
use paylinks_tests::fake_stripe::StripeFault;
use paylinks_tests::server::{Reply, new_order_link, order_link, with_paying_merchant};
use paylinks_tests::stripe_events::{event, session_object};
use reqwest::StatusCode;
use serde_json::json;

/// The reply, which must come while the function is still alive to send it.
async fn before_timeout(function: FunctionBudget, reply: impl Future<Output = Reply>) -> Reply {
    tokio::time::timeout(function.timeout(), reply).await.unwrap_or_else(|_| {
        panic!("{} gave no answer within its {:?} Lambda timeout", function.binary, function.timeout())
    })
}

fn retryable(reply: &Reply, what: &str) {
    assert!(
        matches!(
            reply.status,
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::INTERNAL_SERVER_ERROR | StatusCode::BAD_GATEWAY
        ),
        "{what}: answered {} {}",
        reply.status,
        reply.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dynamodb_that_never_answers_gets_a_5xx_before_each_functions_timeout() {
    let (server, merchant) = with_paying_merchant().await;
    let link = new_order_link(&server, &merchant).await;
    let id = link["id"].as_str().unwrap().to_string();
    let dynamodb = &server.aws().dynamodb;

    dynamodb.fail("BatchGetItem", Fault::Hang);
    dynamodb.fail("Query", Fault::Hang);
    let create =
        before_timeout(budgets::CREATE_LINK, server.call(&merchant, "POST", "/links", Some(order_link("SO-hang"))));
    retryable(&create.await, "POST /links");
    let path = format!("/links/{id}");
    retryable(
        &before_timeout(budgets::MANAGE_LINKS, server.call(&merchant, "GET", &path, None)).await,
        "GET /links/{id}",
    );
    let open = before_timeout(budgets::REDEEM_LINK, server.open(link["url"].as_str().unwrap()));
    retryable(&open.await, "GET /pay");
    let paid = event("checkout.session.completed", session_object("cs_test_hang", &id, &merchant, "paid", 2500));
    retryable(&before_timeout(budgets::STRIPE_WEBHOOK, server.deliver(&paid)).await, "the webhook");
    dynamodb.clear();

    let created = server.call(&merchant, "POST", "/links", Some(order_link("SO-hang"))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(server.deliver(&paid).await.json()["result"], "recorded");
    let detail = server.call(&merchant, "GET", &format!("/links/{id}"), None).await.json();
    assert_eq!(detail["payments"].as_array().map(Vec::len), Some(1), "{detail}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_email_or_sms_provider_that_never_answers_gets_a_503_and_nothing_is_recorded() {
    let (server, merchant) = with_paying_merchant().await;
    let link = new_order_link(&server, &merchant).await;
    let id = link["id"].as_str().unwrap();
    let messaging = &server.aws().messaging;
    let cases = [
        (budgets::SEND_EMAIL, "SendEmail", "email", json!({"recipients": [{"email": "hang@example.com"}]})),
        (budgets::SEND_SMS, "Publish", "sms", json!({"recipients": [{"phone": "+14155550177"}]})),
    ];
    for (function, operation, channel, body) in cases {
        let path = format!("/links/{id}/{channel}");
        messaging.fail(operation, Fault::Hang);
        let reply = before_timeout(function, server.call(&merchant, "POST", &path, Some(body.clone())));
        let reply = reply.await;
        messaging.clear();
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{channel}: {}", reply.text);
        messaging.take_calls();
        let retried = server.call(&merchant, "POST", &path, Some(body)).await;
        assert_eq!(retried.json()["deliveries"][0]["status"], "sent", "{channel}: {}", retried.text);
        let sent = messaging.take_calls().iter().filter(|c| c.operation == operation && !c.faulted).count();
        assert_eq!(sent, 1, "{channel}: one message");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stripe_that_fails_or_never_answers_shows_the_customer_a_retry_or_waiting_page_and_the_retry_makes_one_session()
 {
    let (server, merchant) = with_paying_merchant().await;
    let link = new_order_link(&server, &merchant).await;
    let url = link["url"].as_str().unwrap();
    for fault in [StripeFault::ServerError, StripeFault::RateLimited, StripeFault::Hang] {
        server.stripe().fail(fault);
        let page = before_timeout(budgets::REDEEM_LINK, server.open(url)).await;
        server.stripe().clear();
        // Stripe's rate limit is a wait, as for our own pace: the page comes back by itself.
        let expected = match fault {
            StripeFault::RateLimited => StatusCode::OK,
            _ => StatusCode::SERVICE_UNAVAILABLE,
        };
        assert_eq!(page.status, expected, "{fault:?}: {}", page.text);
        assert!(page.text.contains("<html"), "{fault:?}: a page for the customer, not JSON");
        if fault == StripeFault::RateLimited {
            assert!(page.text.contains("Preparing your checkout"), "the waiting page: {}", page.text);
        }
    }
    let opened = server.open(url).await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.text);
    let again = server.open(url).await;
    assert_eq!(again.location, opened.location, "one session for the link");
    assert_eq!(server.stripe().sessions_created(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn voiding_or_deleting_a_link_while_stripe_fails_answers_5xx_and_the_retry_closes_the_session() {
    let (server, merchant) = with_paying_merchant().await;
    for change in ["void", "delete"] {
        let link = new_order_link(&server, &merchant).await;
        let path = format!("/links/{}", link["id"].as_str().unwrap());
        // An open session must be closed at Stripe before the link stops being payable.
        let session = server.open(link["url"].as_str().unwrap()).await.location.expect("a session");
        let request = || async {
            match change {
                "void" => server.call(&merchant, "PATCH", &path, Some(json!({"active": false}))).await,
                _ => server.call(&merchant, "DELETE", &path, None).await,
            }
        };
        for fault in [StripeFault::ServerError, StripeFault::RateLimited, StripeFault::Hang] {
            server.stripe().fail(fault);
            let reply = before_timeout(budgets::MANAGE_LINKS, request()).await;
            server.stripe().clear();
            retryable(&reply, &format!("{change} while Stripe answers {fault:?}"));
            // Voiding stops new opens first, then closes the session: the retry finishes it.
            // Deleting is final, so it changes the link's status last.
            let now = server.call(&merchant, "GET", &path, None).await.json();
            let expected = if change == "void" { "void" } else { "active" };
            assert_eq!(now["status"], expected, "{change} {fault:?}");
        }
        assert!(request().await.status.is_success(), "{change}: the retry");
        let session_id = session.rsplit('/').next().unwrap();
        assert_eq!(server.stripe().session(session_id).unwrap()["status"], "expired", "{change}: closed at Stripe");
    }
}
