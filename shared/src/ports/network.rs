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

/// How posting an event to an endpoint went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    /// The endpoint answered with this status.
    Status(u16),
    /// Not sent: the host leads to an address events may not go to.
    Refused,
    /// No answer: could not connect, or it took too long.
    NoAnswer(&'static str),
}

/// Posts a merchant's event to its endpoint, connecting only to addresses the destination policy
/// allows (checked on the resolved address at connect time, not only at registration).
#[async_trait]
pub trait PostEvent: Send + Sync {
    async fn post(&self, url: &str, headers: &[(&'static str, String)], body: &str) -> Posted;
}
