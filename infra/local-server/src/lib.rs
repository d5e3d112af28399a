//! The local server: one process serving every route of every function, through the very
//! handlers the Lambdas run. It stands in for API Gateway (routing, the JWT authorizer) and, by
//! default, for Stripe (simulated checkout), DynamoDB (embedded store).

mod auth;
mod clock;
mod convert;
mod options;
mod provider_events;
mod simulated;
mod webhook_queue;

use std::net::SocketAddr;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use paylinks::config::ConfigError;
use paylinks::domain::{BrandColor, HostName, MerchantId, Settings};
use paylinks::ports::{Checkout, Clock, Mailer, SmsSender, Store};
use paylinks::tokens::LinkTokens;
use paylinks_embedded::outbox::Outbox;
use paylinks_embedded::simulated_checkout::SimulatedCheckout;
use paylinks_http::routes::{self, Access};
use paylinks_http::webhook_signature::WebhookSecrets;
use paylinks_http::{self as api, ApiError};
use paylinks_ses::SesMailer;
use paylinks_sns::SnsSms;
use tokio::net::TcpListener;

pub use auth::MerchantAuth;
pub use options::{Messaging, Options, Payments, StoreChoice};

pub struct App {
    create: create_link::Deps,
    send_email: send_email::Deps,
    send_sms: send_sms::Deps,
    redeem: redeem_link::Deps,
    webhook: stripe_webhook::Deps,
    manage: manage_links::Deps,
    qr: link_qr::Deps,
    reminders: send_reminders::Deps,
    /// Posts merchants' events (here also to http://127.0.0.1).
    webhooks: paylinks_webhooks::WebhookPoster,
    /// Their deliveries waiting for an attempt, as SQS holds them in the cloud.
    webhook_queue: webhook_queue::InProcessQueue,
    simulated: Option<Arc<SimulatedCheckout>>,
    auth: MerchantAuth,
    webhook_secret: secrecy::SecretString,
    /// Every function's clock: `/local/clock` moves it.
    clock: Arc<clock::MovableClock>,
}

/// A running server; dropping it stops accepting connections.
pub struct Running {
    pub base_url: String,
    pub addr: SocketAddr,
    pub dev_merchant: String,
    pub dev_token: String,
    pub store: Arc<dyn Store>,
    pub merchant_auth: MerchantAuth,
    accept_loop: tokio::task::JoinHandle<()>,
    schedules: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.accept_loop.abort();
        self.schedules.abort();
    }
}

pub const DEV_MERCHANT: &str = "dev_merchant";

pub async fn start(options: Options) -> Result<Running, ConfigError> {
    let listener = TcpListener::bind(("127.0.0.1", options.port))
        .await
        .map_err(|e| ConfigError { name: "PORT", problem: format!("cannot be bound: {e}") })?;
    let addr = listener.local_addr().map_err(|e| ConfigError { name: "PORT", problem: e.to_string() })?;
    let base_url = options.public_base_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    let mut link_config = options.link_config.clone();
    link_config.public_base_url = base_url.trim_end_matches('/').to_string();

    let store = options.store.build().await?;
    seed_dev_merchant(store.as_ref()).await?;
    let app = Arc::new(app(&options, store.clone(), link_config)?);
    let schedules = tokio::spawn(run_schedules_every_minute(app.clone()));
    let accept_loop = tokio::spawn(accept(listener, app));
    Ok(Running {
        dev_token: options.merchant_auth.token_for(DEV_MERCHANT),
        dev_merchant: DEV_MERCHANT.to_string(),
        base_url: base_url.trim_end_matches('/').to_string(),
        addr,
        store,
        merchant_auth: options.merchant_auth,
        accept_loop,
        schedules,
    })
}

/// The Checkout every function uses, and the simulated one's handle when it is simulated.
type Checkouts = (Arc<dyn Checkout>, Option<Arc<SimulatedCheckout>>);

/// Checkout as configured: simulated (with the handle its page needs) or Stripe's API.
fn checkout(payments: &Payments, base_url: &str) -> Result<Checkouts, ConfigError> {
    Ok(match payments {
        Payments::Simulated => {
            let simulated = Arc::new(SimulatedCheckout::new(base_url));
            (simulated.clone(), Some(simulated))
        }
        Payments::Stripe { secret_key, api_base } => {
            let stripe = paylinks_stripe::StripeCheckout::new(secret_key, api_base)
                .map_err(|_| ConfigError { name: "STRIPE_API_BASE", problem: "is not a usable URL".into() })?;
            (Arc::new(stripe), None)
        }
    })
}

