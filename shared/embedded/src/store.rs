//! An in-process store with the DynamoDB store's semantics (it passes the same contract tests):
//! versioned items, each commit checked whole and applied whole under one lock.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use async_trait::async_trait;

use paylinks::domain::{
    Amount, ClientSession, Delivery, DeliveryActivity, DeliveryId, IdempotencyRecord, IntentRecord, Limit, Link,
    LinkId, MerchantId, MessageTarget, Order, OrderId, OrderPaymentStatus, Payment, ReminderSchedule, SendWindow,
    SessionId, Settings, ShortCode, ShortCodeTarget, Spent, Suppression, Timestamp, Versioned, WebhookEndpoints,
};
use paylinks::domain::{EventId, MerchantEvent};
use paylinks::ports::{
    Commit, CountOpens, DueEvents, DueExpiries, DueReminders, Found, LinkRecords, ListEvents, ListLinks, ListOrders,
    Read, ReadLinkRecords, RemoveLinkRecords, StoreError, Throttle, Visit, Wanted, Write,
};

/// Items of one kind, each with its version (1 once written).
#[derive(Debug)]
struct Table<K, V>(HashMap<K, (u64, V)>);

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Self(HashMap::new())
    }
}

impl<K: Eq + Hash + Clone, V: Clone> Table<K, V> {
    fn get(&self, key: &K) -> Option<Versioned<V>> {
        self.0.get(key).map(|(version, value)| Versioned::at(value.clone(), *version))
    }

    fn is_at(&self, key: &K, version: u64) -> bool {
        self.0.get(key).map_or(0, |(v, _)| *v) == version
    }

    fn put(&mut self, key: K, item: &Versioned<V>) {
        self.0.insert(key, (item.version + 1, item.value.clone()));
    }

    fn values(&self) -> impl Iterator<Item = &V> {
        self.0.values().map(|(_, value)| value)
    }
}

#[derive(Debug, Default)]
struct State {
    settings: Table<MerchantId, Settings>,
    orders: Table<(MerchantId, OrderId), Order>,
    links: Table<LinkId, Link>,
    payments: Table<(LinkId, SessionId), Payment>,
    intents: Table<String, IntentRecord>,
    deliveries: Table<(LinkId, DeliveryId), Delivery>,
    windows: Table<(LinkId, String), SendWindow>,
    reminders: Table<(LinkId, String), ReminderSchedule>,
    idempotency: Table<(MerchantId, String), IdempotencyRecord>,
    short_codes: HashMap<ShortCode, ShortCodeTarget>,
    opens: HashMap<String, u64>,
    /// By delivery id.
    activity: HashMap<String, DeliveryActivity>,
    suppressions: HashMap<(MerchantId, String), Suppression>,
    /// By provider message id.
    messages: HashMap<String, MessageTarget>,
    /// The delivery whose open last went on to each link's Checkout.
    last_checkout: HashMap<LinkId, DeliveryId>,
    endpoints: Table<MerchantId, WebhookEndpoints>,
    events: Table<(MerchantId, EventId), MerchantEvent>,
    /// Spent per throttle key and window start.
    throttles: HashMap<(String, i64), u32>,
    client_sessions: HashMap<(LinkId, String), ClientSession>,
}

#[derive(Debug, Default)]
pub struct EmbeddedStore {
    state: Mutex<State>,
}

impl EmbeddedStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves whole items behind (a commit is applied only
        // after all of it was checked), so the data is still consistent: keep serving.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn order_key(order: &Order) -> (MerchantId, OrderId) {
    (order.merchant_id.clone(), order.id.clone())
}

fn payment_key(payment: &Payment) -> (LinkId, SessionId) {
    (payment.link_id.clone(), payment.session_id.clone())
}

fn delivery_key(delivery: &Delivery) -> (LinkId, DeliveryId) {
    (delivery.link_id.clone(), delivery.id.clone())
}

fn window_key(window: &SendWindow) -> (LinkId, String) {
    (window.link_id.clone(), window.key.clone())
}

fn reminder_key(schedule: &ReminderSchedule) -> (LinkId, String) {
    (schedule.link_id.clone(), schedule.key.clone())
}

