use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update as TxUpdate};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::expressions::{Item, Update, n, s};
use crate::domain::{
    Delivery, DeliveryId, DeliveryStatus, Link, LinkId, LinkStatus, MerchantId, OpenSession, Order, OrderId,
    OrderPaymentStatus, Payment, PaymentState, SessionId, Settings, ShortCode, ShortCodeTarget, Timestamp,
};
use crate::ports::{
    Applied, Claim, DeliveryStore, IDEMPOTENCY_KEEP_SECONDS, IDEMPOTENCY_LEASE_SECONDS, IdempotencyBegin, LinkStore,
    OrderChange, SessionOutcome, SettingsStore, StoreError,
};

#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

fn merchant_pk(merchant: &MerchantId) -> AttributeValue {
    s(format!("MERCHANT#{merchant}"))
}

fn link_pk(id: &LinkId) -> AttributeValue {
    s(format!("LINK#{id}"))
}

fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(StoreError::unavailable)
}

fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(StoreError::unavailable)
}

/// Items of a page with their list positions, leaving out those `skip` names, at most `limit`.
fn positioned<T: DeserializeOwned>(
    items: Vec<Item>,
    position_attribute: &str,
    limit: usize,
    skip: impl Fn(&str) -> bool,
) -> Result<Vec<(T, String)>, StoreError> {
    let mut page = Vec::new();
    for item in items {
        let Some(AttributeValue::S(position)) = item.get(position_attribute).cloned() else { continue };
        if !skip(&position) {
            page.push((from_item(item)?, position));
        }
    }
    page.truncate(limit);
    Ok(page)
}

fn ttl_of(purge_at: Option<Timestamp>) -> Option<AttributeValue> {
    purge_at.map(|t| n(t.unix()))
}

/// DynamoDB TTL deletes lazily: an item past its `ttl` is gone as far as readers are concerned.
fn is_retained(item: &Item, now: Timestamp) -> bool {
    match item.get("ttl") {
        Some(AttributeValue::N(ttl)) => ttl.parse::<i64>().map(|t| t > now.unix()).unwrap_or(true),
        _ => true,
    }
}

/// A single-item write whose condition did not hold. Anything else (a `TransactionConflict` with
/// a transaction on the item, throttling, a timeout) is a fault worth retrying.
fn is_condition_failure<E, R>(err: &aws_sdk_dynamodb::error::SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    err.as_service_error().and_then(|e| e.code()).is_some_and(|code| code == "ConditionalCheckFailedException")
}

fn map_write_error<E, R>(err: aws_sdk_dynamodb::error::SdkError<E, R>) -> StoreError
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    if is_condition_failure(&err) { StoreError::Conflict } else { StoreError::unavailable(err) }
}

/// DynamoDB cancels a transaction for many reasons, one per item: only a condition that did not
/// hold (and nothing else) means the state was not what the caller expected. A cancellation for
/// `TransactionConflict` (another transaction on an item), `ThrottlingError` or a validation
/// problem wrote nothing and says nothing about the state: a retryable fault.
/// `Ok` with, per item, whether its condition failed; `Err` for every other cancellation.
fn failed_conditions(err: SdkError<TransactWriteItemsError, HttpResponse>) -> Result<Vec<bool>, StoreError> {
    if let Some(codes) = cancellation_codes(&err)
        && cancelled_only_for(&codes, "ConditionalCheckFailed")
    {
        return Ok(codes.iter().map(|code| *code == "ConditionalCheckFailed").collect());
    }
    Err(StoreError::unavailable(err))
}

