//! Sending a transaction, and reading why DynamoDB cancelled one.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::TransactWriteItem;

pub type TransactError = SdkError<TransactWriteItemsError, HttpResponse>;

/// Tries of one transaction that other transactions keep cancelling (20, then 40 ms apart).
const CONTENTION_TRIES: u32 = 3;

/// Sends a transaction, and again when DynamoDB cancelled it only because another transaction
/// held one of its items (`TransactionConflict`): nothing was written, and such a race (two
/// opens, a webhook and a mark-paid) is over in milliseconds. The SDK does not retry a
/// cancellation; when the contention outlasts these tries the caller answers a 5xx.
pub async fn send(client: &Client, items: Vec<TransactWriteItem>) -> Result<(), TransactError> {
    let mut pause = std::time::Duration::from_millis(20);
    let mut tries = 1;
    loop {
        match client.transact_write_items().set_transact_items(Some(items.clone())).send().await {
            Err(err) if tries < CONTENTION_TRIES && is_contention(&err) => {
                tokio::time::sleep(pause).await;
                pause *= 2;
                tries += 1;
            }
            other => return other.map(|_| ()),
        }
    }
}

/// DynamoDB cancels a transaction for many reasons, one per item: only a condition that did not
/// hold (and nothing else) means the state was not what the caller expected. A cancellation for
/// `TransactionConflict` (another transaction on an item), `ThrottlingError` or a validation
/// problem wrote nothing and says nothing about the state: a retryable fault.
/// `Some` with, per item, whether its condition failed; `None` for every other cancellation.
pub fn failed_conditions(err: &TransactError) -> Option<Vec<bool>> {
    let codes = cancellation_codes(err)?;
    cancelled_only_for(&codes, "ConditionalCheckFailed")
        .then(|| codes.iter().map(|code| *code == "ConditionalCheckFailed").collect())
}

/// A cancelled transaction's reason per item (`None` for the items that were fine).
fn cancellation_codes(err: &TransactError) -> Option<Vec<&str>> {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
            Some(cancelled.cancellation_reasons().iter().map(|r| r.code().unwrap_or("None")).collect())
        }
        _ => None,
    }
}

/// At least one item failed for `reason`, and every other item was fine.
fn cancelled_only_for(codes: &[&str], reason: &str) -> bool {
    codes.contains(&reason) && codes.iter().all(|code| *code == "None" || *code == reason)
}

/// Cancelled only for `TransactionConflict`: every other item was fine.
fn is_contention(err: &TransactError) -> bool {
    cancellation_codes(err).is_some_and(|codes| cancelled_only_for(&codes, "TransactionConflict"))
}
