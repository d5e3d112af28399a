//! The store contract: every store (the embedded one and DynamoDB on moto) must pass each of
//! these. It states what a store promises — versioned compare-and-set, all-or-nothing commits,
//! one round trip per read — and nothing about the product's rules, which live in the domain.

use std::sync::Arc;

use paylinks::domain::{
    Amount, Channel, Currency, Delivery, DeliveryId, DeliveryStatus, IdempotencyRecord, IntentRecord, LineItem, Link,
    LinkId, LinkKind, LinkOptions, LinkStatus, MerchantId, OpenSession, Order, OrderId, OrderPaymentStatus, Payment,
    PaymentSource, PaymentState, SendWindow, SessionId, Settings, ShortCode, ShortCodeTarget, Timestamp, Versioned,
};
use paylinks::ports::{Store, StoreError, Visit, Wanted, Write};

pub const NOW: Timestamp = Timestamp::from_unix(1_800_000_000);

pub fn merchant(name: &str) -> MerchantId {
    MerchantId::parse(name).unwrap()
}

pub fn link(merchant_id: &MerchantId, order: Option<&str>) -> Link {
    Link {
        id: LinkId::generate(),
        merchant_id: merchant_id.clone(),
        kind: if order.is_some() { LinkKind::Order } else { LinkKind::Product },
        name: "Order SO-1".into(),
        status: LinkStatus::Active,
        order_id: order.map(|o| OrderId::parse(o).unwrap()),
        amount: Amount::parse(2500).unwrap(),
        currency: Currency::parse("usd").unwrap(),
        line_items: vec![LineItem {
            name: "Widget".into(),
            unit_amount: Amount::parse(1250).unwrap(),
            quantity: 2,
            adjustable_quantity: None,
            recurring: None,
            custom_amount: None,
        }],
        customer: None,
        landing_page_url: None,
        options: LinkOptions::default(),
        short_code: ShortCode::generate(),
        created_at: NOW,
        expires_at: None,
        session: None,
        session_seq: 0,
        opens: 0,
        collected: 0,
        collected_manual: 0,
        purge_at: Some(NOW.plus_days(90)),
        stripe_account: None,
        order_status: order.map(|_| OrderPaymentStatus::Outstanding),
        reminders: None,
        expiry_announced: None,
        renewal_requested_at: None,
        invoice: Default::default(),
        partial_payments: None,
        order_paid: 0,
        order_amount: None,
        restrictions: Default::default(),
        inactive_message: None,
        completed_payments: 0,
    }
}

pub fn order(merchant_id: &MerchantId, id: &str) -> Order {
    Order {
        merchant_id: merchant_id.clone(),
        id: OrderId::parse(id).unwrap(),
        payment_status: OrderPaymentStatus::Outstanding,
        amount: Amount::parse(2500).unwrap(),
        currency: Currency::parse("usd").unwrap(),
        customer: None,
        invoice_number: None,
        invoice_url: None,
        entries: Vec::new(),
        processing: Vec::new(),
        link_ids: Vec::new(),
        current_link: None,
        updated_at: NOW,
        purge_at: None,
    }
}

pub fn payment(link: &Link, session: &str, state: PaymentState) -> Payment {
    Payment {
        session_id: SessionId::parse(session).unwrap(),
        link_id: link.id.clone(),
        merchant_id: link.merchant_id.clone(),
        order_id: link.order_id.clone(),
        state,
        source: PaymentSource::Stripe,
        amount: link.amount,
        currency: link.currency,
        customer_email: Some("payer@example.com".into()),
        customer_name: Some("Pat Payer".into()),
        recorded_at: NOW,
        flag: None,
        failure: None,
        payment_intent: Some(format!("pi_{session}")),
        refunded: 0,
        purge_at: None,
        delivery_id: None,
        part_amount: None,
        made_for: None,
        tip_amount: None,
    }
}

/// A pending email delivery of the link to ada@example.com, made at `NOW`.
pub fn delivery(link: &Link) -> Delivery {
    Delivery {
        id: DeliveryId::generate(),
        link_id: link.id.clone(),
        merchant_id: link.merchant_id.clone(),
        channel: Channel::Email,
        recipient: "ada@example.com".into(),
        status: DeliveryStatus::Pending,
        message_id: None,
        error: None,
        short_code: ShortCode::generate(),
        created_at: NOW,
        kind: paylinks::domain::DeliveryKind::Send,
        slot: None,
        opens: 0,
        activity: Default::default(),
        purge_at: None,
    }
}

