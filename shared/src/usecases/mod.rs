//! What the product does, as plain logic over the ports: read what a request needs, let the
//! domain decide, commit what it decided; on a conflict, read again and decide again.

pub mod create_link;
pub mod delivery_events;
pub mod event_dispatch;
pub mod event_log;
pub mod event_relay;
pub mod events;
pub mod funnel;
pub mod idempotency;
pub mod link_expiry;
pub mod link_view;
pub mod list;
pub mod manage;
pub mod orders;
pub mod redeem;
pub mod reminders;
pub mod renewal;
pub mod send;
pub mod settings;
pub mod webhook;
pub mod webhook_endpoints;

/// A list's query string that cannot be read: the caller's mistake (`400 invalid_query`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct QueryError(pub String);

impl QueryError {
    pub fn from_message(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// How often a use case reads, decides and commits again after another request committed first.
const ATTEMPTS: usize = 6;

fn attempts() -> std::ops::Range<usize> {
    0..ATTEMPTS
}

/// A stored link the store may already have forgotten (past its retention) is gone.
fn retained(
    link: Option<crate::domain::Versioned<crate::domain::Link>>,
    now: crate::domain::Timestamp,
) -> Option<crate::domain::Versioned<crate::domain::Link>> {
    link.filter(|l| l.purge_at.is_none_or(|at| at > now))
}
