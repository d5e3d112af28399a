//! The product's rules, stated once, on the aggregates alone: no store, no clock but a number.

use super::*;

const NOW: Timestamp = Timestamp::from_unix(1_800_000_000);

fn link(kind: LinkKind) -> Link {
    Link {
        id: LinkId::generate(),
        merchant_id: MerchantId::parse("m-rules").unwrap(),
        kind,
        name: "Order SO-1".into(),
        status: LinkStatus::Active,
        order_id: (kind == LinkKind::Order).then(|| OrderId::parse("SO-1").unwrap()),
        amount: Amount::parse(2500).unwrap(),
        currency: Currency::parse("usd").unwrap(),
        line_items: Vec::new(),
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
        stripe_account: None,
        order_status: (kind == LinkKind::Order).then_some(OrderPaymentStatus::Outstanding),
        reminders: None,
        expiry_announced: None,
        renewal_requested_at: None,
        invoice: Invoice::default(),
        partial_payments: None,
        order_paid: 0,
        order_amount: None,
        restrictions: Restrictions::default(),
        inactive_message: None,
        completed_payments: 0,
    }
}

fn payment(link: &Link, state: PaymentState) -> Payment {
    Payment {
        session_id: SessionId::parse("cs_test_rules").unwrap(),
        link_id: link.id.clone(),
        merchant_id: link.merchant_id.clone(),
        order_id: link.order_id.clone(),
        state,
        source: PaymentSource::Stripe,
        amount: link.amount,
        currency: link.currency,
        customer_email: None,
        customer_name: None,
        recorded_at: NOW,
        flag: link.flag_for_payment(NOW).map(str::to_string),
        failure: None,
        payment_intent: None,
        refunded: 0,
        purge_at: None,
        delivery_id: None,
        part_amount: None,
        made_for: None,
        tip_amount: None,
    }
}