fn window(delivery: &Delivery) -> SendWindow {
    SendWindow {
        link_id: delivery.link_id.clone(),
        key: "key-ada".into(),
        delivery: delivery.clone(),
        lease_until: NOW.plus_seconds(29),
    }
}

fn is_conflict(result: Result<(), StoreError>) -> bool {
    matches!(result, Err(StoreError::Conflict))
}

async fn read_link(store: &dyn Store, id: &LinkId) -> Option<Versioned<Link>> {
    store.read(&Wanted { link: Some(id.clone()), ..Wanted::default() }).await.unwrap().link
}

/// A link written through the store, at version 1.
async fn stored_link(store: &dyn Store, merchant_id: &MerchantId) -> Versioned<Link> {
    let written = link(merchant_id, Some("SO-1"));
    store.commit(vec![Write::Link(Versioned::new(written.clone()))]).await.unwrap();
    Versioned::at(written, 1)
}

/// The merchant's and the payment's other records, as a request would write them.
fn records_of(m: &MerchantId, l: &Link, p: &Payment) -> (Settings, IntentRecord, IdempotencyRecord, ShortCodeTarget) {
    let settings = Settings { display_name: "Acme".into(), payments_enabled: true, ..Settings::default() };
    let intent = IntentRecord {
        intent: "pi_cs_read".into(),
        payment: Some(paylinks::domain::PaymentKey::of(p)),
        early_refund: None,
        account: None,
        purge_at: None,
    };
    let record = IdempotencyRecord {
        merchant_id: m.clone(),
        key: "key-1".into(),
        fingerprint: "fp".into(),
        status: 201,
        body: "{}".into(),
        expires_at: NOW.plus_seconds(86_400),
    };
    let target =
        ShortCodeTarget { link_id: l.id.clone(), merchant_id: Some(m.clone()), delivery_id: None, purge_at: None };
    (settings, intent, record, target)
}

pub async fn everything_committed_reads_back_in_one_read_at_version_one(store: &dyn Store) {
    let m = merchant(&paylinks::domain::random_base62(10));
    let l = link(&m, Some("SO-1"));
    let o = order(&m, "SO-1");
    let p = payment(&l, "cs_read", PaymentState::Paid);
    let d = delivery(&l);
    let w = window(&d);
    let (settings, intent, record, target) = records_of(&m, &l, &p);
    let wanted = Wanted {
        link: Some(l.id.clone()),
        settings: Some(m.clone()),
        order: Some((m.clone(), o.id.clone())),
        payment: Some((l.id.clone(), p.session_id.clone())),
        intent: Some(intent.intent.clone()),
        links: vec![l.id.clone(), LinkId::generate()],
        windows: vec![(l.id.clone(), w.key.clone())],
        reminders: vec![],
        idempotency: Some((m.clone(), record.key.clone())),
        short_code: Some(l.short_code.clone()),
        suppressions: vec![],
        message: None,
        last_checkout: None,
        endpoints: None,
        event: None,
        client_session: Some((l.id.clone(), "client-a".to_string())),
    };
    let kept = paylinks::domain::ClientSession::new(
        l.id.clone(),
        "client-a".to_string(),
        OpenSession {
            id: SessionId::parse("cs_test_client_a").unwrap(),
            url: "https://checkout.example/cs_test_client_a".into(),
            expires_at: Timestamp::from_unix(1_900_000_000),
            choice: Default::default(),
            made_for: None,
        },
        1,
        Timestamp::from_unix(1_800_000_000),
    );
    let nothing = store.read(&wanted).await.unwrap();
    assert!(nothing.client_session.is_none());
    assert!(nothing.link.is_none() && nothing.settings.is_none() && nothing.order.is_none());
    assert!(nothing.links.is_empty() && nothing.windows.is_empty() && nothing.short_code.is_none());
    store
        .commit(vec![
            Write::Link(Versioned::new(l.clone())),
            Write::Order(Versioned::new(o.clone())),
            Write::Payment(Versioned::new(p.clone())),
            Write::Intent(Versioned::new(intent.clone())),
            Write::Delivery(Versioned::new(d.clone())),
            Write::Window(Versioned::new(w.clone())),
            Write::Settings(m.clone(), Versioned::new(settings.clone())),
            Write::Idempotency(Versioned::new(record.clone())),
            Write::ShortCode(l.short_code.clone(), target.clone()),
            Write::ClientSession(kept.clone()),
        ])
        .await
        .unwrap();
    let found = store.read(&wanted).await.unwrap();
    assert_eq!(found.client_session, Some(kept));
    assert_eq!(found.link, Some(Versioned::at(l.clone(), 1)));
    assert_eq!(found.settings, Some(Versioned::at(settings, 1)));
    assert_eq!(found.order, Some(Versioned::at(o, 1)));
    assert_eq!(found.payment, Some(Versioned::at(p.clone(), 1)));
    assert_eq!(found.intent, Some(Versioned::at(intent, 1)));
    assert_eq!(found.links, vec![Versioned::at(l.clone(), 1)], "only the links that exist");
    assert_eq!(found.windows, vec![Versioned::at(w, 1)]);
    assert_eq!(found.idempotency, Some(Versioned::at(record, 1)));
    assert_eq!(found.short_code, Some(target));
    let records = store.link_records(&l.id).await.unwrap();
    assert_eq!(records.payments, vec![p]);
    assert_eq!(records.deliveries, vec![d]);
}

