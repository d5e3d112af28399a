//! moto server, started by the test command on 127.0.0.1 and found through `AWS_ENDPOINT_URL`.
//! Tests share it, so each uses a table of its own.

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::config::Credentials;

pub fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL")
        .expect("AWS_ENDPOINT_URL is not set: run the tests with scripts/test.sh, which starts moto server and sets it")
}

/// Where SES and SNS are: a second moto server when the test command started one.
pub fn messaging_endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL_SESV2").unwrap_or_else(|_| endpoint())
}

/// The SDK configuration the tests use, at `endpoint` (moto, or a proxy in front of it), on the
/// functions' own HTTP client (the SDK's default one is not built in).
pub async fn config_for(endpoint: String) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(paylinks_aws::https_client())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .endpoint_url(endpoint)
        .load()
        .await
}

pub async fn sdk_config() -> aws_config::SdkConfig {
    config_for(endpoint()).await
}

pub async fn messaging_sdk_config() -> aws_config::SdkConfig {
    config_for(messaging_endpoint()).await
}

/// A DynamoDB client held to the functions' own time budget.
pub async fn dynamo() -> aws_sdk_dynamodb::Client {
    paylinks_dynamodb::client(&sdk_config().await)
}

/// A client for the tests' own look at the table (scans, raw items): the SDK's defaults, not a
/// function's budget, so a slow moment of moto on a loaded machine fails no check.
pub async fn inspector() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&sdk_config().await)
}

/// A new table, created as the template declares it, that no other test touches.
pub async fn fresh_table(client: &aws_sdk_dynamodb::Client) -> String {
    let name = format!("paylinks-{}", paylinks::domain::random_base62(12));
    paylinks_dynamodb::create_table(client, &name).await.expect("moto creates the table");
    name
}

/// The sender address the tests verify in moto's SES, as an operator would before sending.
pub const EMAIL_FROM: &str = "payments@shop.example.com";

pub async fn verify_sender(sdk: &aws_config::SdkConfig) {
    let ses = aws_sdk_sesv2::Client::new(sdk);
    let _ = ses.create_email_identity().email_identity(EMAIL_FROM).send().await;
}

/// Everything moto holds, as its dashboard API shows it (sent mail under `ses.Message`, SMS under
/// `sns.SMS`).
pub async fn state() -> serde_json::Value {
    let body = reqwest::get(format!("{}/moto-api/data.json", messaging_endpoint()))
        .await
        .expect("moto answers")
        .text()
        .await
        .unwrap();
    serde_json::from_str(&body).expect("moto's state is JSON")
}

/// A link's item as the table holds it (index keys and all), or empty when it is not there.
pub async fn raw_link(
    table: &str,
    link_id: &str,
) -> std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> {
    use aws_sdk_dynamodb::types::AttributeValue;
    let key = [
        ("pk".to_string(), AttributeValue::S(format!("LINK#{link_id}"))),
        ("sk".to_string(), AttributeValue::S("LINK".into())),
    ];
    let read = inspector().await.get_item().table_name(table).set_key(Some(key.into_iter().collect())).send().await;
    read.expect("moto reads").item.unwrap_or_default()
}
