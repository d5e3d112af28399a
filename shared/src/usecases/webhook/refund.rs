//! `charge.refunded`: the payment's refunded total rises and its order turns (partially)
//! refunded. A refund that arrives before its payment is kept on the PaymentIntent's record and
//! applied when the payment lands.

use super::{ChargeObject, Event, Handled, WebhookError, WebhookStore, from_links_account};
use crate::domain::{IntentRecord, Order, PaymentKey, PaymentSource, Timestamp, Versioned};
use crate::ports::{StoreError, Wanted, Write};
use crate::usecases::attempts;

pub(super) async fn record<S: WebhookStore + ?Sized>(
    store: &S,
    event: &Event,
    charge: &ChargeObject,
    now: Timestamp,
    retention_days: i64,
) -> Result<Handled, WebhookError> {
    let Some(intent) = charge.payment_intent.clone() else { return Ok(Handled::Ignored) };
    for _ in attempts() {
        let wanted = Wanted { intent: Some(intent.clone()), ..Wanted::default() };
        let record = store.read(&wanted).await?.intent;
        let (written, handled) = match record.as_ref().and_then(|r| r.payment.clone()) {
            Some(key) => match refund_payment(store, event, charge, &key, now, retention_days).await? {
                Some(writes) => (store.commit(writes).await, Handled::Recorded),
                None => return Ok(Handled::Duplicate),
            },
            None => match keep_early(record, &intent, event, charge, now) {
                Some(write) => (store.commit(vec![write]).await, Handled::KeptForItsPayment),
                None => return Ok(Handled::Duplicate),
            },
        };
        match written {
            Ok(()) => return Ok(handled),
            Err(StoreError::Conflict) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(StoreError::Conflict.into())
}

/// The refund's writes for a known payment, or `None` when it changes nothing (a repeat, or an
/// event from another account than the payment's link). Its order's ledger takes what came back
/// of that session's entries; the order's links follow its balance (a part given back before the
/// order was paid is owed again).
async fn refund_payment<S: WebhookStore + ?Sized>(
    store: &S,
    event: &Event,
    charge: &ChargeObject,
    key: &PaymentKey,
    now: Timestamp,
    retention_days: i64,
) -> Result<Option<Vec<Write>>, StoreError> {
    let wanted = Wanted {
        link: Some(key.link_id.clone()),
        payment: Some((key.link_id.clone(), key.session_id.clone())),
        order: key.order_id.clone().map(|order| (key.merchant_id.clone(), order)),
        endpoints: Some(key.merchant_id.clone()),
        ..Wanted::default()
    };
    let found = store.read(&wanted).await?;
    let (Some(link), Some(mut payment)) = (found.link, found.payment) else { return Ok(None) };
    let known = payment.refunded;
    if !from_links_account(event, &link) || !payment.raise_refunded(charge.amount_refunded) {
        return Ok(None);
    }
    let (session, refunded) = (payment.session_id.clone(), payment.refunded);
    // A payment made before the ledger: what came back since its last event comes out of the
    // order's opening payment, unless it was flagged (never counted for the order then).
    let before_ledger = |order: &Order| !order.holds_session(&session);
    let flagged = payment.flag.is_some();
    let mut writes = vec![Write::Payment(payment)];
    if let Some(mut order) = found.order {
        let before = order.value.clone();
        let charge_id = charge.id.as_deref();
        let taken = match before_ledger(&order) {
            false => order.take_refund(&session, refunded, charge_id, now, retention_days),
            true if flagged => false,
            true => order.take_legacy_refund(&session, refunded - known, charge_id, now, retention_days),
        };
        if taken {
            if order.payment_status != before.payment_status {
                let endpoints = found.endpoints.map(|e| e.value.endpoints).unwrap_or_default();
                let told = crate::usecases::events::of_order(&endpoints, &order, PaymentSource::Stripe, now);
                writes.extend(told.map(|e| Write::Event(Versioned::new(e))));
            }
            if order.payment_status != before.payment_status || order.covered() != before.covered() {
                writes.extend(order.link_ids.iter().map(|id| Write::link_follows(&order, id, now, retention_days)));
            }
            writes.push(Write::Order(order));
        }
    }
    Ok(Some(writes))
}

/// The refund of an intent whose payment has not landed yet, kept until it does.
fn keep_early(
    record: Option<Versioned<IntentRecord>>,
    intent: &str,
    event: &Event,
    charge: &ChargeObject,
    now: Timestamp,
) -> Option<Write> {
    let mut record = record.unwrap_or_else(|| {
        Versioned::new(IntentRecord {
            intent: intent.to_string(),
            payment: None,
            early_refund: None,
            account: event.account.clone(),
            purge_at: None,
        })
    });
    if record.early_refund.is_some_and(|(refunded, _)| refunded >= charge.amount_refunded) {
        return None;
    }
    tracing::info!(event = %event.id, "a refund arrived before its payment; kept until the payment lands");
    record.early_refund = Some((charge.amount_refunded, charge.amount));
    record.account = event.account.clone();
    record.purge_at = Some(now.plus_days(IntentRecord::EARLY_REFUND_DAYS));
    Some(Write::Intent(record))
}