pub async fn a_write_at_a_stale_version_writes_nothing_of_its_commit(store: &dyn Store) {
    let m = merchant("m-stale");
    let first = stored_link(store, &m).await;
    let mut renamed = first.clone();
    renamed.name = "Renamed".into();
    store.commit(vec![Write::Link(renamed.clone())]).await.unwrap();
    assert_eq!(read_link(store, &first.id).await, Some(renamed.clone().committed()));
    let mut stale = first.clone();
    stale.name = "Lost update".into();
    let bystander = link(&m, None);
    let commit = vec![Write::Link(Versioned::new(bystander.clone())), Write::Link(stale)];
    assert!(is_conflict(store.commit(commit).await));
    assert_eq!(read_link(store, &first.id).await.unwrap().name, "Renamed");
    assert!(read_link(store, &bystander.id).await.is_none(), "all of a commit or none of it");
    assert!(is_conflict(store.commit(vec![Write::Link(Versioned::new(first.value.clone()))]).await), "new means new");
}

pub async fn a_short_code_is_taken_once(store: &dyn Store) {
    let m = merchant("m-short");
    let code = ShortCode::generate();
    let target =
        |id: LinkId| ShortCodeTarget { link_id: id, merchant_id: Some(m.clone()), delivery_id: None, purge_at: None };
    store.commit(vec![Write::ShortCode(code.clone(), target(LinkId::generate()))]).await.unwrap();
    assert!(is_conflict(store.commit(vec![Write::ShortCode(code.clone(), target(LinkId::generate()))]).await));
    store.commit(vec![Write::DropShortCode(code.clone())]).await.unwrap();
    let wanted = Wanted { short_code: Some(code), ..Wanted::default() };
    assert!(store.read(&wanted).await.unwrap().short_code.is_none());
}

pub async fn an_orders_status_follows_onto_links_not_read_and_a_gone_link_is_left_alone(store: &dyn Store) {
    let m = merchant("m-follow");
    let read = stored_link(store, &m).await;
    let gone = LinkId::generate();
    let o = order(&m, "SO-follow");
    let purge = NOW.plus_days(90);
    let follow = |link: LinkId| Write::LinkFollowsOrder {
        link,
        status: OrderPaymentStatus::Paid,
        amount_paid: 2500,
        order_amount: Amount::parse(2500).unwrap(),
        purge_at: Some(purge),
    };
    store.commit(vec![follow(read.id.clone()), follow(gone.clone()), Write::Order(Versioned::new(o))]).await.unwrap();
    let followed = read_link(store, &read.id).await.unwrap();
    assert_eq!((followed.order_status, followed.purge_at), (Some(OrderPaymentStatus::Paid), Some(purge)));
    assert_eq!(followed.version, 2, "a writer that read it before must read again");
    assert!(is_conflict(store.commit(vec![Write::Link(read)]).await));
    assert!(read_link(store, &gone).await.is_none(), "no link made up");
}

const OPENED: Visit = Visit { opened: true, checkout: false, shared_session: false };

