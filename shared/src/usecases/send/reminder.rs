//! One reminder slot for one recipient, through the same claim, message and commit as a merchant's
//! send. The schedule moves on in the claim's own transaction, so two scheduler runs at once (or a
//! run and its retry) make one message per recipient, channel and slot: the second finds the
//! schedule changed and does nothing.

use super::{DeliveryResult, SendLinkError, SendStore, Sender};
use crate::domain::{
    DeliveryKind, DeliveryStatus, Link, LinkKind, LinkStatus, OrderPaymentStatus, ReminderSchedule, SendWindow,
    Settings, Timestamp, Versioned, WebhookEndpoint, reminder_policy,
};
use crate::ports::{StoreError, Write};

/// How long a slot the provider could not take waits before it is tried again: one scheduler period.
const RETRY_AFTER_SECONDS: i64 = 300;

/// How one due slot ended.
#[derive(Debug, Clone)]
pub enum Reminded {
    /// A reminder delivery was recorded: sent, or failed for good (its `status` says which).
    Delivered(DeliveryResult),
    /// The slot counts as done without a message: the recipient heard from the merchant within
    /// the re-send window, or the order's payment is under way.
    Skipped(&'static str),
    /// No reminder is left for this recipient, and why.
    Ended(&'static str),
    /// The policy as it is now puts the slot later: moved there.
    Rescheduled(Timestamp),
    /// Something else changed the schedule or the window first (another run, a send): not ours.
    Raced,
}

impl<S: SendStore + ?Sized> Sender<'_, S> {
    /// Sends the schedule's due slot to its recipient, unless the link, its order, the policy or the
    /// recipient says otherwise. `schedule` and `window` are read (consistently) just before; a
    /// reminder that fails for good is a `delivery.failed` to `endpoints` subscribed.
    pub async fn remind(
        &self,
        link: &Link,
        settings: &Settings,
        endpoints: &[WebhookEndpoint],
        schedule: Versioned<ReminderSchedule>,
        window: Option<Versioned<SendWindow>>,
        now: Timestamp,
    ) -> Result<Reminded, SendLinkError> {
        let policy = reminder_policy(link.reminders.as_ref(), settings.reminders.as_ref());
        let version = schedule.version;
        let end = |reason| (Write::Reminder(Versioned::at(schedule.ended(), version)), Reminded::Ended(reason));
        let (write, outcome) = if link.kind != LinkKind::Order || link.status_at(now) != LinkStatus::Active {
            end("link_not_active")
        } else if link.order_status == Some(OrderPaymentStatus::Processing) {
            let next = schedule.advanced(policy);
            (Write::Reminder(Versioned::at(next, version)), Reminded::Skipped("payment_processing"))
        } else if let Some(due) = schedule
            .due_under(policy)
            .map(|due| policy.map_or(due, |p| p.earliest_from(due.max(now))))
            .filter(|due| *due > now)
        {
            // Later under the policy as it is now, or a late slot (after an outage) that would
            // land in quiet hours: moved to when it may go.
            let moved = ReminderSchedule { due_at: Some(due), ..schedule.value.clone() };
            (Write::Reminder(Versioned::at(moved, version)), Reminded::Rescheduled(due))
        } else if schedule.due_under(policy).is_none() {
            end("no_reminder_left")
        } else if schedule.recipient().is_none_or(|r| r.channel() != self.transport.channel()) {
            end("invalid_recipient")
        } else {
            let cutoff = now.plus_seconds(-self.resend_window_seconds);
            if window.as_ref().is_some_and(|w| w.holds(now, cutoff)) {
                let next = schedule.advanced(policy);
                (Write::Reminder(Versioned::at(next, version)), Reminded::Skipped("sent_recently"))
            } else {
                return self.send_slot(link, settings, endpoints, schedule, window, now).await;
            }
        };
        match self.store.commit(vec![write]).await {
            Ok(()) => Ok(outcome),
            Err(StoreError::Conflict) => Ok(Reminded::Raced),
            Err(err) => Err(err.into()),
        }
    }

    async fn send_slot(
        &self,
        link: &Link,
        settings: &Settings,
        endpoints: &[WebhookEndpoint],
        schedule: Versioned<ReminderSchedule>,
        window: Option<Versioned<SendWindow>>,
        now: Timestamp,
    ) -> Result<Reminded, SendLinkError> {
        let policy = reminder_policy(link.reminders.as_ref(), settings.reminders.as_ref());
        let Some(recipient) = schedule.recipient() else { return Ok(Reminded::Raced) };
        let slot = schedule.next_slot();
        let (claim, delivery, mut writes) =
            self.new_claim(link, &recipient, &window, now, DeliveryKind::Reminder, Some(slot));
        let next = schedule.advanced(policy);
        writes.push(Write::Reminder(Versioned::at(next.clone(), schedule.version)));
        match self.store.commit(writes).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => return Ok(Reminded::Raced),
            Err(err) => return Err(err.into()),
        }
        let claimed = schedule.version + 1;
        let (sent, result) =
            self.deliver_one(link, settings, &recipient, (claim.committed(), delivery.committed())).await;
        let writes = if sent.keep {
            let mut writes = vec![Write::Delivery(sent.delivery.clone()), Write::Window(sent.window.clone())];
            writes.extend(super::message_sent(&sent.delivery).map(Write::MessageSent));
            // An opted-out number (or an address the provider refuses for good) hears no more.
            let for_good = sent.delivery.status == DeliveryStatus::Failed
                && matches!(sent.delivery.error.as_deref(), Some("opted_out" | "invalid_recipient"));
            if for_good {
                writes.push(Write::Reminder(Versioned::at(next.ended(), claimed)));
            }
            if sent.delivery.status == DeliveryStatus::Failed {
                crate::metrics::delivery_failed(sent.delivery.channel.as_str());
                let told = crate::usecases::events::delivery_failed(endpoints, &sent.delivery, now);
                writes.push(Write::Event(Versioned::new(told)));
            }
            writes
        } else {
            // The provider failed for now: undone whole, the slot due again a few minutes on (so
            // the slots behind it go first next run).
            let again =
                ReminderSchedule { due_at: Some(now.plus_seconds(RETRY_AFTER_SECONDS)), ..schedule.value.clone() };
            vec![
                Write::DropShortCode(sent.delivery.short_code.clone()),
                Write::DropDelivery(sent.delivery.clone()),
                Write::DropWindow(sent.window.clone()),
                Write::Reminder(Versioned::at(again, claimed)),
            ]
        };
        self.finish_slot(writes).await?;
        result.map(Reminded::Delivered)
    }

    /// Records how a slot's send ended. The recipient's window may have been taken over meanwhile
    /// (a merchant's send once the claim's lease ran out): then the rest is recorded without it,
    /// rather than the outcome lost.
    async fn finish_slot(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        match self.store.commit(writes.clone()).await {
            Err(StoreError::Conflict) => {
                let without_window =
                    writes.into_iter().filter(|w| !matches!(w, Write::Window(_) | Write::DropWindow(_))).collect();
                match self.store.commit(without_window).await {
                    Err(StoreError::Conflict) => {
                        tracing::warn!("a reminder's outcome could not be recorded: its records changed meanwhile");
                        Ok(())
                    }
                    other => other,
                }
            }
            other => other,
        }
    }
}
