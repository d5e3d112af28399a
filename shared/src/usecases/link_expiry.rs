//! `link.expired`: told once when an active link's expiry passes unpaid (and again if it was
//! extended and passes again). Expiry is derived from time, never written when it happens, so a
//! scheduled run finds the links due through the sparse due index and writes each event in one
//! transaction with the link's note that it was told (`Link::announce_expiry`).

use serde::Serialize;

use super::events;
use crate::domain::LinkStatus;
use crate::ports::{Clock, Commit, DueExpiries, Read, StoreError, Wanted, Write};

/// Links taken per run.
pub const BATCH: usize = 100;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExpiryReport {
    pub due: usize,
    pub told: usize,
}

/// Tells every expiry due when the run starts. A link changed meanwhile (paid at the last
/// moment, extended) is judged on what it is now; a conflict leaves it for the next run.
pub async fn tell_expired<S: Read + Commit + DueExpiries + ?Sized>(
    store: &S,
    clock: &dyn Clock,
    out_of_time: &(dyn Fn() -> bool + Sync),
) -> Result<ExpiryReport, StoreError> {
    let mut report = ExpiryReport::default();
    let due = store.due_expiries(clock.now(), BATCH).await?;
    report.due = due.len();
    for listed in due {
        if out_of_time() {
            break;
        }
        let wanted =
            Wanted { link: Some(listed.id.clone()), endpoints: Some(listed.merchant_id.clone()), ..Wanted::default() };
        let found = store.read(&wanted).await?;
        let Some(mut link) = found.link else { continue };
        let now = clock.now();
        if link.expiry_due_at().is_none() {
            // Listed, yet nothing to tell (the index lags, or an update left its keys): written
            // whole again, it leaves the index, so it never crowds out the links behind it.
            match store.commit(vec![Write::Link(link)]).await {
                Ok(()) | Err(StoreError::Conflict) => continue,
                Err(err) => return Err(err),
            }
        }
        if !link.announce_expiry(now) {
            continue;
        }
        debug_assert_eq!(link.status_at(now), LinkStatus::Expired);
        let endpoints = found.endpoints.map(|e| e.value.endpoints).unwrap_or_default();
        let event = events::link_expired(&endpoints, &link, now);
        match store.commit(vec![Write::Link(link), Write::Event(crate::domain::Versioned::new(event))]).await {
            Ok(()) => report.told += 1,
            Err(StoreError::Conflict) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(report)
}
