//! An order's money as a ledger: entries are appended, never changed, and every figure the order
//! shows (paid, due, refunded, tips, overpaid, refund due) and its payment status are computed
//! from them here, in one place. What a payment is credited comes from what its Checkout Session
//! charged and was made for, never from the balance of the moment alone.

use serde::{Deserialize, Serialize};

use super::{Currency, LinkId, Order, OrderError, OrderPaymentStatus, SessionId, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryType {
    /// What a payment paid of the order.
    Payment,
    /// The customer's tip: theirs to give, never owed on the order.
    Tip,
    /// What a payment charged beyond what was due when it landed: to be given back.
    Overpayment,
    /// Money given back, of one entry type of one session (`refunds`).
    Refund,
    /// Paid outside the platform, as the merchant marked it.
    Manual,
}

impl EntryType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Payment => "payment",
            Self::Tip => "tip",
            Self::Overpayment => "overpayment",
            Self::Refund => "refund",
            Self::Manual => "manual",
        }
    }
}

/// One line of an order's ledger. Amounts are positive, in `currency`'s minor unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    #[serde(rename = "type")]
    pub kind: EntryType,
    pub amount: i64,
    pub currency: Currency,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_id: Option<LinkId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<SessionId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_intent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
    /// A refund: which of its session's entries it gives back (payment, tip or overpayment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunds: Option<EntryType>,
    /// A payment: what the merchant's promotion code took off what its session was made for.
    /// It is owed no more, though it was never money.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub discount: i64,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// What one Checkout Session charged, as its completion tells and its metadata states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charged {
    pub session_id: SessionId,
    pub link_id: LinkId,
    pub payment_intent: Option<String>,
    pub currency: Currency,
    /// What Stripe took, tip included, after any promotion code.
    pub amount: i64,
    /// What the session was made for on the order (tip excluded); `None`: a session made before
    /// sessions said so, taken at what it charged.
    pub made_for: Option<i64>,
    /// The tip it stated.
    pub tip: i64,
    /// Why a person should look at it beyond what it pays (its link was void, expired, …).
    pub flag: Option<String>,
    pub at: Timestamp,
}

/// How a charge was split over the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Credit {
    pub paid: i64,
    pub tip: i64,
    pub overpaid: i64,
    pub discount: i64,
}

/// The figures an order shows, all from its entries (in its currency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Figures {
    /// Payments credited (Stripe and manual) less the refunds of them.
    pub amount_paid: i64,
    /// While the order is open, its amount less what was paid and what promotion codes took off;
    /// else 0.
    pub amount_due: i64,
    /// Everything given back.
    pub amount_refunded: i64,
    /// Tips held (less their refunds).
    pub tip_amount: i64,
    /// Overpayments held (less their refunds).
    pub overpaid_amount: i64,
    /// What the merchant owes customers back: overpayments held, or everything held once the
    /// order was rejected.
    pub refund_due: i64,
}

/// What was charged and what came back, per entry type, in the order's currency.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    paid: i64,
    manual: i64,
    tip: i64,
    overpaid: i64,
    discount: i64,
    refunded_paid: i64,
    refunded_tip: i64,
    refunded_overpaid: i64,
}

/// A promotion code's discount holds while what its payment paid is held: once all of that came
/// back, the discount goes with it (the customer is owed the whole price again).
fn discount_given_back(entries: &[Entry], payment: &Entry) -> bool {
    let Some(session) = &payment.session_id else { return false };
    let given_back: i64 = entries
        .iter()
        .filter(|e| e.refunds == Some(EntryType::Payment) && e.session_id.as_ref() == Some(session))
        .map(|e| e.amount)
        .sum();
    payment.amount > 0 && given_back >= payment.amount
}

impl Sums {
    fn of(entries: &[Entry], currency: Currency) -> Self {
        let mut sums = Self::default();
        for entry in entries.iter().filter(|e| e.currency == currency) {
            match (entry.kind, entry.refunds) {
                (EntryType::Payment, _) => {
                    sums.paid += entry.amount;
                    if !discount_given_back(entries, entry) {
                        sums.discount += entry.discount;
                    }
                }
                (EntryType::Manual, _) => sums.manual += entry.amount,
                (EntryType::Tip, _) => sums.tip += entry.amount,
                (EntryType::Overpayment, _) => sums.overpaid += entry.amount,
                (EntryType::Refund, Some(EntryType::Tip)) => sums.refunded_tip += entry.amount,
                (EntryType::Refund, Some(EntryType::Overpayment)) => sums.refunded_overpaid += entry.amount,
                (EntryType::Refund, _) => sums.refunded_paid += entry.amount,
            }
        }
        sums
    }

    fn amount_paid(&self) -> i64 {
        self.paid + self.manual - self.refunded_paid
    }