/// Every function's handler over the same adapters, as one process serves them all.
fn app(options: &Options, store: Arc<dyn Store>, config: paylinks::config::LinkConfig) -> Result<App, ConfigError> {
    let (checkout, simulated) = checkout(&options.payments, &config.public_base_url)?;
    let tokens = Arc::new(
        LinkTokens::new(&options.token_signing_secret)
            .map_err(|e| ConfigError { name: "TOKEN_SIGNING_SECRET", problem: e.to_string() })?,
    );
    let secrets = WebhookSecrets::parse(&options.webhook_secret)
        .ok_or_else(|| ConfigError { name: "STRIPE_WEBHOOK_SECRET", problem: "holds no secret".into() })?;
    let webhook_secret = secrets.primary().clone();
    let movable = Arc::new(clock::MovableClock::new(options.clock.clone()));
    let clock: Arc<dyn Clock> = movable.clone();
    let (mailer, sms) = messaging(&options.messaging)?;
    let (tokens, config, clock, store) = (&tokens, &config, &clock, &store);
    Ok(App {
        create: create_link::Deps {
            store: store.clone(),
            checkout: checkout.clone(),
            tokens: tokens.clone(),
            config: config.clone(),
            clock: clock.clone(),
        },
        webhooks: paylinks_webhooks::WebhookPoster::new(paylinks::domain::Destination::AlsoLocalhost),
        webhook_queue: webhook_queue::InProcessQueue::default(),
        reminders: send_reminders::Deps {
            store: store.clone(),
            mailer: mailer.clone(),
            sms: sms.clone(),
            tokens: tokens.clone(),
            config: config.clone(),
            clock: clock.clone(),
        },
        send_email: send_email::Deps {
            store: store.clone(),
            mailer,
            tokens: tokens.clone(),
            config: config.clone(),
            clock: clock.clone(),
        },
        send_sms: send_sms::Deps {
            store: store.clone(),
            sms,
            tokens: tokens.clone(),
            config: config.clone(),
            clock: clock.clone(),
        },
        redeem: redeem_link::Deps {
            store: store.clone(),
            checkout: checkout.clone(),
            tokens: tokens.clone(),
            config: config.clone(),
            clock: clock.clone(),
        },
        webhook: stripe_webhook::Deps { store: store.clone(), secrets, config: config.clone(), clock: clock.clone() },
        manage: manage_links::Deps {
            store: store.clone(),
            checkout,
            tokens: tokens.clone(),
            config: config.clone(),
            clock: clock.clone(),
            resolver: Arc::new(paylinks_http::resolver::SystemResolver),
            // A merchant developing against the local server may point its events at itself.
            destinations: paylinks::domain::Destination::AlsoLocalhost,
        },
        qr: link_qr::Deps { store: store.clone(), config: config.clone(), clock: clock.clone() },
        simulated,
        auth: options.merchant_auth.clone(),
        webhook_secret,
        clock: movable,
    })
}

/// The mailer and the SMS sender a configuration asks for.
type Messengers = (Arc<dyn Mailer>, Arc<dyn SmsSender>);

fn messaging(choice: &Messaging) -> Result<Messengers, ConfigError> {
    let outbox = |dir: &std::path::Path| {
        Outbox::new(dir)
            .map(Arc::new)
            .map_err(|e| ConfigError { name: "OUTBOX_DIR", problem: format!("cannot be written: {e}") })
    };
    Ok(match choice {
        Messaging::Outbox { dir } => {
            let outbox = outbox(dir)?;
            (outbox.clone(), outbox)
        }
        Messaging::Aws { sdk, email_from, configuration_set, ses, sns } => {
            let fallback = outbox(std::path::Path::new("outbox"))?;
            let mailer: Arc<dyn Mailer> = if *ses {
                Arc::new(
                    SesMailer::new(paylinks_ses::client(sdk), email_from.clone())
                        .with_configuration_set(configuration_set.clone()),
                )
            } else {
                fallback.clone()
            };
            let sms: Arc<dyn SmsSender> =
                if *sns { Arc::new(SnsSms::new(paylinks_sns::client(sdk))) } else { fallback };
            (mailer, sms)
        }
    })
}

/// The dev merchant can take (simulated) payments from the first request, as the SPEC promises.
async fn seed_dev_merchant(store: &dyn Store) -> Result<(), ConfigError> {
    let merchant = MerchantId::parse(DEV_MERCHANT).expect("a valid id");
    let unavailable =
        |e: paylinks::ports::StoreError| ConfigError { name: "STORE", problem: format!("is unavailable: {e}") };
    let stored = paylinks::usecases::settings::read_settings(store, &merchant).await.map_err(unavailable)?;
    if stored.is_new() {
        let settings = Settings {
            display_name: "Dev Shop".into(),
            brand_color: BrandColor::default(),
            payments_enabled: true,
            allowed_redirect_hosts: ["localhost", "127.0.0.1"].iter().filter_map(|h| HostName::parse(h).ok()).collect(),
            ..Settings::default()
        };
        let write = paylinks::ports::Write::Settings(merchant, paylinks::domain::Versioned::new(settings));
        match store.commit(vec![write]).await {
            // Another instance on the same table seeded it first.
            Ok(()) | Err(paylinks::ports::StoreError::Conflict) => {}
            Err(err) => return Err(unavailable(err)),
        }
    }
    Ok(())
}

