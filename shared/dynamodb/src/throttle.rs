//! Fixed-window counters: one conditional `UpdateItem` per spend (`ADD spent :one` while `spent`
//! is under the limit). DynamoDB applies updates of one item one at a time, so the count holds
//! however many Lambdas spend at once; a refused spend writes nothing. TTL removes old windows.

use async_trait::async_trait;
use paylinks::domain::{Limit, Spent, Timestamp};
use paylinks::ports::{StoreError, Throttle};

use crate::expressions::n;
use crate::items::Key;
use crate::store::DynamoStore;

#[async_trait]
impl Throttle for DynamoStore {
    async fn spend(&self, key: &str, limit: Limit, now: Timestamp) -> Result<Spent, StoreError> {
        let window = limit.window(now);
        let sent = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Key::throttle(key, window.start).attributes()))
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
}
