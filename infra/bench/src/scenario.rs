//! The realistic first event of each function, on one merchant's link: made on moto and the fake
//! Stripe through the local server, then handed to each function binary in the order a link lives
//! (created, emailed, texted, looked at, opened, paid, removed by TTL).

use aws_sdk_dynamodb::types::AttributeValue;
use paylinks_tests::fake_stripe::{self, FakeStripe};
use paylinks_tests::server::{self, TestServer};
use paylinks_tests::{moto, stripe_events};
use serde_json::{Value, json};

use crate::events::{self, Http};
use crate::replay::Replay;

pub struct World {
    pub replay: Replay,
    server: TestServer,
    stripe: FakeStripe,
    table: String,
    merchant: String,
    link: Value,
}

impl World {
    /// A paying merchant with one order link, on a table of its own.
    pub async fn new() -> Self {
        let table = moto::fresh_table(&moto::inspector().await).await;
        let stripe = FakeStripe::start().await;
        let server = server::over_table(table.clone(), &stripe.base_url, moto::EMAIL_FROM).await;
        let merchant = server::unique("merchant");
        server.enable_payments(&merchant, json!({})).await;
        let link = server::new_order_link(&server, &merchant).await;
        let replay = Replay::start(moto::endpoint()).await;
        Self { replay, server, stripe, table, merchant, link }
    }

    /// What a deployed function has in its environment, its AWS calls going through the replay.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "bench"),
            ("AWS_SECRET_ACCESS_KEY", "bench"),
            ("AWS_SESSION_TOKEN", "bench"),
            ("AWS_ENDPOINT_URL", &self.replay.url),
            ("TABLE_NAME", &self.table),
            ("PUBLIC_BASE_URL", &self.server.running.base_url),
            ("TOKEN_SIGNING_SECRET", server::TOKEN_SECRET),
            ("STRIPE_SECRET_KEY", fake_stripe::SECRET_KEY),
            ("STRIPE_API_BASE", &self.stripe.base_url),
            ("STRIPE_WEBHOOK_SECRET", stripe_events::WEBHOOK_SECRET),
            ("EMAIL_FROM", moto::EMAIL_FROM),
            // Nothing is due on the bench's table, so the queue is named, never called.
            ("WEBHOOK_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/bench-webhooks"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn link_id(&self) -> &str {
        self.link["id"].as_str().expect("the link has an id")
    }

    fn merchant_call<'a>(&'a self, method: &'a str, route: &'a str, path: &'a str, body: Option<Value>) -> String {
        Http {
            method,
            route,
            path,
            query: "",
            headers: json!({}),
            body: body.map(|b| b.to_string()),
            merchant: Some(&self.merchant),
        }
        .event()
    }

    /// The event `function` meets first, made just before it runs (the webhook's needs the session
    /// redeem-link opened; link-cleanup's the item as it is then).
    pub async fn event_for(&self, function: &str) -> String {
        let id = self.link_id();
        match function {
            "create-link" => {
                self.merchant_call("POST", "/links", "/links", Some(server::order_link(&server::unique("SO"))))
            }
            "send-email" => self.merchant_call(
                "POST",
                "/links/{id}/email",
                &format!("/links/{id}/email"),
                Some(json!({"recipients": [{"email": "ada@example.com", "name": "Ada Lovelace"}]})),
            ),
            "send-sms" => self.merchant_call(
                "POST",
                "/links/{id}/sms",
                &format!("/links/{id}/sms"),
                Some(json!({"recipients": [{"phone": "+14155550123"}]})),
            ),
            "manage-links" => self.merchant_call("GET", "/links/{id}", &format!("/links/{id}"), None),
            "link-qr" => self.merchant_call("GET", "/links/{id}/qr.png", &format!("/links/{id}/qr.png"), None),
            "redeem-link" => {
                let url = self.link["url"].as_str().expect("the link has a url");
                let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
                Http {
                    method: "GET",
                    route: "/pay",
                    path: "/pay",
                    query,
                    headers: json!({}),
                    body: None,
                    merchant: None,
                }
                .event()
            }
            "stripe-webhook" => self.completed_checkout(),
            "link-cleanup" => self.link_removed().await,
            // Their schedule's wake-up: the due indexes read, nothing due on a fresh table.
            "send-reminders" | "send-webhooks" => events::scheduled(),
            // SES says the email send-email sent was delivered.
            "delivery-events" => events::email_delivered(&self.email_message_id().await),
            "sdk-floor" => json!({"link": id}).to_string(),
            _ => json!({"hello": "world"}).to_string(),
        }
    }

    /// The message id of the email send-email sent (the delivery item says it).
    async fn email_message_id(&self) -> String {
        let detail = self.server.call(&self.merchant, "GET", &format!("/links/{}", self.link_id()), None).await.json();
        let deliveries = detail["deliveries"].as_array().cloned().unwrap_or_default();
        let email = deliveries.iter().find(|d| d["channel"] == "email");
        email.and_then(|d| d["message_id"].as_str()).unwrap_or("not-sent").to_string()
    }

    fn completed_checkout(&self) -> String {
        let sessions = self.stripe.sessions_of_link(self.link_id());
        let session = sessions.last().and_then(|s| s["id"].as_str()).unwrap_or("cs_test_none").to_string();
        let object = stripe_events::session_object(&session, self.link_id(), &self.merchant, "paid", 2500);
        let body = stripe_events::event("checkout.session.completed", object);
        let signature = stripe_events::signature(stripe_events::WEBHOOK_SECRET, stripe_events::now(), &body);
        Http {
            method: "POST",
            route: "$default",
            path: "/stripe/webhook",
            query: "",
            headers: json!({"stripe-signature": signature, "user-agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"}),
            body: Some(body),
            merchant: None,
        }
        .event()
    }

    async fn link_removed(&self) -> String {
        let key = |pk: String| {
            [("pk".to_string(), AttributeValue::S(pk)), ("sk".to_string(), AttributeValue::S("LINK".into()))]
                .into_iter()
                .collect::<std::collections::HashMap<_, _>>()
        };
        let pk = format!("LINK#{}", self.link_id());
        let item = moto::inspector()
            .await
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk.clone())))
            .send()
            .await
            .ok()
            .and_then(|out| out.item)
            .unwrap_or_default();
        let keys = serde_json::to_value(serde_dynamo::Item::from(key(pk))).expect("keys as JSON");
        let image = serde_json::to_value(serde_dynamo::Item::from(item)).expect("the item as JSON");
        events::link_removed(&self.table, keys, image)
    }
}