async fn accept(listener: TcpListener, app: Arc<App>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let app = app.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let app = app.clone();
                async move { Ok::<_, std::convert::Infallible>(convert::to_hyper(app.serve(request).await)) }
            });
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

/// The schedules the cloud runs on EventBridge, on a timer here.
async fn run_schedules_every_minute(app: Arc<App>) {
    let mut every = tokio::time::interval(clock::SCHEDULE_EVERY);
    every.tick().await;
    loop {
        every.tick().await;
        if let Err(err) = app.run_schedules().await {
            tracing::warn!(error = %err, "a scheduled run failed; the next one carries on");
        }
    }
}

impl App {
    /// Runs every schedule that is due at the clock's now: the reminders and expiries, then the
    /// merchants' events (so a reminder's failure is told at once): queued as the cloud's relay queues them,
    /// then each message the clock has reached sent, as SQS would hand them out.
    async fn run_schedules(&self) -> Result<clock::Ran, paylinks::ports::StoreError> {
        use paylinks::usecases::event_relay::{RelayError, queue_due};
        let reminders = self.reminders.run().await?;
        let expiries = self.reminders.tell_expired().await?;
        let store = self.reminders.store.as_ref();
        let clock: &dyn paylinks::ports::Clock = self.clock.as_ref();
        let queued = match queue_due(store, &self.webhook_queue, clock, &|| false).await {
            Ok(report) => report,
            Err(RelayError::Store(err)) => return Err(err),
            Err(RelayError::Queue(err)) => return Err(paylinks::ports::StoreError::unavailable(err)),
        };
        let webhooks = self.webhook_queue.send_visible(store, &self.webhooks, clock).await?;
        Ok(clock::Ran { reminders, expiries, queued, webhooks })
    }

    async fn serve(&self, request: hyper::Request<hyper::body::Incoming>) -> Response<Body> {
        match convert::from_hyper(request).await {
            Ok(request) => self.dispatch(request).await,
            Err(response) => response,
        }
    }

    /// The webhook route, exactly as Stripe reaches it.
    async fn deliver_webhook(&self, request: Request) -> Response<Body> {
        stripe_webhook::handle(&self.webhook, request).await.unwrap_or_else(|never| match never {})
    }

    /// API Gateway's part: pick the function by the route table, and for the merchant routes
    /// check the bearer token and hand its claims on as the JWT authorizer would. A path the
    /// table knows under another method goes to its function, which answers 405.
    pub async fn dispatch(&self, request: Request) -> Response<Body> {
        let segments = api::path_segments(&request);
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        if segments.is_empty() {
            return api::json(
                StatusCode::OK,
                &serde_json::json!({"service": "payment links (local server)", "docs": "see openapi.yaml"}),
            );
        }
        let route = routes::find(request.method().as_str(), &segments);
        let function = route.map(|r| r.function).or_else(|| routes::function_for_path(&segments));
        let request = match route.map(|r| r.access) {
            Some(Access::Merchant) | None => self.auth.authorize(request),
            Some(_) => request,
        };
        let infallible = |r: Result<Response<Body>, std::convert::Infallible>| r.unwrap_or_else(|never| match never {});
        match function {
            Some("create-link") => infallible(create_link::handle(&self.create, request).await),
            Some("send-email") => infallible(send_email::handle(&self.send_email, request).await),
            Some("send-sms") => infallible(send_sms::handle(&self.send_sms, request).await),
            Some("redeem-link") => infallible(redeem_link::handle(&self.redeem, request).await),
            Some("stripe-webhook") => self.deliver_webhook(request).await,
            Some("manage-links") => infallible(manage_links::handle(&self.manage, request).await),
            Some("link-qr") => infallible(link_qr::handle(&self.qr, request).await),
            Some("local-server") if segments.first() == Some(&"local") => clock::handle(self, request).await,
            Some("local-server") if segments.first() == Some(&"ses") => provider_events::handle(self, request).await,
            Some("local-server") if segments.first() == Some(&"sms") => {
                provider_events::handle_sms(self, request).await
            }
            Some("local-server") => simulated::handle(self, request).await,
            _ => ApiError::not_found("route").into_response(),
        }
    }
}
