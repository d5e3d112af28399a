//! An in-process store with the same rules as the DynamoDB one (it passes the same contract
//! tests): every change is checked and applied under one lock, as a transaction would be.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::domain::{
    Delivery, DeliveryId, DeliveryStatus, Link, LinkId, LinkStatus, MerchantId, OpenSession, Order, OrderId,
    OrderPaymentStatus, Payment, PaymentState, SessionId, Settings, ShortCode, ShortCodeTarget, Timestamp,
};
use crate::ports::{
    Applied, Claim, DeliveryStore, IDEMPOTENCY_KEEP_SECONDS, IDEMPOTENCY_LEASE_SECONDS, IdempotencyBegin, LinkStore,
    OrderChange, SessionOutcome, SettingsStore, StoreError,
};

#[derive(Debug)]
enum IdempotencyState {
    InProgress,
    Completed { status: u16, body: String },
}

#[derive(Debug)]
struct IdempotencyRecord {
    fingerprint: String,
    state: IdempotencyState,
    expires_at: Timestamp,
    lease_until: Timestamp,
}

#[derive(Debug, Default)]
struct State {
    settings: HashMap<MerchantId, Settings>,
    orders: HashMap<(MerchantId, OrderId), Order>,
    links: HashMap<LinkId, Link>,
    short_codes: HashMap<ShortCode, ShortCodeTarget>,
    payments: HashMap<SessionId, Payment>,
    deliveries: HashMap<DeliveryId, Delivery>,
    /// (link, recipient window key) → the delivery that holds the window and when it began.
    send_windows: HashMap<(LinkId, String), (DeliveryId, Timestamp)>,
    idempotency: HashMap<(MerchantId, String), IdempotencyRecord>,
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
        // A panic while holding the lock leaves whole items behind (each change is applied at
        // once), so the data is still consistent: keep serving.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn is_retained(purge_at: Option<Timestamp>, now: Timestamp) -> bool {
    purge_at.is_none_or(|at| at > now)
}

#[async_trait]
impl SettingsStore for EmbeddedStore {
    async fn get_settings(&self, merchant: &MerchantId) -> Result<Option<Settings>, StoreError> {
        Ok(self.lock().settings.get(merchant).cloned())
    }

    async fn put_settings(&self, merchant: &MerchantId, settings: &Settings) -> Result<(), StoreError> {
        self.lock().settings.insert(merchant.clone(), settings.clone());
        Ok(())
    }
}

#[async_trait]
impl DeliveryStore for EmbeddedStore {
    async fn claim_delivery(
        &self,
        delivery: &Delivery,
        window_key: &str,
        window_cutoff: Timestamp,
    ) -> Result<Claim, StoreError> {
        let mut state = self.lock();
        let slot = (delivery.link_id.clone(), window_key.to_string());
        if let Some((holder, started)) = state.send_windows.get(&slot)
            && *started > window_cutoff
            && let Some(existing) = state.deliveries.get(holder)
        {
            return Ok(Claim::Existing(Box::new(existing.clone())));
        }
        if state.deliveries.contains_key(&delivery.id) || state.short_codes.contains_key(&delivery.short_code) {
            return Err(StoreError::Conflict);
        }
        state.send_windows.insert(slot, (delivery.id.clone(), delivery.created_at));
        state.short_codes.insert(
            delivery.short_code.clone(),
            ShortCodeTarget { link_id: delivery.link_id.clone(), delivery_id: Some(delivery.id.clone()) },
        );
        state.deliveries.insert(delivery.id.clone(), delivery.clone());
        Ok(Claim::Claimed)
    }

