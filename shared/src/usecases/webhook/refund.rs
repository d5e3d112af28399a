//! `charge.refunded`: the payment's refunded total rises and its order turns (partially)
//! refunded. A refund that arrives before its payment is kept on the PaymentIntent's record and
//! applied when the payment lands.

use super::{ChargeObject, Event, Handled, WebhookError, WebhookStore, from_links_account};
use crate::domain::{IntentRecord, PaymentKey, Timestamp, Versioned};
use crate::ports::{StoreError, Wanted, Write};
use crate::usecases::attempts;

pub(super) async fn record<S: WebhookStore + ?Sized>(
    store: &S,
    event: &Event,
    charge: &ChargeObject,
    now: Timestamp,
) -> Result<Handled, WebhookError> {
    let Some(intent) = charge.payment_intent.clone() else { return Ok(Handled::Ignored) };
    for _ in attempts() {
        let wanted = Wanted { intent: Some(intent.clone()), ..Wanted::default() };
        let record = store.read(&wanted).await?.intent;
        let (written, handled) = match record.as_ref().and_then(|r| r.payment.clone()) {
            Some(key) => match refund_payment(store, event, charge, &key, now).await? {
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
/// event from another account than the payment's link).
async fn refund_payment<S: WebhookStore + ?Sized>(
    store: &S,
    event: &Event,
    charge: &ChargeObject,
    key: &PaymentKey,
    now: Timestamp,
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
    let before = payment.refunded;
    if !from_links_account(event, &link) || !payment.raise_refunded(charge.amount_refunded) {
        return Ok(None);
    }
    let fully = payment.is_fully_refunded_by(charge.amount_refunded, charge.amount);
    // A flagged payment (a second one for a settled order, one after a void) being given back
    // says nothing about the order's own payment.
    let counts_for_order = payment.flag.is_none();
    let (part, refunded) = (payment.part_amount, payment.refunded);
    let mut writes = vec![Write::Payment(payment)];
    if let Some(mut order) = found.order
        && counts_for_order
    {
        let status_before = order.payment_status;
        let moved = match part {
            None => order.after_refund(fully, now),
            // A part is given back before its tip: what it paid of the order comes back first.
            Some(part) => {
                let credited = part.minor().min(refunded) - part.minor().min(before);
                order.after_part_refund(credited, refunded - before, now)
            }
        };
        if moved {
            if order.payment_status != status_before {
                let endpoints = found.endpoints.map(|e| e.value.endpoints).unwrap_or_default();
                let told = crate::usecases::events::of_order(&endpoints, &order, now);
                writes.extend(told.map(|e| Write::Event(Versioned::new(e))));
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