fn idempotency_key(record: &IdempotencyRecord) -> (MerchantId, String) {
    (record.merchant_id.clone(), record.key.clone())
}

/// The item a write names, to refuse one item twice in a commit as DynamoDB does.
fn item_name(write: &Write) -> String {
    match write {
        Write::Link(link) => format!("link {}", link.id),
        Write::LinkFollowsOrder { link, .. } => format!("link {link}"),
        Write::Order(order) => format!("order {}/{}", order.merchant_id, order.id),
        Write::Payment(p) => format!("payment {}/{}", p.link_id, p.session_id),
        Write::Intent(i) => format!("intent {}", i.intent),
        Write::Delivery(d) | Write::DropDelivery(d) => format!("delivery {}/{}", d.link_id, d.id),
        Write::Window(w) | Write::DropWindow(w) => format!("window {}/{}", w.link_id, w.key),
        Write::Reminder(r) => format!("reminder {}/{}", r.link_id, r.key),
        Write::Settings(merchant, _) => format!("settings {merchant}"),
        Write::Idempotency(r) => format!("idempotency {}/{}", r.merchant_id, r.key),
        Write::ShortCode(code, _) | Write::DropShortCode(code) => format!("short code {}", code.as_str()),
        Write::Suppress(s) => format!("suppression {}/{}", s.merchant_id, s.key),
        Write::MessageSent(m) => format!("message {}", m.message_id),
        Write::Activity { delivery, .. } => format!("activity {delivery}"),
        Write::Endpoints(e) => format!("endpoints {}", e.merchant_id),
        Write::Event(e) => format!("event {}", e.id),
        Write::ClientSession(c) => format!("client session {}/{}", c.link_id, c.client),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("a commit names {0} twice")]
struct TwiceInOneCommit(String);

/// DynamoDB's limit of items in one transaction, kept here so no commit passes only locally.
const MAX_ITEMS_PER_COMMIT: usize = 100;

#[derive(Debug, thiserror::Error)]
#[error("a commit of {0} items, more than one transaction takes")]
struct TooManyItems(usize);

impl State {
    fn holds(&self, write: &Write) -> bool {
        match write {
            Write::Link(link) => self.links.is_at(&link.id, link.version),
            Write::LinkFollowsOrder { .. }
            | Write::DropShortCode(_)
            | Write::Suppress(_)
            | Write::ClientSession(_)
            | Write::MessageSent(_)
            | Write::Activity { .. } => true,
            Write::Order(order) => self.orders.is_at(&order_key(order), order.version),
            Write::Payment(p) => self.payments.is_at(&payment_key(p), p.version),
            Write::Intent(i) => self.intents.is_at(&i.intent, i.version),
            Write::Delivery(d) | Write::DropDelivery(d) => self.deliveries.is_at(&delivery_key(d), d.version),
            Write::Window(w) | Write::DropWindow(w) => self.windows.is_at(&window_key(w), w.version),
            Write::Reminder(r) => self.reminders.is_at(&reminder_key(r), r.version),
            Write::Settings(merchant, s) => self.settings.is_at(merchant, s.version),
            Write::Endpoints(e) => self.endpoints.is_at(&e.merchant_id, e.version),
            Write::Event(e) => self.events.is_at(&(e.merchant_id.clone(), e.id.clone()), e.version),
            Write::Idempotency(r) => self.idempotency.is_at(&idempotency_key(r), r.version),
            Write::ShortCode(code, _) => !self.short_codes.contains_key(code),
        }
    }

    fn apply(&mut self, write: Write) {
        match write {
            Write::Link(link) => self.links.put(link.id.clone(), &link),
            Write::LinkFollowsOrder { link, status, amount_paid, order_amount, purge_at } => {
                self.follow_order(&link, status, (amount_paid, order_amount), purge_at)
            }
            Write::Order(order) => self.orders.put(order_key(&order), &order),
            Write::Payment(p) => self.payments.put(payment_key(&p), &p),
            Write::Intent(i) => self.intents.put(i.intent.clone(), &i),
            Write::Delivery(d) => self.deliveries.put(delivery_key(&d), &d),
            Write::Window(w) => self.windows.put(window_key(&w), &w),
            Write::Reminder(r) => self.reminders.put(reminder_key(&r), &r),
            Write::Settings(merchant, s) => self.settings.put(merchant, &s),
            Write::Endpoints(e) => self.endpoints.put(e.merchant_id.clone(), &e),
            Write::Event(e) => self.events.put((e.merchant_id.clone(), e.id.clone()), &e),
            Write::Idempotency(r) => self.idempotency.put(idempotency_key(&r), &r),
            Write::ShortCode(code, target) => {
                self.short_codes.insert(code, target);
            }
            Write::DropDelivery(d) => {
                self.deliveries.0.remove(&delivery_key(&d));
            }
            Write::DropWindow(w) => {
                self.windows.0.remove(&window_key(&w));
            }
            Write::DropShortCode(code) => {
                self.short_codes.remove(&code);
            }
            Write::ClientSession(kept) => {
                self.client_sessions.insert((kept.link_id.clone(), kept.client.clone()), kept);
            }
            Write::Suppress(suppression) => {
                self.suppressions.insert((suppression.merchant_id.clone(), suppression.key.clone()), suppression);
            }
            Write::MessageSent(target) => {
                self.messages.insert(target.message_id.clone(), target);
            }
            Write::Activity { delivery, activity, at, .. } => {
                self.activity.entry(delivery.to_string()).or_default().record(activity, at);
            }
        }
    }

    /// `paid`: what the order was paid so far, and its amount.
    fn follow_order(
        &mut self,
        link: &LinkId,
        status: OrderPaymentStatus,
        paid: (i64, Amount),
        purge_at: Option<Timestamp>,
    ) {
        if let Some((version, stored)) = self.links.0.get_mut(link) {
            *version += 1;
            stored.order_status = Some(status);
            (stored.order_paid, stored.order_amount) = (paid.0, Some(paid.1));
            if purge_at.is_some() {
                stored.purge_at = purge_at;
            }
        }
    }

    fn opens(&self, name: &str) -> u64 {
        self.opens.get(name).copied().unwrap_or_default()
    }
}

#[async_trait]
impl Read for EmbeddedStore {
    async fn read(&self, wanted: &Wanted) -> Result<Found, StoreError> {
        let state = self.lock();
        Ok(Found {
            link: wanted.link.as_ref().and_then(|id| state.links.get(id)),
            settings: wanted.settings.as_ref().and_then(|m| state.settings.get(m)),
            order: wanted.order.as_ref().and_then(|key| state.orders.get(key)),
            payment: wanted.payment.as_ref().and_then(|key| state.payments.get(key)),
            intent: wanted.intent.as_ref().and_then(|i| state.intents.get(i)),
            links: wanted.links.iter().filter_map(|id| state.links.get(id)).collect(),
            windows: wanted.windows.iter().filter_map(|key| state.windows.get(key)).collect(),
            reminders: wanted.reminders.iter().filter_map(|key| state.reminders.get(key)).collect(),
            idempotency: wanted.idempotency.as_ref().and_then(|key| state.idempotency.get(key)),
            short_code: wanted.short_code.as_ref().and_then(|code| state.short_codes.get(code).cloned()),
            suppressions: wanted.suppressions.iter().filter_map(|key| state.suppressions.get(key).cloned()).collect(),
            message: wanted.message.as_ref().and_then(|id| state.messages.get(id).cloned()),
            last_checkout: wanted.last_checkout.as_ref().and_then(|l| state.last_checkout.get(l).cloned()),
            endpoints: wanted.endpoints.as_ref().and_then(|m| state.endpoints.get(m)),
            event: wanted.event.as_ref().and_then(|key| state.events.get(key)),
            client_session: wanted.client_session.as_ref().and_then(|key| state.client_sessions.get(key).cloned()),
        })
    }
}

#[async_trait]
impl Commit for EmbeddedStore {
    async fn commit(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        if writes.len() > MAX_ITEMS_PER_COMMIT {
            return Err(StoreError::unavailable(TooManyItems(writes.len())));
        }
        let mut names = std::collections::HashSet::new();
        for write in &writes {
            let name = item_name(write);
            if !names.insert(name.clone()) {
                return Err(StoreError::unavailable(TwiceInOneCommit(name)));
            }
        }
        let mut state = self.lock();
        if !writes.iter().all(|write| state.holds(write)) {
            return Err(StoreError::Conflict);
        }
        for write in writes {
            state.apply(write);
        }
        Ok(())
    }
}

#[async_trait]
impl Throttle for EmbeddedStore {
    async fn spend(&self, key: &str, limit: Limit, now: Timestamp) -> Result<Spent, StoreError> {
        let mut state = self.lock();
        let window = limit.window(now);
        // Windows an hour old are done with (no limit here is longer).
        state.throttles.retain(|(_, start), _| *start > now.unix() - 3600);
        let spent = state.throttles.entry((key.to_string(), window.start)).or_default();
        if *spent >= limit.max {
            return Ok(limit.refused(now));
        }
        *spent += 1;
        Ok(Spent::Allowed)
    }

    async fn give_back(&self, key: &str, limit: Limit, now: Timestamp) -> Result<(), StoreError> {
        let mut state = self.lock();
        if let Some(spent) = state.throttles.get_mut(&(key.to_string(), limit.window(now).start)) {
            *spent = spent.saturating_sub(1);
        }
        Ok(())
    }
}

#[async_trait]
impl CountOpens for EmbeddedStore {
    async fn count_visit(
        &self,
        link: &LinkId,
        delivery: Option<&DeliveryId>,
        at: Timestamp,
        visit: Visit,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        if visit.opened {
            for name in std::iter::once(link.to_string()).chain(delivery.map(ToString::to_string)) {
                *state.opens.entry(name).or_default() += 1;
            }
        }
        if let Some(delivery) = delivery {
            let activity = state.activity.entry(delivery.to_string()).or_default();
            if visit.opened {
                activity.record(paylinks::domain::Activity::Opened, at);
            }
            if visit.checkout {
                activity.record(paylinks::domain::Activity::CheckoutStarted, at);
                if visit.shared_session {
                    state.last_checkout.insert(link.clone(), delivery.clone());
                }
            }
        }
        Ok(())
    }
}

#[async_trait]
impl ReadLinkRecords for EmbeddedStore {
    async fn link_records(&self, id: &LinkId) -> Result<LinkRecords, StoreError> {
        let state = self.lock();
        let mut link = state.links.get(id);
        if let Some(link) = &mut link {
            link.opens = state.opens(id.as_str());
        }
        let mut payments: Vec<Payment> = state.payments.values().filter(|p| &p.link_id == id).cloned().collect();
        Payment::sort_chronologically(&mut payments);
        let mut deliveries: Vec<Delivery> = state
            .deliveries
            .values()
            .filter(|d| &d.link_id == id)
            .map(|d| Delivery {
                opens: state.opens(d.id.as_str()),
                activity: state.activity.get(d.id.as_str()).cloned().unwrap_or_default(),
                ..d.clone()
            })
            .collect();
        deliveries.sort_by(|a, b| (a.created_at, a.id.as_str()).cmp(&(b.created_at, b.id.as_str())));
        Ok(LinkRecords { link, payments, deliveries })
    }
}

#[async_trait]
impl ListOrders for EmbeddedStore {
    async fn orders_page(
        &self,
        merchant: &MerchantId,
        status: Option<OrderPaymentStatus>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(Order, String)>, StoreError> {
        let state = self.lock();
        let mut page: Vec<(Order, String)> = state
            .orders
            .values()
            .filter(|o| &o.merchant_id == merchant)
            .filter(|o| status.is_none_or(|s| s == o.payment_status))
            .map(|o| {
                let position = if status.is_some() { o.status_position() } else { format!("ORDER#{}", o.id) };
                (o.clone(), position)
            })
            .filter(|(_, position)| after.is_none_or(|a| position.as_str() > a))
            .collect();
        page.sort_by(|a, b| a.1.cmp(&b.1));
        page.truncate(limit);
        Ok(page)
    }
}

#[async_trait]
impl ListLinks for EmbeddedStore {
    async fn links_page(
        &self,
        merchant: &MerchantId,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
        before: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(Link, String)>, StoreError> {
        let state = self.lock();
        let mut page: Vec<(Link, String)> = state
            .links
            .values()
            .filter(|l| &l.merchant_id == merchant)
            .filter(|l| from.is_none_or(|f| l.created_at >= f) && to.is_none_or(|t| l.created_at <= t))
            .map(|l| (l.clone(), l.list_position()))
            .filter(|(_, position)| before.is_none_or(|b| position.as_str() < b))
            .collect();
        page.sort_by(|a, b| b.1.cmp(&a.1));
        page.truncate(limit);
        Ok(page)
    }
}

#[async_trait]
impl RemoveLinkRecords for EmbeddedStore {
    async fn remove_link_records(&self, link: &LinkId, short_code: Option<&ShortCode>) -> Result<usize, StoreError> {
        let mut state = self.lock();
        let count = |state: &State| {
            state.payments.0.len()
                + state.deliveries.0.len()
                + state.windows.0.len()
                + state.reminders.0.len()
                + state.short_codes.len()
        };
        let before = count(&state);
        let intents: Vec<String> =
            state.payments.values().filter(|p| &p.link_id == link).filter_map(|p| p.payment_intent.clone()).collect();
        let intents_before = state.intents.0.len();
        for intent in intents {
            state.intents.0.remove(&intent);
        }
        let removed_intents = intents_before - state.intents.0.len();
        state.payments.0.retain(|(l, _), _| l != link);
        let deliveries: Vec<String> =
            state.deliveries.values().filter(|d| &d.link_id == link).map(|d| d.id.to_string()).collect();
        for delivery in deliveries {
            state.activity.remove(&delivery);
        }
        state.messages.retain(|_, target| &target.link_id != link);
        state.last_checkout.remove(link);
        state.deliveries.0.retain(|(l, _), _| l != link);
        state.windows.0.retain(|(l, _), _| l != link);
        state.reminders.0.retain(|(l, _), _| l != link);
        state.short_codes.retain(|code, target| &target.link_id != link && Some(code) != short_code);
        state.opens.retain(|name, _| name != link.as_str());
        state.client_sessions.retain(|(l, _), _| l != link);
        let after = count(&state);
        Ok(before - after + removed_intents)
    }
}

#[async_trait]
impl DueReminders for EmbeddedStore {
    async fn due_reminders(&self, now: Timestamp, limit: usize) -> Result<Vec<ReminderSchedule>, StoreError> {
        let state = self.lock();
        let mut due: Vec<ReminderSchedule> =
            state.reminders.values().filter(|r| r.due_at.is_some_and(|at| at <= now)).cloned().collect();
        due.sort_by(|a, b| (a.due_at, &a.link_id, &a.key).cmp(&(b.due_at, &b.link_id, &b.key)));
        due.truncate(limit);
        Ok(due)
    }
}

#[async_trait]
impl ListEvents for EmbeddedStore {
    async fn events_page(
        &self,
        merchant: &MerchantId,
        before: Option<&EventId>,
        limit: usize,
    ) -> Result<Vec<MerchantEvent>, StoreError> {
        let state = self.lock();
        let mut page: Vec<MerchantEvent> = state
            .events
            .values()
            .filter(|e| &e.merchant_id == merchant && before.is_none_or(|b| &e.id < b))
            .cloned()
            .collect();
        page.sort_by(|a, b| b.id.cmp(&a.id));
        page.truncate(limit);
        Ok(page)
    }
}

#[async_trait]
impl DueEvents for EmbeddedStore {
    async fn due_events(&self, now: Timestamp, limit: usize) -> Result<Vec<MerchantEvent>, StoreError> {
        let state = self.lock();
        let mut due: Vec<MerchantEvent> =
            state.events.values().filter(|e| e.due_at().is_some_and(|at| at <= now)).cloned().collect();
        due.sort_by(|a, b| (a.due_at(), &a.id).cmp(&(b.due_at(), &b.id)));
        due.truncate(limit);
        Ok(due)
    }
}

#[async_trait]
impl DueExpiries for EmbeddedStore {
    async fn due_expiries(&self, now: Timestamp, limit: usize) -> Result<Vec<Link>, StoreError> {
        let state = self.lock();
        let mut due: Vec<Link> =
            state.links.values().filter(|l| l.expiry_due_at().is_some_and(|at| at <= now)).cloned().collect();
        due.sort_by(|a, b| (a.expiry_due_at(), &a.id).cmp(&(b.expiry_due_at(), &b.id)));
        due.truncate(limit);
        Ok(due)
    }
}
