//! Events as Stripe sends them: an event object (Stripe's published fixture) wrapping a session,
//! signed as Stripe signs: HMAC-SHA256, keyed with the whole `whsec_…` string, over `"{t}.{body}"`.
//! Written here independently of the code under test.

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

pub const WEBHOOK_SECRET: &str = "whsec_test_secret_for_the_suite_0123456789";

pub fn event(kind: &str, object: Value) -> String {
    let mut event: Value =
        serde_json::from_str(include_str!("../fixtures/stripe/event.json")).expect("fixture is JSON");
    event["id"] = json!(format!("evt_{}", paylinks::domain::random_base62(24)));
    event["type"] = json!(kind);
    event["data"] = json!({"object": object});
    event.to_string()
}

pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!("t={timestamp},v1={}", hex::encode(mac.finalize().into_bytes()))
}

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs() as i64
}

/// A Checkout Session object for a link, shaped like Stripe's fixture.
pub fn session_object(session_id: &str, link_id: &str, merchant: &str, payment_status: &str, amount: i64) -> Value {
    let mut session: Value =
        serde_json::from_str(include_str!("../fixtures/stripe/checkout.session.json")).expect("fixture is JSON");
    session["id"] = json!(session_id);
    session["payment_status"] = json!(payment_status);
    session["status"] = json!("complete");
    session["amount_total"] = json!(amount);
    session["currency"] = json!("usd");
    session["client_reference_id"] = json!(link_id);
    session["metadata"] = json!({"link_id": link_id, "merchant_id": merchant});
    session["customer_details"] = json!({"email": "payer@example.com", "name": "Pat Payer"});
    session
}

/// A Charge object (Stripe's fixture) of a PaymentIntent, `refunded` of `amount` given back.
pub fn charge(payment_intent: &str, amount: i64, refunded: i64) -> Value {
    let mut charge: Value =
        serde_json::from_str(include_str!("../fixtures/stripe/charge.json")).expect("fixture is JSON");
    charge["payment_intent"] = json!(payment_intent);
    charge["amount"] = json!(amount);
    charge["amount_refunded"] = json!(refunded);
    charge["refunded"] = json!(refunded >= amount);
    charge
}

/// The Checkout Session id at the end of a Checkout URL (a redirect's `Location`).
pub fn session_of(location: &str) -> String {
    location.rsplit('/').next().unwrap_or_default().to_string()
}
