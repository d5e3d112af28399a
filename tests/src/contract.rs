//! The store contract: every `LinkStore` (the embedded one and DynamoDB on moto) must pass each of
//! these, so the local server keeps the same rules as the cloud.

use std::sync::Arc;

use paylinks::domain::{
    Amount, Currency, LineItem, Link, LinkId, LinkKind, LinkOptions, LinkStatus, MerchantId, OpenSession, Order,
    OrderId, OrderPaymentStatus, Payment, PaymentSource, PaymentState, SessionId, Settings, ShortCode, Timestamp,
};
use paylinks::ports::{Applied, IdempotencyBegin, LinkStore, OrderChange, SessionOutcome, StoreError};

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
        purge_at: None,
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
        link_ids: Vec::new(),
        current_link_id: None,
        current_link_created_at: None,
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
        payment_intent: None,
        refunded: 0,
        purge_at: Some(NOW.plus_days(90)),
    }
}

fn outcome(link: &Link, session: &str, state: PaymentState) -> SessionOutcome {
    SessionOutcome { payment: payment(link, session, state), closes_link: link.kind == LinkKind::Order }
}

/// A link for a new order, written through the store.
async fn order_link(store: &dyn LinkStore, merchant_id: &MerchantId, order_id: &str) -> Link {
    let link = link(merchant_id, Some(order_id));
    store.create_order_link(&link, &order(merchant_id, order_id), None).await.unwrap();
    link
}

pub async fn settings_read_back_as_saved_and_are_absent_until_then(store: &dyn LinkStore) {
    let m = merchant(&paylinks::domain::random_base62(10));
    assert_eq!(store.get_settings(&m).await.unwrap(), None);
    let settings = Settings { display_name: "Acme".into(), payments_enabled: true, ..Settings::default() };
    store.put_settings(&m, &settings).await.unwrap();
    assert_eq!(store.get_settings(&m).await.unwrap(), Some(settings));
}

pub async fn a_link_reads_back_as_written_and_its_short_code_leads_to_it(store: &dyn LinkStore) {
    let m = merchant("m-read");
    let mut product = link(&m, None);
    product.landing_page_url = Some("https://shop.example.com/x".into());
    store.create_link(&product).await.unwrap();
    assert_eq!(store.get_link(&product.id, NOW).await.unwrap(), Some(product.clone()));
    let target = store.resolve_short_code(&product.short_code, NOW).await.unwrap().unwrap();
    assert_eq!(target.link_id, product.id);
    assert_eq!(store.get_link(&LinkId::generate(), NOW).await.unwrap(), None);
    assert_eq!(store.create_link(&product).await.unwrap_err().to_string(), StoreError::Conflict.to_string());
}

pub async fn a_link_past_its_retention_reads_as_gone(store: &dyn LinkStore) {
    let m = merchant("m-ttl");
    let mut old = link(&m, None);
    old.purge_at = Some(NOW.plus_seconds(10));
    store.create_link(&old).await.unwrap();
    assert!(store.get_link(&old.id, NOW).await.unwrap().is_some());
    assert!(store.get_link(&old.id, NOW.plus_seconds(11)).await.unwrap().is_none());
}

pub async fn an_order_link_replaces_the_current_one_only_if_nobody_else_did(store: &dyn LinkStore) {
    let m = merchant("m-order");
    let first = order_link(store, &m, "SO-1").await;
    let second = link(&m, Some("SO-1"));
    let stale = store.create_order_link(&second, &order(&m, "SO-1"), None).await;
    assert!(matches!(stale, Err(StoreError::Conflict)), "{stale:?}");
    assert!(store.get_link(&second.id, NOW).await.unwrap().is_none(), "nothing written on a conflict");
    store.create_order_link(&second, &order(&m, "SO-1"), Some(&first.id)).await.unwrap();
    let stored = store.get_order(&m, &OrderId::parse("SO-1").unwrap()).await.unwrap().unwrap();
    assert_eq!(stored.current_link_id, Some(second.id.clone()));
    assert_eq!(stored.link_ids, vec![first.id, second.id]);
}

