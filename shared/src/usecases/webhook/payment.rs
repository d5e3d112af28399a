//! A Checkout Session's payment: read the link, its stored payment and its PaymentIntent in one
//! go (a repeat ends there), the order in a second, and commit everything in a third.

use super::{Event, Handled, SessionObject, WebhookError, WebhookStore, from_links_account, link_of};
use crate::domain::{
    Amount, Currency, IntentRecord, Link, Order, Payment, PaymentKey, PaymentSource, PaymentState, SessionId,
    Timestamp, Versioned,
};
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
        if session.metadata.get("merchant_id").is_some_and(|m| m != link.merchant_id.as_str()) {
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
    let named = session.metadata.get("delivery_id").and_then(|d| crate::domain::DeliveryId::parse(d));
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
        part_amount: session
            .metadata
            .get("part_amount")
            .and_then(|p| p.parse().ok())
            .and_then(|p| Amount::parse(p).ok()),
        tip_amount: session.metadata.get("tip_amount").and_then(|t| t.parse().ok()).and_then(|t| Amount::parse(t).ok()),
    }
}

/// What the payment changes: itself, its link, its order (and through the order every other link
/// of it), and its PaymentIntent's record, with a refund that came first applied.
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
    let mut early_refund_fully = None;
    if let Some(intent) = payment.payment_intent.clone() {
        let mut record = found.intent.unwrap_or_else(|| {
            Versioned::new(IntentRecord { intent, payment: None, early_refund: None, account: None, purge_at: None })
        });
        if let Some((refunded, charge_amount)) = record.early_refund.take()
            && record.account == event.account
        {
            payment.raise_refunded(refunded);
            early_refund_fully = Some(payment.is_fully_refunded_by(refunded, charge_amount));
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
    let due_before = order.amount_due();
    let moved = order.after_payment(&payment, retention_days);
    let refunded = early_refund_fully.is_some_and(|fully| order.after_refund(fully, now));
    link.take_payment(&payment, order.payment_status.is_settled(), retention_days);
    link.follow_order(order.payment_status, now, retention_days);
    link.order_paid = order.amount_paid;
    link.order_amount = Some(order.amount);
    if payment.state == PaymentState::Paid && payment.flag.is_none() && payment.credited(due_before) > due_before {
        // Two parts raced for the last of the balance: the money is kept, for a person to refund.
        tracing::warn!(event = %event.id, link = %link.id, "a part paid more than was due; recorded and flagged");
        payment.flag = Some("overpaid".to_string());
    }
    if moved || refunded {
        let ended = order.payment_status.is_settled() || order.payment_status.ends_links();
        for sibling in order.link_ids.iter().filter(|id| **id != link.id) {
            writes.push(Write::LinkFollowsOrder {
                link: sibling.clone(),
                status: order.payment_status,
                amount_paid: order.amount_paid,
                order_amount: order.amount,
                purge_at: ended.then(|| now.plus_days(retention_days)),
            });
        }
        writes
            .extend(crate::usecases::events::of_order(endpoints, &order, now).map(|e| Write::Event(Versioned::new(e))));
        writes.push(Write::Order(order));
    }
    finish(writes, link, endpoints, payment, stored, now)
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