pub async fn opens_are_counted_apart_from_versions(store: &dyn Store) {
    let m = merchant("m-opens");
    let l = stored_link(store, &m).await;
    let d = delivery(&l);
    store.commit(vec![Write::Delivery(Versioned::new(d.clone()))]).await.unwrap();
    // Enough opens that a sharded count has several shards to add up.
    for _ in 0..20 {
        store.count_visit(&l.id, None, NOW, OPENED).await.unwrap();
    }
    store.count_visit(&l.id, Some(&d.id), NOW, OPENED).await.unwrap();
    // A choice posted from our page is a checkout start, not another open.
    store.count_visit(&l.id, None, NOW, Visit { checkout: true, ..Visit::default() }).await.unwrap();
    let records = store.link_records(&l.id).await.unwrap();
    let stored = records.link.unwrap();
    assert_eq!((stored.opens, stored.version), (21, 1), "a counted open is not a change of state");
    assert_eq!(records.deliveries[0].opens, 1);
    store.commit(vec![Write::Link(l)]).await.unwrap();
    assert_eq!(
        store.link_records(&stored.id).await.unwrap().link.unwrap().opens,
        21,
        "writing the link keeps its opens"
    );
}

pub async fn a_claim_is_undone_only_as_it_was_read(store: &dyn Store) {
    let m = merchant("m-drop");
    let l = stored_link(store, &m).await;
    let d = delivery(&l);
    let w = window(&d);
    store
        .commit(vec![Write::Delivery(Versioned::new(d.clone())), Write::Window(Versioned::new(w.clone()))])
        .await
        .unwrap();
    let mut taken_over = Versioned::at(w.clone(), 1);
    taken_over.lease_until = NOW.plus_seconds(60);
    store.commit(vec![Write::Window(taken_over)]).await.unwrap();
    let stale = vec![Write::DropDelivery(Versioned::at(d.clone(), 1)), Write::DropWindow(Versioned::at(w.clone(), 1))];
    assert!(is_conflict(store.commit(stale).await));
    assert_eq!(store.link_records(&l.id).await.unwrap().deliveries.len(), 1, "nothing dropped");
    let current = vec![Write::DropDelivery(Versioned::at(d, 1)), Write::DropWindow(Versioned::at(w, 2))];
    store.commit(current).await.unwrap();
    assert!(store.link_records(&l.id).await.unwrap().deliveries.is_empty());
}

pub async fn one_item_twice_or_over_a_hundred_in_a_commit_are_refused(store: &dyn Store) {
    let m = merchant("m-twice");
    let l = link(&m, None);
    let twice = vec![Write::Link(Versioned::new(l.clone())), Write::Link(Versioned::new(l.clone()))];
    assert!(matches!(store.commit(twice).await, Err(StoreError::Unavailable(_))));
    assert!(read_link(store, &l.id).await.is_none());
    // Nor more than DynamoDB's hundred items.
    let target = ShortCodeTarget { link_id: l.id.clone(), merchant_id: None, delivery_id: None, purge_at: None };
    let many: Vec<Write> = (0..101).map(|_| Write::ShortCode(ShortCode::generate(), target.clone())).collect();
    assert!(matches!(store.commit(many).await, Err(StoreError::Unavailable(_))));
}

/// Twenty writers that read the same version: exactly one commits.
pub async fn concurrent_writers_of_one_version_let_exactly_one_win(store: Arc<dyn Store>) {
    let m = merchant("m-race");
    let read = stored_link(store.as_ref(), &m).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = store.clone();
        let mut mine = read.clone();
        mine.name = format!("writer {i}");
        tasks.push(tokio::spawn(async move { store.commit(vec![Write::Link(mine)]).await.map(|_| i) }));
    }
    let mut won = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(i) => won.push(i),
            Err(StoreError::Conflict) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(won.len(), 1);
    let stored = read_link(store.as_ref(), &read.id).await.unwrap();
    assert_eq!((stored.name.clone(), stored.version), (format!("writer {}", won[0]), 2));
}

/// A reminder schedule of `link` for `recipient`, its next slot due at `due_at`.
pub fn reminder(link: &Link, recipient: &str, due_at: Option<Timestamp>) -> paylinks::domain::ReminderSchedule {
    paylinks::domain::ReminderSchedule {
        link_id: link.id.clone(),
        merchant_id: link.merchant_id.clone(),
        key: format!("key-{recipient}"),
        channel: Channel::Email,
        recipient: format!("{recipient}@example.com"),
        name: None,
        first_sent_at: NOW.plus_days(-1),
        done: 0,
        due_at,
        purge_at: None,
    }
}

