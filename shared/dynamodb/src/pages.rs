//! The merchant's lists, read from the indexes: never a scan.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;

use super::DynamoStore;
use super::expressions::{Item, s};
use super::items::from_item;
use paylinks::domain::{Link, MerchantId, Order, OrderPaymentStatus, Timestamp};
use paylinks::ports::{ListLinks, ListOrders, StoreError};

/// Items of a page with their list positions, leaving out those `skip` names, at most `limit`.
fn positioned<T: DeserializeOwned>(
    items: Vec<Item>,
    position_attribute: &str,
    limit: usize,
    skip: impl Fn(&str) -> bool,
) -> Result<Vec<(T, String)>, StoreError> {
    positioned_as(items, position_attribute, limit, skip, from_item)
}

fn positioned_as<T>(
    items: Vec<Item>,
    position_attribute: &str,
    limit: usize,
    skip: impl Fn(&str) -> bool,
    decode: impl Fn(Item) -> Result<T, StoreError>,
) -> Result<Vec<(T, String)>, StoreError> {
    let mut page = Vec::new();
    for item in items {
        let Some(AttributeValue::S(position)) = item.get(position_attribute).cloned() else { continue };
        if !skip(&position) {
            page.push((decode(item)?, position));
        }
    }
    page.truncate(limit);
    Ok(page)
}

#[async_trait]
impl ListOrders for DynamoStore {
    async fn orders_page(
        &self,
        merchant: &MerchantId,
        status: Option<OrderPaymentStatus>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(Order, String)>, StoreError> {
        let query = self.client.query().table_name(&self.table).limit(limit as i32 + 1);
        let (query, position_attribute) = match status {
            Some(status) => (
                query
                    .index_name("gsi2")
                    .key_condition_expression("gsi2pk = :pk AND gsi2sk > :after")
                    .expression_attribute_values(":pk", s(format!("MERCHANT#{merchant}#ORDERS#{}", status.as_str())))
                    .expression_attribute_values(":after", s(after.unwrap_or("0"))),
                "gsi2sk",
            ),
            None => (
                query
                    .key_condition_expression("pk = :pk AND sk BETWEEN :after AND :last")
                    .expression_attribute_values(":pk", s(format!("MERCHANT#{merchant}")))
                    .expression_attribute_values(":after", s(after.unwrap_or("ORDER#")))
                    // '$' follows '#': the last possible order key.
                    .expression_attribute_values(":last", s("ORDER$"))
                    .consistent_read(true),
                "sk",
            ),
        };
        let out = query.send().await.map_err(StoreError::unavailable)?;
        // The key condition is inclusive: the cursor's own order was on the page before.
        let skip = |p: &str| after.is_some_and(|a| p <= a);
        positioned_as(out.items.unwrap_or_default(), position_attribute, limit, skip, |item| {
            super::items::order_of(item).map(|o| o.value)
        })
    }
}

#[async_trait]
impl ListLinks for DynamoStore {
    async fn links_page(
        &self,
        merchant: &MerchantId,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(Link, String)>, StoreError> {
        // Positions sort as text: the lowest and highest of a time range bracket it.
        let low = from.map(|t| format!("{:012}#", t.unix())).unwrap_or_else(|| "0".into());
        let mut high = to.map(|t| format!("{:012}#~", t.unix())).unwrap_or_else(|| "~".into());
        if let Some(before) = before
            && before < high.as_str()
        {
            high = before.to_string();
        }
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("gsi1")
            .key_condition_expression("gsi1pk = :pk AND gsi1sk BETWEEN :low AND :high")
            .expression_attribute_values(":pk", s(format!("MERCHANT#{merchant}#LINKS")))
            .expression_attribute_values(":low", s(low))
            .expression_attribute_values(":high", s(&high))
            .scan_index_forward(false)
            .limit(limit as i32 + 1)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        // BETWEEN is inclusive: the cursor's own link was on the page before.
        positioned(out.items.unwrap_or_default(), "gsi1sk", limit, |p| before.is_some_and(|b| p >= b))
    }
}
