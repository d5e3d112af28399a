//! Merchant webhook endpoints: registered with a secret shown once, listed without it, deleted;
//! only https URLs that lead to public addresses (checked on every address the host resolves to),
//! and on the local server also http://127.0.0.1.

use std::net::IpAddr;

use async_trait::async_trait;
use paylinks::domain::{Destination, EventType, MerchantId, Timestamp};
use paylinks::ports::{ResolveError, ResolveHost};
use paylinks::usecases::webhook_endpoints::{self, EndpointError, NewEndpoint};
use paylinks_embedded::EmbeddedStore;
use paylinks_tests::server::{embedded, unique};
use reqwest::StatusCode;
use serde_json::json;

/// A resolver with a fixed table: what DNS would answer for each name.
struct Names(Vec<(&'static str, &'static str)>);

#[async_trait]
impl ResolveHost for Names {
    async fn resolve(&self, host: &str, _port: u16) -> Result<Vec<IpAddr>, ResolveError> {
        if let Ok(literal) = host.parse::<IpAddr>() {
            return Ok(vec![literal]);
        }
        let found: Vec<IpAddr> =
            self.0.iter().filter(|(name, _)| *name == host).map(|(_, a)| a.parse().unwrap()).collect();
        if found.is_empty() { Err(ResolveError("NXDOMAIN".into())) } else { Ok(found) }
    }
}

#[tokio::test]
async fn in_the_cloud_a_url_is_judged_by_every_address_its_name_resolves_to() {
    let store = EmbeddedStore::new();
    let names = Names(vec![
        ("hooks.example.com", "93.184.216.34"),
        ("sneaky.example.com", "10.0.0.5"),
        ("metadata.example.com", "169.254.169.254"),
        ("mixed.example.com", "93.184.216.34"),
        ("mixed.example.com", "192.168.1.10"),
    ]);
    let merchant = MerchantId::parse("m-hooks").unwrap();
    let now = Timestamp::from_unix(1_800_000_000);
    let create = |url: &str| NewEndpoint { url: url.to_string(), events: vec![EventType::LinkPaid] };
    let made = webhook_endpoints::create(
        &store,
        &names,
        Destination::PublicOnly,
        &merchant,
        &create("https://hooks.example.com/paylinks"),
        now,
    )
    .await
    .unwrap();
    assert!(made.secret.starts_with("whsec_") && made.endpoint.id.starts_with("we_"));
    for refused in [
        "http://hooks.example.com/paylinks",
        "https://sneaky.example.com/",
        "https://metadata.example.com/latest/meta-data",
        "https://mixed.example.com/",
        "https://127.0.0.1/",
        "https://[::1]/",
        "https://169.254.169.254/",
        "http://127.0.0.1:8080/",
        "https://nowhere.example.com/",
    ] {
        let err = webhook_endpoints::create(&store, &names, Destination::PublicOnly, &merchant, &create(refused), now)
            .await
            .unwrap_err();
        assert!(matches!(err, EndpointError::UrlNotAllowed(_)), "{refused}: {err:?}");
    }
    let local = webhook_endpoints::create(
        &store,
        &names,
        Destination::AlsoLocalhost,
        &merchant,
        &create("http://127.0.0.1:8080/hook"),
        now,
    )
    .await;
    assert!(local.is_ok(), "the local server allows its own machine");
}

#[tokio::test]
async fn endpoints_are_made_listed_without_their_secret_and_deleted_per_merchant() {
    let server = embedded().await;
    let merchant = unique("merchant");
    let body = json!({"url": "http://127.0.0.1:9/paylinks", "events": ["link.paid", "order.paid", "link.paid"]});
    let made = server.call(&merchant, "POST", "/webhook-endpoints", Some(body)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let made = made.json();
    assert!(made["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(made["events"], json!(["link.paid", "order.paid"]), "each event once");
    let id = made["id"].as_str().unwrap();

    let listed = server.call(&merchant, "GET", "/webhook-endpoints", None).await.json();
    assert_eq!(listed["data"][0]["id"], id);
    assert!(listed["data"][0].get("secret").is_none(), "the secret is shown once: {listed}");
    let stranger = unique("merchant");
    assert_eq!(server.call(&stranger, "GET", "/webhook-endpoints", None).await.json()["data"], json!([]));
    let theirs = server.call(&stranger, "DELETE", &format!("/webhook-endpoints/{id}"), None).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "another merchant's endpoint is not found");

    assert_eq!(
        server.call(&merchant, "DELETE", &format!("/webhook-endpoints/{id}"), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        server.call(&merchant, "DELETE", &format!("/webhook-endpoints/{id}"), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(server.call(&merchant, "GET", "/webhook-endpoints", None).await.json()["data"], json!([]));
}

#[tokio::test]
async fn bad_endpoints_get_the_spec_codes_and_a_merchant_has_at_most_ten() {
    let server = embedded().await;
    let merchant = unique("merchant");
    let post = |body: serde_json::Value| server.call(&merchant, "POST", "/webhook-endpoints", Some(body));
    let refused = post(json!({"url": "http://10.0.0.1/hook", "events": ["link.paid"]})).await;
    assert_eq!(
        (refused.status, refused.error_code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "webhook_url_not_allowed".to_string())
    );
    assert_eq!(refused.json()["error"]["field"], "url");
    let metadata = post(json!({"url": "https://169.254.169.254/latest", "events": ["link.paid"]})).await;
    assert_eq!(metadata.error_code(), "webhook_url_not_allowed");
    let unknown = post(json!({"url": "http://127.0.0.1:9/", "events": ["link.paid", "link.exploded"]})).await;
    assert_eq!(
        (unknown.status, unknown.json()["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("events.1"))
    );
    let none = post(json!({"url": "http://127.0.0.1:9/", "events": []})).await;
    assert_eq!(none.json()["error"]["field"], "events");
    for i in 0..10 {
        let made = post(json!({"url": format!("http://127.0.0.1:9/{i}"), "events": ["order.paid"]})).await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    }
    let eleventh = post(json!({"url": "http://127.0.0.1:9/11", "events": ["order.paid"]})).await;
    assert_eq!((eleventh.status, eleventh.error_code()), (StatusCode::CONFLICT, "webhook_endpoint_limit".to_string()));
}
