//! `/simulated-checkout/{session}`: the page that stands in for Stripe Checkout. Its buttons post
//! an outcome; the server then sends Stripe's event, signed as Stripe signs it, through the real
//! webhook route, and sends the customer where Stripe would.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request};
use paylinks::domain::random_base62;
use paylinks::ports::Clock;
use paylinks_embedded::simulated_checkout::SimulatedSession;
use paylinks_http::pages::{self, Brand, Summary};
use paylinks_http::webhook_signature;
use paylinks_http::{self as api, ApiError};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::App;

pub async fn handle(app: &App, request: Request) -> lambda_http::Response<Body> {
    let segments = api::path_segments(&request);
    // Without simulated checkout (real Stripe configured) no session is simulated: the same page.
    let (Some(simulated), [_, id]) = (&app.simulated, segments.as_slice()) else {
        return api::html(StatusCode::NOT_FOUND, pages::not_found(&Brand::neutral()));
    };
    let Some(session) = simulated.session(id) else {
        return api::html(StatusCode::NOT_FOUND, pages::not_found(&Brand::neutral()));
    };
    if session.expired {
        return api::html(StatusCode::GONE, pages::expired(&Brand::neutral(), None));
    }
    let request_amount: i64 = session.request.lines.iter().map(|l| l.unit_amount.minor() * i64::from(l.quantity)).sum();
    let amount = paylinks::domain::Amount::parse(request_amount)
        .map(|a| session.request.currency.display(a))
        .unwrap_or_default();
    match *request.method() {
        Method::GET => {
            // Every line, as Checkout lists them, and the invoice Checkout would show.
            let items = session.request.lines.iter().map(|line| pages::SummaryItem {
                name: line.name.clone(),
                quantity: line.quantity,
                amount: paylinks::domain::Amount::parse(line.unit_amount.minor() * i64::from(line.quantity))
                    .map(|a| session.request.currency.display(a))
                    .unwrap_or_default(),
            });
            let summary = Summary {
                name: "Your order".into(),
                amount,
                items: items.collect(),
                invoice_title: session.request.invoice.clone(),
                invoice_url: None,
            };
            api::html(StatusCode::OK, pages::simulated_checkout(&Brand::neutral(), &summary))
        }
        Method::POST => {
            let form = String::from_utf8_lossy(api::body_bytes(&request)).to_string();
            let outcome =
                form_urlencoded::parse(form.as_bytes()).find(|(k, _)| k == "outcome").map(|(_, v)| v.into_owned());
            match outcome.as_deref() {
                Some(outcome @ ("paid" | "failed" | "expired")) => settle(app, &session, outcome, request_amount).await,
                _ => ApiError::validation(paylinks::domain::ValidationError::new(
                    "outcome",
                    "must be paid, failed or expired",
                ))
                .into_response(),
            }
        }
        _ => ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "Use GET or POST.").into_response(),
    }
}

async fn settle(app: &App, session: &SimulatedSession, outcome: &str, amount: i64) -> lambda_http::Response<Body> {
    let (kind, payment_status, status) = match outcome {
        "paid" => ("checkout.session.completed", "paid", "complete"),
        "failed" => ("checkout.session.async_payment_failed", "unpaid", "complete"),
        _ => ("checkout.session.expired", "unpaid", "expired"),
    };
    let now = app.clock.now().unix();
    let body = event_of(session, kind, payment_status, status, amount, now);
    let signature = webhook_signature::sign(app.webhook_secret.expose_secret(), now, body.as_bytes());
    let webhook = lambda_http::http::Request::builder()
        .method(Method::POST)
        .uri("/stripe/webhook")
        .header("stripe-signature", signature)
        .header("content-type", "application/json")
        .body(Body::Text(body))
        .expect("a well-formed request");
    let delivered = app.deliver_webhook(webhook).await;
    if !delivered.status().is_success() {
        return ApiError::new(
            StatusCode::BAD_GATEWAY,
            "webhook_failed",
            "The webhook did not accept the simulated event.",
        )
        .into_response();
    }
    if outcome == "expired"
        && let Some(simulated) = &app.simulated
    {
        simulated.mark_expired(session.session.id.as_str());
    }
    let request = &session.request;
    let next = match outcome {
        "paid" => request.success_url.replace("{CHECKOUT_SESSION_ID}", session.session.id.as_str()),
        _ => request.cancel_url.clone(),
    };
    api::redirect(&next)
}

/// The event Stripe would send for the session, as JSON text (Connect: from the account the
/// session was made on).
fn event_of(
    session: &SimulatedSession,
    kind: &str,
    payment_status: &str,
    status: &str,
    amount: i64,
    now: i64,
) -> String {
    let request = &session.request;
    // As the Stripe adapter tells Stripe.
    let metadata = paylinks::metadata::of_session(request);
    let object = json!({
        "id": session.session.id,
        "object": "checkout.session",
        "amount_subtotal": amount,
        "amount_total": amount,
        "currency": request.currency,
        "client_reference_id": request.link_id,
        "customer_details": {"email": request.customer_email, "name": Value::Null},
        "customer_email": request.customer_email,
        "expires_at": session.session.expires_at.unix(),
        "livemode": false,
        "metadata": metadata,
        "mode": if request.subscription { "subscription" } else { "payment" },
        "payment_status": payment_status,
        "status": status,
        "success_url": request.success_url,
        "cancel_url": request.cancel_url,
        "url": Value::Null,
    });
    let event = json!({
        "id": format!("evt_sim_{}", random_base62(24)),
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": now,
        "livemode": false,
        "pending_webhooks": 1,
        "request": {"id": Value::Null, "idempotency_key": Value::Null},
        "type": kind,
        "data": {"object": object},
    });
    let mut event = event;
    if let Some(account) = &request.account {
        event["account"] = json!(account.as_str());
    }
    event.to_string()
}
