use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, KeysAndAttributes, Put, TransactWriteItem, Update as TxUpdate};

use super::expressions::{Item, Update, n, s};
use super::items::{Key, Layout, MerchantSettings, VERSION, from_item, to_item, versioned};
use super::transactions;
use paylinks::domain::{Activity, Delivery, DeliveryActivity, LinkId, Payment, Timestamp, Versioned};
use paylinks::ports::{
    Commit, CountOpens, Found, LinkRecords, Read, ReadLinkRecords, StoreError, Visit, Wanted, Write,
};

/// The attribute of a link's `OPENS` item naming the delivery whose open last went on to Checkout.
const LAST_CHECKOUT: &str = "last_checkout_delivery";

/// Shards of a link's open count: a crowd of 5,000 opens a second is about 600 writes a second on
/// each, under DynamoDB's 1,000 a second on one item (and one partition).
pub(crate) const OPEN_SHARDS: u32 = 8;

/// A count is sent once, never retried (`budgets::DYNAMODB_COUNT`: an increment is not idempotent).
pub(crate) fn counted_once() -> aws_sdk_dynamodb::config::Builder {
    let (timeouts, retries) = paylinks_aws::sdk_settings(&paylinks::budgets::DYNAMODB_COUNT);
    aws_sdk_dynamodb::config::Builder::default().timeout_config(timeouts).retry_config(retries)
}

/// Keys per `BatchGetItem` call, DynamoDB's limit.
const BATCH_GET_LIMIT: usize = 100;

#[derive(Debug, Clone)]
pub struct DynamoStore {
    pub(super) client: Client,
    pub(super) table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    /// Every item asked for that exists, by key: one `BatchGetItem` per hundred keys, again for
    /// the keys DynamoDB left unprocessed.
    async fn batch_get(&self, keys: Vec<Key>) -> Result<HashMap<Key, Item>, StoreError> {
        let mut unique = keys;
        unique.sort_by(|a, b| (&a.pk, &a.sk).cmp(&(&b.pk, &b.sk)));
        unique.dedup();
        let mut found = HashMap::new();
        for chunk in unique.chunks(BATCH_GET_LIMIT) {
            let mut pending: Vec<Item> = chunk.iter().map(Key::attributes).collect();
            let mut pause = std::time::Duration::from_millis(10);
            while !pending.is_empty() {
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut pending)))
                    .consistent_read(true)
                    .build()
                    .map_err(StoreError::unavailable)?;
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(StoreError::unavailable)?;
                for item in out.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
                    if let Some(key) = Key::of_item(&item) {
                        found.insert(key, item);
                    }
                }
                if let Some(left) = out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)) {
                    pending = left.keys;
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
            }
        }
        Ok(found)
    }

    fn put<T: Layout>(&self, item: &Versioned<T>) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder().table_name(&self.table).set_item(Some(item.value.item(item.version + 1)?));
        let put = if item.is_new() {
            put.condition_expression("attribute_not_exists(pk)")
        } else {
            put.condition_expression("#version = :read")
                .expression_attribute_names("#version", VERSION)
                .expression_attribute_values(":read", n(item.version))
        };
        Ok(TransactWriteItem::builder().put(put.build().map_err(StoreError::unavailable)?).build())
    }

    /// An item written whole, whatever was there: for records a repeat writes the same.
    fn put_whole<T: Layout>(&self, value: &T) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder().table_name(&self.table).set_item(Some(value.item(1)?));
        Ok(TransactWriteItem::builder().put(put.build().map_err(StoreError::unavailable)?).build())
    }

    fn delete(&self, key: Key, version: Option<u64>) -> Result<TransactWriteItem, StoreError> {
        let mut delete = Delete::builder().table_name(&self.table).set_key(Some(key.attributes()));
        if let Some(version) = version {
            delete = delete
                .condition_expression("#version = :read")
                .expression_attribute_names("#version", VERSION)
                .expression_attribute_values(":read", n(version));
        }
        Ok(TransactWriteItem::builder().delete(delete.build().map_err(StoreError::unavailable)?).build())
    }

    fn update(&self, key: Key, update: &Update, condition: Option<&str>) -> Result<TransactWriteItem, StoreError> {
        let built = TxUpdate::builder()
            .table_name(&self.table)
            .set_key(Some(key.attributes()))
            .update_expression(update.expression())
            .set_expression_attribute_names(update.names())
            .set_expression_attribute_values(update.values())
            .set_condition_expression(condition.map(str::to_string))
            .build()
            .map_err(StoreError::unavailable)?;
        Ok(TransactWriteItem::builder().update(built).build())
    }

    fn transact_item(&self, write: &Write) -> Result<TransactWriteItem, StoreError> {
        match write {
            Write::Link(link) => self.put(link),
            Write::LinkFollowsOrder { link, status, amount_paid, order_amount, purge_at } => {
                let mut update = Update::default()
                    .set("order_status = :status, order_paid = :paid, order_amount = :owed, #version = #version + :one")
                    .name("#version", VERSION)
                    .value(":status", s(status.as_str()))
                    .value(":paid", n(*amount_paid))
                    .value(":owed", n(order_amount.minor()))
                    .value(":one", n(1));
                if let Some(at) = purge_at {
                    update = update.keep_until(*at);
                }
                // An order that is paid or ended ends its links' expiry too: out of the due index
                // (`Link::expiry_due_at`), which a whole-item write would have computed.
                if status.is_settled() || status.ends_links() {
                    update = update.remove("gsi3pk").remove("gsi3sk");
                }
                self.update(Key::link(link), &update, Some("attribute_exists(pk)"))
            }
            Write::Order(order) => self.put(order),
            Write::Payment(payment) => self.put(payment),
            Write::Intent(intent) => self.put(intent),
            Write::Delivery(delivery) => self.put(delivery),
            Write::Window(window) => self.put(window),
            Write::Reminder(schedule) => self.put(schedule),
            Write::Idempotency(record) => self.put(record),
            Write::Settings(merchant, settings) => {
                self.put(&Versioned::at(MerchantSettings(merchant, &settings.value), settings.version))
            }
            Write::ShortCode(code, target) => {
                let mut item = to_item(target)?;
                item.extend(Key::short_code(code).attributes());
                item.extend(super::items::ttl(target.purge_at).into_iter().map(|(k, v)| (k.to_string(), v)));
                let put = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(item))
                    .condition_expression("attribute_not_exists(pk)")
                    .build()
                    .map_err(StoreError::unavailable)?;
                Ok(TransactWriteItem::builder().put(put).build())
            }
            Write::DropDelivery(d) => self.delete(Key::delivery(&d.link_id, &d.id), Some(d.version)),
            Write::DropWindow(w) => self.delete(Key::window(&w.link_id, &w.key), Some(w.version)),
            Write::DropShortCode(code) => self.delete(Key::short_code(code), None),
            Write::Suppress(suppression) => self.put_whole(suppression),
            Write::ClientSession(kept) => self.put_whole(kept),
            Write::Endpoints(endpoints) => self.put(endpoints),
            Write::Event(event) => self.put(event),
            Write::MessageSent(target) => self.put_whole(target),
            Write::Activity { link, delivery, activity, at } => {
                let update = Update::default()
                    .set("#at = if_not_exists(#at, :at)")
                    .name("#at", activity.field())
                    .value(":at", n(at.unix()));
                self.update(Key::opens(link, Some(delivery)), &update, None)
            }
        }
    }
}

