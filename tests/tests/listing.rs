//! The dashboard's list: newest first, filters, and a cursor that stays right while links are
//! being created — on DynamoDB (moto) through its index.

use std::collections::HashSet;
use std::sync::Arc;

use paylinks_tests::server::{TestServer, on_real_adapters, unique};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn product(name: &str) -> Value {
    json!({"name": name, "products": [{"name": "Thing", "unit_amount": 500, "currency": "usd"}]})
}

async fn create_many(server: &Arc<TestServer>, merchant: &str, prefix: &str, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for batch in (0..count).collect::<Vec<_>>().chunks(10) {
        let tasks: Vec<_> = batch
            .iter()
            .map(|i| {
                let (server, merchant, name) = (server.clone(), merchant.to_string(), format!("{prefix} {i}"));
                tokio::spawn(async move { server.call(&merchant, "POST", "/links", Some(product(&name))).await })
            })
            .collect();
        for task in tasks {
            let reply = task.await.unwrap();
            assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
            ids.push(reply.json()["id"].as_str().unwrap().to_string());
        }
    }
    ids
}

async fn all_pages(server: &TestServer, merchant: &str, query: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/links?{query}&cursor={c}"),
            None => format!("/links?{query}"),
        };
        let reply = server.call(merchant, "GET", &path, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        let page = reply.json();
        seen.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return seen,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn paging_through_250_links_while_more_are_created_shows_each_once_and_misses_none() {
    let server = Arc::new(on_real_adapters().await);
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let existing: HashSet<String> = create_many(&server, &merchant, "Existing", 250).await.into_iter().collect();

    let creating = {
        let (server, merchant) = (server.clone(), merchant.clone());
        tokio::spawn(async move { create_many(&server, &merchant, "Newcomer", 30).await })
    };
    let listed = all_pages(&server, &merchant, "limit=40").await;
    creating.await.unwrap();

    let ids: Vec<String> = listed.iter().map(|l| l["id"].as_str().unwrap().to_string()).collect();
    let unique_ids: HashSet<String> = ids.iter().cloned().collect();
    assert_eq!(unique_ids.len(), ids.len(), "no link twice");
    assert!(existing.is_subset(&unique_ids), "none of the existing links missed");
    let created: Vec<&str> = listed.iter().map(|l| l["created_at"].as_str().unwrap()).collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "newest first");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn filters_narrow_the_list_and_bad_queries_are_refused() {
    let server = Arc::new(on_real_adapters().await);
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let teas = create_many(&server, &merchant, "Green Tea", 3).await;
    create_many(&server, &merchant, "Coffee", 4).await;
    let order = server
        .call(
            &merchant,
            "POST",
            "/links",
            Some(
                json!({"order": {"id": "SO-l1", "currency": "usd", "line_items": [{"name": "A", "unit_amount": 100}]}}),
            ),
        )
        .await
        .json();
    server.call(&merchant, "PATCH", &format!("/links/{}", teas[0]), Some(json!({"active": false}))).await;

    let count = |query: &'static str| {
        let (server, merchant) = (server.clone(), merchant.clone());
        async move { all_pages(&server, &merchant, query).await.len() }
    };
    assert_eq!(count("q=green%20TEA").await, 3);
    assert_eq!(count("kind=product").await, 7);
    assert_eq!(count("kind=order").await, 1);
    assert_eq!(count("status=void").await, 1);
    assert_eq!(count("status=active&q=tea").await, 2);
    assert_eq!(count("created_from=2000-01-01&created_to=2000-12-31").await, 0);
    assert_eq!(count("created_from=2000-01-01").await, 8);
    let listed = all_pages(&server, &merchant, "kind=order").await;
    assert_eq!(listed[0]["id"], order["id"]);
    for field in ["id", "name", "url", "status", "kind", "amount", "currency", "created_at", "expires_at"] {
        assert!(listed[0].get(field).is_some(), "{field}");
    }

    let stranger = unique("stranger");
    assert_eq!(all_pages(&server, &stranger, "limit=5").await.len(), 0, "another merchant sees none");
    for bad in ["status=gone", "kind=both", "limit=0", "limit=101", "created_from=yesterday", "cursor=%%%"] {
        let reply = server.call(&merchant, "GET", &format!("/links?{bad}"), None).await;
        assert_eq!((reply.status, reply.error_code().as_str()), (StatusCode::BAD_REQUEST, "invalid_query"), "{bad}");
    }
}
