//! The HTTPS every outbound client uses, the AWS SDK's (`paylinks-aws`) and Stripe's
//! (`paylinks-stripe`): rustls with aws-lc, HTTP/1.1, and Mozilla's roots as webpki-roots' trust
//! anchors — compiled in and already parsed, so a cold start reads no certificate file and parses
//! no certificate. The verifier is rustls' own (chain, name, validity); only where the roots come
//! from differs from the SDK's default client, which read the system's certificate directory file by
//! file at every start (about 150 `openat`s), and from its PEM trust store, which decoded
//! every root again at the first connection (a tenth of a cold start under `perf`).

use std::sync::Arc;
use std::time::Duration;

use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use rustls::{ClientConfig, RootCertStore};

/// Mozilla's roots (the set browsers trust).
pub fn mozilla_roots() -> RootCertStore {
    RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() }
}

/// rustls (aws-lc, TLS 1.2 and 1.3) verifying servers against `roots`.
pub fn tls_config(roots: RootCertStore) -> ClientConfig {
    ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("aws-lc supports rustls' default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// A connector for hyper's client: TLS for `https://`, plain TCP for `http://` (moto, the fake
/// Stripe and the local stand-ins in the tests).
pub fn connector(roots: RootCertStore, connect_timeout: Option<Duration>) -> HttpsConnector<HttpConnector> {
    let mut tcp = HttpConnector::new();
    tcp.enforce_http(false);
    tcp.set_nodelay(true);
    tcp.set_connect_timeout(connect_timeout);
    HttpsConnectorBuilder::new().with_tls_config(tls_config(roots)).https_or_http().enable_http1().wrap_connector(tcp)
}