    /// What the order asks no more: paid, and taken off by promotion codes.
    fn covered(&self) -> i64 {
        self.amount_paid() + self.discount
    }

    fn refunded(&self) -> i64 {
        self.refunded_paid + self.refunded_tip + self.refunded_overpaid
    }

    fn held(&self) -> i64 {
        self.paid + self.manual + self.tip + self.overpaid - self.refunded()
    }
}

/// The flag of an order's opening entries, made from the counters it held before its money was
/// a ledger.
pub const LEGACY: &str = "legacy";

impl Order {
    fn sums(&self) -> Sums {
        Sums::of(&self.entries, self.currency)
    }

    /// Every figure, derived from the entries and the order's status.
    pub fn figures(&self) -> Figures {
        let sums = self.sums();
        let rejected = self.payment_status == OrderPaymentStatus::Rejected;
        let overpaid_amount = sums.overpaid - sums.refunded_overpaid;
        Figures {
            amount_paid: sums.amount_paid(),
            amount_due: self.amount_due(),
            amount_refunded: sums.refunded(),
            tip_amount: sums.tip - sums.refunded_tip,
            overpaid_amount,
            refund_due: if rejected { sums.held() } else { overpaid_amount },
        }
    }

    /// What is still to be paid: the amount less what was paid and discounted while the order is
    /// open (a part given back before it was paid is owed again); nothing once it is paid,
    /// refunded or rejected.
    pub fn amount_due(&self) -> i64 {
        if self.is_open() { (self.amount.minor() - self.sums().covered()).max(0) } else { 0 }
    }

    /// What its links show as paid of it: everything it asks no more (its balance is the rest).
    pub fn covered(&self) -> i64 {
        self.sums().covered()
    }

    pub fn amount_paid(&self) -> i64 {
        self.sums().amount_paid()
    }

    /// Whether a payment still pays it: outstanding, partially paid or processing.
    pub fn is_open(&self) -> bool {
        matches!(
            self.payment_status,
            OrderPaymentStatus::Outstanding | OrderPaymentStatus::PartiallyPaid | OrderPaymentStatus::Processing
        )
    }

    /// The status the entries make. Paid is for good once reached (a refund then makes it
    /// partially refunded or refunded, never outstanding); rejected stays rejected; an open order
    /// is paid once nothing is due, processing while a debit clears, partially paid with money in.
    fn derived_status(&self) -> OrderPaymentStatus {
        let sums = self.sums();
        let settled_now = self.is_open() && sums.covered() >= self.amount.minor();
        match self.payment_status {
            status if status.is_settled() || settled_now => {
                if sums.refunded() > 0 && sums.held() == 0 {
                    OrderPaymentStatus::Refunded
                } else if sums.covered() < self.amount.minor() {
                    // Some of the order's own money went back (tips and overpayments are not it).
                    OrderPaymentStatus::PartiallyRefunded
                } else if status == OrderPaymentStatus::PartiallyRefunded && self.opened_by_counters() {
                    // Its counters never held what came back of a whole payment: as it was.
                    status
                } else {
                    OrderPaymentStatus::Paid
                }
            }
            status if !self.is_open() => status,
            _ if !self.processing.is_empty() => OrderPaymentStatus::Processing,
            _ if sums.amount_paid() > 0 => OrderPaymentStatus::PartiallyPaid,
            _ => OrderPaymentStatus::Outstanding,
        }
    }

    fn opened_by_counters(&self) -> bool {
        self.entries.iter().any(|e| e.flag.as_deref() == Some(LEGACY))
    }

    /// Sets the status the entries make. Returns whether it changed.
    fn settle_status(&mut self, at: Timestamp, retention_days: i64) -> bool {
        let next = self.derived_status();
        let changed = next != self.payment_status;
        if changed {
            if !self.payment_status.is_settled() && next.is_settled() {
                self.purge_at = Some(at.plus_days(retention_days));
            }
            self.payment_status = next;
            self.updated_at = at;
        }
        changed
    }

    /// What the entries of one type (a refund: of what) that `of` picks add up to.
    fn total_of(&self, kind: EntryType, refunds: Option<EntryType>, of: impl Fn(&Entry) -> bool) -> i64 {
        self.entries.iter().filter(|e| e.kind == kind && e.refunds == refunds && of(e)).map(|e| e.amount).sum()
    }

    /// Whether the session's charge is in the ledger (a payment before the ledger is not).
    pub fn holds_session(&self, session: &SessionId) -> bool {
        self.entries.iter().any(|e| e.kind != EntryType::Refund && e.session_id.as_ref() == Some(session))
    }