fn wanted_keys(wanted: &Wanted) -> Vec<Key> {
    let mut keys = Vec::new();
    keys.extend(wanted.link.iter().map(Key::link));
    keys.extend(wanted.settings.iter().map(Key::settings));
    keys.extend(wanted.order.iter().map(|(m, o)| Key::order(m, o)));
    keys.extend(wanted.payment.iter().map(|(l, session)| Key::payment(l, session)));
    keys.extend(wanted.intent.iter().map(|i| Key::intent(i)));
    keys.extend(wanted.links.iter().map(Key::link));
    keys.extend(wanted.windows.iter().map(|(l, k)| Key::window(l, k)));
    keys.extend(wanted.reminders.iter().map(|(l, k)| Key::reminder(l, k)));
    keys.extend(wanted.idempotency.iter().map(|(m, k)| Key::idempotency(m, k)));
    keys.extend(wanted.short_code.iter().map(Key::short_code));
    keys.extend(wanted.suppressions.iter().map(|(m, k)| Key::suppression(m, k)));
    keys.extend(wanted.message.iter().map(|m| Key::message(m)));
    keys.extend(wanted.last_checkout.iter().map(|l| Key::opens(l, None)));
    keys.extend(wanted.endpoints.iter().map(Key::endpoints));
    keys.extend(wanted.event.iter().map(|(m, e)| Key::event(m, e)));
    keys.extend(wanted.client_session.iter().map(|(l, c)| Key::client_session(l, c)));
    keys
}

