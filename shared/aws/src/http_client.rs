//! The AWS SDK's HTTP client, on the HTTPS stack every outbound client shares (`paylinks-https`).
//!
//! The SDK's default client (aws-smithy-http-client) takes extra roots only as PEM and decodes the
//! whole bundle with rustls-pki-types' constant-time PEM reader when it makes its first connection:
//! about a tenth of a function's cold start (init and first event) under `perf`. This one hands
//! hyper the parsed trust anchors instead. What it keeps from the SDK's: errors classified the same
//! way for the retry policy (a failed connect or a dropped connection is retryable I/O), the
//! connection handed to the SDK so that it can poison one that answered a transient error (its retry
//! then opens a new one), the connect timeout from each client's budget. The attempt and operation
//! timeouts stay with the SDK's orchestrator, which drops the request (and hyper the connection)
//! when they pass. Not kept: HTTP/2 and proxies (neither is used by DynamoDB, SES or SNS from
//! Lambda) and a read timeout (no budget sets one).

use std::error::Error;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_runtime_api::client::connection::{CaptureSmithyConnection, ConnectionMetadata};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::ErrorKind;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector as TcpConnector;
use hyper_util::client::legacy::connect::{CaptureConnection, capture_connection};
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::RootCertStore;

/// The HTTPS client every AWS SDK client of a function shares, trusting Mozilla's roots.
pub fn https_client() -> SharedHttpClient {
    https_client_trusting(paylinks_https::mozilla_roots())
}

/// An HTTPS client that trusts exactly `roots` (tests add their own CA here).
pub fn https_client_trusting(roots: RootCertStore) -> SharedHttpClient {
    SharedHttpClient::new(SdkHttpClient { roots, connectors: Arc::default() })
}

type Hyper = Client<HttpsConnector<TcpConnector>, SdkBody>;
/// Connectors made so far, by the connect timeout they were made for.
type Connectors = Arc<Mutex<Vec<(Option<Duration>, SharedHttpConnector)>>>;

#[derive(Debug)]
struct SdkHttpClient {
    roots: RootCertStore,
    /// One connector (and connection pool) per connect timeout asked for: each client's budget.
    connectors: Connectors,
}

impl HttpClient for SdkHttpClient {
    fn http_connector(&self, settings: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        let timeout = settings.connect_timeout();
        let mut connectors = self.connectors.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, connector)) = connectors.iter().find(|(t, _)| *t == timeout) {
            return connector.clone();
        }
        let hyper = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(paylinks_https::connector(self.roots.clone(), timeout));
        let connector = SharedHttpConnector::new(Connector { hyper });
        connectors.push((timeout, connector.clone()));
        connector
    }
}

#[derive(Debug, Clone)]
struct Connector {
    hyper: Hyper,
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let mut request = match request.try_into_http1x() {
            Ok(request) => request,
            Err(err) => return HttpConnectorFuture::ready(Err(ConnectorError::user(err.into()))),
        };
        let captured = capture_connection(&mut request);
        if let Some(capture) = request.extensions().get::<CaptureSmithyConnection>() {
            capture.set_connection_retriever(move || connection_metadata(&captured));
        }
        let response = self.hyper.request(request);
        HttpConnectorFuture::new(async move {
            match response.await {
                Ok(response) => HttpResponse::try_from(response.map(SdkBody::from_body_1_x))
                    .map_err(|err| ConnectorError::other(err.into(), None)),
                Err(err) => Err(classify(err)),
            }
        })
    }
}

/// The connection a request went out on, as the SDK's retry logic sees it: something to poison.
fn connection_metadata(captured: &CaptureConnection) -> Option<ConnectionMetadata> {
    captured.connection_metadata().as_ref()?;
    let captured = captured.clone();
    let poison = move || {
        if let Some(connection) = captured.connection_metadata().as_ref() {
            connection.poison();
        }
    };
    Some(ConnectionMetadata::builder().proxied(false).poison_fn(poison).build())
}

/// As the SDK's own client classifies hyper's errors, for its retry policy.
fn classify(err: hyper_util::client::legacy::Error) -> ConnectorError {
    let io = err.is_connect() || source::<std::io::Error>(&err).is_some();
    let hyper = source::<hyper::Error>(&err);
    let closed = hyper.is_some_and(|h| h.is_closed() || h.is_canceled());
    let incomplete = hyper.is_some_and(|h| h.is_incomplete_message());
    let timeout = hyper.is_some_and(|h| h.is_timeout());
    match () {
        _ if timeout => ConnectorError::timeout(err.into()),
        _ if io || closed => ConnectorError::io(err.into()),
        _ if incomplete => ConnectorError::other(err.into(), Some(ErrorKind::TransientError)),
        _ => ConnectorError::other(err.into(), None),
    }
}

fn source<'a, E: Error + 'static>(err: &'a (dyn Error + 'static)) -> Option<&'a E> {
    let mut next = Some(err);
    while let Some(err) = next {
        if let Some(found) = err.downcast_ref::<E>() {
            return Some(found);
        }
        next = err.source();
    }
    None
}
