//! Bad input gets a clear error and writes nothing: every SPEC error code of the core routes,
//! broken tokens, and webhook signatures that must not verify.

use paylinks_tests::server::{TestServer, embedded, order_link, unique};
use paylinks_tests::stripe_events::{WEBHOOK_SECRET, event, now, session_object, signature};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn ready() -> (TestServer, String) {
    let server = embedded().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    (server, merchant)
}

/// `body` with the field at `pointer` set (added when absent).
fn with(mut body: Value, pointer: &str, value: Value) -> Value {
    let (parent, name) = pointer.rsplit_once('/').unwrap();
    body.pointer_mut(parent).unwrap_or_else(|| panic!("{pointer}"))[name] = value;
    body
}

#[tokio::test]
async fn malformed_order_links_are_refused_naming_the_field() {
    let (server, merchant) = ready().await;
    let base = order_link("SO-bad");
    let cases = [
        (with(base.clone(), "/order/line_items/0/unit_amount", json!(-5)), "order.line_items.0.unit_amount"),
        (with(base.clone(), "/order/line_items/0/unit_amount", json!(12.5)), "order.line_items.0.unit_amount"),
        (with(base.clone(), "/order/line_items/0/quantity", json!(0)), "order.line_items.0.quantity"),
        (with(base.clone(), "/order/line_items", json!([])), "order.line_items"),
        (with(base.clone(), "/order/currency", json!("xyz")), "order.currency"),
        (with(base.clone(), "/order/id", json!("")), "order.id"),
        (with(base.clone(), "/order/amount", json!(0)), "order.amount"),
        (with(base.clone(), "/order/payment_status", json!("lost")), "order.payment_status"),
        (with(base.clone(), "/customer/email", json!("not-an-email")), "customer.email"),
        (with(base.clone(), "/customer/phone", json!("555-0123")), "customer.phone"),
        (with(base.clone(), "/landing_page_url", json!("not a url")), "landing_page_url"),
        (with(base.clone(), "/name", json!(7)), "name"),
        (json!({"name": "nothing to pay"}), "order"),
        (json!([1, 2]), ""),
        (
            with(with(base.clone(), "/customer/card_payments", json!(true)), "/order/line_items/0/name", json!("")),
            "order.line_items.0.name",
        ),
    ];
    for (body, field) in cases {
        let reply = server.call(&merchant, "POST", "/links", Some(body.clone())).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", reply.text);
        assert_eq!(reply.error_code(), "validation_failed");
        assert_eq!(reply.json()["error"]["field"], field, "{}", reply.text);
    }
    let mut expiring = base.clone();
    expiring["expires_in_minutes"] = json!(0);
    assert_eq!(
        server.call(&merchant, "POST", "/links", Some(expiring)).await.json()["error"]["field"],
        "expires_in_minutes"
    );
}

