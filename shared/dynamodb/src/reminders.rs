//! Due reminders, from the sparse `gsi3` index: one query per shard, due time first.

use async_trait::async_trait;

use super::DynamoStore;
use super::expressions::s;
use super::items::{REMINDER_SHARDS, from_item};
use paylinks::domain::{ReminderSchedule, Timestamp};
use paylinks::ports::{DueReminders, StoreError};

#[async_trait]
impl DueReminders for DynamoStore {
    async fn due_reminders(&self, now: Timestamp, limit: usize) -> Result<Vec<ReminderSchedule>, StoreError> {
        // Every position due at `now` sorts before this one ('$' follows '#').
        let until = format!("{:012}$", now.unix().max(0));
        let mut due = Vec::new();
        for shard in 0..REMINDER_SHARDS {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name("gsi3")
                .key_condition_expression("gsi3pk = :shard AND gsi3sk < :until")
                .expression_attribute_values(":shard", s(format!("REMINDERS#{shard}")))
                .expression_attribute_values(":until", s(&until))
                .limit(i32::try_from(limit).unwrap_or(i32::MAX))
                .send()
                .await
                .map_err(StoreError::unavailable)?;
            for item in out.items.unwrap_or_default() {
                due.push(from_item::<ReminderSchedule>(item)?);
            }
        }
        due.sort_by(|a, b| (a.due_at, &a.link_id, &a.key).cmp(&(b.due_at, &b.link_id, &b.key)));
        due.truncate(limit);
        Ok(due)
    }
}
