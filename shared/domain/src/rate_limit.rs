//! How often one key (a client's address, a link, a merchant) may act: at most `max` in each
//! fixed window. The store counts a window with one conditional write, so the limit holds across
//! every concurrent Lambda; the window's end tells a refused caller when to come back.

use sha2::{Digest, Sha256};

use super::Timestamp;

/// A client address as a throttle key: hashed, so the table never holds the address itself.
pub fn address_key(address: &str) -> String {
    hex::encode(&Sha256::digest(address.as_bytes())[..12])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window_seconds: i64,
}

/// A window of a limit: `[start, end)` in epoch seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: i64,
    pub end: i64,
}

/// What spending one of a limit came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spent {
    Allowed,
    /// Over the limit: come back in this many seconds (`Retry-After`).
    Limited {
        retry_after: i64,
    },
}

impl Limit {
    pub const fn per_minute(max: u32) -> Self {
        Self { max, window_seconds: 60 }
    }

    pub fn window(&self, now: Timestamp) -> Window {
        let start = now.unix() - now.unix().rem_euclid(self.window_seconds);
        Window { start, end: start + self.window_seconds }
    }

    /// The answer for a caller refused at `now`: until the window ends (at least a second).
    pub fn refused(&self, now: Timestamp) -> Spent {
        Spent::Limited { retry_after: (self.window(now).end - now.unix()).max(1) }
    }
}

/// One client address on the public routes: a person opens a link a few times; a loop does not.
pub const PER_CLIENT: Limit = Limit::per_minute(60);
/// Checkout Sessions one reusable link may have made for it: every open of a product link is a
/// new session, each a Stripe call on the platform's key (whose rate limit all merchants share).
pub const SESSIONS_PER_LINK: Limit = Limit::per_minute(30);
/// Sessions one address may have made on one reusable link: a customer needs one or two; more
/// from one address is someone spending the link's allowance for everyone else.
pub const SESSIONS_PER_ADDRESS_AND_LINK: Limit = Limit::per_minute(5);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_fixed_and_a_refusal_says_when_the_next_one_opens() {
        let limit = Limit::per_minute(3);
        let at = Timestamp::from_unix(1_800_000_045);
        assert_eq!(limit.window(at), Window { start: 1_800_000_000, end: 1_800_000_060 });
        assert_eq!(limit.refused(at), Spent::Limited { retry_after: 15 });
        assert_eq!(limit.refused(Timestamp::from_unix(1_800_000_060)), Spent::Limited { retry_after: 60 });
    }
}
