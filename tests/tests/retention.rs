//! Personal data goes when its retention ends: every item that holds a customer's details (or
//! leads to them: a short code) carries DynamoDB's `ttl` attribute, read here from the table
//! itself as DynamoDB's TTL reads it (a Number of epoch seconds), not from the domain's `purge_at`.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use paylinks_tests::server::{TestServer, on_real_adapters, order_link, unique};
use reqwest::StatusCode;
use serde_json::json;

/// Every item of the table by `pk sk`: its `ttl` as DynamoDB reads it (`None`: kept for good).
async fn ttls(table: &str) -> BTreeMap<String, Option<i64>> {
    let client = paylinks_tests::moto::inspector().await;
    let mut found = BTreeMap::new();
    let mut start = None;
    loop {
        let page = client.scan().table_name(table).set_exclusive_start_key(start).send().await.expect("a scan");
        for item in page.items.unwrap_or_default() {
            let text = |name: &str| match item.get(name) {
                Some(AttributeValue::S(v)) => v.clone(),
                _ => String::new(),
            };
            let ttl = match item.get("ttl") {
                None => None,
                Some(AttributeValue::N(seconds)) => Some(seconds.parse::<i64>().expect("whole epoch seconds")),
                Some(other) => {
                    panic!("{} {}: ttl is not a Number, so TTL ignores it: {other:?}", text("pk"), text("sk"))
                }
            };
            found.insert(format!("{} {}", text("pk"), text("sk")), ttl);
        }
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return found,
        }
    }
}

async fn link(server: &TestServer, merchant: &str, order: &str, expires_in_minutes: Option<i64>) -> serde_json::Value {
    let mut body = order_link(order);
    if let Some(minutes) = expires_in_minutes {
        body["expires_in_minutes"] = json!(minutes);
    }
    let reply = server.call(merchant, "POST", "/links", Some(body)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.json()
}

/// The test servers' `LINK_RETENTION_DAYS`, the SPEC's default.
const RETENTION_DAYS: i64 = 90;

fn epoch(rfc3339: &serde_json::Value) -> i64 {
    paylinks::domain::Timestamp::parse_rfc3339(rfc3339.as_str().unwrap()).expect("a timestamp").unix()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_item_with_personal_data_of_an_expiring_link_carries_a_ttl() {
    let server = on_real_adapters().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let expiring = link(&server, &merchant, "SO-ttl", Some(60)).await;
    let id = expiring["id"].as_str().unwrap();
    let recipients = json!({"recipients": [{"email": "ttl@example.com"}]});
    let sent = server.call(&merchant, "POST", &format!("/links/{id}/email"), Some(recipients)).await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
    let phones = json!({"recipients": [{"phone": "+14155550188"}]});
    let texted = server.call(&merchant, "POST", &format!("/links/{id}/sms"), Some(phones)).await;
    assert_eq!(texted.status, StatusCode::OK, "{}", texted.text);

    let purge = epoch(&expiring["expires_at"]) + RETENTION_DAYS * 86_400;
    let items = ttls(server.table.as_deref().unwrap()).await;
    let of_link: Vec<(&String, &Option<i64>)> = items
        .iter()
        .filter(|(key, _)| {
            key.starts_with(&format!("LINK#{id} "))
                || key.starts_with("SHORT#")
                || key.as_str() == format!("MERCHANT#{merchant} ORDER#SO-ttl")
        })
        .collect();
    let kinds: Vec<&str> =
        of_link.iter().map(|(key, _)| key.split(' ').nth(1).unwrap().split('#').next().unwrap()).collect();
    for kind in ["LINK", "DELIVERY", "SHORT", "ORDER"] {
        assert!(kinds.contains(&kind), "no {kind} item: {items:#?}");
    }
    for (key, ttl) in of_link {
        if key.contains(" WINDOW#") {
            continue; // no personal data; it goes after its resend window, checked below
        }
        assert_eq!(*ttl, Some(purge), "{key}: kept until the link's retention ends");
    }
    assert!(items.iter().filter(|(key, _)| key.contains(" WINDOW#")).all(|(_, ttl)| ttl.is_some()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_order_is_kept_as_long_as_its_longest_kept_link_and_for_good_once_one_never_expires() {
    let server = on_real_adapters().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let table = server.table.as_deref().unwrap();
    let order = |id: &str| format!("MERCHANT#{merchant} ORDER#{id}");

    let first = link(&server, &merchant, "SO-two", Some(60)).await;
    let first_purge = ttls(table).await[&order("SO-two")].expect("a ttl");
    let void = json!({"active": false});
    let voided =
        server.call(&merchant, "PATCH", &format!("/links/{}", first["id"].as_str().unwrap()), Some(void)).await;
    assert_eq!(voided.status, StatusCode::OK, "{}", voided.text);
    let second = link(&server, &merchant, "SO-two", Some(24 * 60)).await;
    let later = ttls(table).await[&order("SO-two")].expect("a ttl");
    assert!(later > first_purge);
    assert_eq!(later, epoch(&second["expires_at"]) + RETENTION_DAYS * 86_400, "the later link's deadline");

    link(&server, &merchant, "SO-forever", None).await;
    assert_eq!(ttls(table).await[&order("SO-forever")], None, "a link that never expires keeps its order");
}
