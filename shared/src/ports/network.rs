use std::net::IpAddr;

use async_trait::async_trait;

#[derive(Debug, thiserror::Error)]
#[error("the host name could not be resolved: {0}")]
pub struct ResolveError(pub String);

/// Names to addresses: a merchant's webhook URL is judged by where it really leads.
#[async_trait]
pub trait ResolveHost: Send + Sync {
    /// Every address `host` resolves to (an address literal is itself).
    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<IpAddr>, ResolveError>;
}
