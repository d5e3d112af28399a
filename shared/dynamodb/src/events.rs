//! The merchant's event log: its `EVENT#` items, newest first (event ids sort by time).

use async_trait::async_trait;

use super::DynamoStore;
use super::expressions::s;
use super::items::{Key, from_item};
use paylinks::domain::{EventId, MerchantEvent, MerchantId};
use paylinks::ports::{ListEvents, StoreError};

#[async_trait]
impl ListEvents for DynamoStore {
    async fn events_page(
        &self,
        merchant: &MerchantId,
        before: Option<&EventId>,
        limit: usize,
    ) -> Result<Vec<MerchantEvent>, StoreError> {
        // Keys below `before`'s (or below every event key: '$' follows '#'), newest first.
        let upper = match before {
            Some(event) => Key::event(merchant, event).sk,
            None => "EVENT$".to_string(),
        };
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :first AND :upper")
            .expression_attribute_values(":pk", s(format!("MERCHANT#{merchant}")))
            .expression_attribute_values(":first", s("EVENT#"))
            .expression_attribute_values(":upper", s(&upper))
            .scan_index_forward(false)
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        let mut page = Vec::new();
        for item in out.items.unwrap_or_default() {
            let event: MerchantEvent = from_item(item)?;
            if before.is_none_or(|b| &event.id < b) {
                page.push(event);
            }
        }
        page.truncate(limit);
        Ok(page)
    }
}

#[async_trait]
impl paylinks::ports::DueEvents for DynamoStore {
    async fn due_events(
        &self,
        now: paylinks::domain::Timestamp,
        limit: usize,
    ) -> Result<Vec<MerchantEvent>, StoreError> {
        let items =
            super::due_index::due_items(self, "gsi4", "EVENTS#", super::items::EVENT_SHARDS, now, limit).await?;
        let mut due = items.into_iter().map(from_item::<MerchantEvent>).collect::<Result<Vec<_>, _>>()?;
        due.sort_by(|a, b| (a.due_at(), &a.id).cmp(&(b.due_at(), &b.id)));
        due.truncate(limit);
        Ok(due)
    }
}