/// A cancelled transaction's reason per item (`None` for the items that were fine).
fn cancellation_codes(err: &SdkError<TransactWriteItemsError, HttpResponse>) -> Option<Vec<&str>> {
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

/// Tries of one transaction that other transactions keep cancelling (20, then 40 ms apart).
const CONTENTION_TRIES: u32 = 3;

/// Cancelled only for `TransactionConflict`: every other item was fine.
fn is_contention(err: &SdkError<TransactWriteItemsError, HttpResponse>) -> bool {
    cancellation_codes(err).is_some_and(|codes| cancelled_only_for(&codes, "TransactionConflict"))
}

fn map_transaction_error(err: SdkError<TransactWriteItemsError, HttpResponse>) -> StoreError {
    failed_conditions(err).map_or_else(|fault| fault, |_| StoreError::Conflict)
}

/// The status index of an order: one partition per merchant and status, newest change first.
fn order_index(
    merchant: &MerchantId,
    order: &OrderId,
    status: OrderPaymentStatus,
    at: Timestamp,
) -> [(&'static str, AttributeValue); 2] {
    [
        ("gsi2pk", s(format!("MERCHANT#{merchant}#ORDERS#{}", status.as_str()))),
        ("gsi2sk", s(Order::status_position_of(at, order))),
    ]
}

const SETTLED: [OrderPaymentStatus; 3] =
    [OrderPaymentStatus::Paid, OrderPaymentStatus::Refunded, OrderPaymentStatus::PartiallyRefunded];

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    async fn get(&self, pk: AttributeValue, sk: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(out.item)
    }

    fn put(&self, item: Item, condition: &str) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .build()
            .map_err(StoreError::unavailable)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn tx_update(
        &self,
        pk: AttributeValue,
        sk: &str,
        update: &Update,
        condition: Option<&str>,
    ) -> Result<TransactWriteItem, StoreError> {
        let built = TxUpdate::builder()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", s(sk))
            .update_expression(update.expression())
            .set_expression_attribute_names(update.names())
            .set_expression_attribute_values(update.values())
            .set_condition_expression(condition.map(str::to_string))
            .build()
            .map_err(StoreError::unavailable)?;
        Ok(TransactWriteItem::builder().update(built).build())
    }

    async fn update(&self, pk: AttributeValue, sk: &str, update: Update, condition: &str) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", pk)
            .key("sk", s(sk))
            .update_expression(update.expression())
            .set_expression_attribute_names(update.names())
            .set_expression_attribute_values(update.values())
            .condition_expression(condition)
            .send()
            .await
            .map_err(map_write_error)?;
        Ok(())
    }

    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        self.send_transaction(items).await.map_err(map_transaction_error)
    }

    /// Sends a transaction, and again when DynamoDB cancelled it only because another
    /// transaction held one of its items (`TransactionConflict`): nothing was written, and such a
    /// race (two opens, a webhook and a mark-paid) is over in milliseconds. The SDK does not retry
    /// a cancellation; when the contention outlasts these tries the caller answers a 5xx.
    async fn send_transaction(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<(), SdkError<TransactWriteItemsError, HttpResponse>> {
        let mut pause = std::time::Duration::from_millis(20);
        let mut tries = 1;
        loop {
            match self.client.transact_write_items().set_transact_items(Some(items.clone())).send().await {
                Err(err) if tries < CONTENTION_TRIES && is_contention(&err) => {
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                    tries += 1;
                }
                other => return other.map(|_| ()),
            }
        }
    }

    /// Every item of one kind under a link (its payments, its deliveries).
    async fn query_prefix<T: DeserializeOwned>(&self, link: &LinkId, prefix: &str) -> Result<Vec<T>, StoreError> {
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", link_pk(link))
                .expression_attribute_values(":prefix", s(prefix))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(StoreError::unavailable)?;
            for item in out.items.unwrap_or_default() {
                found.push(from_item(item)?);
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(found),
            }
        }
    }

    fn link_item(link: &Link) -> Result<Item, StoreError> {
        let mut item = to_item(link)?;
        item.insert("pk".into(), link_pk(&link.id));
        item.insert("sk".into(), s("LINK"));
        item.insert("gsi1pk".into(), s(format!("MERCHANT#{}#LINKS", link.merchant_id)));
        item.insert("gsi1sk".into(), s(link.list_position()));
        if let Some(ttl) = ttl_of(link.purge_at) {
            item.insert("ttl".into(), ttl);
        }
        Ok(item)
    }

    fn short_code_put(&self, link: &Link) -> Result<TransactWriteItem, StoreError> {
        let target = ShortCodeTarget { link_id: link.id.clone(), delivery_id: None };
        self.short_code_target_put(&link.short_code, &target, link.purge_at)
    }

    /// A short code goes when what it points at goes: it leads to a customer's link.
    fn short_code_target_put(
        &self,
        code: &ShortCode,
        target: &ShortCodeTarget,
        purge_at: Option<Timestamp>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut item = to_item(target)?;
        item.insert("pk".into(), s(format!("SHORT#{}", code.as_str())));
        item.insert("sk".into(), s("SHORT"));
        if let Some(ttl) = ttl_of(purge_at) {
            item.insert("ttl".into(), ttl);
        }
        self.put(item, "attribute_not_exists(pk)")
    }

    /// Sets an order's status, its change time and its place in the status index.
    fn order_status_update(
        merchant: &MerchantId,
        order_id: &OrderId,
        next: OrderPaymentStatus,
        at: Timestamp,
        purge_at: Option<Timestamp>,
    ) -> Update {
        let [(_, gsi2pk), (_, gsi2sk)] = order_index(merchant, order_id, next, at);
        let update = Update::default()
            .set("#ps = :next, updated_at = :at, gsi2pk = :gsi2pk, gsi2sk = :gsi2sk")
            .name("#ps", "payment_status")
            .value(":next", s(next.as_str()))
            .value(":at", s(at.rfc3339()))
            .value(":gsi2pk", gsi2pk)
            .value(":gsi2sk", gsi2sk);
        match purge_at {
            Some(at) => update.keep_until(at),
            None => update,
        }
    }

    /// The order's move after a payment, conditioned on the status it was decided from, so the
    /// transaction that records the payment cancels (and is decided again) if the order moved.
    fn order_after_payment(&self, order: &Order, payment: &Payment) -> Result<Option<TransactWriteItem>, StoreError> {
        let Some(next) = order.payment_status.after_payment(payment.state) else { return Ok(None) };
        let purge_at = if next == OrderPaymentStatus::Paid { payment.purge_at } else { None };
        let update = Self::order_status_update(&payment.merchant_id, &order.id, next, payment.recorded_at, purge_at)
            .value(":seen", s(order.payment_status.as_str()));
        let sk = format!("ORDER#{}", order.id);
        self.tx_update(merchant_pk(&payment.merchant_id), &sk, &update, Some("#ps = :seen")).map(Some)
    }

    /// The payment as a conditional put: `Paid` once, `Processing` only first, `Failed` only
    /// from nothing or processing.
    fn payment_put(&self, payment: &Payment) -> Result<TransactWriteItem, StoreError> {
        let mut item = to_item(payment)?;
        item.insert("pk".into(), link_pk(&payment.link_id));
        item.insert("sk".into(), s(format!("PAYMENT#{}", payment.session_id)));
        if let Some(ttl) = ttl_of(payment.purge_at) {
            item.insert("ttl".into(), ttl);
        }
        let condition = match payment.state {
            PaymentState::Paid => "attribute_not_exists(pk) OR #state <> :paid",
            PaymentState::Processing => "attribute_not_exists(pk)",
            PaymentState::Failed => "attribute_not_exists(pk) OR #state = :processing",
        };
        let mut put = Put::builder().table_name(&self.table).set_item(Some(item)).condition_expression(condition);
        if payment.state != PaymentState::Processing {
            put = put.expression_attribute_names("#state", "state");
            put = match payment.state {
                PaymentState::Paid => put.expression_attribute_values(":paid", s("paid")),
                _ => put.expression_attribute_values(":processing", s("processing")),
            };
        }
        Ok(TransactWriteItem::builder().put(put.build().map_err(StoreError::unavailable)?).build())
    }

    /// What a paid session changes beside its payment: the link's takings (and, for an order link,
    /// its status), and the lookup refunds find the payment by.
    fn paid_session_items(&self, outcome: &SessionOutcome) -> Result<Vec<TransactWriteItem>, StoreError> {
        let payment = &outcome.payment;
        let mut update = Update::default()
            .set("collected = if_not_exists(collected, :zero) + :amount")
            .value(":zero", n(0))
            .value(":amount", n(payment.amount.minor()));
        if outcome.closes_link {
            update = update
                .set("#status = :paid")
                .remove("#session")
                .name("#status", "status")
                .name("#session", "session")
                .value(":paid", s(LinkStatus::Paid.as_str()));
            if let Some(at) = payment.purge_at {
                update = update.keep_until(at);
            }
        }
        let mut items =
            vec![self.tx_update(link_pk(&payment.link_id), "LINK", &update, Some("attribute_exists(pk)"))?];
        if let Some(intent) = &payment.payment_intent {
            let mut lookup = Item::new();
            lookup.insert("pk".into(), s(format!("PI#{intent}")));
            lookup.insert("sk".into(), s("PI"));
            lookup.insert("link_id".into(), s(payment.link_id.as_str()));
            lookup.insert("session_id".into(), s(payment.session_id.as_str()));
            if let Some(ttl) = ttl_of(payment.purge_at) {
                lookup.insert("ttl".into(), ttl);
            }
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(lookup))
                .build()
                .map_err(StoreError::unavailable)?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        Ok(items)
    }

    /// A transaction whose cancellation for failed conditions says which items failed them.
    async fn transact_naming_conditions(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<Result<(), Vec<bool>>, StoreError> {
        match self.send_transaction(items).await {
            Ok(()) => Ok(Ok(())),
            Err(err) => failed_conditions(err).map(Err),
        }
    }
}

