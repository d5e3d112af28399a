//! The DynamoDB store: one table, `pk`/`sk` keys, TTL on `ttl` (epoch seconds). Every change is a
//! conditional write or a transaction; reads are strongly consistent where a decision follows.
//!
//! | item | pk | sk | `ttl` |
//! | --- | --- | --- | --- |
//! | settings | `MERCHANT#{m}` | `SETTINGS` | none: the merchant's own |
//! | order | `MERCHANT#{m}` | `ORDER#{order}` | its longest-kept link's; retention once settled |
//! | idempotency key | `MERCHANT#{m}` | `IDEM#{key}` | 24 hours |
//! | suppressed address | `MERCHANT#{m}` | `SUPPRESSED#{recipient key}` | none: the merchant's own |
//! | webhook endpoints (all of them, ≤ 10) | `MERCHANT#{m}` | `WEBHOOKS` | none: the merchant's own |
//! | merchant event (its log) | `MERCHANT#{m}` | `EVENT#{evt id, time-sortable}` | 30 days |
//! | link | `LINK#{id}` | `LINK` | expiry + retention; retention once ended |
//! | opens of the link; of a delivery, with its funnel's moments | `LINK#{id}` | `OPENS`, `OPENS#{delivery}` | none |
//! | payment | `LINK#{id}` | `PAYMENT#{session}` | its own |
//! | delivery | `LINK#{id}` | `DELIVERY#{delivery}` | its link's when sent |
//! | re-send window | `LINK#{id}` | `WINDOW#{recipient key}` | two days |
//! | reminder schedule | `LINK#{id}` | `REMINDER#{recipient key}` | its link's when started |
//! | short code | `SHORT#{code}` | `SHORT` | none |
//! | provider message id | `MSG#{message id}` | `MSG` | its link's when sent |
//! | PaymentIntent | `PI#{intent}` | `PI` | its payment's, or 30 days for an early refund |
//!
//! Every versioned item carries `version`: a write is conditioned on the version it was read at.
//! Links are listed per merchant through the `gsi1` index (`MERCHANT#{m}#LINKS`, created time);
//! orders by payment status through `gsi2`; reminder schedules with a slot left through `gsi3`
//! (`REMINDERS#{shard}`, due time), a sparse index the scheduler queries, where active links with
//! an expiry not told yet are too (`EXPIRIES#{shard}`, expiry time); events with a delivery not
//! queued yet through `gsi4` (`EVENTS#{shard}`, due time).

mod cascade;
mod due_index;
mod events;
mod expressions;
mod items;
mod pages;
mod reminders;
mod store;
mod table;
mod throttle;
mod transactions;

pub use cascade::link_of_keys;
pub use store::DynamoStore;
pub use table::create_table;

/// A DynamoDB client held to its time budget.
pub fn client(sdk: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
    let (timeouts, retries) = paylinks_aws::sdk_settings(&paylinks::budgets::DYNAMODB);
    let config = aws_sdk_dynamodb::config::Builder::from(sdk).timeout_config(timeouts).retry_config(retries).build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// The store on an SDK configuration a function already loaded for its other clients.
pub fn store(sdk: &aws_config::SdkConfig) -> Result<DynamoStore, paylinks::config::ConfigError> {
    Ok(DynamoStore::new(client(sdk), paylinks::config::table_name_from_env()?))
}

/// The store from the environment alone, built before the first request with no network call.
pub async fn store_from_env() -> Result<DynamoStore, paylinks::config::ConfigError> {
    store(&paylinks_aws::sdk_config().await?)
}