#[async_trait]
impl Read for DynamoStore {
    async fn read(&self, wanted: &Wanted) -> Result<Found, StoreError> {
        let items = self.batch_get(wanted_keys(wanted)).await?;
        let take = |key: Key| items.get(&key).cloned();
        fn one<T: serde::de::DeserializeOwned>(item: Option<Item>) -> Result<Option<Versioned<T>>, StoreError> {
            item.map(versioned).transpose()
        }
        Ok(Found {
            link: one(wanted.link.as_ref().map(Key::link).and_then(take))?,
            settings: one(wanted.settings.as_ref().map(Key::settings).and_then(take))?,
            order: wanted
                .order
                .as_ref()
                .and_then(|(m, o)| take(Key::order(m, o)))
                .map(super::items::order_of)
                .transpose()?,
            payment: one(wanted.payment.as_ref().map(|(l, session)| Key::payment(l, session)).and_then(take))?,
            intent: one(wanted.intent.as_deref().map(Key::intent).and_then(take))?,
            links: wanted.links.iter().filter_map(|id| take(Key::link(id))).map(versioned).collect::<Result<_, _>>()?,
            windows: wanted
                .windows
                .iter()
                .filter_map(|(l, k)| take(Key::window(l, k)))
                .map(versioned)
                .collect::<Result<_, _>>()?,
            reminders: wanted
                .reminders
                .iter()
                .filter_map(|(l, k)| take(Key::reminder(l, k)))
                .map(versioned)
                .collect::<Result<_, _>>()?,
            idempotency: one(wanted.idempotency.as_ref().map(|(m, k)| Key::idempotency(m, k)).and_then(take))?,
            short_code: wanted.short_code.as_ref().and_then(|c| take(Key::short_code(c))).map(from_item).transpose()?,
            suppressions: wanted
                .suppressions
                .iter()
                .filter_map(|(m, k)| take(Key::suppression(m, k)))
                .map(from_item)
                .collect::<Result<_, _>>()?,
            message: wanted.message.as_deref().and_then(|m| take(Key::message(m))).map(from_item).transpose()?,
            last_checkout: wanted.last_checkout.as_ref().and_then(|l| take(Key::opens(l, None))).and_then(|item| {
                match item.get(LAST_CHECKOUT) {
                    Some(AttributeValue::S(id)) => paylinks::domain::DeliveryId::parse(id),
                    _ => None,
                }
            }),
            endpoints: one(wanted.endpoints.as_ref().map(Key::endpoints).and_then(take))?,
            event: one(wanted.event.as_ref().map(|(m, e)| Key::event(m, e)).and_then(take))?,
            client_session: wanted
                .client_session
                .as_ref()
                .and_then(|(l, c)| take(Key::client_session(l, c)))
                .map(from_item)
                .transpose()?,
        })
    }
}

#[async_trait]
impl Commit for DynamoStore {
    async fn commit(&self, mut writes: Vec<Write>) -> Result<(), StoreError> {
        loop {
            let items = writes.iter().map(|w| self.transact_item(w)).collect::<Result<Vec<_>, _>>()?;
            let err = match transactions::send(&self.client, items).await {
                Ok(()) => return Ok(()),
                Err(err) => err,
            };
            let Some(failed) = transactions::failed_conditions(&err) else { return Err(StoreError::unavailable(err)) };
            // A link an order's change was to follow is no longer stored: nothing to follow.
            let only_gone_links = failed
                .iter()
                .zip(&writes)
                .all(|(failed, write)| !failed || matches!(write, Write::LinkFollowsOrder { .. }));
            if !only_gone_links {
                return Err(StoreError::Conflict);
            }
            let mut index = 0;
            writes.retain(|_| {
                index += 1;
                !failed[index - 1]
            });
        }
    }
}