    /// A session completed with a debit that has not cleared: the order is in flight.
    pub fn debit_started(&mut self, session: &SessionId, at: Timestamp, retention_days: i64) {
        if self.is_open() && !self.holds_session(session) && !self.processing.contains(session) {
            self.processing.push(session.clone());
        }
        self.settle_status(at, retention_days);
    }

    /// The debit failed: nothing was paid, the order is as it was before it.
    pub fn debit_failed(&mut self, session: &SessionId, at: Timestamp, retention_days: i64) {
        self.processing.retain(|s| s != session);
        self.settle_status(at, retention_days);
    }

    /// Credits a session's charge: its tip apart, then what it paid up to what is due when it
    /// lands, the rest an overpayment to give back. A charge in another currency than the order's
    /// pays none of it. A session is credited once, however often its events come.
    pub fn take_charge(&mut self, charged: &Charged, retention_days: i64) -> Credit {
        self.processing.retain(|s| s != &charged.session_id);
        if self.holds_session(&charged.session_id) {
            self.settle_status(charged.at, retention_days);
            return Credit::default();
        }
        let credit = if charged.currency != self.currency {
            Credit { overpaid: charged.amount, ..Credit::default() }
        } else {
            let tip = charged.tip.clamp(0, charged.amount);
            let money = charged.amount - tip;
            let due = self.amount_due();
            let paid = money.min(due);
            // Charged less than it was made for: a promotion code the merchant offered.
            let discount = charged.made_for.map_or(0, |made_for| (made_for - money).max(0)).min(due - paid);
            Credit { paid, tip, overpaid: money - paid, discount }
        };
        let entry = |kind, amount, flag: Option<String>| Entry {
            kind,
            amount,
            currency: charged.currency,
            at: charged.at,
            link_id: Some(charged.link_id.clone()),
            session_id: Some(charged.session_id.clone()),
            payment_intent: charged.payment_intent.clone(),
            charge: None,
            flag,
            refunds: None,
            discount: 0,
        };
        if credit.paid > 0 || credit.discount > 0 {
            let flag = charged.flag.clone();
            self.entries.push(Entry { discount: credit.discount, ..entry(EntryType::Payment, credit.paid, flag) });
        }
        if credit.tip > 0 {
            self.entries.push(entry(EntryType::Tip, credit.tip, None));
        }
        if credit.overpaid > 0 {
            let why = if charged.currency != self.currency { "currency_mismatch" } else { "overpaid" };
            self.entries.push(entry(EntryType::Overpayment, credit.overpaid, Some(why.to_string())));
        }
        self.settle_status(charged.at, retention_days);
        credit
    }

    /// Stripe says `total` of a session's charge came back so far (a running total: events repeat
    /// and reorder). What was given back is taken from its overpayment first, then its tip, then
    /// what it paid of the order, the same whatever order the events came in. Returns whether
    /// anything new came back.
    pub fn take_refund(
        &mut self,
        session: &SessionId,
        total: i64,
        charge: Option<&str>,
        at: Timestamp,
        retention_days: i64,
    ) -> bool {
        let sum = |kind, refunds| self.total_of(kind, refunds, |e| e.session_id.as_ref() == Some(session));
        let mut left = total;
        let mut owed_back = Vec::new();
        for kind in [EntryType::Overpayment, EntryType::Tip, EntryType::Payment] {
            let share = left.min(sum(kind, None)).max(0);
            left -= share;
            let given = sum(EntryType::Refund, Some(kind));
            if share > given {
                owed_back.push((kind, share - given));
            }
        }
        let added = !owed_back.is_empty();
        for (kind, amount) in owed_back {
            let of_session = self.entries.iter().find(|e| e.session_id.as_ref() == Some(session) && e.kind == kind);
            let Some(sample) = of_session.cloned() else { continue };
            self.entries.push(Entry {
                kind: EntryType::Refund,
                amount,
                at,
                charge: charge.map(str::to_string),
                flag: None,
                refunds: Some(kind),
                discount: 0,
                ..sample
            });
        }
        if added {
            self.updated_at = at;
        }
        self.settle_status(at, retention_days);
        added
    }

    /// A refund of a payment made before the ledger (its session has no entries of its own): the
    /// `more` given back since its last event comes out of the opening payment. (The counters the
    /// order was opened with already held what came back before.) Returns whether anything did.
    pub fn take_legacy_refund(
        &mut self,
        session: &SessionId,
        more: i64,
        charge: Option<&str>,
        at: Timestamp,
        retention_days: i64,
    ) -> bool {
        let legacy = |kind, refunds| self.total_of(kind, refunds, |e| e.flag.as_deref() == Some(LEGACY));
        let left = legacy(EntryType::Payment, None) - legacy(EntryType::Refund, Some(EntryType::Payment));
        let amount = more.min(left);
        if amount <= 0 {
            return false;
        }
        self.entries.push(Entry {
            kind: EntryType::Refund,
            amount,
            currency: self.currency,
            at,
            link_id: None,
            session_id: Some(session.clone()),
            payment_intent: None,
            charge: charge.map(str::to_string),
            flag: Some(LEGACY.to_string()),
            refunds: Some(EntryType::Payment),
            discount: 0,
        });
        self.updated_at = at;
        self.settle_status(at, retention_days);
        true
    }

