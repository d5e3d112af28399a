//! Due reminders and link expiries to tell, from the sparse `gsi3` index (`due_index.rs`),
//! earliest first, each under partitions of its own.

use async_trait::async_trait;

use super::DynamoStore;
use super::due_index::due_items;
use super::items::{EXPIRY_SHARDS, REMINDER_SHARDS, from_item};
use paylinks::domain::{Link, ReminderSchedule, Timestamp};
use paylinks::ports::{DueExpiries, DueReminders, StoreError};

#[async_trait]
impl DueReminders for DynamoStore {
    async fn due_reminders(&self, now: Timestamp, limit: usize) -> Result<Vec<ReminderSchedule>, StoreError> {
        let items = due_items(self, "gsi3", "REMINDERS#", REMINDER_SHARDS, now, limit).await?;
        let mut due = items.into_iter().map(from_item::<ReminderSchedule>).collect::<Result<Vec<_>, _>>()?;
        due.sort_by(|a, b| (a.due_at, &a.link_id, &a.key).cmp(&(b.due_at, &b.link_id, &b.key)));
        due.truncate(limit);
        Ok(due)
    }
}

#[async_trait]
impl DueExpiries for DynamoStore {
    async fn due_expiries(&self, now: Timestamp, limit: usize) -> Result<Vec<Link>, StoreError> {
        let items = due_items(self, "gsi3", "EXPIRIES#", EXPIRY_SHARDS, now, limit).await?;
        let mut due = items.into_iter().map(from_item::<Link>).collect::<Result<Vec<_>, _>>()?;
        due.sort_by(|a, b| (a.expiry_due_at(), &a.id).cmp(&(b.expiry_due_at(), &b.id)));
        due.truncate(limit);
        Ok(due)
    }
}