#[async_trait]
impl CountOpens for DynamoStore {
    async fn count_visit(
        &self,
        link: &LinkId,
        delivery: Option<&paylinks::domain::DeliveryId>,
        at: Timestamp,
        visit: Visit,
    ) -> Result<(), StoreError> {
        // Plain `UpdateItem`s, sent side by side: DynamoDB queues increments of one item, where
        // transactions on it would cancel each other (a crowd opening one link). The link's own
        // count is spread over shards (`Key::open_shard`), so that a crowd's opens are not all
        // writes of one item; a delivery's item also keeps its first open and first checkout
        // start, whoever comes first.
        let update = |key: Key| self.client.update_item().table_name(&self.table).set_key(Some(key.attributes()));
        let link_count = async {
            if !visit.opened {
                return Ok(None);
            }
            let shard = paylinks::domain::random_below(OPEN_SHARDS);
            let request = update(Key::open_shard(link, shard))
                .update_expression("ADD opens :one")
                .expression_attribute_values(":one", n(1));
            request.customize().config_override(counted_once()).send().await.map(Some)
        };
        // An order link's one session is shared by its recipients: the link remembers whose
        // checkout start came last, so its payment is put down to that delivery.
        let last_checkout = async {
            match delivery {
                Some(delivery) if visit.checkout && visit.shared_session => update(Key::opens(link, None))
                    .update_expression(format!("SET {LAST_CHECKOUT} = :delivery"))
                    .expression_attribute_values(":delivery", s(delivery.as_str()))
                    .send()
                    .await
                    .map(Some),
                _ => Ok(None),
            }
        };
        let delivery_count = async {
            let Some(delivery) = delivery else { return Ok(None) };
            let mut sets = Vec::new();
            if visit.opened {
                sets.push("opened_at = if_not_exists(opened_at, :at)");
            }
            if visit.checkout {
                sets.push("checkout_started_at = if_not_exists(checkout_started_at, :at)");
            }
            if sets.is_empty() {
                return Ok(None);
            }
            let add = if visit.opened { "ADD opens :one " } else { "" };
            let mut request = update(Key::opens(link, Some(delivery)))
                .update_expression(format!("{add}SET {}", sets.join(", ")))
                .expression_attribute_values(":at", n(at.unix()));
            if visit.opened {
                request = request.expression_attribute_values(":one", n(1));
            }
            request.customize().config_override(counted_once()).send().await.map(Some)
        };
        let (link_count, last_checkout, delivery_count) = tokio::join!(link_count, last_checkout, delivery_count);
        link_count.map_err(StoreError::unavailable)?;
        last_checkout.map_err(StoreError::unavailable)?;
        delivery_count.map_err(StoreError::unavailable)?;
        Ok(())
    }
}

/// A counter attribute's value (0 when absent).
fn count_of(value: Option<&AttributeValue>) -> u64 {
    match value {
        Some(AttributeValue::N(count)) => count.parse().unwrap_or(0),
        _ => 0,
    }
}

impl DynamoStore {
    /// Every item stored under the link (strongly consistent, all pages).
    pub(super) async fn partition(&self, link: &LinkId) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(Key::link_partition(link)))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(StoreError::unavailable)?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }
}

#[async_trait]
impl ReadLinkRecords for DynamoStore {
    async fn link_records(&self, link: &LinkId) -> Result<LinkRecords, StoreError> {
        let mut records = LinkRecords::default();
        let mut opens: HashMap<String, u64> = HashMap::new();
        let mut activity: HashMap<String, DeliveryActivity> = HashMap::new();
        let shards = (0..OPEN_SHARDS).map(|shard| Key::open_shard(link, shard)).collect();
        let (partition, shards) = tokio::join!(self.partition(link), self.batch_get(shards));
        let shard_opens: u64 = shards?.values().map(|item| count_of(item.get("opens"))).sum();
        for item in partition? {
            let Some(key) = Key::of_item(&item) else { continue };
            match key.sk.split_once('#').map_or((key.sk.as_str(), ""), |(kind, rest)| (kind, rest)) {
                ("LINK", _) => records.link = Some(versioned(item)?),
                ("OPENS", name) => {
                    opens.insert(name.to_string(), count_of(item.get("opens")));
                    let moments = activity.entry(name.to_string()).or_default();
                    for step in Activity::ALL {
                        if let Some(AttributeValue::N(at)) = item.get(step.field())
                            && let Ok(at) = at.parse()
                        {
                            moments.record(step, Timestamp::from_unix(at));
                        }
                    }
                }
                ("PAYMENT", _) => records.payments.push(from_item::<Payment>(item)?),
                ("DELIVERY", _) => records.deliveries.push(from_item::<Delivery>(item)?),
                _ => {}
            }
        }
        if let Some(link) = &mut records.link {
            // Its shards, and the item under the link that counted opens before them.
            let unsharded: u64 =
                opens.iter().filter(|(name, _)| Key::is_link_open_count(name)).map(|(_, count)| count).sum();
            link.opens = shard_opens + unsharded;
        }
        for delivery in &mut records.deliveries {
            delivery.opens = opens.get(delivery.id.as_str()).copied().unwrap_or_default();
            delivery.activity = activity.remove(delivery.id.as_str()).unwrap_or_default();
        }
        Payment::sort_chronologically(&mut records.payments);
        records.deliveries.sort_by(|a, b| (a.created_at, a.id.as_str()).cmp(&(b.created_at, b.id.as_str())));
        Ok(records)
    }
}