#[tokio::test]
async fn a_value_of_the_wrong_type_says_what_it_must_be() {
    let (server, merchant) = ready().await;
    let base = order_link("SO-types");
    let cases = [
        (
            with(base.clone(), "/order/line_items/0/unit_amount", json!(12.5)),
            "order.line_items.0.unit_amount",
            "must be a whole number",
        ),
        (
            with(base.clone(), "/customer/card_payments", json!("yes")),
            "customer.card_payments",
            "must be true or false",
        ),
        (with(base.clone(), "/order/line_items", json!({"name": "A"})), "order.line_items", "must be a list"),
        // An object given as a list is refused, not read field by field in order.
        (with(base.clone(), "/customer", json!(["Ada", "ada@example.com"])), "customer", "must be a JSON object"),
        (with(base.clone(), "/order/line_items", json!([["A", 100]])), "order.line_items.0", "must be a JSON object"),
        (json!("just text"), "", "must be a JSON object"),
    ];
    for (body, field, message) in cases {
        let reply = server.call(&merchant, "POST", "/links", Some(body.clone())).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", reply.text);
        assert_eq!(reply.json()["error"]["field"], field, "{}", reply.text);
        let said = reply.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(said.ends_with(message) && !said.contains("line 1"), "{said}");
    }
    // Not JSON is a 400 even when a value before the break has the wrong type.
    for text in [format!("{base} {{}}"), r#"{"name": 7, "order": "#.to_string(), "[1, 2".to_string(), "1 2".to_string()]
    {
        let reply =
            server.raw(server.http.post(server.url("/links")).bearer_auth(server.token(&merchant)).body(text)).await;
        assert_eq!((reply.status, reply.error_code().as_str()), (StatusCode::BAD_REQUEST, "invalid_json"));
    }
}

#[tokio::test]
async fn expiry_absent_null_and_minutes_mean_default_never_and_minutes() {
    let (server, merchant) = ready().await;
    server.call(&merchant, "PUT", "/settings", Some(json!({"default_expires_in_minutes": 60}))).await;
    let expiry_of = |body: Value| {
        let server = &server;
        let merchant = &merchant;
        async move { server.call(merchant, "POST", "/links", Some(body)).await.json()["expires_at"].clone() }
    };
    let default = expiry_of(order_link("SO-x1")).await;
    assert!(default.is_string(), "the merchant's default applies: {default}");
    assert_eq!(expiry_of(with(order_link("SO-x2"), "/expires_in_minutes", Value::Null)).await, Value::Null);
    assert!(expiry_of(with(order_link("SO-x3"), "/expires_in_minutes", json!(5))).await.as_str() < default.as_str());
}

#[tokio::test]
async fn settings_that_cannot_be_empty_refuse_null_and_those_that_can_are_cleared_by_it() {
    let (server, merchant) = ready().await;
    for field in ["display_name", "brand_color", "payments_enabled", "allowed_redirect_hosts"] {
        let reply = server.call(&merchant, "PUT", "/settings", Some(json!({field: null}))).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {}", reply.text);
        assert_eq!(reply.json()["error"]["field"], field);
    }
    server.call(&merchant, "PUT", "/settings", Some(json!({"logo_url": "https://shop.example.com/logo.png"}))).await;
    let cleared = server.call(&merchant, "PUT", "/settings", Some(json!({"logo_url": null}))).await.json();
    assert_eq!(cleared["logo_url"], Value::Null);
    assert_eq!(cleared["payments_enabled"], true);
}

#[tokio::test]
async fn send_and_text_to_pay_bodies_name_the_field_at_fault() {
    let (server, merchant) = ready().await;
    let id = server.call(&merchant, "POST", "/links", Some(order_link("SO-send-bad"))).await.json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let cases = [
        (
            format!("/links/{id}/email"),
            json!({"recipients": [{"email": "ok@example.com"}, {"email": "nope"}]}),
            "recipients.1.email",
        ),
        (format!("/links/{id}/email"), json!({"recipients": []}), "recipients"),
        (format!("/links/{id}/sms"), json!({"recipients": [{"email": "ok@example.com"}]}), "recipients.0.phone"),
        (
            "/text-to-pay".to_string(),
            json!({"phone": "+14155550123", "amount": "12", "currency": "usd", "description": "A"}),
            "amount",
        ),
        (
            "/text-to-pay".to_string(),
            json!({"phone": "+14155550123", "amount": 1200, "currency": "usd"}),
            "description",
        ),
    ];
    for (path, body, field) in cases {
        let reply = server.call(&merchant, "POST", &path, Some(body.clone())).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{path} {body}: {}", reply.text);
        assert_eq!(reply.json()["error"]["field"], field, "{}", reply.text);
    }
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_bad_request() {
    let (server, merchant) = ready().await;
    let reply = server
        .raw(server.http.post(server.url("/links")).bearer_auth(server.token(&merchant)).body("{\"order\": "))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.error_code(), "invalid_json");
}

#[tokio::test]
async fn merchant_routes_need_a_valid_merchant_token() {
    let (server, _) = ready().await;
    for request in [
        server.http.post(server.url("/links")).json(&order_link("SO-anon")),
        server.http.get(server.url("/settings")),
        server.http.get(server.url("/settings")).bearer_auth("not.a.token"),
        server.http.get(server.url("/settings")).bearer_auth(
            // Signed with a key the server does not hold.
            jsonwebtoken::encode(
                &jsonwebtoken::Header::default(),
                &json!({"sub": "intruder"}),
                &jsonwebtoken::EncodingKey::from_secret(b"some-other-secret-that-is-long-enough"),
            )
            .unwrap(),
        ),
    ] {
        let reply = server.raw(request).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
        assert_eq!(reply.error_code(), "unauthorized");
    }
}

#[tokio::test]
async fn each_eligibility_rule_has_its_own_conflict() {
    let (server, merchant) = ready().await;
    let cases = [
        (with(order_link("SO-e1"), "/customer/card_payments", json!(false)), "customer_cannot_pay_by_card"),
        (
            json!({"order": {"id": "SO-e2", "currency": "usd", "payment_status": "paid", "line_items": [{"name": "A", "unit_amount": 100}]}}),
            "order_already_paid",
        ),
        (
            json!({"order": {"id": "SO-e3", "currency": "usd", "payment_status": "not_tracked", "line_items": [{"name": "A", "unit_amount": 100}]}}),
            "order_not_payable",
        ),
        (
            json!({"order": {"id": "SO-e4", "currency": "usd", "payment_status": "deleted", "line_items": [{"name": "A", "unit_amount": 100}]}}),
            "order_not_payable",
        ),
    ];
    for (body, code) in cases {
        let reply = server.call(&merchant, "POST", "/links", Some(body)).await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text);
        assert_eq!(reply.error_code(), code);
    }
    let stranger = unique("merchant-without-settings");
    let reply = server.call(&stranger, "POST", "/links", Some(order_link("SO-e5"))).await;
    assert_eq!((reply.status, reply.error_code().as_str()), (StatusCode::CONFLICT, "payments_not_enabled"));
}

