//! `Idempotency-Key` records: the first outcome of a merchant's request, kept for its retries.

use serde::{Deserialize, Serialize};

use super::{MerchantId, Timestamp};

/// How long an `Idempotency-Key` is remembered.
pub const IDEMPOTENCY_KEEP_SECONDS: i64 = 86_400;

/// A request's outcome, stored in the same transaction as what the request changed: a key is
/// never held by a request in progress, so a request that dies leaves nothing to wait for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub merchant_id: MerchantId,
    pub key: String,
    /// What identifies "the same request": its route and exact body, hashed.
    pub fingerprint: String,
    pub status: u16,
    pub body: String,
    pub expires_at: Timestamp,
}

/// What a request with a key should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replay {
    /// First use of the key (or it was forgotten): run, and store the outcome with the change.
    Run,
    /// Answer with the stored outcome.
    Answer { status: u16, body: String },
    /// The key was used for another request.
    Mismatch,
}

impl IdempotencyRecord {
    pub fn replay(stored: Option<&Self>, fingerprint: &str, now: Timestamp) -> Replay {
        match stored {
            Some(record) if record.expires_at > now => {
                if record.fingerprint == fingerprint {
                    Replay::Answer { status: record.status, body: record.body.clone() }
                } else {
                    Replay::Mismatch
                }
            }
            _ => Replay::Run,
        }
    }
}
