//! The merchant's events, made where the change they tell of is decided and committed with it:
//! an event is never lost, and never tells of a change that did not happen. Each goes to the
//! merchant's endpoints subscribed to its kind when it happened (`MerchantEvent::new`).

use serde_json::json;

use crate::domain::{
    Delivery, EventType, Link, MerchantEvent, MerchantId, MessageTarget, Order, OrderPaymentStatus, Payment,
    PaymentSource, PaymentState, Timestamp, WebhookEndpoint,
};

fn event(
    endpoints: &[WebhookEndpoint],
    merchant: &MerchantId,
    kind: EventType,
    data: serde_json::Value,
    now: Timestamp,
) -> MerchantEvent {
    MerchantEvent::new(endpoints, merchant, kind, data.to_string(), now)
}

fn payment_json(payment: &Payment) -> serde_json::Value {
    json!({
        "session_id": payment.session_id.as_str(),
        "link_id": payment.link_id.as_str(),
        "order_id": payment.order_id.as_ref().map(|o| o.to_string()),
        "status": payment.state,
        "amount": payment.amount.minor(),
        "currency": payment.currency.code(),
        "failure": payment.failure,
        "recorded_at": payment.recorded_at,
        "part_amount": payment.part_amount.map(|p| p.minor()),
        "tip_amount": payment.tip_amount.map(|t| t.minor()),
        "made_for": payment.made_for.map(|m| m.minor()),
        "flag": payment.flag,
    })
}

/// What a recorded payment tells: `link.paid` once it is money, `payment.failed` when a debit failed.
pub fn of_payment(
    endpoints: &[WebhookEndpoint],
    link: &Link,
    payment: &Payment,
    now: Timestamp,
) -> Option<MerchantEvent> {
    let kind = match payment.state {
        PaymentState::Paid => EventType::LinkPaid,
        PaymentState::Failed => EventType::PaymentFailed,
        PaymentState::Processing => return None,
    };
    let data = json!({"link": link_json(link), "payment": payment_json(payment)});
    Some(event(endpoints, &link.merchant_id, kind, data, now))
}

/// What an order's new status tells: `order.paid`, `order.partially_paid`, `order.processing`,
/// `order.refunded` (wholly or partly; the status says which). `source`: how it was paid
/// (`stripe`, or `manual` for a mark-paid).
pub fn of_order(
    endpoints: &[WebhookEndpoint],
    order: &Order,
    source: PaymentSource,
    now: Timestamp,
) -> Option<MerchantEvent> {
    let kind = match order.payment_status {
        OrderPaymentStatus::Paid => EventType::OrderPaid,
        OrderPaymentStatus::PartiallyPaid => EventType::OrderPartiallyPaid,
        OrderPaymentStatus::Processing => EventType::OrderProcessing,
        OrderPaymentStatus::Refunded | OrderPaymentStatus::PartiallyRefunded => EventType::OrderRefunded,
        _ => return None,
    };
    let data = json!({"order": order_json(order), "source": source});
    Some(event(endpoints, &order.merchant_id, kind, data, now))
}

/// `order.overpaid`: a payment charged more than was due when it landed; the rest is recorded as
/// an overpayment for the merchant to give back.
pub fn order_overpaid(
    endpoints: &[WebhookEndpoint],
    order: &Order,
    payment_intent: Option<&str>,
    overpaid: i64,
    now: Timestamp,
) -> MerchantEvent {
    let data = json!({"order": order_json(order), "payment_intent": payment_intent, "overpaid": overpaid});
    event(endpoints, &order.merchant_id, EventType::OrderOverpaid, data, now)
}

/// The order as its events show it: its figures, all from its ledger.
pub fn order_json(order: &Order) -> serde_json::Value {
    let figures = order.figures();
    json!({
        "id": order.id.to_string(),
        "payment_status": order.payment_status.as_str(),
        "amount": order.amount.minor(),
        "currency": order.currency.code(),
        "amount_paid": figures.amount_paid,
        "amount_due": figures.amount_due,
        "amount_refunded": figures.amount_refunded,
        "tip_amount": figures.tip_amount,
        "overpaid_amount": figures.overpaid_amount,
        "refund_due": figures.refund_due,
        "link_ids": order.link_ids.iter().map(|l| l.as_str()).collect::<Vec<_>>(),
        "updated_at": order.updated_at,
    })
}

/// `delivery.failed`: a message the provider refused for good. The recipient's address is not in it.
pub fn delivery_failed(endpoints: &[WebhookEndpoint], delivery: &Delivery, now: Timestamp) -> MerchantEvent {
    let data = json!({"delivery": {
        "id": delivery.id.as_str(),
        "link_id": delivery.link_id.as_str(),
        "channel": delivery.channel,
        "kind": delivery.kind,
        "error": delivery.error,
    }});
    event(endpoints, &delivery.merchant_id, EventType::DeliveryFailed, data, now)
}

/// `delivery.bounced`: SES says the email bounced; `permanent` ones suppress the address.
pub fn delivery_bounced(
    endpoints: &[WebhookEndpoint],
    target: &MessageTarget,
    permanent: bool,
    now: Timestamp,
) -> MerchantEvent {
    let data = json!({"delivery": {
        "id": target.delivery_id.as_str(),
        "link_id": target.link_id.as_str(),
        "channel": target.channel,
        "permanent": permanent,
    }});
    event(endpoints, &target.merchant_id, EventType::DeliveryBounced, data, now)
}

/// The link as its events show it: what it is for, its expiry, and whether a customer asked for a
/// new one.
fn link_json(link: &Link) -> serde_json::Value {
    json!({
        "id": link.id.as_str(),
        "name": link.name,
        "kind": link.kind,
        "order_id": link.order_id.as_ref().map(|o| o.to_string()),
        "amount": link.amount.minor(),
        "currency": link.currency.code(),
        "expires_at": link.expires_at,
        "renewal_requested_at": link.renewal_requested_at,
    })
}

/// `link.expired`: an active link's expiry passed unpaid.
pub fn link_expired(endpoints: &[WebhookEndpoint], link: &Link, now: Timestamp) -> MerchantEvent {
    event(endpoints, &link.merchant_id, EventType::LinkExpired, json!({"link": link_json(link)}), now)
}

/// `link.renewal_requested`: a customer met the link expired and asked for a new one.
pub fn link_renewal_requested(endpoints: &[WebhookEndpoint], link: &Link, now: Timestamp) -> MerchantEvent {
    event(endpoints, &link.merchant_id, EventType::LinkRenewalRequested, json!({"link": link_json(link)}), now)
}
