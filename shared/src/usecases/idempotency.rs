//! `Idempotency-Key` for merchant writes: the first response to a key is stored with what the
//! request changed, in the same transaction, and replayed to every retry of the same request.

use sha2::{Digest, Sha256};

pub const MAX_KEY_LEN: usize = 255;

/// What identifies "the same request": the route and the exact body.
pub fn fingerprint(route: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(route.as_bytes());
    hash.update([0]);
    hash.update(body);
    hex::encode(hash.finalize())
}

pub fn valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= MAX_KEY_LEN && key.bytes().all(|b| b.is_ascii_graphic())
}
