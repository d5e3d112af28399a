//! Fixed-window counters: one conditional `UpdateItem` per spend (`ADD spent :one` while `spent`
//! is under the limit). DynamoDB applies updates of one item one at a time, so the count holds
//! however many Lambdas spend at once; a refused spend writes nothing. TTL removes old windows.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use paylinks::domain::{Limit, Spent, Timestamp};
use paylinks::ports::{StoreError, Throttle};

use crate::expressions::n;
use crate::items::Key;
use crate::store::DynamoStore;

impl DynamoStore {
    /// An update of `key`'s count in the window of `limit` that `now` falls in.
    fn window_update(&self, key: &str, limit: Limit, now: Timestamp) -> UpdateItemFluentBuilder {
        let start = limit.window(now).start;
        self.client.update_item().table_name(&self.table).set_key(Some(Key::throttle(key, start).attributes()))
    }
}

#[async_trait]
impl Throttle for DynamoStore {
    async fn spend(&self, key: &str, limit: Limit, now: Timestamp) -> Result<Spent, StoreError> {
        let window = limit.window(now);
        let sent = self
            .window_update(key, limit, now)
            .update_expression("ADD spent :one SET #ttl = :ttl")
            .condition_expression("attribute_not_exists(spent) OR spent < :max")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(limit.max))
            // Gone a minute after its window: nobody asks for it again.
            .expression_attribute_values(":ttl", n(window.end + 60))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(Spent::Allowed),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                Ok(limit.refused(now))
            }
            Err(err) => Err(StoreError::unavailable(err)),
        }
    }

    async fn give_back(&self, key: &str, limit: Limit, now: Timestamp) -> Result<(), StoreError> {
        let sent = self
            .window_update(key, limit, now)
            .update_expression("ADD spent :minus_one")
            // Never below nothing, never an item for a window nobody spent in.
            .condition_expression("spent > :zero")
            .expression_attribute_values(":minus_one", n(-1))
            .expression_attribute_values(":zero", n(0))
            // Not idempotent: sent once, never retried (a retry of an attempt that landed would
            // give back twice).
            .customize()
            .config_override(crate::store::counted_once())
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(()),
            Err(err) => Err(StoreError::unavailable(err)),
        }
    }
}
