//! Posts a merchant's events to its endpoints. The connection is made only to addresses the
//! destination policy allows, decided on what the host resolves to at connect time (a name that
//! resolved to a public address when registered and to 169.254.169.254 now is refused), with a
//! short connect timeout and a bound on the whole exchange. Nothing of the answer is read but
//! its status.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::rt::TokioExecutor;
use paylinks::domain::Destination;
use paylinks::ports::{PostEvent, Posted};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Connect, send and the answer's head, all in all.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(10);

/// Resolves as the system does, keeping only the addresses `destination` allows.
#[derive(Debug, Clone, Copy)]
struct AllowedAddresses(Destination);

impl tower_service::Service<Name> for AllowedAddresses {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let destination = self.0;
        Box::pin(async move {
            let allowed: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.filter(|a| destination.allows(a.ip())).collect();
            if allowed.is_empty() {
                return Err(std::io::Error::new(std::io::ErrorKind::PermissionDenied, "no allowed address"));
            }
            Ok(allowed.into_iter())
        })
    }
}

pub struct WebhookPoster {
    client: Client<HttpsConnector<HttpConnector<AllowedAddresses>>, Full<Bytes>>,
    destination: Destination,
}

impl WebhookPoster {
    pub fn new(destination: Destination) -> Self {
        let mut tcp = HttpConnector::new_with_resolver(AllowedAddresses(destination));
        tcp.enforce_http(false);
        tcp.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let tls = paylinks_https::tls_config(paylinks_https::mozilla_roots());
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(tcp);
        // One attempt per call, no pooled connection kept between events.
        let client = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(0).build(https);
        Self { client, destination }
    }
}

#[async_trait]
impl PostEvent for WebhookPoster {
    async fn post(&self, url: &str, headers: &[(&'static str, String)], body: &str) -> Posted {
        let Ok(uri) = url.parse::<hyper::Uri>() else { return Posted::Refused };
        // An address written in the URL skips the resolver: judged here instead.
        let host = uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
        if let Ok(address) = host.parse::<IpAddr>()
            && !self.destination.allows(address)
        {
            return Posted::Refused;
        }
        let mut request = hyper::Request::post(uri);
        for (name, value) in headers {
            request = request.header(*name, value.as_str());
        }
        let Ok(request) = request.body(Full::new(Bytes::copy_from_slice(body.as_bytes()))) else {
            return Posted::Refused;
        };
        match tokio::time::timeout(EXCHANGE_TIMEOUT, self.client.request(request)).await {
            Ok(Ok(answer)) => Posted::Status(answer.status().as_u16()),
            Ok(Err(err)) if is_refused(&err) => Posted::Refused,
            Ok(Err(_)) => Posted::NoAnswer("connect_failed"),
            Err(_) => Posted::NoAnswer("timeout"),
        }
    }
}

/// Whether the resolver refused every address (the only `PermissionDenied` on the way).
fn is_refused(err: &hyper_util::client::legacy::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = source {
        if let Some(io) = current.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::PermissionDenied
        {
            return true;
        }
        source = current.source();
    }
    false
}
