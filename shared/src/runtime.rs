//! Start-up wiring the functions share: adapters built once from the environment, before the
//! first Runtime API request, with no network call on the way.

use crate::adapters::dynamodb::DynamoStore;
use crate::config::{self, ConfigError};

pub async fn dynamo_store_from_env() -> Result<DynamoStore, ConfigError> {
    dynamo_store(&config::aws_config().await?)
}

/// The store on an SDK configuration a function already loaded for its other clients.
pub fn dynamo_store(sdk: &aws_config::SdkConfig) -> Result<DynamoStore, ConfigError> {
    Ok(DynamoStore::new(crate::budgets::dynamodb_client(sdk), config::table_name_from_env()?))
}

/// A function that cannot be configured must not start: say which setting, then stop.
pub fn or_exit<T>(result: Result<T, ConfigError>) -> T {
    result.unwrap_or_else(|err| {
        eprintln!("{err}");
        std::process::exit(78)
    })
}
