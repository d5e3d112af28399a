//! The local server in-process, on the embedded adapters or the real ones (moto + fake Stripe),
//! and a client that talks to it as a dashboard and a browser would.

use local_server::{Messaging, Options, Payments, Running, StoreChoice, start};
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::Value;

use crate::aws_proxy::AwsProxy;
use crate::fake_stripe::{self, FakeStripe};
use crate::stripe_events;

pub struct TestServer {
    pub running: Running,
    /// On the real adapters: the proxies in front of moto's DynamoDB and its SES and SNS.
    pub aws: Option<AwsProxies>,
    /// The moto table of a server on the real adapters.
    pub table: Option<String>,
    pub outbox: Option<std::path::PathBuf>,
    pub stripe: Option<FakeStripe>,
    pub http: reqwest::Client,
}

/// The link-token secret of test servers, so tests can mint tokens a customer might hold.
pub const TOKEN_SECRET: &str = "test-token-signing-secret-0123456789abcdef";

fn test_options() -> Options {
    let mut options = Options::embedded();
    // Each server its own outbox, so tests can read exactly what they sent.
    let dir = std::env::temp_dir().join(format!("paylinks-outbox-{}", paylinks::domain::random_base62(10)));
    options.messaging = Messaging::Outbox { dir };
    options.webhook_secret = SecretString::from(stripe_events::WEBHOOK_SECRET.to_string());
    options.token_signing_secret = SecretString::from(TOKEN_SECRET.to_string());
    options
}

pub async fn embedded() -> TestServer {
    launch(test_options(), None).await
}

/// The embedded store paying through the fake Stripe, with `tune` applied to its options.
pub async fn embedded_on_fake_stripe_tuned(tune: impl FnOnce(&mut Options)) -> TestServer {
    let stripe = FakeStripe::start().await;
    let mut options = test_options();
    options.payments = Payments::Stripe {
        secret_key: SecretString::from(fake_stripe::SECRET_KEY.to_string()),
        api_base: stripe.base_url.clone(),
    };
    tune(&mut options);
    launch(options, Some(stripe)).await
}

/// The embedded server, a merchant allowed `per_minute` requests a minute.
pub async fn embedded_with_merchant_limit(per_minute: u32) -> TestServer {
    let mut options = test_options();
    options.link_config.merchant_requests_per_minute = per_minute;
    launch(options, None).await
}

/// What the server's AWS clients talk to: every call recorded, any fault injectable.
pub struct AwsProxies {
    pub dynamodb: AwsProxy,
    pub messaging: AwsProxy,
}

/// DynamoDB on moto (a table of its own) and Stripe at the fake.
pub async fn on_real_adapters() -> TestServer {
    on_real_adapters_sending_as(crate::moto::EMAIL_FROM).await
}

/// As `on_real_adapters`, with mail sent from `email_from` (verified in moto's SES or not).
pub async fn on_real_adapters_sending_as(email_from: &str) -> TestServer {
    let table = crate::moto::fresh_table(&crate::moto::inspector().await).await;
    let stripe = FakeStripe::start().await;
    let mut server = over_table(table, &stripe.base_url, email_from).await;
    server.stripe = Some(stripe);
    server
}

/// A server on the real adapters over an existing moto `table`, paying through the fake Stripe
/// at `stripe_base`: several such servers can share one table and one Stripe.
pub async fn over_table(table: String, stripe_base: &str, email_from: &str) -> TestServer {
    over_table_tuned(table, stripe_base, email_from, |_| {}).await
}

/// DynamoDB on moto and Stripe at the fake, with `tune` applied to the server's options.
pub async fn on_real_adapters_tuned(tune: impl FnOnce(&mut Options)) -> TestServer {
    let table = crate::moto::fresh_table(&crate::moto::inspector().await).await;
    let stripe = FakeStripe::start().await;
    let mut server = over_table_tuned(table, &stripe.base_url, crate::moto::EMAIL_FROM, tune).await;
    server.stripe = Some(stripe);
    server
}

async fn over_table_tuned(
    table: String,
    stripe_base: &str,
    email_from: &str,
    tune: impl FnOnce(&mut Options),
) -> TestServer {
    let proxies = AwsProxies {
        dynamodb: AwsProxy::start(crate::moto::endpoint()).await,
        messaging: AwsProxy::start(crate::moto::messaging_endpoint()).await,
    };
    let sdk = crate::moto::config_for(proxies.dynamodb.url.clone()).await;
    let messaging = crate::moto::config_for(proxies.messaging.url.clone()).await;
    crate::moto::verify_sender(&messaging).await;
    let client = paylinks_dynamodb::client(&sdk);
    let mut options = test_options();
    options.store = StoreChoice::Dynamo { client, table, create: false };
    options.messaging = Messaging::Aws {
        sdk: Box::new(messaging),
        email_from: email_from.into(),
        // moto takes the name without the set (AWS would refuse an unknown one); IAM sees it.
        configuration_set: Some(crate::template::CONFIGURATION_SET.to_string()),
        ses: true,
        sns: true,
    };
    options.payments = Payments::Stripe {
        secret_key: SecretString::from(fake_stripe::SECRET_KEY.to_string()),
        api_base: stripe_base.to_string(),
    };
    tune(&mut options);
    let mut server = launch(options, None).await;
    server.aws = Some(proxies);
    server
}

