//! The Stripe fake refuses what Stripe refuses: parameters Stripe's typed parameters do not have,
//! values of the wrong type or outside an enum, and the limits Stripe documents — so a session form
//! that passes it is one Stripe would take. (Every other test's sessions pass through it.)

use paylinks_tests::fake_stripe::{FakeStripe, SECRET_KEY};
use paylinks_tests::stripe_events::now;
use serde_json::Value;

type Form = Vec<(String, String)>;

/// A session form as this service sends one, with `change` applied.
fn form(change: impl FnOnce(&mut Vec<(String, String)>)) -> Vec<(String, String)> {
    let expires = (now() + 3600).to_string();
    let mut form: Vec<(String, String)> = [
        ("mode", "payment"),
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "2500"),
        ("line_items[0][price_data][product_data][name]", "Widget"),
        ("line_items[0][quantity]", "1"),
        ("success_url", "https://pay.example.com/pay/complete"),
        ("cancel_url", "https://pay.example.com/pay/cancel"),
        ("expires_at", expires.as_str()),
        ("client_reference_id", "pl_1"),
        ("metadata[link_id]", "pl_1"),
        ("metadata[amount]", "2500"),
        ("locale", "auto"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    change(&mut form);
    form
}

fn set(form: &mut Vec<(String, String)>, key: &str, value: &str) {
    form.retain(|(k, _)| k != key);
    form.push((key.to_string(), value.to_string()));
}

async fn create(stripe: &FakeStripe, form: &[(String, String)]) -> (u16, Value) {
    let reply = reqwest::Client::new()
        .post(format!("{}/v1/checkout/sessions", stripe.base_url))
        .bearer_auth(SECRET_KEY)
        .form(form)
        .send()
        .await
        .expect("the fake answers");
    (reply.status().as_u16(), reply.json().await.expect("JSON"))
}

#[tokio::test]
async fn the_fake_takes_the_form_this_service_sends_and_refuses_a_misspelt_parameter() {
    let stripe = FakeStripe::start().await;
    assert_eq!(create(&stripe, &form(|_| {})).await.0, 200);
    let (status, body) = create(&stripe, &form(|f| set(f, "allow_promo_codes", "true"))).await;
    assert_eq!((status, &body["error"]["code"]), (400, &Value::from("parameter_unknown")), "{body}");
    assert_eq!(body["error"]["param"], "allow_promo_codes");
    let (_, body) = create(&stripe, &form(|f| set(f, "line_items[0][price_data][product_data][nam]", "x"))).await;
    assert_eq!(body["error"]["code"], "parameter_unknown", "nested parameters are checked too");
}

#[tokio::test]
async fn the_fake_refuses_wrong_types_enums_and_missing_parts_of_an_object() {
    let stripe = FakeStripe::start().await;
    let refused = |change: fn(&mut Vec<(String, String)>)| {
        let stripe = stripe.clone();
        async move { create(&stripe, &form(change)).await.1["error"].clone() }
    };
    let integer = refused(|f| set(f, "line_items[0][price_data][unit_amount]", "25.00")).await;
    assert_eq!(integer["code"], "parameter_invalid_integer");
    let mode = refused(|f| set(f, "mode", "paymnet")).await;
    assert!(mode["message"].as_str().unwrap().starts_with("Invalid mode"), "{mode}");
    let empty = refused(|f| set(f, "success_url", "")).await;
    assert_eq!(empty["code"], "parameter_invalid_empty");
    let missing = refused(|f| f.retain(|(k, _)| k != "line_items[0][price_data][currency]")).await;
    assert_eq!(missing["code"], "parameter_missing", "{missing}");
}

#[tokio::test]
async fn the_fake_holds_stripes_documented_limits() {
    let stripe = FakeStripe::start().await;
    let refused = |change: Box<dyn FnOnce(&mut Form)>| {
        let stripe = stripe.clone();
        async move { create(&stripe, &form(change)).await }
    };
    let soon = (now() + 600).to_string();
    assert_eq!(refused(Box::new(move |f| set(f, "expires_at", &soon))).await.0, 400, "under 30 minutes");
    let late = (now() + 25 * 3600).to_string();
    assert_eq!(refused(Box::new(move |f| set(f, "expires_at", &late))).await.0, 400, "over 24 hours");
    let subscription = refused(Box::new(|f| {
        set(f, "mode", "subscription");
        set(f, "payment_intent_data[description]", "Invoice 1");
    }))
    .await;
    assert!(subscription.1["error"]["message"].as_str().unwrap().contains("payment_intent_data"));
    let long_key = "k".repeat(41);
    assert_eq!(refused(Box::new(move |f| set(f, &format!("metadata[{long_key}]"), "v"))).await.0, 400);
    assert_eq!(refused(Box::new(|f| set(f, "metadata[note]", &"v".repeat(501)))).await.0, 400);
    assert_eq!(refused(Box::new(|f| set(f, "custom_text[submit][message]", &"m".repeat(1201)))).await.0, 400);
    let kwd = refused(Box::new(|f| {
        set(f, "line_items[0][price_data][currency]", "kwd");
        set(f, "line_items[0][price_data][unit_amount]", "1234");
    }))
    .await;
    assert_eq!(kwd.0, 400, "three-decimal amounts end in 0: {}", kwd.1);
    let isk = refused(Box::new(|f| {
        set(f, "line_items[0][price_data][currency]", "isk");
        set(f, "line_items[0][price_data][unit_amount]", "550");
    }))
    .await;
    assert_eq!(isk.0, 400, "no fraction of ISK");
    let tiny = refused(Box::new(|f| set(f, "line_items[0][price_data][unit_amount]", "49"))).await;
    assert_eq!(tiny.1["error"]["code"], "amount_too_small", "below Stripe's least charge");
}
