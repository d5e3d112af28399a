//! Host names resolved as the operating system resolves them (in Lambda, the VPC's or AWS's
//! resolver): what a webhook URL leads to.

use std::net::IpAddr;

use async_trait::async_trait;
use paylinks::ports::{ResolveError, ResolveHost};

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

#[async_trait]
impl ResolveHost for SystemResolver {
    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<IpAddr>, ResolveError> {
        let found = tokio::net::lookup_host((host, port)).await.map_err(|e| ResolveError(e.kind().to_string()))?;
        Ok(found.map(|socket| socket.ip()).collect())
    }
}