#[tokio::test]
async fn redirects_outside_the_merchants_hosts_are_refused() {
    let (server, merchant) = ready().await;
    let landing = with(order_link("SO-r1"), "/landing_page_url", json!("https://evil.example.net/x"));
    let reply = server.call(&merchant, "POST", "/links", Some(landing)).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.error_code(), "redirect_host_not_allowed");
    assert_eq!(reply.json()["error"]["field"], "landing_page_url");
    let mut success = order_link("SO-r2");
    success["options"] = json!({"success_url": "https://shop.example.com.evil.net/thanks"});
    let reply = server.call(&merchant, "POST", "/links", Some(success)).await;
    assert_eq!(reply.error_code(), "redirect_host_not_allowed");
    assert_eq!(reply.json()["error"]["field"], "options.success_url");
}

#[tokio::test]
async fn settings_are_validated_field_by_field() {
    let (server, merchant) = ready().await;
    for (body, field) in [
        (json!({"brand_color": "red"}), "brand_color"),
        (json!({"stripe_account": "cus_123"}), "stripe_account"),
        (json!({"allowed_redirect_hosts": ["https://x.example.com/"]}), "allowed_redirect_hosts.0"),
        (json!({"logo_url": "http://insecure.example.com/logo.png"}), "logo_url"),
        (json!({"payments_enabled": "yes"}), "payments_enabled"),
        (json!({"default_expires_in_minutes": -1}), "default_expires_in_minutes"),
        (json!({"no_such_setting": 1}), "no_such_setting"),
        (json!({"email_template": {"subject": "Pay", "html": "{% if %}", "text": "x"}}), "email_template.html"),
    ] {
        let reply = server.call(&merchant, "PUT", "/settings", Some(body.clone())).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", reply.text);
        assert_eq!(reply.json()["error"]["field"], field);
    }
    let saved = server.call(&merchant, "GET", "/settings", None).await.json();
    assert_eq!(saved["display_name"], "Test Shop", "a refused change writes nothing");
    let changed = server.call(&merchant, "PUT", "/settings", Some(json!({"brand_color": "#0a0b0c"}))).await.json();
    assert_eq!(changed["brand_color"], "#0A0B0C");
    assert_eq!(changed["payments_enabled"], true, "fields left out keep their value");
}

#[tokio::test]
async fn a_paid_link_cannot_be_voided() {
    let (server, merchant) = ready().await;
    let link = server.call(&merchant, "POST", "/links", Some(order_link("SO-paid"))).await.json();
    let id = link["id"].as_str().unwrap();
    let body = event("checkout.session.completed", session_object("cs_test_p", id, &merchant, "paid", 2500));
    assert_eq!(server.deliver(&body).await.status, StatusCode::OK);
    let reply = server.call(&merchant, "PATCH", &format!("/links/{id}"), Some(json!({"active": false}))).await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(reply.error_code(), "link_already_paid");
    let reply = server.call(&merchant, "PATCH", &format!("/links/{id}"), Some(json!({}))).await;
    assert_eq!(reply.error_code(), "validation_failed");
    let reply = server.call(&merchant, "GET", "/links/pl_doesnotexist", None).await;
    assert_eq!((reply.status, reply.error_code().as_str()), (StatusCode::NOT_FOUND, "not_found"));
}