/// An outstanding order of 25.00 with no link yet.
fn order() -> Order {
    Order {
        merchant_id: MerchantId::parse("m-rules").unwrap(),
        id: OrderId::parse("SO-1").unwrap(),
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

fn session(id: &str) -> OpenSession {
    OpenSession {
        id: SessionId::parse(id).unwrap(),
        url: format!("https://checkout/{id}"),
        expires_at: NOW.plus_seconds(3600),
        choice: PaymentChoice::default(),
        made_for: None,
    }
}

#[test]
fn a_payment_state_moves_once_and_never_back() {
    let l = link(LinkKind::Order);
    let [processing, paid, failed] =
        [PaymentState::Processing, PaymentState::Paid, PaymentState::Failed].map(|s| payment(&l, s));
    assert!(processing.supersedes(None) && paid.supersedes(None) && failed.supersedes(None));
    assert!(paid.supersedes(Some(&processing)) && failed.supersedes(Some(&processing)));
    assert!(paid.supersedes(Some(&failed)), "a retried debit may still succeed");
    assert!(!paid.supersedes(Some(&paid)), "a repeat changes nothing");
    assert!(
        !processing.supersedes(Some(&paid)) && !failed.supersedes(Some(&paid)),
        "a late event never undoes a payment"
    );
    assert!(!processing.supersedes(Some(&failed)));
}

#[test]
fn only_a_payable_link_takes_a_session_and_a_void_keeps_it_until_closed() {
    let mut l = link(LinkKind::Order);
    l.attach_session(session("cs_one"), NOW).unwrap();
    assert_eq!(l.session_seq, 1);
    assert!(l.void(NOW, 90).unwrap());
    assert_eq!(l.session.as_ref().map(|s| s.id.as_str()), Some("cs_one"), "still known, to be closed at Stripe");
    assert_eq!(l.attach_session(session("cs_two"), NOW), Err(LinkError::NotPayable));
    assert!(!l.void(NOW, 90).unwrap(), "voiding again changes nothing");
    assert!(l.reactivate(90).unwrap());
    assert!(l.session.is_none(), "a reactivated link never hands out the closed session");
}

#[test]
fn a_paid_link_cannot_be_voided_or_reactivated_and_a_deleted_one_is_final() {
    let mut l = link(LinkKind::Order);
    l.take_payment(&payment(&l, PaymentState::Paid), true, 90);
    assert_eq!(l.status, LinkStatus::Paid);
    assert_eq!(l.void(NOW, 90), Err(LinkError::AlreadyPaid));
    assert_eq!(l.reactivate(90), Err(LinkError::AlreadyPaid));
    assert!(l.delete(NOW, 90));
    assert!(!l.delete(NOW, 90));
    assert_eq!(l.void(NOW, 90), Err(LinkError::Deleted));
}

#[test]
fn money_for_a_link_that_was_not_payable_is_flagged_and_changes_its_status_never() {
    let mut void = link(LinkKind::Order);
    void.void(NOW, 90).unwrap();
    let late = payment(&void, PaymentState::Paid);
    assert_eq!(late.flag.as_deref(), Some("link_void"));
    void.take_payment(&late, true, 90);
    assert_eq!((void.status, void.collected), (LinkStatus::Void, 2500), "counted, not reactivated");
    let mut rejected = link(LinkKind::Order);
    rejected.follow_order(OrderPaymentStatus::Rejected, NOW, 90);
    assert_eq!(rejected.flag_for_payment(NOW), Some("order_rejected"));
    let mut marked = link(LinkKind::Order);
    marked.follow_order(OrderPaymentStatus::Paid, NOW, 90);
    assert_eq!(marked.flag_for_payment(NOW), Some("already_paid"));
    assert_eq!(link(LinkKind::Order).flag_for_payment(NOW), None);
}

#[test]
fn a_link_knows_its_orders_end_without_the_order() {
    let mut l = link(LinkKind::Order);
    l.follow_order(OrderPaymentStatus::Paid, NOW, 90);
    assert_eq!((l.openable(NOW), l.status_at(NOW)), (Openable::AlreadyPaid, LinkStatus::Paid));
    assert_eq!(l.purge_at, Some(NOW.plus_days(90)));
    l.follow_order(OrderPaymentStatus::Rejected, NOW, 90);
    assert_eq!(l.openable(NOW), Openable::Refused(Refusal::Void));
    l.follow_order(OrderPaymentStatus::Processing, NOW, 90);
    assert_eq!(l.openable(NOW), Openable::Processing);
}

#[test]
fn an_order_is_settled_once_and_a_rejected_order_stays_rejected_for_stripe() {
    let l = link(LinkKind::Order);
    let mut order = order();
    order.add_link(&l).unwrap();
    assert_eq!(order.reusable_link(NOW.plus_seconds(60), 1800).map(|c| &c.id), Some(&l.id));
    assert!(order.reusable_link(NOW.plus_seconds(1800), 1800).is_none(), "outside the resend window");
    assert!(order.reject(NOW, 90).unwrap());
    let late = order.take_charge(&charge(&l, "cs_late", 2500, None, 0), 90);
    assert_eq!((order.payment_status, late.overpaid), (OrderPaymentStatus::Rejected, 2500), "kept to give back");
    assert_eq!(order.figures().refund_due, 2500);
    assert_eq!(order.add_link(&link(LinkKind::Order)), Err(OrderError::NotPayable));
    assert_eq!(order.mark_paid(NOW, 90), Ok(2500), "marked paid after all: what was due, outside");
    assert_eq!(order.mark_paid(NOW, 90), Ok(0), "again: nothing more");
    assert_eq!(order.reject(NOW, 90), Err(OrderError::AlreadyPaid));
    assert_eq!(order.payment_status, OrderPaymentStatus::Paid);
}

#[test]
fn a_send_window_holds_until_it_ends_fails_or_its_pending_request_is_dead() {
    let l = link(LinkKind::Order);
    let delivery = Delivery {
        id: DeliveryId::generate(),
        link_id: l.id.clone(),
        merchant_id: l.merchant_id.clone(),
        channel: Channel::Email,
        recipient: "ada@example.com".into(),
        status: DeliveryStatus::Pending,
        message_id: None,
        error: None,
        short_code: ShortCode::generate(),
        created_at: NOW,
        kind: crate::DeliveryKind::Send,
        slot: None,
        opens: 0,
        activity: Default::default(),
        purge_at: None,
    };
    let mut window = SendWindow { link_id: l.id.clone(), key: "k".into(), delivery, lease_until: NOW.plus_seconds(29) };
    let cutoff = |now: Timestamp| now.plus_seconds(-1800);
    assert!(window.holds(NOW.plus_seconds(10), cutoff(NOW.plus_seconds(10))));
    assert!(!window.holds(NOW.plus_seconds(30), cutoff(NOW.plus_seconds(30))), "its request is dead");
    window.delivery.sent("msg".into());
    assert!(window.holds(NOW.plus_seconds(30), cutoff(NOW.plus_seconds(30))));
    assert!(!window.holds(NOW.plus_seconds(1801), cutoff(NOW.plus_seconds(1801))), "the window is over");
    window.delivery.failed("message_rejected");
    assert!(!window.holds(NOW.plus_seconds(30), cutoff(NOW.plus_seconds(30))), "a failed send frees it");
}

#[test]
fn an_idempotency_key_replays_its_first_answer_and_refuses_another_body() {
    let record = IdempotencyRecord {
        merchant_id: MerchantId::parse("m").unwrap(),
        key: "k".into(),
        fingerprint: "fp".into(),
        status: 201,
        body: "{}".into(),
        expires_at: NOW.plus_seconds(86_400),
    };
    assert_eq!(IdempotencyRecord::replay(None, "fp", NOW), Replay::Run);
    assert_eq!(IdempotencyRecord::replay(Some(&record), "fp", NOW), Replay::Answer { status: 201, body: "{}".into() });
    assert_eq!(IdempotencyRecord::replay(Some(&record), "other", NOW), Replay::Mismatch);
    assert_eq!(IdempotencyRecord::replay(Some(&record), "other", NOW.plus_seconds(86_401)), Replay::Run, "forgotten");
}

#[test]
fn an_order_takes_at_most_fifty_links_so_its_changes_fit_one_transaction() {
    let mut order = order();
    for _ in 0..Order::MAX_LINKS {
        order.add_link(&link(LinkKind::Order)).unwrap();
    }
    assert_eq!(order.add_link(&link(LinkKind::Order)), Err(OrderError::TooManyLinks));
}

#[test]
fn an_expiry_is_told_once_when_it_passes_and_again_after_an_extension() {
    let mut link = link(LinkKind::Order);
    assert_eq!(link.expiry_due_at(), None, "no expiry, nothing to tell");
    link.expires_at = Some(NOW.plus_days(1));
    assert_eq!(link.expiry_due_at(), Some(NOW.plus_days(1)));
    assert!(!link.announce_expiry(NOW), "not expired yet");
    assert!(link.announce_expiry(NOW.plus_days(1)));
    assert_eq!(link.expiry_due_at(), None, "told");
    assert!(!link.announce_expiry(NOW.plus_days(2)), "told once");
    link.expires_at = Some(NOW.plus_days(5));
    assert_eq!(link.expiry_due_at(), Some(NOW.plus_days(5)), "extended: told again at the new expiry");
    link.void(NOW, 30).unwrap();
    assert_eq!(link.expiry_due_at(), None, "a void link does not expire");
}

#[test]
fn an_expired_link_takes_a_renewal_request_once_an_hour() {
    let mut link = link(LinkKind::Order);
    link.expires_at = Some(NOW.plus_days(1));
    assert_eq!(link.request_renewal(NOW), RenewalRequest::NotExpired, "still payable");
    let expired = NOW.plus_days(1);
    assert_eq!(link.request_renewal(expired), RenewalRequest::Taken);
    assert_eq!(link.renewal_requested_at, Some(expired));
    assert_eq!(link.request_renewal(expired.plus_seconds(3599)), RenewalRequest::TooSoon);
    assert_eq!(link.request_renewal(expired.plus_seconds(3600)), RenewalRequest::Taken, "an hour on");
}

/// A link of 25.00 that takes parts of at least 10.00.
fn partial_link() -> Link {
    Link {
        partial_payments: Some(PartialPayments { minimum_amount: Amount::parse(1000).unwrap() }),
        ..link(LinkKind::Order)
    }
}

fn part(link: &Link, minor: i64, session: &str) -> Payment {
    Payment {
        session_id: SessionId::parse(session).unwrap(),
        amount: Amount::parse(minor).unwrap(),
        part_amount: Some(Amount::parse(minor).unwrap()),
        ..payment(link, PaymentState::Paid)
    }
}

#[test]
fn a_part_is_chosen_between_the_minimum_and_the_balance() {
    let mut l = partial_link();
    assert_eq!(l.choose(Some(1000), Tip::None).unwrap().part.map(Amount::minor), Some(1000));
    assert_eq!(l.choose(None, Tip::None).unwrap().part.map(Amount::minor), Some(2500), "the balance by default");
    let out = Err(ChoiceError::PartOutOfRange { minimum: 1000, balance: 2500 });
    assert_eq!(l.choose(Some(999), Tip::None), out);
    assert_eq!(l.choose(Some(2501), Tip::None), out);
    l.order_paid = 1800;
    assert_eq!(l.minimum_part(), Some(700), "less than the minimum left: the balance is the least");
    assert_eq!(l.choose(Some(700), Tip::None).unwrap().part.map(Amount::minor), Some(700));
    l.order_paid = 2500;
    assert_eq!(l.choose(None, Tip::None), Err(ChoiceError::NothingDue));
    assert_eq!(link(LinkKind::Order).choose(Some(1000), Tip::None), Err(ChoiceError::PartsNotTaken));
}

#[test]
fn a_tip_is_offered_only_where_allowed_and_never_above_what_is_paid() {
    let plain = link(LinkKind::Order);
    assert_eq!(plain.choose(None, Tip::Percent(10)), Err(ChoiceError::TipNotOffered));
    let mut l = link(LinkKind::Order);
    l.options.allow_tip = true;
    assert_eq!(l.choose(None, Tip::Percent(15)).unwrap().tip.map(Amount::minor), Some(375));
    assert_eq!(l.choose(None, Tip::Amount(300)).unwrap().tip.map(Amount::minor), Some(300));
    assert_eq!(l.choose(None, Tip::None).unwrap(), PaymentChoice::default());
    assert_eq!(l.choose(None, Tip::Amount(2501)), Err(ChoiceError::TipTooLarge { maximum: 2500 }));
    let mut product = link(LinkKind::Product);
    product.options.allow_tip = true;
    assert!(!product.offers_tip(), "tips are for order links");
}

#[test]
fn a_link_of_parts_stays_payable_until_its_order_is_paid() {
    let mut l = partial_link();
    l.attach_session(session("cs_part"), NOW).unwrap();
    l.take_payment(&part(&l, 1000, "cs_part"), false, 90);
    assert_eq!((l.status, l.openable(NOW)), (LinkStatus::Active, Openable::Payable));
    assert!(l.session.is_none(), "the paid session is used up");
    l.take_payment(&part(&l, 1500, "cs_rest"), true, 90);
    assert_eq!(l.status, LinkStatus::Paid);
}

#[test]
fn a_reusable_link_with_a_limit_completes_at_it_and_flags_what_comes_later() {
    let mut l = link(LinkKind::Product);
    l.restrictions.completed_payments_limit = Some(2);
    for (i, status) in [LinkStatus::Active, LinkStatus::Completed].into_iter().enumerate() {
        let p =
            Payment { session_id: SessionId::parse(&format!("cs_{i}")).unwrap(), ..payment(&l, PaymentState::Paid) };
        l.take_payment(&p, false, 90);
        assert_eq!(l.status, status);
    }
    assert_eq!((l.completed_payments, l.openable(NOW)), (2, Openable::Completed));
    let late = payment(&l, PaymentState::Paid);
    assert_eq!(late.flag.as_deref(), Some("limit_reached"));
    l.take_payment(&late, false, 90);
    assert_eq!((l.completed_payments, l.collected), (2, 7500), "counted as money, not against the limit");
    assert_eq!(l.void(NOW, 90), Err(LinkError::Completed));
}

/// What a session of `link` charged: `made_for` the order (`None`: not stated), `tip` on top.
fn charge(link: &Link, session: &str, amount: i64, made_for: Option<i64>, tip: i64) -> Charged {
    Charged {
        session_id: SessionId::parse(session).unwrap(),
        link_id: link.id.clone(),
        payment_intent: Some(format!("pi_{session}")),
        currency: link.currency,
        amount,
        made_for,
        tip,
        flag: None,
        at: NOW,
    }
}

#[test]
fn parts_make_an_order_partially_paid_until_the_balance_is_paid() {
    let l = partial_link();
    let mut o = order();
    o.take_charge(&charge(&l, "cs_a", 1000, Some(1000), 0), 90);
    assert_eq!((o.payment_status, o.amount_paid(), o.amount_due()), (OrderPaymentStatus::PartiallyPaid, 1000, 1500));
    o.take_charge(&charge(&l, "cs_b", 1200, Some(1000), 200), 90);
    assert_eq!((o.amount_paid(), o.amount_due(), o.figures().tip_amount), (2000, 500, 200), "the tip is not owed");
    o.take_charge(&charge(&l, "cs_c", 500, Some(500), 0), 90);
    assert_eq!((o.payment_status, o.amount_due()), (OrderPaymentStatus::Paid, 0));
    assert!(o.purge_at.is_some());
    let late = o.take_charge(&charge(&l, "cs_d", 500, Some(500), 0), 90);
    assert_eq!((late.overpaid, o.figures().overpaid_amount, o.figures().refund_due), (500, 500, 500));
    assert_eq!(o.take_charge(&charge(&l, "cs_d", 500, Some(500), 0), 90), Credit::default(), "credited once");
}

#[test]
fn a_promotion_code_settles_what_its_session_was_made_for_without_counting_as_money() {
    let l = link(LinkKind::Order);
    let mut o = order();
    let credit = o.take_charge(&charge(&l, "cs_promo", 2000, Some(2500), 0), 90);
    assert_eq!((credit.paid, credit.discount), (2000, 500));
    assert_eq!((o.payment_status, o.amount_paid(), o.amount_due()), (OrderPaymentStatus::Paid, 2000, 0));
}

#[test]
fn a_session_is_credited_what_it_charged_never_the_balance_of_the_moment() {
    let l = link(LinkKind::Order);
    let mut raised = order();
    raised.restate(Amount::parse(50_000).unwrap(), l.currency, NOW).unwrap();
    raised.take_charge(&charge(&l, "cs_old", 2500, Some(2500), 0), 90);
    assert_eq!((raised.payment_status, raised.amount_due()), (OrderPaymentStatus::PartiallyPaid, 47_500));
    let mut lowered = order();
    lowered.restate(Amount::parse(1000).unwrap(), l.currency, NOW).unwrap();
    let credit = lowered.take_charge(&charge(&l, "cs_old", 2500, Some(2500), 0), 90);
    assert_eq!((lowered.payment_status, credit.overpaid), (OrderPaymentStatus::Paid, 1500), "the rest flagged");
}

#[test]
fn a_failed_debit_returns_a_partly_paid_order_to_its_parts() {
    let l = partial_link();
    let mut o = order();
    o.take_charge(&charge(&l, "cs_a", 1000, Some(1000), 0), 90);
    let debit = SessionId::parse("cs_b").unwrap();
    o.debit_started(&debit, NOW, 90);
    assert_eq!(o.payment_status, OrderPaymentStatus::Processing);
    o.take_charge(&charge(&l, "cs_card", 500, Some(500), 0), 90);
    assert_eq!((o.payment_status, o.amount_paid()), (OrderPaymentStatus::Processing, 1500), "in flight still");
    o.debit_failed(&debit, NOW, 90);
    assert_eq!((o.payment_status, o.amount_paid()), (OrderPaymentStatus::PartiallyPaid, 1500));
}

#[test]
fn a_part_given_back_is_owed_again_and_a_paid_order_is_refunded_only_when_all_of_it_came_back() {
    let l = partial_link();
    let mut o = order();
    o.take_charge(&charge(&l, "cs_a", 1000, Some(1000), 0), 90);
    let session = |id: &str| SessionId::parse(id).unwrap();
    assert!(o.take_refund(&session("cs_a"), 1000, Some("ch_a"), NOW, 90));
    assert!(!o.take_refund(&session("cs_a"), 1000, Some("ch_a"), NOW, 90), "a repeat gives nothing back");
    assert_eq!((o.payment_status, o.amount_due()), (OrderPaymentStatus::Outstanding, 2500));
    o.take_charge(&charge(&l, "cs_b", 1100, Some(1000), 100), 90);
    o.take_charge(&charge(&l, "cs_c", 1500, Some(1500), 0), 90);
    assert_eq!(o.payment_status, OrderPaymentStatus::Paid);
    o.take_refund(&session("cs_b"), 100, None, NOW, 90);
    assert_eq!((o.payment_status, o.amount_paid()), (OrderPaymentStatus::Paid, 2500), "a tip given back is the tip");
    o.take_refund(&session("cs_b"), 1100, None, NOW, 90);
    assert_eq!(o.payment_status, OrderPaymentStatus::PartiallyRefunded, "one part of two came back");
    o.take_refund(&session("cs_c"), 1500, None, NOW, 90);
    assert_eq!(o.payment_status, OrderPaymentStatus::Refunded);
    assert_eq!(o.figures().amount_refunded, 3600);
}

#[test]
fn a_new_amount_may_not_go_below_what_was_paid_nor_change_the_currency_of_money_recorded() {
    let l = partial_link();
    let mut o = order();
    o.take_charge(&charge(&l, "cs_a", 1500, Some(1500), 0), 90);
    assert_eq!(o.restate(Amount::parse(1000).unwrap(), l.currency, NOW), Err(OrderError::AmountBelowPaid));
    let eur = Currency::parse("eur").unwrap();
    assert_eq!(o.restate(Amount::parse(5000).unwrap(), eur, NOW), Err(OrderError::CurrencyMismatch));
    assert_eq!(o.restate(Amount::parse(5000).unwrap(), l.currency, NOW), Ok(true));
    assert!(!o.settle_if_covered(NOW, 90), "3500 still due");
    assert_eq!(o.restate(Amount::parse(1500).unwrap(), l.currency, NOW), Ok(true));
    assert!(o.settle_if_covered(NOW, 90), "lowered to what was paid: paid");
    assert_eq!(o.payment_status, OrderPaymentStatus::Paid);
}

#[test]
fn a_discount_is_owed_again_once_its_payment_came_back() {
    let l = partial_link();
    let mut o = order();
    // A part of 10.00 at half price: 5.00 charged, 5.00 taken off by the merchant's code.
    o.take_charge(&charge(&l, "cs_half", 500, Some(1000), 0), 90);
    assert_eq!((o.amount_paid(), o.amount_due()), (500, 1500));
    o.take_refund(&SessionId::parse("cs_half").unwrap(), 500, None, NOW, 90);
    assert_eq!((o.amount_paid(), o.amount_due()), (0, 2500), "all of it is owed again");
}

#[test]
fn an_order_stored_before_the_ledger_opens_with_what_its_counters_said() {
    let l = link(LinkKind::Order);
    let mut part_paid = order();
    part_paid.payment_status = OrderPaymentStatus::PartiallyPaid;
    part_paid.adopt_counters(1000, 0);
    assert_eq!((part_paid.amount_paid(), part_paid.amount_due()), (1000, 1500));
    part_paid.take_charge(&charge(&l, "cs_rest", 1500, Some(1500), 0), 90);
    assert_eq!(part_paid.payment_status, OrderPaymentStatus::Paid, "its balance, not its whole amount again");
    let mut paid = order();
    paid.payment_status = OrderPaymentStatus::Paid;
    paid.adopt_counters(0, 0);
    assert_eq!((paid.amount_paid(), paid.amount_due()), (2500, 0), "paid whole before parts were counted");
    let late = paid.take_charge(&charge(&l, "cs_late", 2500, Some(2500), 0), 90);
    assert_eq!((paid.payment_status, late.overpaid), (OrderPaymentStatus::Paid, 2500));
    // A refund of a payment made before the ledger comes out of the opening payment.
    assert!(paid.take_legacy_refund(&SessionId::parse("cs_before").unwrap(), 2500, None, NOW, 90));
    assert_eq!((paid.payment_status, paid.amount_paid()), (OrderPaymentStatus::PartiallyRefunded, 0));
    assert!(!paid.take_legacy_refund(&SessionId::parse("cs_other").unwrap(), 100, None, NOW, 90), "none left");
    let mut raced = order();
    raced.payment_status = OrderPaymentStatus::Paid;
    raced.adopt_counters(3000, 0);
    assert_eq!((raced.amount_paid(), raced.figures().refund_due), (2500, 500), "racing parts: the rest overpaid");
    let mut part_refunded = order();
    part_refunded.payment_status = OrderPaymentStatus::PartiallyRefunded;
    part_refunded.adopt_counters(0, 0);
    part_refunded.take_charge(&charge(&l, "cs_after", 500, Some(500), 0), 90);
    assert_eq!(part_refunded.payment_status, OrderPaymentStatus::PartiallyRefunded, "as its counters left it");
    let mut refunded = order();
    refunded.payment_status = OrderPaymentStatus::Refunded;
    refunded.adopt_counters(0, 0);
    assert_eq!(refunded.figures().amount_refunded, 2500);
}

#[test]
fn a_charge_in_another_currency_pays_none_of_the_order_and_is_flagged() {
    let l = link(LinkKind::Order);
    let mut o = order();
    let eur = Charged { currency: Currency::parse("eur").unwrap(), ..charge(&l, "cs_eur", 2500, Some(2500), 0) };
    assert_eq!(o.take_charge(&eur, 90).overpaid, 2500);
    assert_eq!((o.payment_status, o.amount_due()), (OrderPaymentStatus::Outstanding, 2500));
    assert_eq!(o.entries[0].flag.as_deref(), Some("currency_mismatch"));
}

#[test]
fn a_part_never_leaves_less_than_stripe_charges() {
    let l = partial_link();
    assert_eq!(l.choose(Some(2480), Tip::None), Err(ChoiceError::PartOutOfRange { minimum: 1000, balance: 2450 }));
    assert!(l.choose(Some(2450), Tip::None).is_ok());
    assert!(l.choose(Some(2500), Tip::None).is_ok(), "or all of it");
}
