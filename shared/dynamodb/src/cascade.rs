//! The cascade of a removed link: what was stored under it, and what led to it from elsewhere.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem};

use super::DynamoStore;
use super::items::Key;
use super::transactions;
use paylinks::domain::{LinkId, ShortCode};
use paylinks::ports::{RemoveLinkRecords, StoreError};

/// Items per transaction, DynamoDB's limit.
const PER_TRANSACTION: usize = 100;

impl DynamoStore {
    /// Every key under the link's partition, the short codes and PaymentIntent records its
    /// items point at, and the shards of its open count (partitions of their own).
    async fn link_keys(&self, link: &LinkId) -> Result<Vec<Key>, StoreError> {
        let mut keys: Vec<Key> = (0..super::store::OPEN_SHARDS).map(|shard| Key::open_shard(link, shard)).collect();
        for item in self.partition(link).await? {
            let text = |name: &str| match item.get(name) {
                Some(AttributeValue::S(v)) => Some(v.clone()),
                _ => None,
            };
            if let Some(code) = text("short_code").and_then(|c| ShortCode::parse(&c)) {
                keys.push(Key::short_code(&code));
            }
            if let Some(intent) = text("payment_intent") {
                keys.push(Key::intent(&intent));
            }
            // A sent delivery's provider message id leads to it (for the provider's events).
            if let Some(message) = text("message_id") {
                keys.push(Key::message(&message));
            }
            keys.extend(Key::of_item(&item));
        }
        Ok(keys)
    }
}

#[async_trait]
impl RemoveLinkRecords for DynamoStore {
    async fn remove_link_records(&self, link: &LinkId, short_code: Option<&ShortCode>) -> Result<usize, StoreError> {
        let mut keys = self.link_keys(link).await?;
        keys.extend(short_code.map(Key::short_code));
        keys.sort_by(|a, b| (&a.pk, &a.sk).cmp(&(&b.pk, &b.sk)));
        keys.dedup();
        for chunk in keys.chunks(PER_TRANSACTION) {
            let deletes = chunk
                .iter()
                .map(|key| {
                    let delete = Delete::builder().table_name(&self.table).set_key(Some(key.attributes())).build();
                    delete.map(|d| TransactWriteItem::builder().delete(d).build()).map_err(StoreError::unavailable)
                })
                .collect::<Result<Vec<_>, _>>()?;
            transactions::send(&self.client, deletes).await.map_err(StoreError::unavailable)?;
        }
        Ok(keys.len())
    }
}

/// The link a stream record's keys name, when the record is of a link item (and not of one of
/// the items stored under it).
pub fn link_of_keys(pk: &str, sk: &str) -> Option<LinkId> {
    (sk == "LINK").then(|| pk.strip_prefix("LINK#")).flatten().and_then(LinkId::parse)
}