    async fn finish_delivery(&self, delivery: &Delivery, window_key: &str) -> Result<(), StoreError> {
        let mut state = self.lock();
        let stored = state.deliveries.get_mut(&delivery.id).ok_or(StoreError::Conflict)?;
        stored.status = delivery.status;
        stored.message_id = delivery.message_id.clone();
        stored.error = delivery.error.clone();
        if delivery.status == DeliveryStatus::Failed {
            let slot = (delivery.link_id.clone(), window_key.to_string());
            if state.send_windows.get(&slot).is_some_and(|(holder, _)| holder == &delivery.id) {
                state.send_windows.remove(&slot);
            }
        }
        Ok(())
    }

    async fn release_delivery(&self, delivery: &Delivery, window_key: &str) -> Result<(), StoreError> {
        let mut state = self.lock();
        let slot = (delivery.link_id.clone(), window_key.to_string());
        if state.send_windows.get(&slot).is_some_and(|(holder, _)| holder == &delivery.id) {
            state.send_windows.remove(&slot);
        }
        state.short_codes.remove(&delivery.short_code);
        state.deliveries.remove(&delivery.id);
        Ok(())
    }

    async fn list_deliveries(&self, link: &LinkId) -> Result<Vec<Delivery>, StoreError> {
        let state = self.lock();
        let mut deliveries: Vec<Delivery> = state.deliveries.values().filter(|d| &d.link_id == link).cloned().collect();
        deliveries.sort_by(|a, b| (a.created_at, a.id.as_str()).cmp(&(b.created_at, b.id.as_str())));
        Ok(deliveries)
    }
}

#[async_trait]
impl LinkStore for EmbeddedStore {
    async fn get_order(&self, merchant: &MerchantId, order: &OrderId) -> Result<Option<Order>, StoreError> {
        Ok(self.lock().orders.get(&(merchant.clone(), order.clone())).cloned())
    }

    async fn create_order_link(
        &self,
        link: &Link,
        order: &Order,
        expected_current: Option<&LinkId>,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        let key = (order.merchant_id.clone(), order.id.clone());
        if let Some(stored) = state.orders.get(&key) {
            if stored.current_link_id.as_ref() != expected_current || stored.payment_status.is_settled() {
                return Err(StoreError::Conflict);
            }
        } else if expected_current.is_some() {
            return Err(StoreError::Conflict);
        }
        if state.links.contains_key(&link.id) || state.short_codes.contains_key(&link.short_code) {
            return Err(StoreError::Conflict);
        }
        let mut next = order.clone();
        next.link_ids = state.orders.get(&key).map(|o| o.link_ids.clone()).unwrap_or_default();
        next.link_ids.push(link.id.clone());
        next.current_link_id = Some(link.id.clone());
        next.current_link_created_at = Some(link.created_at);
        state.orders.insert(key, next);
        state
            .short_codes
            .insert(link.short_code.clone(), ShortCodeTarget { link_id: link.id.clone(), delivery_id: None });
        state.links.insert(link.id.clone(), link.clone());
        Ok(())
    }

    async fn create_link(&self, link: &Link) -> Result<(), StoreError> {
        let mut state = self.lock();
        if state.links.contains_key(&link.id) || state.short_codes.contains_key(&link.short_code) {
            return Err(StoreError::Conflict);
        }
        state
            .short_codes
            .insert(link.short_code.clone(), ShortCodeTarget { link_id: link.id.clone(), delivery_id: None });
        state.links.insert(link.id.clone(), link.clone());
        Ok(())
    }

    async fn get_link(&self, id: &LinkId, now: Timestamp) -> Result<Option<Link>, StoreError> {
        let state = self.lock();
        Ok(state.links.get(id).filter(|l| is_retained(l.purge_at, now)).cloned())
    }

    async fn resolve_short_code(
        &self,
        code: &ShortCode,
        now: Timestamp,
    ) -> Result<Option<ShortCodeTarget>, StoreError> {
        let _ = now;
        Ok(self.lock().short_codes.get(code).cloned())
    }

