//! The DynamoDB store: one table, `pk`/`sk` keys, TTL on `ttl` (epoch seconds). Every change is a
//! conditional write or a transaction; reads are strongly consistent where a decision follows.
//!
//! | item | pk | sk |
//! | --- | --- | --- |
//! | settings | `MERCHANT#{m}` | `SETTINGS` |
//! | order | `MERCHANT#{m}` | `ORDER#{order}` |
//! | idempotency key | `MERCHANT#{m}` | `IDEM#{key}` |
//! | link | `LINK#{id}` | `LINK` |
//! | payment | `LINK#{id}` | `PAYMENT#{session}` |
//! | delivery | `LINK#{id}` | `DELIVERY#{delivery}` |
//! | short code | `SHORT#{code}` | `SHORT` |
//!
//! Links are listed per merchant through the `gsi1` index (`MERCHANT#{m}#LINKS`, created time).

mod expressions;
mod store;
mod table;

pub use store::DynamoStore;
pub use table::create_table;