#[async_trait]
impl SettingsStore for DynamoStore {
    async fn get_settings(&self, merchant: &MerchantId) -> Result<Option<Settings>, StoreError> {
        self.get(merchant_pk(merchant), "SETTINGS").await?.map(from_item).transpose()
    }

    async fn put_settings(&self, merchant: &MerchantId, settings: &Settings) -> Result<(), StoreError> {
        let mut item = to_item(settings)?;
        item.insert("pk".into(), merchant_pk(merchant));
        item.insert("sk".into(), s("SETTINGS"));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }
}

#[async_trait]
impl DeliveryStore for DynamoStore {
    async fn claim_delivery(
        &self,
        delivery: &Delivery,
        window_key: &str,
        window_cutoff: Timestamp,
    ) -> Result<Claim, StoreError> {
        let window_sk = format!("WINDOW#{window_key}");
        for _ in 0..3 {
            let mut window = Item::new();
            window.insert("pk".into(), link_pk(&delivery.link_id));
            window.insert("sk".into(), s(&window_sk));
            window.insert("delivery_id".into(), s(delivery.id.as_str()));
            window.insert("started_at".into(), n(delivery.created_at.unix()));
            // The window item may go once it no longer blocks anything.
            window.insert("ttl".into(), n(delivery.created_at.unix() + 2 * 86_400));
            let window_put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(window))
                .condition_expression("attribute_not_exists(pk) OR started_at <= :cutoff")
                .expression_attribute_values(":cutoff", n(window_cutoff.unix()))
                .build()
                .map_err(StoreError::unavailable)?;
            let mut item = to_item(delivery)?;
            item.insert("pk".into(), link_pk(&delivery.link_id));
            item.insert("sk".into(), s(format!("DELIVERY#{}", delivery.id)));
            // A delivery holds the recipient's address: it goes with the rest of the link's data.
            if let Some(ttl) = ttl_of(delivery.purge_at) {
                item.insert("ttl".into(), ttl);
            }
            let target = ShortCodeTarget { link_id: delivery.link_id.clone(), delivery_id: Some(delivery.id.clone()) };
            let items = vec![
                TransactWriteItem::builder().put(window_put).build(),
                self.put(item, "attribute_not_exists(pk)")?,
                self.short_code_target_put(&delivery.short_code, &target, delivery.purge_at)?,
            ];
            match self.transact(items).await {
                Ok(()) => return Ok(Claim::Claimed),
                Err(StoreError::Conflict) => {}
                Err(err) => return Err(err),
            }
            let holder = match self.get(link_pk(&delivery.link_id), &window_sk).await? {
                Some(item) => match item.get("delivery_id") {
                    Some(AttributeValue::S(id)) => id.clone(),
                    _ => continue,
                },
                // Released by a failed send in the meantime: try to claim again.
                None => continue,
            };
            if holder == delivery.id.as_str() {
                // An attempt the SDK gave up on (a timeout) had written the claim after all.
                return Ok(Claim::Claimed);
            }
            if let Some(existing) = self.get(link_pk(&delivery.link_id), &format!("DELIVERY#{holder}")).await? {
                return Ok(Claim::Existing(Box::new(from_item(existing)?)));
            }
        }
        Err(StoreError::Conflict)
    }

    async fn finish_delivery(&self, delivery: &Delivery, window_key: &str) -> Result<(), StoreError> {
        let mut update = Update::default()
            .set("#status = :status")
            .name("#status", "status")
            .value(":status", s(delivery.status.as_str()));
        for (field, value) in [("message_id", &delivery.message_id), ("error", &delivery.error)] {
            if let Some(value) = value {
                // Named through placeholders: `error` is a DynamoDB reserved word.
                update = update
                    .set(&format!("#{field} = :{field}"))
                    .name(&format!("#{field}"), field)
                    .value(&format!(":{field}"), s(value));
            }
        }
        self.update(link_pk(&delivery.link_id), &format!("DELIVERY#{}", delivery.id), update, "attribute_exists(pk)")
            .await?;
        if delivery.status == DeliveryStatus::Failed {
            let released = self
                .client
                .delete_item()
                .table_name(&self.table)
                .key("pk", link_pk(&delivery.link_id))
                .key("sk", s(format!("WINDOW#{window_key}")))
                .condition_expression("delivery_id = :id")
                .expression_attribute_values(":id", s(delivery.id.as_str()))
                .send()
                .await;
            match released {
                Ok(_) => {}
                Err(err) if is_condition_failure(&err) => {}
                Err(err) => return Err(StoreError::unavailable(err)),
            }
        }
        Ok(())
    }

    async fn release_delivery(&self, delivery: &Delivery, window_key: &str) -> Result<(), StoreError> {
        let delete =
            |pk: AttributeValue, sk: String| Delete::builder().table_name(&self.table).key("pk", pk).key("sk", s(sk));
        let window = delete(link_pk(&delivery.link_id), format!("WINDOW#{window_key}"))
            .condition_expression("attribute_not_exists(pk) OR delivery_id = :id")
            .expression_attribute_values(":id", s(delivery.id.as_str()));
        let own = || {
            [
                delete(link_pk(&delivery.link_id), format!("DELIVERY#{}", delivery.id)),
                delete(s(format!("SHORT#{}", delivery.short_code.as_str())), "SHORT".into()),
            ]
        };
        let transaction = |deletes: Vec<_>| {
            deletes
                .into_iter()
                .map(|d: aws_sdk_dynamodb::types::builders::DeleteBuilder| {
                    d.build().map(|d| TransactWriteItem::builder().delete(d).build()).map_err(StoreError::unavailable)
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let mut everything = vec![window];
        everything.extend(own());
        match self.transact(transaction(everything)?).await {
            Ok(()) => Ok(()),
            // Another send holds the window now: leave it, but this delivery's own items still go.
            Err(StoreError::Conflict) => self.transact(transaction(own().into())?).await,
            Err(err) => Err(err),
        }
    }

    async fn list_deliveries(&self, link: &LinkId) -> Result<Vec<Delivery>, StoreError> {
        let mut deliveries: Vec<Delivery> = self.query_prefix(link, "DELIVERY#").await?;
        deliveries.sort_by(|a, b| (a.created_at, a.id.as_str()).cmp(&(b.created_at, b.id.as_str())));
        Ok(deliveries)
    }
}

#[async_trait]
impl LinkStore for DynamoStore {
    async fn get_order(&self, merchant: &MerchantId, order: &OrderId) -> Result<Option<Order>, StoreError> {
        self.get(merchant_pk(merchant), &format!("ORDER#{order}")).await?.map(from_item).transpose()
    }

    async fn create_order_link(
        &self,
        link: &Link,
        order: &Order,
        expected_current: Option<&LinkId>,
    ) -> Result<(), StoreError> {
        let mut fields = to_item(order)?;
        fields.remove("link_ids");
        fields.remove("current_link_id");
        fields.remove("current_link_created_at");
        // Written with its TTL, or with both removed when the order is kept for good.
        fields.remove("purge_at");
        let index = order_index(&order.merchant_id, &order.id, order.payment_status, order.updated_at);
        fields.extend(index.map(|(k, v)| (k.to_string(), v)));
        let mut update = Update::default()
            .set_all(fields)
            .set("link_ids = list_append(if_not_exists(link_ids, :empty), :new_link)")
            .set("current_link_id = :link, current_link_created_at = :link_at")
            .value(":empty", AttributeValue::L(Vec::new()))
            .value(":new_link", AttributeValue::L(vec![s(link.id.as_str())]))
            .value(":link", s(link.id.as_str()))
            .value(":link_at", s(link.created_at.rfc3339()))
            .name("#ps", "payment_status")
            .retention(order.purge_at);
        let settled;
        (update, settled) = update.one_of("settled", SETTLED.iter().map(|status| status.as_str()));
        let unsettled = format!("(attribute_not_exists(#ps) OR NOT #ps IN {settled})");
        let condition = match expected_current {
            Some(current) => {
                update = update.value(":expected", s(current.as_str()));
                format!("current_link_id = :expected AND {unsettled}")
            }
            None => format!("attribute_not_exists(current_link_id) AND {unsettled}"),
        };
        let items = vec![
            self.put(Self::link_item(link)?, "attribute_not_exists(pk)")?,
            self.short_code_put(link)?,
            self.tx_update(merchant_pk(&order.merchant_id), &format!("ORDER#{}", order.id), &update, Some(&condition))?,
        ];
        self.transact(items).await
    }

    async fn create_link(&self, link: &Link) -> Result<(), StoreError> {
        let items = vec![self.put(Self::link_item(link)?, "attribute_not_exists(pk)")?, self.short_code_put(link)?];
        self.transact(items).await
    }

    async fn get_link(&self, id: &LinkId, now: Timestamp) -> Result<Option<Link>, StoreError> {
        match self.get(link_pk(id), "LINK").await? {
            Some(item) if is_retained(&item, now) => from_item(item).map(Some),
            _ => Ok(None),
        }
    }

    async fn resolve_short_code(
        &self,
        code: &ShortCode,
        _now: Timestamp,
    ) -> Result<Option<ShortCodeTarget>, StoreError> {
        self.get(s(format!("SHORT#{}", code.as_str())), "SHORT").await?.map(from_item).transpose()
    }

    async fn set_link_status(
        &self,
        id: &LinkId,
        from: &[LinkStatus],
        to: LinkStatus,
        purge_at: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        if from.is_empty() {
            return Err(StoreError::Conflict);
        }
        let (update, allowed) = Update::default()
            .set("#status = :to")
            .name("#status", "status")
            .value(":to", s(to.as_str()))
            .retention(purge_at)
            .one_of("from", from.iter().map(|status| status.as_str()));
        let condition = format!("attribute_exists(pk) AND #status IN {allowed}");
        self.update(link_pk(id), "LINK", update, &condition).await
    }

    async fn rename_link(&self, id: &LinkId, name: &str) -> Result<(), StoreError> {
        let update = Update::default().set("#name = :name").name("#name", "name").value(":name", s(name));
        self.update(link_pk(id), "LINK", update, "attribute_exists(pk)").await
    }

    async fn retain_link_data(&self, link: &Link, purge_at: Option<Timestamp>) -> Result<(), StoreError> {
        let mut keys: Vec<(AttributeValue, String)> =
            vec![(s(format!("SHORT#{}", link.short_code.as_str())), "SHORT".to_string())];
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", link_pk(&link.id))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(StoreError::unavailable)?;
            for item in out.items.unwrap_or_default() {
                let text = |name: &str| match item.get(name) {
                    Some(AttributeValue::S(v)) => Some(v.clone()),
                    _ => None,
                };
                let Some(sk) = text("sk") else { continue };
                // Resend-window markers hold no personal data and keep their own two-day TTL.
                if sk == "LINK" || sk.starts_with("WINDOW#") {
                    continue;
                }
                if let Some(code) = text("short_code") {
                    keys.push((s(format!("SHORT#{code}")), "SHORT".to_string()));
                }
                if let Some(intent) = text("payment_intent") {
                    keys.push((s(format!("PI#{intent}")), "PI".to_string()));
                }
                keys.push((link_pk(&link.id), sk));
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        for (pk, sk) in keys {
            let update = Update::default().retention(purge_at);
            match self.update(pk, &sk, update, "attribute_exists(pk)").await {
                Ok(()) | Err(StoreError::Conflict) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }

    async fn record_open(&self, id: &LinkId, delivery: Option<&DeliveryId>) -> Result<(), StoreError> {
        let count = || {
            Update::default().set("opens = if_not_exists(opens, :zero) + :one").value(":zero", n(0)).value(":one", n(1))
        };
        self.update(link_pk(id), "LINK", count(), "attribute_exists(pk)").await?;
        if let Some(delivery) = delivery {
            let sk = format!("DELIVERY#{delivery}");
            match self.update(link_pk(id), &sk, count(), "attribute_exists(pk)").await {
                Ok(()) | Err(StoreError::Conflict) => {}
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }

    async fn attach_session(&self, id: &LinkId, expected_seq: u32, session: &OpenSession) -> Result<(), StoreError> {
        let session_value = AttributeValue::M(to_item(session)?);
        let update = Update::default()
            .set("#session = :session, session_seq = :next")
            .name("#session", "session")
            .name("#status", "status")
            .value(":session", session_value)
            .value(":next", n(expected_seq + 1))
            .value(":seq", n(expected_seq))
            .value(":active", s(LinkStatus::Active.as_str()));
        let condition = if expected_seq == 0 {
            "#status = :active AND (attribute_not_exists(session_seq) OR session_seq = :seq)"
        } else {
            "#status = :active AND session_seq = :seq"
        };
        self.update(link_pk(id), "LINK", update, condition).await
    }

    async fn forget_session(&self, id: &LinkId, session: &SessionId) -> Result<bool, StoreError> {
        let update = Update::default()
            .remove("#session")
            .name("#session", "session")
            .name("#id", "id")
            .value(":sid", s(session.as_str()));
        match self.update(link_pk(id), "LINK", update, "#session.#id = :sid").await {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(err) => Err(err),
        }
    }

    async fn apply_session_outcome(&self, outcome: &SessionOutcome) -> Result<Applied, StoreError> {
        let payment = &outcome.payment;
        // The payment, its link and its order change in one transaction: a fault leaves none of
        // them written, and Stripe's retry finds everything as it was.
        for _ in 0..3 {
            let order = match &payment.order_id {
                Some(order_id) => self.get_order(&payment.merchant_id, order_id).await?,
                None => None,
            };
            let mut items = vec![self.payment_put(payment)?];
            if payment.state == PaymentState::Paid {
                items.extend(self.paid_session_items(outcome)?);
            }
            if let Some(order) = &order {
                items.extend(self.order_after_payment(order, payment)?);
            }
            match self.transact_naming_conditions(items).await? {
                Ok(()) => return Ok(Applied::Changed),
                // The payment already holds this state (or a later one): a repeat.
                Err(failed) if failed.first() == Some(&true) => return Ok(Applied::Unchanged),
                // The order moved since it was read: decide again.
                Err(_) => {}
            }
        }
        Err(StoreError::Conflict)
    }

    async fn list_payments(&self, link: &LinkId) -> Result<Vec<Payment>, StoreError> {
        let mut payments: Vec<Payment> = self.query_prefix(link, "PAYMENT#").await?;
        Payment::sort_chronologically(&mut payments);
        Ok(payments)
    }

    async fn find_payment_by_intent(&self, payment_intent: &str) -> Result<Option<Payment>, StoreError> {
        let Some(lookup) = self.get(s(format!("PI#{payment_intent}")), "PI").await? else { return Ok(None) };
        let (Some(AttributeValue::S(link)), Some(AttributeValue::S(session))) =
            (lookup.get("link_id"), lookup.get("session_id"))
        else {
            return Ok(None);
        };
        self.get(s(format!("LINK#{link}")), &format!("PAYMENT#{session}")).await?.map(from_item).transpose()
    }

    async fn record_refund(
        &self,
        payment: &Payment,
        refunded_total: i64,
        order_status: OrderPaymentStatus,
        at: Timestamp,
    ) -> Result<Applied, StoreError> {
        let raise = Update::default().set("refunded = :total").value(":total", n(refunded_total));
        let sk = format!("PAYMENT#{}", payment.session_id);
        let condition = "attribute_exists(pk) AND (attribute_not_exists(refunded) OR refunded < :total)";
        let mut items = vec![self.tx_update(link_pk(&payment.link_id), &sk, &raise, Some(condition))?];
        if let Some(order_id) = &payment.order_id {
            let update = Self::order_status_update(&payment.merchant_id, order_id, order_status, at, None);
            items.push(self.tx_update(
                merchant_pk(&payment.merchant_id),
                &format!("ORDER#{order_id}"),
                &update,
                Some("attribute_exists(pk)"),
            )?);
        }
        match self.transact(items).await {
            Ok(()) => Ok(Applied::Changed),
            Err(StoreError::Conflict) => Ok(Applied::Unchanged),
            Err(err) => Err(err),
        }
    }

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
                    .expression_attribute_values(":pk", merchant_pk(merchant))
                    .expression_attribute_values(":after", s(after.unwrap_or("ORDER#")))
                    // '$' follows '#': the last possible order key.
                    .expression_attribute_values(":last", s("ORDER$"))
                    .consistent_read(true),
                "sk",
            ),
        };
        let out = query.send().await.map_err(StoreError::unavailable)?;
        // The key condition is inclusive: the cursor's own order was on the page before.
        positioned(out.items.unwrap_or_default(), position_attribute, limit, |p| after.is_some_and(|a| p <= a))
    }

    async fn set_order_status(
        &self,
        merchant: &MerchantId,
        order: &OrderId,
        change: &OrderChange<'_>,
    ) -> Result<(), StoreError> {
        let OrderChange { from, to, at, manual_payment, purge_at } = *change;
        if from.is_empty() {
            return Err(StoreError::Conflict);
        }
        let (update, allowed) = Self::order_status_update(merchant, order, to, at, purge_at)
            .one_of("from", from.iter().map(|status| status.as_str()));
        let condition = format!("attribute_exists(pk) AND #ps IN {allowed}");
        let mut items =
            vec![self.tx_update(merchant_pk(merchant), &format!("ORDER#{order}"), &update, Some(&condition))?];
        if let Some(payment) = manual_payment {
            let mut item = to_item(payment)?;
            item.insert("pk".into(), link_pk(&payment.link_id));
            item.insert("sk".into(), s(format!("PAYMENT#{}", payment.session_id)));
            if let Some(ttl) = ttl_of(payment.purge_at) {
                item.insert("ttl".into(), ttl);
            }
            items.push(self.put(item, "attribute_not_exists(pk)")?);
            let collected = Update::default()
                .set("collected_manual = if_not_exists(collected_manual, :zero) + :amount")
                .value(":zero", n(0))
                .value(":amount", n(payment.amount.minor()));
            items.push(self.tx_update(link_pk(&payment.link_id), "LINK", &collected, Some("attribute_exists(pk)"))?);
        }
        self.transact(items).await
    }

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

    async fn begin_idempotent(
        &self,
        merchant: &MerchantId,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
    ) -> Result<IdempotencyBegin, StoreError> {
        let sk = format!("IDEM#{key}");
        let expires = now.plus_seconds(IDEMPOTENCY_KEEP_SECONDS);
        // The SDK retries an attempt that timed out, and the timed-out attempt may have written:
        // the retry must know its own record from another request's.
        let owner = crate::domain::random_base62(16);
        let started = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", merchant_pk(merchant))
            .item("sk", s(&sk))
            .item("fingerprint", s(fingerprint))
            .item("state", s("in_progress"))
            .item("owner", s(&owner))
            .item("expires_at", n(expires.unix()))
            .item("lease_until", n(now.plus_seconds(IDEMPOTENCY_LEASE_SECONDS).unix()))
            .item("ttl", n(expires.unix()))
            // Free, forgotten, or held by the same request that died (its lease is over).
            .condition_expression(
                "attribute_not_exists(pk) OR expires_at < :now \
                 OR (#state = :in_progress AND fingerprint = :fingerprint AND lease_until < :now)",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":now", n(now.unix()))
            .expression_attribute_values(":in_progress", s("in_progress"))
            .expression_attribute_values(":fingerprint", s(fingerprint))
            .send()
            .await;
        match started {
            Ok(_) => return Ok(IdempotencyBegin::Started),
            Err(err) if is_condition_failure(&err) => {}
            Err(err) => return Err(StoreError::unavailable(err)),
        }
        let Some(item) = self.get(merchant_pk(merchant), &sk).await? else {
            return Ok(IdempotencyBegin::InProgress);
        };
        let text = |name: &str| match item.get(name) {
            Some(AttributeValue::S(v)) => v.clone(),
            _ => String::new(),
        };
        if text("fingerprint") != fingerprint {
            return Ok(IdempotencyBegin::Mismatch);
        }
        if text("state") == "in_progress" && text("owner") == owner {
            return Ok(IdempotencyBegin::Started);
        }
        if text("state") != "completed" {
            return Ok(IdempotencyBegin::InProgress);
        }
        let status = match item.get("status") {
            Some(AttributeValue::N(v)) => v.parse().unwrap_or(500),
            _ => 500,
        };
        Ok(IdempotencyBegin::Completed { status, body: text("body") })
    }

    async fn complete_idempotent(
        &self,
        merchant: &MerchantId,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError> {
        let update = Update::default()
            .set("#state = :completed, #status = :status, body = :body")
            .name("#state", "state")
            .name("#status", "status")
            .value(":completed", s("completed"))
            .value(":status", n(status))
            .value(":body", s(body));
        self.update(merchant_pk(merchant), &format!("IDEM#{key}"), update, "attribute_exists(pk)").await
    }

    async fn abandon_idempotent(&self, merchant: &MerchantId, key: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", merchant_pk(merchant))
            .key("sk", s(format!("IDEM#{key}")))
            .send()
            .await
            .map_err(StoreError::unavailable)?;
        Ok(())
    }
}