async fn launch(options: Options, stripe: Option<FakeStripe>) -> TestServer {
    let outbox = match &options.messaging {
        Messaging::Outbox { dir } => Some(dir.join("messages.jsonl")),
        Messaging::Aws { .. } => None,
    };
    let table = match &options.store {
        StoreChoice::Dynamo { table, .. } => Some(table.clone()),
        StoreChoice::Embedded => None,
    };
    let running = start(options).await.expect("the local server starts");
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("a client");
    TestServer { running, aws: None, table, outbox, stripe, http }
}

pub struct Reply {
    pub status: StatusCode,
    pub location: Option<String>,
    pub text: String,
    /// `Set-Cookie`, when the answer gave one.
    pub set_cookie: Option<String>,
    /// `Retry-After`, when the answer said when to come back.
    pub retry_after: Option<String>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|_| panic!("not JSON ({}): {}", self.status, self.text))
    }

    pub fn error_code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap_or_default().to_string()
    }
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.base_url)
    }

    pub fn token(&self, merchant: &str) -> String {
        self.running.merchant_auth.token_for(merchant)
    }

    pub fn outbox_file(&self) -> &std::path::Path {
        self.outbox.as_deref().expect("started on the outbox")
    }

    pub fn aws(&self) -> &AwsProxies {
        self.aws.as_ref().expect("started on the real adapters")
    }

    pub fn stripe(&self) -> &FakeStripe {
        self.stripe.as_ref().expect("started on the fake Stripe")
    }

    /// Whether Checkout is the fake Stripe (else the local server's simulated Checkout).
    pub fn on_fake_stripe(&self) -> bool {
        self.stripe.is_some()
    }

    async fn reply(response: reqwest::Response) -> Reply {
        let status = response.status();
        let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let (location, set_cookie, retry_after) = (header("location"), header("set-cookie"), header("retry-after"));
        let text = response.text().await.unwrap_or_default();
        Reply { status, location, text, set_cookie, retry_after }
    }

    /// A merchant call: `method path` with a JSON body, as `merchant`.
    pub async fn call(&self, merchant: &str, method: &str, path: &str, body: Option<Value>) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let mut request = self.http.request(method, self.url(path)).bearer_auth(self.token(merchant));
        if let Some(body) = body {
            request = request.json(&body);
        }
        Self::reply(request.send().await.expect("the server answers")).await
    }

    pub async fn raw(&self, request: reqwest::RequestBuilder) -> Reply {
        Self::reply(request.send().await.expect("the server answers")).await
    }

    /// A customer's browser opening a URL (no redirects followed).
    pub async fn open(&self, url: &str) -> Reply {
        Self::reply(self.http.get(url).send().await.expect("the server answers")).await
    }

    pub async fn enable_payments(&self, merchant: &str, extra: Value) {
        let mut body = serde_json::json!({"display_name": "Test Shop", "payments_enabled": true, "allowed_redirect_hosts": ["shop.example.com"]});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let reply = self.call(merchant, "PUT", "/settings", Some(body)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    }

    /// Sends an event to the webhook signed as Stripe signs it.
    pub async fn deliver(&self, body: &str) -> Reply {
        let signature = stripe_events::signature(stripe_events::WEBHOOK_SECRET, stripe_events::now(), body);
        self.raw(
            self.http.post(self.url("/stripe/webhook")).header("stripe-signature", signature).body(body.to_string()),
        )
        .await
    }
}

/// An order link request for `order_id` of 2 x 12.50 USD.
pub fn order_link(order_id: &str) -> Value {
    serde_json::json!({
        "name": format!("Order {order_id}"),
        "order": {
            "id": order_id,
            "currency": "usd",
            "line_items": [{"name": "Widget", "unit_amount": 1250, "quantity": 2}]
        },
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+14155550123", "card_payments": true},
        "landing_page_url": "https://shop.example.com/payment-problem"
    })
}

/// A server on the real adapters and a new merchant who can take payments.
pub async fn with_paying_merchant() -> (TestServer, String) {
    let server = on_real_adapters().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, serde_json::json!({})).await;
    (server, merchant)
}

/// A new link of `merchant` for an order of its own.
pub async fn new_order_link(server: &TestServer, merchant: &str) -> Value {
    let created = server.call(merchant, "POST", "/links", Some(order_link(&unique("SO")))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    created.json()
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", paylinks::domain::random_base62(8))
}