pub async fn a_paid_order_gets_no_new_link(store: &dyn LinkStore) {
    let m = merchant("m-paid-order");
    let first = order_link(store, &m, "SO-2").await;
    store.apply_session_outcome(&outcome(&first, "cs_paid_order", PaymentState::Paid)).await.unwrap();
    let again = link(&m, Some("SO-2"));
    let refused = store.create_order_link(&again, &order(&m, "SO-2"), Some(&first.id)).await;
    assert!(matches!(refused, Err(StoreError::Conflict)), "{refused:?}");
}

pub async fn orders_of_one_merchant_are_not_another_merchants(store: &dyn LinkStore) {
    let a = merchant("m-a");
    let b = merchant("m-b");
    order_link(store, &a, "SO-shared").await;
    assert!(store.get_order(&b, &OrderId::parse("SO-shared").unwrap()).await.unwrap().is_none());
    order_link(store, &b, "SO-shared").await;
}

pub async fn a_status_changes_only_from_the_expected_statuses(store: &dyn LinkStore) {
    let m = merchant("m-status");
    let l = order_link(store, &m, "SO-3").await;
    store.set_link_status(&l.id, &[LinkStatus::Active], LinkStatus::Void, Some(NOW.plus_days(90))).await.unwrap();
    let again = store.set_link_status(&l.id, &[LinkStatus::Active], LinkStatus::Void, None).await;
    assert!(matches!(again, Err(StoreError::Conflict)));
    let stored = store.get_link(&l.id, NOW).await.unwrap().unwrap();
    assert_eq!(stored.status, LinkStatus::Void);
    assert_eq!(stored.purge_at, Some(NOW.plus_days(90)));
    store.set_link_status(&l.id, &[LinkStatus::Void], LinkStatus::Active, None).await.unwrap();
    assert_eq!(store.get_link(&l.id, NOW).await.unwrap().unwrap().purge_at, None);
    let missing = store.set_link_status(&LinkId::generate(), &[LinkStatus::Active], LinkStatus::Void, None).await;
    assert!(matches!(missing, Err(StoreError::Conflict)));
}

fn session(id: &str) -> OpenSession {
    OpenSession {
        id: SessionId::parse(id).unwrap(),
        url: format!("https://checkout.example/{id}"),
        expires_at: NOW.plus_seconds(3600),
    }
}

pub async fn one_session_attaches_per_read_of_the_link(store: &dyn LinkStore) {
    let m = merchant("m-session");
    let l = order_link(store, &m, "SO-4").await;
    store.attach_session(&l.id, 0, &session("cs_one")).await.unwrap();
    let second = store.attach_session(&l.id, 0, &session("cs_two")).await;
    assert!(matches!(second, Err(StoreError::Conflict)));
    let stored = store.get_link(&l.id, NOW).await.unwrap().unwrap();
    assert_eq!(stored.session, Some(session("cs_one")));
    assert_eq!(stored.session_seq, 1);
    assert!(!store.forget_session(&l.id, &SessionId::parse("cs_two").unwrap()).await.unwrap());
    assert!(store.forget_session(&l.id, &SessionId::parse("cs_one").unwrap()).await.unwrap());
    assert_eq!(store.get_link(&l.id, NOW).await.unwrap().unwrap().session, None);
    store.set_link_status(&l.id, &[LinkStatus::Active], LinkStatus::Void, None).await.unwrap();
    let on_void = store.attach_session(&l.id, 1, &session("cs_three")).await;
    assert!(matches!(on_void, Err(StoreError::Conflict)), "a void link gets no session");
}

pub async fn opens_are_counted(store: &dyn LinkStore) {
    let m = merchant("m-opens");
    let l = order_link(store, &m, "SO-5").await;
    for _ in 0..3 {
        store.record_open(&l.id, None).await.unwrap();
    }
    assert_eq!(store.get_link(&l.id, NOW).await.unwrap().unwrap().opens, 3);
}