    /// Paid outside the platform: what was due, as a manual entry. A rejected order may still be
    /// marked paid (the customer paid after all); one paid otherwise may not. Marking it paid
    /// again is harmless (it answers as the first time, with nothing new to record).
    pub fn mark_paid(&mut self, at: Timestamp, retention_days: i64) -> Result<i64, OrderError> {
        let marked_before = self.entries.iter().any(|e| e.kind == EntryType::Manual);
        if self.payment_status == OrderPaymentStatus::Paid && marked_before {
            // A retry (the first may have landed before its answer was lost): nothing more to do.
            return Ok(0);
        }
        if self.payment_status.is_settled() {
            return Err(OrderError::AlreadyPaid);
        }
        if self.payment_status == OrderPaymentStatus::Rejected {
            self.payment_status = OrderPaymentStatus::Outstanding;
        }
        let due = self.amount_due();
        if due > 0 {
            self.entries.push(Entry {
                kind: EntryType::Manual,
                amount: due,
                currency: self.currency,
                at,
                link_id: self.current_link.as_ref().map(|c| c.id.clone()),
                session_id: None,
                payment_intent: None,
                charge: None,
                flag: None,
                refunds: None,
                discount: 0,
            });
        }
        self.processing.clear();
        self.settle_status(at, retention_days);
        Ok(due)
    }

    /// A create for the order with (maybe) another amount or currency: the merchant's latest
    /// word, unless money recorded says otherwise. Returns whether what is owed changed.
    pub fn restate(&mut self, amount: super::Amount, currency: Currency, at: Timestamp) -> Result<bool, OrderError> {
        // A debit clearing counts, also on an order stored before it listed its debits.
        let money_recorded = !self.entries.is_empty()
            || !self.processing.is_empty()
            || self.payment_status == OrderPaymentStatus::Processing;
        if currency != self.currency && money_recorded {
            return Err(OrderError::CurrencyMismatch);
        }
        let covered = self.sums().covered();
        if amount.minor() < covered {
            return Err(OrderError::AmountBelowPaid);
        }
        let changed = amount != self.amount || currency != self.currency;
        self.amount = amount;
        self.currency = currency;
        self.updated_at = at;
        Ok(changed)
    }

    /// Lowered to exactly what it was paid: nothing is left to pay, so it is paid now (not a
    /// link's to ask for). Returns whether it settled.
    pub fn settle_if_covered(&mut self, at: Timestamp, retention_days: i64) -> bool {
        self.nothing_due() && self.processing.is_empty() && self.settle_status(at, retention_days)
    }

    /// Open, and nothing left to pay (lowered to what it was paid).
    pub fn nothing_due(&self) -> bool {
        self.is_open() && self.covered() > 0 && self.amount_due() == 0
    }

    /// An order stored before its money was a ledger held two counters: what its parts paid and
    /// what was given back of them once it was paid. They become its opening entries, flagged
    /// `legacy` (an order settled by a whole payment counted nothing: all of its amount; one
    /// refunded in full: all of it back). An order that has entries is left as it is.
    pub fn adopt_counters(&mut self, paid: i64, refunded: i64) {
        if !self.entries.is_empty() {
            return;
        }
        let paid = if self.payment_status.is_settled() { paid.max(self.amount.minor()) } else { paid };
        let refunded = if self.payment_status == OrderPaymentStatus::Refunded { paid } else { refunded.min(paid) };
        let opening = |kind, amount, refunds| Entry {
            kind,
            amount,
            currency: self.currency,
            at: self.updated_at,
            link_id: None,
            session_id: None,
            payment_intent: None,
            charge: None,
            flag: Some(LEGACY.to_string()),
            refunds,
            discount: 0,
        };
        let mut entries = Vec::new();
        // The counters credited racing parts in full: beyond the amount is an overpayment.
        let (paid, beyond) = (paid.min(self.amount.minor()), (paid - self.amount.minor()).max(0));
        if paid > 0 {
            entries.push(opening(EntryType::Payment, paid, None));
        }
        if beyond > 0 {
            entries.push(Entry { flag: Some("overpaid".to_string()), ..opening(EntryType::Overpayment, beyond, None) });
        }
        if refunded > 0 {
            entries.push(opening(EntryType::Refund, refunded, Some(EntryType::Payment)));
        }
        self.entries = entries;
    }
}
