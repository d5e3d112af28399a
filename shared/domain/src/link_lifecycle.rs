//! What may happen to a link, decided here and nowhere else: stores only persist the result.

use super::{
    Link, LinkKind, LinkStatus, OpenSession, OrderPaymentStatus, Payment, PaymentSource, PaymentState, SessionId,
    Timestamp,
};

/// Why a link cannot be paid, as the landing page's `payment_link_error` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Expired,
    Void,
    Invalid,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::Void => "void",
            Self::Invalid => "invalid",
        }
    }
}

/// What a customer who opens the link finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Openable {
    Payable,
    AlreadyPaid,
    /// The order's payment is in flight (a bank debit): not payable again unless it fails.
    Processing,
    /// A reusable link that took as many payments as it may: its merchant's message is shown.
    Completed,
    Refused(Refusal),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link is paid")]
    AlreadyPaid,
    #[error("the link is deleted")]
    Deleted,
    #[error("the link cannot be paid now")]
    NotPayable,
    #[error("the link took as many payments as it may")]
    Completed,
}

/// How often the customers of one expired link may ask its merchant for a new one.
pub const RENEWAL_REQUEST_EVERY_SECONDS: i64 = 3600;

/// What became of a customer's ask for a new link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenewalRequest {
    /// Recorded: the merchant is to be told.
    Taken,
    /// Asked within the hour already: the merchant knows.
    TooSoon,
    /// The link is not expired (payable, paid, void, deleted): nothing to ask.
    NotExpired,
}

impl Link {
    /// The status a customer and a merchant see now: an active link past its expiry is expired,
    /// and an active link of an order that was paid or rejected elsewhere is paid or void.
    pub fn status_at(&self, now: Timestamp) -> LinkStatus {
        match (self.status, self.order_status) {
            (LinkStatus::Active, Some(order)) if order.is_settled() => LinkStatus::Paid,
            (LinkStatus::Active, Some(order)) if order.ends_links() => LinkStatus::Void,
            (LinkStatus::Active, _) if self.expires_at.is_some_and(|e| e <= now) => LinkStatus::Expired,
            (status, _) => status,
        }
    }

    /// When `link.expired` is due: at its expiry, while nothing else ends the link first and that
    /// expiry was not told yet.
    pub fn expiry_due_at(&self) -> Option<Timestamp> {
        let expires_at = self.expires_at?;
        let ended_by_order = self.order_status.is_some_and(|o| o.is_settled() || o.ends_links());
        let due = self.status == LinkStatus::Active && !ended_by_order && self.expiry_announced != Some(expires_at);
        due.then_some(expires_at)
    }

    /// Takes the telling of its expiry; `false` when it is not expired at `now` or was told.
    pub fn announce_expiry(&mut self, now: Timestamp) -> bool {
        if self.status_at(now) != LinkStatus::Expired || self.expiry_due_at().is_none() {
            return false;
        }
        self.expiry_announced = self.expires_at;
        true
    }

    /// A customer's ask for a new link in place of this one: taken when it is expired and was not
    /// asked for within the hour (the merchant is told once an hour at most).
    pub fn request_renewal(&mut self, now: Timestamp) -> RenewalRequest {
        if self.status_at(now) != LinkStatus::Expired {
            return RenewalRequest::NotExpired;
        }
        if self.renewal_requested_at.is_some_and(|at| now.unix() - at.unix() < RENEWAL_REQUEST_EVERY_SECONDS) {
            return RenewalRequest::TooSoon;
        }
        self.renewal_requested_at = Some(now);
        RenewalRequest::Taken
    }

    pub fn openable(&self, now: Timestamp) -> Openable {
        match self.status_at(now) {
            LinkStatus::Paid => Openable::AlreadyPaid,
            LinkStatus::Completed => Openable::Completed,
            LinkStatus::Deleted => Openable::Refused(Refusal::Invalid),
            // Checkout shows the session that started the debit as complete, and a new one could
            // take the money twice: the customer is told to wait (a failure reopens the order).
            _ if self.order_status == Some(OrderPaymentStatus::Processing) => Openable::Processing,
            LinkStatus::Void => Openable::Refused(Refusal::Void),
            LinkStatus::Expired => Openable::Refused(Refusal::Expired),
            LinkStatus::Active => Openable::Payable,
        }
    }

    /// The open session, unless it is about to close: a customer needs a minute to pay.
    pub fn usable_session(&self, now: Timestamp) -> Option<&OpenSession> {
        self.session.as_ref().filter(|s| s.expires_at > now.plus_seconds(60))
    }

    /// Makes `session` the one every open is sent to. Only a payable link takes one, so a void
    /// that committed first leaves the caller to close the session it made.
    pub fn attach_session(&mut self, session: OpenSession, now: Timestamp) -> Result<(), LinkError> {
        if self.openable(now) != Openable::Payable {
            return Err(LinkError::NotPayable);
        }
        self.session = Some(session);
        self.session_seq += 1;
        Ok(())
    }