pub async fn a_paid_session_is_recorded_once_and_settles_link_and_order(store: &dyn LinkStore) {
    let m = merchant("m-pay");
    let l = order_link(store, &m, "SO-6").await;
    store.attach_session(&l.id, 0, &session("cs_pay")).await.unwrap();
    assert_eq!(
        store.apply_session_outcome(&outcome(&l, "cs_pay", PaymentState::Paid)).await.unwrap(),
        Applied::Changed
    );
    assert_eq!(
        store.apply_session_outcome(&outcome(&l, "cs_pay", PaymentState::Paid)).await.unwrap(),
        Applied::Unchanged
    );
    let payments = store.list_payments(&l.id).await.unwrap();
    assert_eq!(payments, vec![payment(&l, "cs_pay", PaymentState::Paid)]);
    let stored = store.get_link(&l.id, NOW).await.unwrap().unwrap();
    assert_eq!(stored.status, LinkStatus::Paid);
    assert_eq!(stored.session, None);
    let order = store.get_order(&m, l.order_id.as_ref().unwrap()).await.unwrap().unwrap();
    assert_eq!(order.payment_status, OrderPaymentStatus::Paid);
}

pub async fn late_and_repeated_events_never_undo_a_payment(store: &dyn LinkStore) {
    let m = merchant("m-order-of-events");
    let l = order_link(store, &m, "SO-7").await;
    let order_status =
        || async { store.get_order(&m, l.order_id.as_ref().unwrap()).await.unwrap().unwrap().payment_status };
    // A delayed method: processing, then failed, sends the order back to outstanding.
    store.apply_session_outcome(&outcome(&l, "cs_slow", PaymentState::Processing)).await.unwrap();
    assert_eq!(order_status().await, OrderPaymentStatus::Processing);
    store.apply_session_outcome(&outcome(&l, "cs_slow", PaymentState::Failed)).await.unwrap();
    assert_eq!(order_status().await, OrderPaymentStatus::Outstanding);
    let stale = store.apply_session_outcome(&outcome(&l, "cs_slow", PaymentState::Processing)).await.unwrap();
    assert_eq!(stale, Applied::Unchanged);
    assert_eq!(order_status().await, OrderPaymentStatus::Outstanding);
    // Success before the completed event: the later "unpaid" completion changes nothing.
    store.apply_session_outcome(&outcome(&l, "cs_fast", PaymentState::Paid)).await.unwrap();
    let late = store.apply_session_outcome(&outcome(&l, "cs_fast", PaymentState::Processing)).await.unwrap();
    assert_eq!(late, Applied::Unchanged);
    let late_failure = store.apply_session_outcome(&outcome(&l, "cs_fast", PaymentState::Failed)).await.unwrap();
    assert_eq!(late_failure, Applied::Unchanged);
    assert_eq!(order_status().await, OrderPaymentStatus::Paid);
    let states: Vec<PaymentState> = store.list_payments(&l.id).await.unwrap().iter().map(|p| p.state).collect();
    assert_eq!(states.len(), 2);
    assert!(states.contains(&PaymentState::Failed) && states.contains(&PaymentState::Paid));
}

pub async fn an_idempotency_key_is_claimed_once_and_replays_its_response(store: &dyn LinkStore) {
    let m = merchant("m-idem");
    let key = paylinks::domain::random_base62(16);
    assert_eq!(store.begin_idempotent(&m, &key, "fp1", NOW).await.unwrap(), IdempotencyBegin::Started);
    assert_eq!(store.begin_idempotent(&m, &key, "fp1", NOW).await.unwrap(), IdempotencyBegin::InProgress);
    assert_eq!(store.begin_idempotent(&m, &key, "fp2", NOW).await.unwrap(), IdempotencyBegin::Mismatch);
    store.complete_idempotent(&m, &key, 201, "{\"id\":1}").await.unwrap();
    assert_eq!(
        store.begin_idempotent(&m, &key, "fp1", NOW).await.unwrap(),
        IdempotencyBegin::Completed { status: 201, body: "{\"id\":1}".into() }
    );
    let other = merchant("m-idem-other");
    assert_eq!(store.begin_idempotent(&other, &key, "fp1", NOW).await.unwrap(), IdempotencyBegin::Started);
    let fresh = paylinks::domain::random_base62(16);
    store.begin_idempotent(&m, &fresh, "fp", NOW).await.unwrap();
    store.abandon_idempotent(&m, &fresh).await.unwrap();
    assert_eq!(store.begin_idempotent(&m, &fresh, "fp", NOW).await.unwrap(), IdempotencyBegin::Started);
    // A request that died holding its key (killed at its timeout) does not lock it for a day.
    let held = paylinks::domain::random_base62(16);
    store.begin_idempotent(&m, &held, "fp", NOW).await.unwrap();
    let within = NOW.plus_seconds(paylinks::ports::IDEMPOTENCY_LEASE_SECONDS - 1);
    assert_eq!(store.begin_idempotent(&m, &held, "fp", within).await.unwrap(), IdempotencyBegin::InProgress);
    let after = NOW.plus_seconds(paylinks::ports::IDEMPOTENCY_LEASE_SECONDS + 1);
    assert_eq!(store.begin_idempotent(&m, &held, "other", after).await.unwrap(), IdempotencyBegin::Mismatch);
    assert_eq!(store.begin_idempotent(&m, &held, "fp", after).await.unwrap(), IdempotencyBegin::Started);
    let expired_later = NOW.plus_seconds(86_401);
    assert_eq!(store.begin_idempotent(&m, &key, "fp9", expired_later).await.unwrap(), IdempotencyBegin::Started);
}

