//! `send-reminders`: the scheduler's run. It finds the schedules due from their index (never a
//! scan), reads each again (the index lags the table) with its link, its merchant's settings and the
//! recipient's re-send window, and lets `Sender::remind` do the rest. Runs may overlap or repeat:
//! each slot is claimed in a transaction, so a slot is sent once.

use serde::Serialize;

use super::retained;
use super::send::{Reminded, SendLinkError, SendStore, Sender};
use crate::domain::{Channel, ReminderSchedule, Timestamp};
use crate::ports::{Clock, DueReminders, StoreError, Wanted, Write};

/// Schedules taken per query; a run takes batches until fewer are due or `MAX_BATCHES` is done
/// (the next run carries on).
pub const BATCH: usize = 100;
const MAX_BATCHES: usize = 10;

/// What a run did, for its log line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunReport {
    pub due: usize,
    pub sent: usize,
    pub failed: usize,
    pub skipped: usize,
    pub ended: usize,
    pub rescheduled: usize,
    pub raced: usize,
    /// The provider failed for now: the slot stays due for the next run.
    pub retry_later: usize,
}

/// The two ways a reminder goes out.
pub struct Channels<'a, S: SendStore + ?Sized> {
    pub email: Sender<'a, S>,
    pub sms: Sender<'a, S>,
}

/// Sends every reminder due when the run starts, until `out_of_time` says stop. Each slot reads
/// the clock again (a claim's lease and quiet hours are about the moment it is sent). A store
/// fault stops the run (the next one picks up where it stopped); a provider fault puts that slot
/// off for a few minutes and ends the run, so a provider that is down is not hammered and the slots
/// behind it come first next time.
pub async fn run_reminders<S: SendStore + DueReminders + ?Sized>(
    store: &S,
    channels: &Channels<'_, S>,
    clock: &dyn Clock,
    out_of_time: &(dyn Fn() -> bool + Sync),
) -> Result<RunReport, StoreError> {
    let mut report = RunReport::default();
    let started = clock.now();
    for _ in 0..MAX_BATCHES {
        let due = store.due_reminders(started, BATCH).await?;
        report.due += due.len();
        let waiting_before = report.retry_later;
        for schedule in &due {
            if out_of_time() {
                return Ok(report);
            }
            remind_one(store, channels, schedule, clock.now(), &mut report).await?;
        }
        if due.len() < BATCH || report.retry_later > waiting_before {
            break;
        }
    }
    Ok(report)
}

async fn remind_one<S: SendStore + ?Sized>(
    store: &S,
    channels: &Channels<'_, S>,
    due: &ReminderSchedule,
    now: Timestamp,
    report: &mut RunReport,
) -> Result<(), StoreError> {
    let key = (due.link_id.clone(), due.key.clone());
    let wanted = Wanted {
        link: Some(due.link_id.clone()),
        settings: Some(due.merchant_id.clone()),
        reminders: vec![key.clone()],
        suppressions: vec![(due.merchant_id.clone(), due.key.clone())],
        windows: vec![key],
        endpoints: Some(due.merchant_id.clone()),
        ..Wanted::default()
    };
    let mut found = store.read(&wanted).await?;
    let Some(schedule) = found.reminders.pop().filter(|s| s.due_at.is_some_and(|at| at <= now)) else {
        report.raced += 1;
        return Ok(());
    };
    let link = retained(found.link, now);
    if link.is_none() || !found.suppressions.is_empty() {
        // The link is gone (deleted by TTL: its schedule goes with the cascade), or the address
        // bounced or complained: no more reminders.
        return match store
            .commit(vec![Write::Reminder(crate::domain::Versioned::at(schedule.ended(), schedule.version))])
            .await
        {
            Ok(()) | Err(StoreError::Conflict) => {
                report.ended += 1;
                Ok(())
            }
            Err(err) => Err(err),
        };
    }
    let Some(link) = link else { return Ok(()) };
    let settings = found.settings.map(|s| s.value).unwrap_or_default();
    let sender = match schedule.channel {
        Channel::Email => &channels.email,
        Channel::Sms => &channels.sms,
    };
    crate::logging::record_link(&link.id);
    let endpoints = found.endpoints.map(|e| e.value.endpoints).unwrap_or_default();
    match sender.remind(&link, &settings, &endpoints, schedule, found.windows.pop(), now).await {
        Ok(Reminded::Delivered(result)) if result.status == "sent" => {
            crate::metrics::reminder_sent();
            report.sent += 1
        }
        Ok(Reminded::Delivered(_)) => report.failed += 1,
        Ok(Reminded::Skipped(_)) => report.skipped += 1,
        Ok(Reminded::Ended(_)) => report.ended += 1,
        Ok(Reminded::Rescheduled(_)) => report.rescheduled += 1,
        Ok(Reminded::Raced) => report.raced += 1,
        Err(SendLinkError::ProviderUnavailable(err)) => {
            tracing::warn!(link = %link.id, code = err.code(), "a reminder waits for the provider");
            report.retry_later += 1;
        }
        Err(SendLinkError::Store(err)) => return Err(err),
        Err(err) => {
            tracing::warn!(link = %link.id, error = %err, "a reminder could not be sent");
            report.failed += 1;
        }
    }
    Ok(())
}
