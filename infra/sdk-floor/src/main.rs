//! What the fixed stack costs before any of our code runs: a `lambda_runtime` function that reads
//! one DynamoDB item per event, with the SDK configured as every function configures it (shared
//! HTTPS client, credentials from the environment, the DynamoDB time budget). `infra/bench.sh`
//! prints it beside the empty floor, so the gap between the floor and a function splits into what
//! the AWS SDK takes (this) and what is ours (the rest).

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let sdk = paylinks_aws::sdk_config().await?;
    let client = paylinks_dynamodb::client(&sdk);
    let table = std::env::var("TABLE_NAME")?;
    let client = &client;
    let table = table.as_str();
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let link = event.payload["link"].as_str().unwrap_or_default();
        let item = client
            .get_item()
            .table_name(table)
            .key("pk", AttributeValue::S(format!("LINK#{link}")))
            .key("sk", AttributeValue::S("LINK".into()))
            .send()
            .await?;
        Ok::<_, Error>(json!({"found": item.item.is_some()}))
    }))
    .await
}
