//! Retention follows the link: when DynamoDB's TTL removes a link item, link-cleanup (fed the
//! stream record) removes everything the link owned — deliveries, payments, windows, opens, its
//! short codes and PaymentIntent records — and nothing of any other link.

use paylinks_tests::server::{on_real_adapters, order_link, unique};
use paylinks_tests::stripe_events::{event, session_of};
use serde_json::json;

async fn keys(table: &str) -> Vec<String> {
    let client = paylinks_tests::moto::inspector().await;
    let items = client.scan().table_name(table).send().await.unwrap().items.unwrap_or_default();
    let text = |item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>, name: &str| {
        item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default()
    };
    // Keys first, then the whole item: what it points at shows wherever it is nested.
    items.iter().map(|item| format!("{} {} {item:?}", text(item, "pk"), text(item, "sk"))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_removed_link_takes_everything_it_owned_with_it_and_nothing_else() {
    let server = on_real_adapters().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let table = server.table.clone().unwrap();
    let mut made = Vec::new();
    for order in ["SO-gone", "SO-kept"] {
        let link = server.call(&merchant, "POST", "/links", Some(order_link(order))).await.json();
        let id = link["id"].as_str().unwrap().to_string();
        let path = format!("/links/{id}/email");
        server.call(&merchant, "POST", &path, Some(json!({"recipients": [{"email": "a@example.com"}]}))).await;
        server
            .call(
                &merchant,
                "POST",
                &format!("/links/{id}/sms"),
                Some(json!({"recipients": [{"phone": "+14155550123"}]})),
            )
            .await;
        let session = session_of(server.open(link["url"].as_str().unwrap()).await.location.as_deref().unwrap());
        let mut paid = server.stripe().complete(&session, "paid", "a@example.com", "Ada");
        paid["payment_intent"] = json!(format!("pi_{}", order.replace('-', "")));
        server.deliver(&event("checkout.session.completed", paid)).await;
        made.push(id);
    }
    let (gone, kept) = (&made[0], &made[1]);
    let before = keys(&table).await;
    assert!(before.iter().any(|k| k.starts_with(&format!("LINK#{gone} PAYMENT#"))));
    assert!(before.iter().any(|k| k.starts_with("PI#") && k.contains(gone.as_str())));

    let removed = paylinks_tests::cascade::remove_link(&table, gone).await;
    let cleanup = paylinks_tests::cascade::cleanup(&paylinks_tests::moto::endpoint(), &table).await;
    let response = link_cleanup::handle(&cleanup, removed).await.unwrap();
    assert!(response.batch_item_failures.is_empty());

    let after = keys(&table).await;
    // The order is the merchant's, with a TTL of its own (the latest of its links' deadlines).
    let of_gone: Vec<&String> =
        after.iter().filter(|k| k.contains(gone.as_str()) && !k.starts_with("MERCHANT#")).collect();
    assert!(of_gone.is_empty(), "left behind: {of_gone:#?}");
    let short_codes = |keys: &[String]| keys.iter().filter(|k| k.starts_with("SHORT#")).count();
    assert_eq!(short_codes(&after), short_codes(&before) - 3, "the link's own code and its two deliveries'");
    let of_kept = |keys: &[String]| keys.iter().filter(|k| k.contains(kept.as_str())).count();
    assert_eq!(of_kept(&after), of_kept(&before), "another link keeps all it has");
    let detail = server.call(&merchant, "GET", &format!("/links/{kept}"), None).await.json();
    assert_eq!(detail["deliveries"].as_array().unwrap().len(), 2);
}
