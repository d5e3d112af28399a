//! link-cleanup: the DynamoDB Streams consumer that lets retention follow the link. When a link
//! item goes (its TTL passed, or it was deleted), everything stored under it and the short codes
//! and PaymentIntent records that lead to it go too — the usual DynamoDB cascade, instead of
//! writing a deadline onto every child whenever the link changes.

use std::sync::Arc;

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::LambdaEvent;
use paylinks::domain::ShortCode;
use paylinks::ports::{RemoveLinkRecords, StoreError};
use paylinks_dynamodb::link_of_keys;
use serde::Deserialize;

pub struct Deps {
    pub store: Arc<dyn RemoveLinkRecords>,
}

/// What a removed item's keys and old image tell.
#[derive(Debug, Deserialize)]
struct Removed {
    pk: String,
    sk: String,
    #[serde(default)]
    short_code: Option<String>,
}

/// Handles a batch; records that failed are reported one by one, so only they are retried.
pub async fn handle(deps: &Deps, event: LambdaEvent<Event>) -> Result<DynamoDbEventResponse, std::convert::Infallible> {
    let mut response = DynamoDbEventResponse::default();
    for record in &event.payload.records {
        if let Err(err) = cascade(deps, record).await {
            tracing::error!(error = %err, "a removed link's records could not all be removed; retried");
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number.clone();
            response.batch_item_failures.push(failure);
        }
    }
    Ok(response)
}

async fn cascade(deps: &Deps, record: &EventRecord) -> Result<(), StoreError> {
    if record.event_name != "REMOVE" {
        return Ok(());
    }
    let image = if record.change.old_image.is_empty() { &record.change.keys } else { &record.change.old_image };
    let Ok(removed) = serde_dynamo::from_item::<_, Removed>(image.clone()) else { return Ok(()) };
    let Some(link) = link_of_keys(&removed.pk, &removed.sk) else { return Ok(()) };
    let short_code = removed.short_code.as_deref().and_then(ShortCode::parse);
    let count = deps.store.remove_link_records(&link, short_code.as_ref()).await?;
    tracing::info!(link = %link, removed = count, "a removed link's records went with it");
    Ok(())
}
