//! Handlers called directly, as the Lambda runtime would call them, with no runtime and no server:
//! requests built the way lambda_http builds them from API Gateway and function URL events.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt};
use paylinks::config::LinkConfig;
use paylinks::domain::{HostName, MerchantId, Settings};
use paylinks::ports::SystemClock;
use paylinks::tokens::LinkTokens;
use paylinks_embedded::EmbeddedStore;
use paylinks_embedded::simulated_checkout::SimulatedCheckout;
use paylinks_http::webhook_signature::WebhookSecrets;
use paylinks_http::with_merchant_claims;
use paylinks_tests::server::order_link;
use paylinks_tests::stripe_events::{WEBHOOK_SECRET, event, now, session_object, signature};
use secrecy::SecretString;
use serde_json::{Value, json};

struct World {
    store: Arc<EmbeddedStore>,
    tokens: Arc<LinkTokens>,
    config: LinkConfig,
}

async fn world(config: LinkConfig) -> World {
    let store = Arc::new(EmbeddedStore::new());
    let settings = Settings {
        payments_enabled: true,
        allowed_redirect_hosts: vec![HostName::parse("shop.example.com").unwrap()],
        ..Settings::default()
    };
    paylinks::usecases::settings::save_settings(store.as_ref(), &MerchantId::parse("m1").unwrap(), &settings)
        .await
        .unwrap();
    let tokens = Arc::new(LinkTokens::new(&SecretString::from("x".repeat(32))).unwrap());
    World { store, tokens, config }
}

impl World {
    fn create_deps(&self) -> create_link::Deps {
        create_link::Deps {
            store: self.store.clone(),
            checkout: Arc::new(SimulatedCheckout::new(&self.config.public_base_url)),
            tokens: self.tokens.clone(),
            config: self.config.clone(),
            clock: Arc::new(SystemClock),
        }
    }

    fn redeem_deps(&self) -> redeem_link::Deps {
        redeem_link::Deps {
            store: self.store.clone(),
            checkout: Arc::new(SimulatedCheckout::new(&self.config.public_base_url)),
            tokens: self.tokens.clone(),
            config: self.config.clone(),
            clock: Arc::new(SystemClock),
        }
    }

    fn webhook_deps(&self) -> stripe_webhook::Deps {
        stripe_webhook::Deps {
            store: self.store.clone(),
            secrets: WebhookSecrets::parse(&SecretString::from(format!("whsec_old_one,{WEBHOOK_SECRET}"))).unwrap(),
            config: self.config.clone(),
            clock: Arc::new(SystemClock),
        }
    }

    async fn create(&self, claims: &[(&str, &str)]) -> lambda_http::Response<Body> {
        let request: Request = lambda_http::http::Request::builder()
            .method("POST")
            .uri("/links")
            .body(Body::Text(order_link("SO-h1").to_string()))
            .unwrap();
        let claims: HashMap<String, String> = claims.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        create_link::handle(&self.create_deps(), with_merchant_claims(request, claims)).await.unwrap()
    }
}

fn json_of(response: &lambda_http::Response<Body>) -> Value {
    match response.body() {
        Body::Text(text) => serde_json::from_str(text).unwrap(),
        other => panic!("not text: {other:?}"),
    }
}

#[tokio::test]
async fn create_link_answers_directly_and_takes_the_merchant_from_the_merchant_id_claim_or_sub() {
    let world = world(LinkConfig::with_base_url("https://pay.example.com")).await;
    let by_claim = world.create(&[("merchant_id", "m1"), ("sub", "user-7")]).await;
    assert_eq!(by_claim.status(), StatusCode::CREATED);
    let link = json_of(&by_claim);
    assert!(link["url"].as_str().unwrap().starts_with("https://pay.example.com/pay?payment_link_token="));
    assert!(link["short_url"].as_str().unwrap().starts_with("https://pay.example.com/p/"));
    let by_sub = world.create(&[("sub", "m1")]).await;
    assert_eq!(json_of(&by_sub)["id"], link["id"], "same merchant, same order: reused");
    let without = world.create(&[]).await;
    assert_eq!(without.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn query_parameter_names_are_configurable() {
    let mut config = LinkConfig::with_base_url("https://pay.example.com");
    config.token_query_param = "t".into();
    config.error_query_param = "why".into();
    let world = world(config).await;
    let link = json_of(&world.create(&[("sub", "m1")]).await);
    let url = link["url"].as_str().unwrap();
    let token = url.split_once("/pay?t=").expect("the configured name").1;
    let request: Request = lambda_http::http::Request::builder().uri("/pay").body(Body::Empty).unwrap();
    let request = request.with_query_string_parameters(HashMap::from([("t".to_string(), token.to_string())]));
    let opened = redeem_link::handle(&world.redeem_deps(), request).await.unwrap();
    assert_eq!(opened.status(), StatusCode::SEE_OTHER);
    let location = opened.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("https://pay.example.com/simulated-checkout/cs_sim_"), "{location}");
}

#[tokio::test]
async fn a_function_url_event_with_a_base64_body_is_verified_on_the_decoded_bytes() {
    let world = world(LinkConfig::with_base_url("https://pay.example.com")).await;
    let link = json_of(&world.create(&[("sub", "m1")]).await);
    let body = event(
        "checkout.session.completed",
        session_object("cs_test_b64", link["id"].as_str().unwrap(), "m1", "paid", 2500),
    );
    let header = signature(WEBHOOK_SECRET, now(), &body);
    let function_url_event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/",
        "rawQueryString": "",
        "headers": {"stripe-signature": header, "content-type": "application/json"},
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "abc123",
            "domainName": "abc123.lambda-url.us-east-1.on.aws",
            "domainPrefix": "abc123",
            "http": {"method": "POST", "path": "/", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9", "userAgent": "Stripe/1.0"},
            "requestId": "r1",
            "routeKey": "$default",
            "stage": "$default",
            "time": "24/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1795514400000i64
        },
        "body": base64::engine::general_purpose::STANDARD.encode(&body),
        "isBase64Encoded": true
    });
    let request = lambda_http::request::from_str(&function_url_event.to_string()).unwrap();
    let response = stripe_webhook::handle(&world.webhook_deps(), request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{:?}", response.body());
    assert_eq!(json_of(&response)["result"], "recorded", "signed with the second of two rotating secrets");
}