    async fn set_link_status(
        &self,
        id: &LinkId,
        from: &[LinkStatus],
        to: LinkStatus,
        purge_at: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        let link = state.links.get_mut(id).ok_or(StoreError::Conflict)?;
        if !from.contains(&link.status) {
            return Err(StoreError::Conflict);
        }
        link.status = to;
        link.purge_at = purge_at;
        Ok(())
    }

    async fn rename_link(&self, id: &LinkId, name: &str) -> Result<(), StoreError> {
        let mut state = self.lock();
        let link = state.links.get_mut(id).ok_or(StoreError::Conflict)?;
        link.name = name.to_string();
        Ok(())
    }

    async fn retain_link_data(&self, link: &Link, purge_at: Option<Timestamp>) -> Result<(), StoreError> {
        let mut state = self.lock();
        for delivery in state.deliveries.values_mut().filter(|d| d.link_id == link.id) {
            delivery.purge_at = purge_at;
        }
        for payment in state.payments.values_mut().filter(|p| p.link_id == link.id) {
            payment.purge_at = purge_at;
        }
        Ok(())
    }

    async fn record_open(&self, id: &LinkId, delivery: Option<&DeliveryId>) -> Result<(), StoreError> {
        let mut state = self.lock();
        let link = state.links.get_mut(id).ok_or(StoreError::Conflict)?;
        link.opens += 1;
        if let Some(delivery) = delivery.and_then(|d| state.deliveries.get_mut(d)) {
            delivery.opens += 1;
        }
        Ok(())
    }

    async fn attach_session(&self, id: &LinkId, expected_seq: u32, session: &OpenSession) -> Result<(), StoreError> {
        let mut state = self.lock();
        let link = state.links.get_mut(id).ok_or(StoreError::Conflict)?;
        if link.session_seq != expected_seq || link.status != LinkStatus::Active {
            return Err(StoreError::Conflict);
        }
        link.session_seq += 1;
        link.session = Some(session.clone());
        Ok(())
    }

