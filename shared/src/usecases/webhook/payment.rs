//! A Checkout Session's payment: read the link, its stored payment and its PaymentIntent in one
//! go (a repeat ends there), the order in a second, and commit everything in a third.

use super::{Event, Handled, SessionObject, WebhookError, WebhookStore, from_links_account, link_of};
use crate::domain::{
    Amount, Charged, Credit, Currency, IntentRecord, Link, Order, Payment, PaymentKey, PaymentSource, PaymentState,
    SessionId, Timestamp, Versioned,
};
use crate::metadata;
use crate::ports::{Found, StoreError, Wanted, Write};
use crate::usecases::attempts;

pub(super) async fn record<S: WebhookStore + ?Sized>(
    store: &S,
    event: &Event,
    session: &SessionObject,
    state: PaymentState,
    now: Timestamp,
    retention_days: i64,
) -> Result<Handled, WebhookError> {
    let (Some(link_id), Ok(session_id)) = (link_of(session), SessionId::parse(&session.id)) else {
        return Ok(Handled::Ignored);
    };
    crate::logging::record_link(&link_id);
    for _ in attempts() {
        let wanted = Wanted {
            link: Some(link_id.clone()),
            payment: Some((link_id.clone(), session_id.clone())),
            intent: session.payment_intent.clone(),
            last_checkout: Some(link_id.clone()),
            ..Wanted::default()
        };
        // Read without the retention cut-off: money for a link is recorded even after it ended.
        let found = store.read(&wanted).await?;
        let Some(link) = &found.link else {
            tracing::warn!(event = %event.id, "payment for a link this system does not hold; ignored");
            return Ok(Handled::Ignored);
        };
        if session.metadata.get(metadata::MERCHANT_ID).is_some_and(|m| m != link.merchant_id.as_str()) {
            tracing::warn!(event = %event.id, "session names another merchant than its link; ignored");
            return Ok(Handled::Ignored);
        }
        if !from_links_account(event, link) {
            return Ok(Handled::Ignored);
        }
        let mut incoming = payment_of(session, link, session_id.clone(), state, now);
        incoming.delivery_id = delivery_of(session, link, found.last_checkout.as_ref());
        if !incoming.supersedes(found.payment.as_ref().map(|p| &p.value)) {
            return Ok(Handled::Duplicate);
        }
        // The order, and the merchant's webhook endpoints for the events this payment makes.
        let wanted = Wanted {
            order: link.order_id.clone().map(|order_id| (link.merchant_id.clone(), order_id)),
            endpoints: Some(link.merchant_id.clone()),
            ..Wanted::default()
        };
        let second = store.read(&wanted).await?;
        let endpoints = second.endpoints.map(|e| e.value.endpoints).unwrap_or_default();
        let writes = decide(found.clone(), second.order, &endpoints, incoming, event, now, retention_days);
        let paid = writes.iter().find_map(|w| match w {
            Write::Payment(p) if p.state == PaymentState::Paid => Some(p.flag.is_some()),
            _ => None,
        });
        match store.commit(writes).await {
            Ok(()) => {
                if let Some(flagged) = paid {
                    crate::metrics::payment_recorded(flagged);
                }
                return Ok(Handled::Recorded);
            }
            Err(StoreError::Conflict) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(StoreError::Conflict.into())
}

/// Whose payment it is: the delivery the session names (a product link's session is one
/// customer's), else, for an order link (one session shared by every recipient), the delivery
/// whose open last went on to its Checkout.
fn delivery_of(
    session: &SessionObject,
    link: &Link,
    last_checkout: Option<&crate::domain::DeliveryId>,
) -> Option<crate::domain::DeliveryId> {
    let named = session.metadata.get(metadata::DELIVERY_ID).and_then(|d| crate::domain::DeliveryId::parse(d));
    named.or_else(|| last_checkout.filter(|_| link.kind == crate::domain::LinkKind::Order).cloned())
}

/// The payment as the event tells it, at what Stripe charged (a promotion code lowers it,
/// `no_payment_required` makes it zero). The session's metadata says whether the customer chose
/// a part of the balance and a tip (we made the session, so it is ours to read).
fn payment_of(
    session: &SessionObject,
    link: &Link,
    session_id: SessionId,
    state: PaymentState,
    now: Timestamp,
) -> Payment {
    let details = session.customer_details.as_ref();
    Payment {
        session_id,
        link_id: link.id.clone(),
        merchant_id: link.merchant_id.clone(),
        order_id: link.order_id.clone(),
        state,
        source: PaymentSource::Stripe,
        amount: session.amount_total.and_then(|a| Amount::charged(a).ok()).unwrap_or(link.amount),
        currency: session.currency.as_deref().and_then(|c| Currency::parse(c).ok()).unwrap_or(link.currency),
        customer_email: details.and_then(|d| d.email.clone()),
        customer_name: details.and_then(|d| d.name.clone()),
        recorded_at: now,
        flag: link.flag_for_payment(now).map(str::to_string),
        failure: (state == PaymentState::Failed).then(|| "async_payment_failed".to_string()),
        payment_intent: session.payment_intent.clone(),
        refunded: 0,
        purge_at: None,
        delivery_id: None,
        part_amount: stated(session, metadata::PART_AMOUNT),
        // What the session was made for on the order; a part's own amount for sessions made
        // before sessions stated it.
        made_for: stated(session, metadata::AMOUNT).or_else(|| stated(session, metadata::PART_AMOUNT)),
        tip_amount: stated(session, metadata::TIP_AMOUNT),
    }
}

/// An amount the session's metadata states (we made the session, so it is ours to read).
fn stated(session: &SessionObject, key: &str) -> Option<Amount> {
    session.metadata.get(key).and_then(|v| v.parse().ok()).and_then(|v| Amount::parse(v).ok())
}

/// What the payment changes: itself, its link, its order's ledger (and through the order every
/// other link of it), and its PaymentIntent's record, with a refund that came first applied.
#[allow(clippy::too_many_arguments)]
fn decide(
    found: Found,
    order: Option<Versioned<Order>>,
    endpoints: &[crate::domain::WebhookEndpoint],
    mut payment: Payment,
    event: &Event,
    now: Timestamp,
    retention_days: i64,
) -> Vec<Write> {
    let mut link = found.link.expect("checked by the caller");
    if let Some(flag) = &payment.flag {
        tracing::warn!(event = %event.id, link = %link.id, flag, "payment arrived for a link that is not payable; recorded and flagged");
    }
    let stored = found.payment;
    payment.refunded = stored.as_ref().map_or(0, |p| p.refunded);
    let mut writes = Vec::new();
    if let Some(intent) = payment.payment_intent.clone() {
        let mut record = found.intent.unwrap_or_else(|| {
            Versioned::new(IntentRecord { intent, payment: None, early_refund: None, account: None, purge_at: None })
        });
        if let Some((refunded, _)) = record.early_refund.take()
            && record.account == event.account
        {
            payment.raise_refunded(refunded);
        }
        record.payment = Some(PaymentKey::of(&payment));
        record.account = event.account.clone();
        record.purge_at = None;
        writes.push(Write::Intent(record));
    }
    let Some(mut order) = order else {
        // A reusable link (or an order link whose order is gone): the link alone decides.
        link.take_payment(&payment, true, retention_days);
        return finish(writes, link, endpoints, payment, stored, now);
    };
    let before = order.value.clone();
    let credit = match payment.state {
        PaymentState::Processing => {
            order.debit_started(&payment.session_id, now, retention_days);
            Credit::default()
        }
        PaymentState::Failed => {
            order.debit_failed(&payment.session_id, now, retention_days);
            Credit::default()
        }
        PaymentState::Paid => {
            let credit = order.take_charge(&charged(&payment, now), retention_days);
            // A refund that came before its payment is applied to what the payment was credited.
            if payment.refunded > 0 {
                order.take_refund(&payment.session_id, payment.refunded, None, now, retention_days);
            }
            credit
        }
    };
    if credit.overpaid > 0 {
        // More than was due when it landed (parts racing for the balance, a session made for an
        // older amount, an order paid or rejected meanwhile): kept, for a person to give back.
        tracing::warn!(event = %event.id, link = %link.id, "a payment charged more than its order had due; recorded and flagged");
        payment.flag.get_or_insert_with(|| "overpaid".to_string());
    }
    link.take_payment(&payment, order.payment_status.is_settled(), retention_days);
    link.follow_order(order.payment_status, now, retention_days);
    link.order_paid = order.covered();
    link.order_amount = Some(order.amount);
    if order.value != before {
        let status_moved = order.payment_status != before.payment_status;
        let balance_moved = order.covered() != before.covered();
        if status_moved || balance_moved {
            for sibling in order.link_ids.iter().filter(|id| **id != link.id) {
                writes.push(Write::link_follows(&order, sibling, now, retention_days));
            }
            // A part on a partly paid order tells too: its balance changed.
            let told = crate::usecases::events::of_order(endpoints, &order, PaymentSource::Stripe, now);
            writes.extend(told.map(|e| Write::Event(Versioned::new(e))));
        }
        if credit.overpaid > 0 {
            let intent = payment.payment_intent.as_deref();
            let told = crate::usecases::events::order_overpaid(endpoints, &order, intent, credit.overpaid, now);
            writes.push(Write::Event(Versioned::new(told)));
        }
        writes.push(Write::Order(order));
    }
    finish(writes, link, endpoints, payment, stored, now)
}

/// What the payment charged, as the order's ledger takes it.
fn charged(payment: &Payment, now: Timestamp) -> Charged {
    Charged {
        session_id: payment.session_id.clone(),
        link_id: payment.link_id.clone(),
        payment_intent: payment.payment_intent.clone(),
        currency: payment.currency,
        amount: payment.amount.minor(),
        made_for: payment.made_for.map(Amount::minor),
        tip: payment.tip_amount.map_or(0, Amount::minor),
        flag: payment.flag.clone(),
        at: now,
    }
}

/// The payment, its link, the funnel's last step and the payment's event.
fn finish(
    mut writes: Vec<Write>,
    link: Versioned<Link>,
    endpoints: &[crate::domain::WebhookEndpoint],
    mut payment: Payment,
    stored: Option<Versioned<Payment>>,
    now: Timestamp,
) -> Vec<Write> {
    // Kept as long as its link.
    payment.purge_at = link.purge_at;
    if let (PaymentState::Paid, Some(delivery)) = (payment.state, &payment.delivery_id) {
        // The funnel's last step, on the delivery that led to it.
        writes.push(Write::Activity {
            link: link.id.clone(),
            delivery: delivery.clone(),
            activity: crate::domain::Activity::Paid,
            at: now,
        });
    }
    writes.extend(
        crate::usecases::events::of_payment(endpoints, &link, &payment, now).map(|e| Write::Event(Versioned::new(e))),
    );
    let version = stored.map_or(0, |p| p.version);
    writes.push(Write::Payment(Versioned::at(payment, version)));
    writes.push(Write::Link(link));
    writes
}