pub async fn concurrent_creates_for_one_order_let_exactly_one_win(store: Arc<dyn LinkStore>) {
    let m = merchant("m-race");
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let store = store.clone();
        let m = m.clone();
        tasks.push(tokio::spawn(async move {
            let l = link(&m, Some("SO-race"));
            store.create_order_link(&l, &order(&m, "SO-race"), None).await.map(|_| l.id)
        }));
    }
    let mut won = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(id) => won.push(id),
            Err(StoreError::Conflict) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(won.len(), 1);
    let stored = store.get_order(&m, &OrderId::parse("SO-race").unwrap()).await.unwrap().unwrap();
    assert_eq!(stored.link_ids, won);
}

pub async fn concurrent_deliveries_of_one_payment_record_it_once(store: Arc<dyn LinkStore>) {
    let m = merchant("m-race-pay");
    let l = order_link(store.as_ref(), &m, "SO-race-pay").await;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let store = store.clone();
        let o = outcome(&l, "cs_race", PaymentState::Paid);
        tasks.push(tokio::spawn(async move { store.apply_session_outcome(&o).await.unwrap() }));
    }
    let mut changed = 0;
    for task in tasks {
        if task.await.unwrap() == Applied::Changed {
            changed += 1;
        }
    }
    assert_eq!(changed, 1);
    assert_eq!(store.list_payments(&l.id).await.unwrap().len(), 1);
}

fn delivery(link: &Link, at: Timestamp) -> paylinks::domain::Delivery {
    paylinks::domain::Delivery {
        id: paylinks::domain::DeliveryId::generate(),
        link_id: link.id.clone(),
        merchant_id: link.merchant_id.clone(),
        channel: paylinks::domain::Channel::Email,
        recipient: "ada@example.com".into(),
        status: paylinks::domain::DeliveryStatus::Pending,
        message_id: None,
        error: None,
        short_code: ShortCode::generate(),
        created_at: at,
        opens: 0,
        purge_at: None,
    }
}

