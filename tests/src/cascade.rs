//! What DynamoDB Streams hands link-cleanup when TTL removes a link: the REMOVE record with the
//! link's old image, built from the item itself just before the test removes it as TTL would.

use std::sync::Arc;

use aws_lambda_events::event::dynamodb::Event;
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::{Context, LambdaEvent};
use paylinks_dynamodb::DynamoStore;
use serde_json::json;

/// Removes the link's item from the table and returns the stream event of that removal.
pub async fn remove_link(table: &str, link_id: &str) -> LambdaEvent<Event> {
    let client = crate::moto::inspector().await;
    let key = |pk: String, sk: &str| {
        [("pk".to_string(), AttributeValue::S(pk)), ("sk".to_string(), AttributeValue::S(sk.into()))]
    };
    let removed = client
        .delete_item()
        .table_name(table)
        .set_key(Some(key(format!("LINK#{link_id}"), "LINK").into_iter().collect()))
        .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
        .send()
        .await
        .expect("moto removes the link")
        .attributes
        .expect("the link was there");
    let keys: serde_dynamo::Item =
        key(format!("LINK#{link_id}"), "LINK").into_iter().collect::<std::collections::HashMap<_, _>>().into();
    let old_image: serde_dynamo::Item = removed.into();
    let records = stream_remove(table, serde_json::to_value(keys).unwrap(), serde_json::to_value(old_image).unwrap());
    let event: Event = serde_json::from_value(records).expect("a stream event");
    LambdaEvent::new(event, Context::default())
}

/// DynamoDB Streams' REMOVE record of an item (`keys` and `old_image` in DynamoDB JSON), as the
/// stream hands it to link-cleanup.
pub fn stream_remove(table: &str, keys: serde_json::Value, old_image: serde_json::Value) -> serde_json::Value {
    let record = json!({
        "awsRegion": "us-east-1",
        "eventID": paylinks::domain::random_base62(16),
        "eventName": "REMOVE",
        "eventSource": "aws:dynamodb",
        "eventVersion": "1.1",
        "eventSourceARN": format!("arn:aws:dynamodb:us-east-1:123456789012:table/{table}/stream/2026-11-30T00:00:00.000"),
        "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"},
        "dynamodb": {
            "ApproximateCreationDateTime": 1_796_000_000.0,
            "Keys": keys,
            "OldImage": old_image,
            "SequenceNumber": "1000",
            "SizeBytes": 512,
            "StreamViewType": "OLD_IMAGE",
        },
    });
    json!({"Records": [record]})
}

/// link-cleanup on the table, its DynamoDB calls going to `endpoint` (moto, or a proxy).
pub async fn cleanup(endpoint: &str, table: &str) -> link_cleanup::Deps {
    let client = aws_sdk_dynamodb::Client::new(&crate::moto::config_for(endpoint.to_string()).await);
    link_cleanup::Deps { store: Arc::new(DynamoStore::new(client, table)) }
}