fn b64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[tokio::test]
async fn tampered_truncated_unsigned_foreign_and_unknown_tokens_are_invalid() {
    let (server, merchant) = ready().await;
    let link = server.call(&merchant, "POST", "/links", Some(order_link("SO-tok"))).await.json();
    let url = link["url"].as_str().unwrap();
    let token = url.split("payment_link_token=").nth(1).unwrap();
    let (header, rest) = token.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();
    let other_link = format!(r#"{{"lid":"pl_0123456789abcdefghijkl","iat":{}}}"#, now());
    let foreign = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"lid": link["id"], "iat": now()}),
        &jsonwebtoken::EncodingKey::from_secret(b"a-different-secret-of-32-bytes-or-more"),
    )
    .unwrap();
    let bad_tokens = [
        format!("{header}.{}.{signature}", b64(&other_link)),
        token[..token.len() - 4].to_string(),
        format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), b64(&format!(r#"{{"lid":{},"iat":1}}"#, link["id"]))),
        foreign,
        "garbage".to_string(),
        String::new(),
    ];
    for bad in bad_tokens {
        let reply = server.open(&server.url(&format!("/pay?payment_link_token={bad}"))).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{bad}");
        assert!(reply.text.contains("Payment link not found"));
        let resolved = server.open(&server.url(&format!("/pay/resolve?payment_link_token={bad}"))).await;
        assert_eq!(resolved.status, StatusCode::NOT_FOUND);
    }
    let detail = server.call(&merchant, "GET", &format!("/links/{}", link["id"].as_str().unwrap()), None).await.json();
    assert_eq!(detail["opens"], 0, "bad tokens open nothing");
    let unknown = server.open(&server.url("/p/AAAAAAAAAAA")).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_expired_token_sends_the_customer_to_the_landing_page_with_expired_or_says_gone() {
    let (server, merchant) = ready().await;
    let link = server.call(&merchant, "POST", "/links", Some(order_link("SO-exp"))).await.json();
    let mut bare = order_link("SO-exp-2");
    bare.as_object_mut().unwrap().remove("landing_page_url");
    let bare_link = server.call(&merchant, "POST", "/links", Some(bare)).await.json();
    let expired = |link: &Value| {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &json!({"lid": link["id"], "iat": now() - 120, "exp": now() - 60}),
            &jsonwebtoken::EncodingKey::from_secret(paylinks_tests::server::TOKEN_SECRET.as_bytes()),
        )
        .unwrap()
    };
    let reply = server.open(&server.url(&format!("/pay?payment_link_token={}", expired(&link)))).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.location.unwrap(), "https://shop.example.com/payment-problem?payment_link_error=expired");
    let reply = server.open(&server.url(&format!("/pay?payment_link_token={}", expired(&bare_link)))).await;
    assert_eq!(reply.status, StatusCode::GONE);
    assert!(reply.text.contains("expired"));
    let reply = server.open(&server.url(&format!("/pay/resolve?payment_link_token={}", expired(&bare_link)))).await;
    assert_eq!((reply.status, reply.error_code().as_str()), (StatusCode::GONE, "link_expired"));
}

async fn nothing_recorded(server: &TestServer, merchant: &str, id: &str) {
    let detail = server.call(merchant, "GET", &format!("/links/{id}"), None).await.json();
    assert_eq!(detail["status"], "active");
    assert_eq!(detail["payments"], json!([]));
}

#[tokio::test]
async fn webhook_signatures_that_do_not_verify_write_nothing() {
    let (server, merchant) = ready().await;
    let link = server.call(&merchant, "POST", "/links", Some(order_link("SO-sig"))).await.json();
    let id = link["id"].as_str().unwrap();
    let body = event("checkout.session.completed", session_object("cs_test_sig", id, &merchant, "paid", 2500));
    let t = now();
    let mut changed = body.clone().into_bytes();
    let at = body.find("2500").unwrap();
    changed[at] = b'9';
    let cases: Vec<(String, Vec<u8>)> = vec![
        ("garbage".into(), body.clone().into_bytes()),
        (String::new(), body.clone().into_bytes()),
        (format!("t={t}"), body.clone().into_bytes()),
        (signature(WEBHOOK_SECRET, t - 301, &body), body.clone().into_bytes()),
        (signature(WEBHOOK_SECRET, t + 301, &body), body.clone().into_bytes()),
        (signature("whsec_wrong_secret", t, &body), body.clone().into_bytes()),
        (signature(WEBHOOK_SECRET, t, &body), changed),
    ];
    for (header, payload) in cases {
        let reply = server
            .raw(
                server
                    .http
                    .post(server.url("/stripe/webhook"))
                    .header("stripe-signature", header.clone())
                    .body(payload),
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{header}");
        assert_eq!(reply.error_code(), "invalid_signature");
    }
    nothing_recorded(&server, &merchant, id).await;
    let good = server.deliver(&body).await;
    assert_eq!(good.json()["result"], "recorded");
}

#[tokio::test]
async fn unknown_event_types_are_acknowledged_and_ignored() {
    let (server, _) = ready().await;
    let reply = server.deliver(&event("customer.created", json!({"id": "cus_1", "object": "customer"}))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["result"], "ignored");
    let reply = server.deliver("{not json").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}