    /// Forgets the session if it is the open one. Returns whether it was.
    pub fn forget_session(&mut self, id: &SessionId) -> bool {
        let open = self.session.as_ref().is_some_and(|s| &s.id == id);
        if open {
            self.session = None;
        }
        open
    }

    /// Deactivates. The open session stays recorded until it is closed at Stripe, so a retry
    /// after a Stripe fault still knows what to close. `false`: it was void already.
    pub fn void(&mut self, now: Timestamp, retention_days: i64) -> Result<bool, LinkError> {
        match self.status {
            LinkStatus::Paid => Err(LinkError::AlreadyPaid),
            LinkStatus::Completed => Err(LinkError::Completed),
            LinkStatus::Deleted => Err(LinkError::Deleted),
            LinkStatus::Void => Ok(false),
            LinkStatus::Active | LinkStatus::Expired => {
                self.status = LinkStatus::Void;
                self.purge_at = Some(now.plus_days(retention_days));
                Ok(true)
            }
        }
    }

    /// Reactivates a void link and drops the session recorded on it: the caller closes that one
    /// at Stripe first, since it must not be handed out again. `false`: it was active already.
    pub fn reactivate(&mut self, retention_days: i64) -> Result<bool, LinkError> {
        match self.status {
            LinkStatus::Paid => Err(LinkError::AlreadyPaid),
            LinkStatus::Completed => Err(LinkError::Completed),
            LinkStatus::Deleted => Err(LinkError::Deleted),
            LinkStatus::Active | LinkStatus::Expired => Ok(false),
            LinkStatus::Void => {
                self.status = LinkStatus::Active;
                self.session = None;
                self.purge_at = self.expires_at.map(|e| e.plus_days(retention_days));
                Ok(true)
            }
        }
    }

    /// Deleting is final. `false`: it was deleted already.
    pub fn delete(&mut self, now: Timestamp, retention_days: i64) -> bool {
        if self.status == LinkStatus::Deleted {
            return false;
        }
        self.status = LinkStatus::Deleted;
        self.purge_at = Some(now.plus_days(retention_days));
        true
    }

    /// Why a person should look at a payment made through this link now, if they should: money
    /// that arrives for a link that was not payable is recorded, never dropped, and flagged.
    pub fn flag_for_payment(&self, now: Timestamp) -> Option<&'static str> {
        match (self.status, self.order_status) {
            (LinkStatus::Deleted, _) => Some("link_deleted"),
            (LinkStatus::Void, _) => Some("link_void"),
            (LinkStatus::Paid, _) => Some("already_paid"),
            (LinkStatus::Completed, _) => Some("limit_reached"),
            (_, Some(order)) if order.is_settled() => Some("already_paid"),
            (_, Some(OrderPaymentStatus::Rejected)) => Some("order_rejected"),
            (_, Some(order)) if order.ends_links() => Some("order_not_payable"),
            _ if self.expires_at.is_some_and(|e| e <= now) => Some("link_expired"),
            _ => None,
        }
    }

    /// What a session's payment does to its link. An order link closes once its order is paid
    /// (`closes_order`; a part leaves it open for the balance, its session used up), unless the
    /// payment was flagged: a void, deleted or expired link keeps its status (and is never
    /// silently reactivated), while the money still counts. A reusable link with a limit counts
    /// the payment and turns `completed` at the limit. A failed payment frees its session, so the
    /// customer's next open makes a new one.
    pub fn take_payment(&mut self, payment: &Payment, closes_order: bool, retention_days: i64) {
        match payment.state {
            PaymentState::Paid => {
                if payment.source == PaymentSource::Stripe {
                    self.collected += payment.amount.minor();
                } else {
                    self.collected_manual += payment.amount.minor();
                }
                if payment.flag.is_some() {
                    return;
                }
                self.forget_session(&payment.session_id);
                let ends = match self.kind {
                    LinkKind::Order => closes_order,
                    LinkKind::Product => {
                        self.completed_payments += 1;
                        self.restrictions.completed_payments_limit.is_some_and(|n| self.completed_payments >= n)
                    }
                };
                if ends {
                    self.status = if self.kind == LinkKind::Order { LinkStatus::Paid } else { LinkStatus::Completed };
                    self.session = None;
                    self.purge_at = Some(payment.recorded_at.plus_days(retention_days));
                }
            }
            PaymentState::Failed => {
                self.forget_session(&payment.session_id);
            }
            PaymentState::Processing => {}
        }
    }

    /// The order moved: its links say so, and an order that ended ends the retention clock of
    /// its links too.
    pub fn follow_order(&mut self, status: OrderPaymentStatus, at: Timestamp, retention_days: i64) {
        self.order_status = Some(status);
        if status.is_settled() || status.ends_links() {
            self.purge_at = Some(at.plus_days(retention_days));
        }
    }

    /// Where the link sits in its merchant's newest-first list: creation time, then id.
    pub fn list_position(&self) -> String {
        format!("{:012}#{}", self.created_at.unix(), self.id)
    }

    pub fn is_recurring(&self) -> bool {
        self.line_items.iter().any(|item| item.recurring.is_some())
    }
}
