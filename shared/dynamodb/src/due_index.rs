//! The sparse "due" indexes (`gsi3` reminder schedules, `gsi4` pending events): an item is in one
//! while something about it is due, under one of a few shard partitions, sorted by when. The
//! scheduler reads every shard up to now.

use super::DynamoStore;
use super::expressions::{Item, s};
use paylinks::domain::Timestamp;
use paylinks::ports::StoreError;

/// Items of `index` due at or before `now`: up to `limit` from each of its `shards` partitions
/// (`{prefix}{n}`), unsorted across shards.
pub(super) async fn due_items(
    store: &DynamoStore,
    index: &str,
    prefix: &str,
    shards: u32,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<Item>, StoreError> {
    // Every position due at `now` sorts before this one ('$' follows '#').
    let until = format!("{:012}$", now.unix().max(0));
    let (pk, sk) = (format!("{index}pk"), format!("{index}sk"));
    let mut items = Vec::new();
    for shard in 0..shards {
        let out = store
            .client
            .query()
            .table_name(&store.table)
            .index_name(index)
            .key_condition_expression("#pk = :shard AND #sk < :until")
            .expression_attribute_names("#pk", &pk)
            .expression_attribute_names("#sk", &sk)
            .expression_attribute_values(":shard", s(format!("{prefix}{shard}")))
            .expression_attribute_values(":until", s(&until))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        items.extend(out.items.unwrap_or_default());
    }
    Ok(items)
}