    async fn forget_session(&self, id: &LinkId, session: &SessionId) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let Some(link) = state.links.get_mut(id) else { return Ok(false) };
        if link.session.as_ref().map(|s| &s.id) != Some(session) {
            return Ok(false);
        }
        link.session = None;
        Ok(true)
    }

    async fn apply_session_outcome(&self, outcome: &SessionOutcome) -> Result<Applied, StoreError> {
        let mut state = self.lock();
        let payment = &outcome.payment;
        let existing = state.payments.get(&payment.session_id).map(|p| p.state);
        let applies = match payment.state {
            PaymentState::Paid => existing != Some(PaymentState::Paid),
            PaymentState::Processing => existing.is_none(),
            PaymentState::Failed => matches!(existing, None | Some(PaymentState::Processing)),
        };
        if !applies {
            return Ok(Applied::Unchanged);
        }
        state.payments.insert(payment.session_id.clone(), payment.clone());
        if payment.state == PaymentState::Paid
            && let Some(link) = state.links.get_mut(&payment.link_id)
        {
            link.collected += payment.amount.minor();
            if outcome.closes_link {
                link.status = LinkStatus::Paid;
                link.session = None;
                link.purge_at = payment.purge_at;
            }
        }
        if let Some(order_id) = &payment.order_id
            && let Some(order) = state.orders.get_mut(&(payment.merchant_id.clone(), order_id.clone()))
            && let Some(next) = order.payment_status.after_payment(payment.state)
        {
            order.payment_status = next;
            order.updated_at = payment.recorded_at;
            if next == OrderPaymentStatus::Paid {
                order.purge_at = payment.purge_at;
            }
        }
        Ok(Applied::Changed)
    }

    async fn list_payments(&self, link: &LinkId) -> Result<Vec<Payment>, StoreError> {
        let state = self.lock();
        let mut payments: Vec<Payment> = state.payments.values().filter(|p| &p.link_id == link).cloned().collect();
        Payment::sort_chronologically(&mut payments);
        Ok(payments)
    }

    async fn find_payment_by_intent(&self, payment_intent: &str) -> Result<Option<Payment>, StoreError> {
        let state = self.lock();
        Ok(state.payments.values().find(|p| p.payment_intent.as_deref() == Some(payment_intent)).cloned())
    }

    async fn record_refund(
        &self,
        payment: &Payment,
        refunded_total: i64,
        order_status: OrderPaymentStatus,
        at: Timestamp,
    ) -> Result<Applied, StoreError> {
        let mut state = self.lock();
        let stored = state.payments.get_mut(&payment.session_id).ok_or(StoreError::Conflict)?;
        if stored.refunded >= refunded_total {
            return Ok(Applied::Unchanged);
        }
        stored.refunded = refunded_total;
        if let Some(order_id) = &payment.order_id
            && let Some(order) = state.orders.get_mut(&(payment.merchant_id.clone(), order_id.clone()))
        {
            order.payment_status = order_status;
            order.updated_at = at;
        }
        Ok(Applied::Changed)
    }

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

    async fn set_order_status(
        &self,
        merchant: &MerchantId,
        order: &OrderId,
        change: &OrderChange<'_>,
    ) -> Result<(), StoreError> {
        let OrderChange { from, to, at, manual_payment, purge_at } = *change;
        let mut state = self.lock();
        let key = (merchant.clone(), order.clone());
        let stored = state.orders.get(&key).ok_or(StoreError::Conflict)?;
        if !from.contains(&stored.payment_status) {
            return Err(StoreError::Conflict);
        }
        if let Some(payment) = manual_payment {
            if state.payments.contains_key(&payment.session_id) {
                return Err(StoreError::Conflict);
            }
            state.payments.insert(payment.session_id.clone(), payment.clone());
            if let Some(link) = state.links.get_mut(&payment.link_id) {
                link.collected_manual += payment.amount.minor();
            }
        }
        let stored = state.orders.get_mut(&key).expect("checked above");
        stored.payment_status = to;
        stored.updated_at = at;
        stored.purge_at = purge_at;
        Ok(())
    }

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

    async fn begin_idempotent(
        &self,
        merchant: &MerchantId,
        key: &str,
        fingerprint: &str,
        now: Timestamp,
    ) -> Result<IdempotencyBegin, StoreError> {
        let mut state = self.lock();
        let slot = (merchant.clone(), key.to_string());
        if let Some(record) = state.idempotency.get(&slot).filter(|r| r.expires_at > now) {
            if record.fingerprint != fingerprint {
                return Ok(IdempotencyBegin::Mismatch);
            }
            match &record.state {
                IdempotencyState::InProgress if record.lease_until > now => return Ok(IdempotencyBegin::InProgress),
                // Its request is dead: taken over below.
                IdempotencyState::InProgress => {}
                IdempotencyState::Completed { status, body } => {
                    return Ok(IdempotencyBegin::Completed { status: *status, body: body.clone() });
                }
            }
        }
        state.idempotency.insert(
            slot,
            IdempotencyRecord {
                fingerprint: fingerprint.to_string(),
                state: IdempotencyState::InProgress,
                expires_at: now.plus_seconds(IDEMPOTENCY_KEEP_SECONDS),
                lease_until: now.plus_seconds(IDEMPOTENCY_LEASE_SECONDS),
            },
        );
        Ok(IdempotencyBegin::Started)
    }

    async fn complete_idempotent(
        &self,
        merchant: &MerchantId,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        let record = state.idempotency.get_mut(&(merchant.clone(), key.to_string())).ok_or(StoreError::Conflict)?;
        record.state = IdempotencyState::Completed { status, body: body.to_string() };
        Ok(())
    }

    async fn abandon_idempotent(&self, merchant: &MerchantId, key: &str) -> Result<(), StoreError> {
        self.lock().idempotency.remove(&(merchant.clone(), key.to_string()));
        Ok(())
    }
}
