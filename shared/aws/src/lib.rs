//! What every AWS adapter shares: the SDK configuration from the environment, and the settings
//! that hold a client to its time budget (`paylinks::budgets`).

mod http_client;

pub use http_client::{https_client, https_client_trusting};

use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use paylinks::budgets::ClientBudget;
use paylinks::config::ConfigError;

/// The AWS SDK configuration from the environment alone: region and credentials as Lambda sets
/// them, `AWS_ENDPOINT_URL` honoured, and nothing read from disk or the network at start: no
/// instance-metadata probing, no `~/.aws` profile files, roots compiled in (`http_client.rs`).
pub async fn sdk_config() -> Result<aws_config::SdkConfig, ConfigError> {
    let region = paylinks::config::optional("AWS_REGION")
        .or_else(|| paylinks::config::optional("AWS_DEFAULT_REGION"))
        .ok_or_else(|| ConfigError::new("AWS_REGION", "is not set"))?;
    let loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region))
        .credentials_provider(aws_config::environment::EnvironmentVariableCredentialsProvider::new())
        .profile_files(EnvConfigFiles::builder().with_contents(EnvConfigFileKind::Config, "").build())
        .http_client(https_client());
    Ok(loader.load().await)
}

/// The SDK settings that hold a client to its budget.
pub fn sdk_settings(budget: &ClientBudget) -> (aws_config::timeout::TimeoutConfig, aws_config::retry::RetryConfig) {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(budget.connect)
        .operation_attempt_timeout(budget.attempt)
        .operation_timeout(budget.worst_case())
        .build();
    let retries = aws_config::retry::RetryConfig::standard()
        .with_max_attempts(budget.attempts)
        .with_initial_backoff(budget.initial_backoff)
        .with_max_backoff(budget.initial_backoff * 2u32.pow(budget.attempts.saturating_sub(1)));
    (timeouts, retries)
}
