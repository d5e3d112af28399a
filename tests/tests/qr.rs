//! `GET /links/{id}/qr.svg` and `/qr.png`: each reads back as the link's short URL; the merchant's
//! own links only.

use paylinks_tests::server::{embedded, order_link, unique};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_links_qr_codes_read_back_as_its_short_url_for_its_merchant_only() {
    let server = embedded().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let link = server.call(&merchant, "POST", "/links", Some(order_link(&unique("SO")))).await.json();
    let (id, short_url) = (link["id"].as_str().unwrap(), link["short_url"].as_str().unwrap());
    let get = |path: String, who: String| server.http.get(server.url(&path)).bearer_auth(server.token(&who)).send();

    let png = get(format!("/links/{id}/qr.png"), merchant.clone()).await.unwrap();
    assert_eq!(png.status(), StatusCode::OK);
    assert_eq!(png.headers()["content-type"], "image/png");
    assert_eq!(paylinks_tests::qr::read_png(&png.bytes().await.unwrap()), short_url);

    let svg = get(format!("/links/{id}/qr.svg"), merchant.clone()).await.unwrap();
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert_eq!(paylinks_tests::qr::read_svg(&svg.text().await.unwrap()), short_url);

    let other = get(format!("/links/{id}/qr.png"), unique("merchant")).await.unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND, "another merchant's link is not found");
    let unknown = get("/links/pl_4fH2kLmN8pQ1rS5tU7vW9x/qr.svg".into(), merchant.clone()).await.unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let unsigned = server.http.get(server.url(&format!("/links/{id}/qr.svg"))).send().await.unwrap();
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
}