pub async fn a_recipients_resend_window_is_claimed_once_and_freed_by_a_failure(store: &dyn LinkStore) {
    use paylinks::domain::DeliveryStatus;
    use paylinks::ports::Claim;
    let m = merchant("m-deliveries");
    let l = order_link(store, &m, "SO-deliver").await;
    let window = NOW.plus_seconds(-1800);
    let first = delivery(&l, NOW);
    assert_eq!(store.claim_delivery(&first, "key-ada", window).await.unwrap(), Claim::Claimed);
    let again = delivery(&l, NOW.plus_seconds(60));
    match store.claim_delivery(&again, "key-ada", window.plus_seconds(60)).await.unwrap() {
        Claim::Existing(existing) => assert_eq!(existing.id, first.id),
        Claim::Claimed => panic!("a second claim inside the window"),
    }
    let other = delivery(&l, NOW);
    assert_eq!(store.claim_delivery(&other, "key-bob", window).await.unwrap(), Claim::Claimed);
    let later = delivery(&l, NOW.plus_seconds(1801));
    assert_eq!(
        store.claim_delivery(&later, "key-ada", NOW.plus_seconds(1)).await.unwrap(),
        Claim::Claimed,
        "after the window"
    );

    let mut failed = later.clone();
    failed.status = DeliveryStatus::Failed;
    failed.error = Some("message_rejected".into());
    store.finish_delivery(&failed, "key-ada").await.unwrap();
    let retry = delivery(&l, NOW.plus_seconds(1802));
    assert_eq!(store.claim_delivery(&retry, "key-ada", NOW.plus_seconds(2)).await.unwrap(), Claim::Claimed, "freed");

    let mut sent = first.clone();
    sent.status = DeliveryStatus::Sent;
    sent.message_id = Some("msg-1".into());
    store.finish_delivery(&sent, "key-ada").await.unwrap();
    let target = store.resolve_short_code(&first.short_code, NOW).await.unwrap().unwrap();
    assert_eq!(target.delivery_id, Some(first.id.clone()));
    store.record_open(&l.id, Some(&first.id)).await.unwrap();
    let listed = store.list_deliveries(&l.id).await.unwrap();
    assert_eq!(listed.len(), 4);
    let stored_first = listed.iter().find(|d| d.id == first.id).unwrap();
    assert_eq!((stored_first.status, stored_first.opens), (DeliveryStatus::Sent, 1));
    assert_eq!(stored_first.message_id.as_deref(), Some("msg-1"));
    assert_eq!(listed.iter().find(|d| d.id == failed.id).unwrap().error.as_deref(), Some("message_rejected"));
}

pub async fn ending_a_link_moves_the_retention_of_everything_it_owns(store: &dyn LinkStore) {
    use paylinks::ports::Claim;
    let m = merchant("m-retention");
    let l = order_link(store, &m, "SO-retain").await;
    let d = delivery(&l, NOW);
    assert_eq!(store.claim_delivery(&d, "key-r", NOW.plus_seconds(-1800)).await.unwrap(), Claim::Claimed);
    let mut pending = outcome(&l, "cs_retain", PaymentState::Processing);
    pending.payment.purge_at = None;
    store.apply_session_outcome(&pending).await.unwrap();
    let ended = NOW.plus_days(90);
    store.retain_link_data(&l, Some(ended)).await.unwrap();
    assert!(store.list_deliveries(&l.id).await.unwrap().iter().all(|d| d.purge_at == Some(ended)));
    assert!(store.list_payments(&l.id).await.unwrap().iter().all(|p| p.purge_at == Some(ended)));
    store.retain_link_data(&l, None).await.unwrap();
    assert!(
        store.list_deliveries(&l.id).await.unwrap().iter().all(|d| d.purge_at.is_none()),
        "a reopened link keeps all"
    );
    assert!(store.list_payments(&l.id).await.unwrap().iter().all(|p| p.purge_at.is_none()));
}

pub async fn a_settled_or_rejected_order_is_kept_for_the_retention_period(store: &dyn LinkStore) {
    let m = merchant("m-order-retention");
    let l = order_link(store, &m, "SO-keep").await;
    let order_id = l.order_id.clone().unwrap();
    let outstanding = [OrderPaymentStatus::Outstanding];
    let until = NOW.plus_days(90);
    let reject = OrderChange {
        from: &outstanding,
        to: OrderPaymentStatus::Rejected,
        at: NOW,
        manual_payment: None,
        purge_at: Some(until),
    };
    store.set_order_status(&m, &order_id, &reject).await.unwrap();
    let order = store.get_order(&m, &order_id).await.unwrap().unwrap();
    assert_eq!((order.payment_status, order.purge_at), (OrderPaymentStatus::Rejected, Some(until)));
    let pay =
        OrderChange { from: &outstanding, to: OrderPaymentStatus::Paid, at: NOW, manual_payment: None, purge_at: None };
    let again = store.set_order_status(&m, &order_id, &pay).await;
    assert!(matches!(again, Err(StoreError::Conflict)), "only from the expected statuses");
}