pub async fn reminder_schedules_are_due_from_the_index_until_they_end(store: &dyn Store) {
    let now = NOW;
    let l = link(&merchant(&paylinks::domain::random_base62(10)), Some("SO-r"));
    let due = reminder(&l, "ada", Some(now.plus_seconds(-10)));
    let later = reminder(&l, "bob", Some(now.plus_seconds(100)));
    let ended = reminder(&l, "cy", None);
    let writes = [&due, &later, &ended].map(|r| Write::Reminder(Versioned::new(r.clone())));
    store.commit(writes.to_vec()).await.unwrap();
    let mine = |found: Vec<paylinks::domain::ReminderSchedule>| -> Vec<String> {
        found.into_iter().filter(|r| r.link_id == l.id).map(|r| r.recipient).collect()
    };
    assert_eq!(mine(store.due_reminders(now, 50).await.unwrap()), vec!["ada@example.com"]);
    let wanted = Wanted { reminders: vec![(l.id.clone(), due.key.clone())], ..Wanted::default() };
    let read = store.read(&wanted).await.unwrap().reminders.pop().expect("the schedule reads back");
    assert_eq!((read.version, &read.value), (1, &due));
    let moved = Versioned::at(
        paylinks::domain::ReminderSchedule { done: 1, due_at: Some(now.plus_seconds(50)), ..due.clone() },
        1,
    );
    store.commit(vec![Write::Reminder(moved.clone())]).await.unwrap();
    assert!(mine(store.due_reminders(now, 50).await.unwrap()).is_empty(), "moved on: not due now");
    assert_eq!(mine(store.due_reminders(now.plus_seconds(60), 50).await.unwrap()), vec!["ada@example.com"]);
    assert!(matches!(store.commit(vec![Write::Reminder(moved)]).await, Err(StoreError::Conflict)), "stale version");
    let both = mine(store.due_reminders(now.plus_seconds(200), 50).await.unwrap());
    assert_eq!(both, vec!["ada@example.com", "bob@example.com"], "earliest first; the ended one never");
}

pub async fn suppressions_message_ids_and_a_deliverys_funnel_read_back(store: &dyn Store) {
    use paylinks::domain::{Activity, MessageTarget, Suppression, SuppressionReason};
    let m = merchant(&paylinks::domain::random_base62(10));
    let l = link(&m, Some("SO-funnel"));
    let d = delivery(&l);
    store
        .commit(vec![Write::Link(Versioned::new(l.clone())), Write::Delivery(Versioned::new(d.clone()))])
        .await
        .unwrap();
    let message_id = format!("msg-{}", paylinks::domain::random_base62(12));
    let target = MessageTarget {
        message_id: message_id.clone(),
        link_id: l.id.clone(),
        delivery_id: d.id.clone(),
        merchant_id: m.clone(),
        key: "key-ada".into(),
        channel: Channel::Email,
        purge_at: None,
    };
    let suppression = Suppression {
        merchant_id: m.clone(),
        key: "key-ada".into(),
        channel: Channel::Email,
        reason: SuppressionReason::Bounced,
        at: NOW,
    };
    let step = |activity, at| Write::Activity { link: l.id.clone(), delivery: d.id.clone(), activity, at };
    store
        .commit(vec![
            Write::MessageSent(target.clone()),
            Write::Suppress(suppression.clone()),
            step(Activity::Delivered, NOW),
        ])
        .await
        .unwrap();
    // Repeats (a provider delivers its events at least once) change nothing; the first time stays.
    store
        .commit(vec![Write::MessageSent(target.clone()), step(Activity::Delivered, NOW.plus_seconds(5))])
        .await
        .unwrap();
    store.commit(vec![step(Activity::Bounced, NOW.plus_seconds(9))]).await.unwrap();
    store.count_visit(&l.id, Some(&d.id), NOW, OPENED).await.unwrap();
    let wanted = Wanted {
        message: Some(message_id),
        suppressions: vec![(m.clone(), "key-ada".into()), (m.clone(), "key-bob".into())],
        ..Wanted::default()
    };
    let found = store.read(&wanted).await.unwrap();
    assert_eq!(found.message, Some(target));
    assert_eq!(found.suppressions, vec![suppression], "only the suppressed one");
    let records = store.link_records(&l.id).await.unwrap();
    let read = &records.deliveries[0];
    assert_eq!(
        (read.opens, read.activity.delivered_at, read.activity.bounced_at),
        (1, Some(NOW), Some(NOW.plus_seconds(9)))
    );
    assert_eq!(
        (read.activity.opened_at, read.activity.checkout_started_at),
        (Some(NOW), None),
        "an open, not on to Checkout"
    );
    let own_session = Visit { opened: true, checkout: true, shared_session: false };
    store.count_visit(&l.id, Some(&d.id), NOW.plus_seconds(20), own_session).await.unwrap();
    let read = store.link_records(&l.id).await.unwrap().deliveries.remove(0);
    assert_eq!((read.opens, read.activity.opened_at), (2, Some(NOW)), "the first open is kept");
    assert_eq!(read.activity.checkout_started_at, Some(NOW.plus_seconds(20)));
    let last_checkout = Wanted { last_checkout: Some(l.id.clone()), ..Wanted::default() };
    assert_eq!(store.read(&last_checkout).await.unwrap().last_checkout, None, "only a shared session's is kept");
    // A choice posted later: the checkout start of the link's one session, not an open.
    let shared = Visit { checkout: true, shared_session: true, ..Visit::default() };
    store.count_visit(&l.id, Some(&d.id), NOW.plus_seconds(30), shared).await.unwrap();
    let read = store.link_records(&l.id).await.unwrap().deliveries.remove(0);
    assert_eq!((read.opens, read.activity.checkout_started_at), (2, Some(NOW.plus_seconds(20))), "the first is kept");
    let attributed = store.read(&last_checkout).await.unwrap();
    assert_eq!(attributed.last_checkout, Some(d.id.clone()), "whose checkout start came last");
}

