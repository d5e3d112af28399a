//! What strangers and bots may not do to a merchant's links: a `HEAD` or a chat app's link
//! preview never makes a Checkout Session or counts an open. On DynamoDB (moto) and the fake Stripe.

use paylinks_tests::server::{on_real_adapters, order_link, unique};
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
