//! How often one key (a client's address, a link, a merchant) may act: at most `max` in each
//! fixed window. The store counts a window with one conditional write, so the limit holds across
//! every concurrent Lambda; the window's end tells a refused caller when to come back.

use sha2::{Digest, Sha256};

use super::Timestamp;

/// A client address as a throttle key: hashed, so the table never holds the address itself. An
/// IPv6 address counts by its /64, the block one subscriber is given (else one client would be
/// 2^64 clients); an IPv4-mapped one counts as its IPv4 address.
pub fn address_key(address: &str) -> String {
    let client = match address.trim().parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Ok(std::net::IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => address.to_string(),
    };
    hex::encode(&Sha256::digest(client.as_bytes())[..12])
}

/// The throttle key of a merchant's requests a minute.
pub fn merchant_limit_key(merchant: &super::MerchantId) -> String {
    format!("merchant:{merchant}")
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

/// One client address on the public routes: a person opens a link a few times (and a customer
/// held on the waiting page comes back every two seconds or so); a loop does not.
pub const PER_CLIENT: Limit = Limit::per_minute(60);
/// Sessions one address may have made on one reusable link: a customer needs one or two; more
/// from one address is someone spending the account's pace for everyone else.
pub const SESSIONS_PER_ADDRESS_AND_LINK: Limit = Limit::per_minute(5);

/// How fast Checkout Sessions may be made on one Stripe account, whatever link asks: Stripe's
/// rate limit is per account (the platform's, or each Connect account's own), never a link's.
/// The allowance of each second is split over `shards` counters, so that a crowd's attempts
/// spread over several items (DynamoDB takes at most 1,000 writes a second on one item, and a
/// refused conditional write is still a write): each shard allows its share, and the shares add
/// up to exactly `per_second`. A caller whose shard is spent tries one other before it is held
/// (`another_shard`): with a random shard alone, seven customers in one second could find a
/// shard of three full while the pace had room for 25. The pace is never exceeded; a little of
/// it may still go unused when two shards tried are both spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    pub per_second: u32,
}

impl Pace {
    /// Shards a pace is spread over: 5,000 attempts a second over eight is about 625 on each.
    pub const MAX_SHARDS: u32 = 8;

    pub fn shards(&self) -> u32 {
        self.per_second.clamp(1, Self::MAX_SHARDS)
    }

    /// The limit one shard keeps: its share of the second, the remainder going to the first ones.
    pub fn shard_limit(&self, shard: u32) -> Limit {
        let shards = self.shards();
        let share = self.per_second / shards + u32::from(shard % shards < self.per_second % shards);
        Limit { max: share, window_seconds: 1 }
    }

    /// The shard tried after `first` was spent: any other, by `pick` (a random number), or `None`
    /// when there is no other.
    pub fn another_shard(&self, first: u32, pick: u32) -> Option<u32> {
        let shards = self.shards();
        (shards > 1).then(|| (first + 1 + pick % (shards - 1)) % shards)
    }

    /// The throttle key of one shard of an account's pace (`platform` for the platform's own).
    pub fn key(account: Option<&str>, shard: u32) -> String {
        format!("pace:{}:{shard}", account.unwrap_or("platform"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_client_is_its_64_block_and_a_mapped_ipv4_its_address() {
        let one = address_key("2001:db8:1:2::1");
        assert_eq!(address_key("2001:db8:1:2:ffff:0:0:28"), one, "the same /64");
        assert_ne!(address_key("2001:db8:1:3::1"), one, "another /64");
        assert_eq!(address_key("::ffff:192.0.2.7"), address_key("192.0.2.7"));
        assert_ne!(address_key("192.0.2.7"), address_key("192.0.2.8"));
        assert!(!one.contains("2001"), "hashed");
    }

    #[test]
    fn a_pace_is_split_over_its_shards_and_the_shares_add_up_to_it() {
        for per_second in [1, 2, 7, 8, 25, 26, 100] {
            let pace = Pace { per_second };
            let total: u32 = (0..pace.shards()).map(|s| pace.shard_limit(s).max).sum();
            assert_eq!(total, per_second, "{per_second}");
            assert!((0..pace.shards()).all(|s| pace.shard_limit(s).max >= 1), "no shard without a share");
            assert!(pace.shards() <= Pace::MAX_SHARDS);
        }
        assert_eq!(Pace { per_second: 25 }.shard_limit(0), Limit { max: 4, window_seconds: 1 });
        assert_eq!(Pace::key(Some("acct_1"), 3), "pace:acct_1:3");
        assert_eq!(Pace::key(None, 0), "pace:platform:0");
    }

    #[test]
    fn the_second_shard_tried_is_never_the_first() {
        let pace = Pace { per_second: 25 };
        for first in 0..pace.shards() {
            let tried: std::collections::BTreeSet<u32> =
                (0..50).filter_map(|pick| pace.another_shard(first, pick)).collect();
            assert!(!tried.contains(&first), "{first}");
            assert_eq!(tried.len() as u32, pace.shards() - 1, "every other shard may be tried");
        }
        assert_eq!(Pace { per_second: 1 }.another_shard(0, 7), None, "one shard, no other");
    }

    #[test]
    fn windows_are_fixed_and_a_refusal_says_when_the_next_one_opens() {
        let limit = Limit::per_minute(3);
        let at = Timestamp::from_unix(1_800_000_045);
        assert_eq!(limit.window(at), Window { start: 1_800_000_000, end: 1_800_000_060 });
        assert_eq!(limit.refused(at), Spent::Limited { retry_after: 15 });
        assert_eq!(limit.refused(Timestamp::from_unix(1_800_000_060)), Spent::Limited { retry_after: 60 });
    }
}