pub async fn a_merchants_events_read_back_newest_first_page_by_page(store: &dyn Store) {
    use paylinks::domain::{EventType, MerchantEvent};
    let m = merchant(&paylinks::domain::random_base62(10));
    let other = merchant(&paylinks::domain::random_base62(10));
    let event = |who: &MerchantId, at: i64| {
        MerchantEvent::new(&[], who, EventType::OrderPaid, "{}".into(), NOW.plus_seconds(at))
    };
    let (first, second, third) = (event(&m, 1), event(&m, 2), event(&m, 3));
    let theirs = event(&other, 4);
    let writes = [&first, &second, &third, &theirs].map(|e| Write::Event(Versioned::new(e.clone())));
    store.commit(writes.to_vec()).await.unwrap();
    let ids = |page: Vec<MerchantEvent>| page.into_iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(ids(store.events_page(&m, None, 2).await.unwrap()), vec![third.id.clone(), second.id.clone()]);
    assert_eq!(ids(store.events_page(&m, Some(&second.id), 10).await.unwrap()), vec![first.id.clone()]);
    let wanted = Wanted { event: Some((m.clone(), second.id.clone())), ..Wanted::default() };
    let read = store.read(&wanted).await.unwrap().event.expect("the event reads back");
    assert_eq!((read.version, &read.value), (1, &second));
    let stale = Versioned::at(second.clone(), 0);
    assert!(matches!(store.commit(vec![Write::Event(stale)]).await, Err(StoreError::Conflict)));
    let elsewhere = Wanted { event: Some((other.clone(), second.id.clone())), ..Wanted::default() };
    assert!(store.read(&elsewhere).await.unwrap().event.is_none(), "another merchant's key holds nothing");
}

pub async fn a_limit_holds_in_its_window_and_a_spend_given_back_is_spent_again(store: &dyn Store) {
    use paylinks::domain::{Limit, Spent};
    let key = format!("client:{}", paylinks::domain::random_base62(10));
    let limit = Limit::per_minute(2);
    for _ in 0..2 {
        assert_eq!(store.spend(&key, limit, NOW).await.unwrap(), Spent::Allowed);
    }
    assert_eq!(store.spend(&key, limit, NOW.plus_seconds(5)).await.unwrap(), Spent::Limited { retry_after: 55 });
    store.give_back(&key, limit, NOW).await.unwrap();
    assert_eq!(store.spend(&key, limit, NOW).await.unwrap(), Spent::Allowed, "given back, spent again");
    assert!(matches!(store.spend(&key, limit, NOW).await.unwrap(), Spent::Limited { .. }));
    assert_eq!(store.spend(&key, limit, NOW.plus_seconds(60)).await.unwrap(), Spent::Allowed, "the next window");
    // Giving back what was never spent makes nothing spendable twice.
    let other = format!("{key}:other");
    store.give_back(&other, limit, NOW).await.unwrap();
    for _ in 0..2 {
        assert_eq!(store.spend(&other, limit, NOW).await.unwrap(), Spent::Allowed);
    }
    assert!(matches!(store.spend(&other, limit, NOW).await.unwrap(), Spent::Limited { .. }));
}
