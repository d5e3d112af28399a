//! The compiled-in roots change where trust comes from, not what is trusted: a server whose
//! certificate no known CA signed is refused, and the same server is reached once its CA is added.

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::{Credentials, Region};
use aws_sdk_dynamodb::error::SdkError;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A CA no root store holds (its key was thrown away), and a `localhost` certificate it signed.
const UNKNOWN_CA_CERT: &[u8] = include_bytes!("fixtures/unknown-ca.pem");
const LOCALHOST_CERT: &[u8] = include_bytes!("fixtures/localhost.pem");
const LOCALHOST_KEY: &[u8] = include_bytes!("fixtures/localhost.key");

/// A TLS server for `localhost` whose certificate the unknown CA signed; it answers `400 {}`.
async fn server_with_unknown_ca() -> u16 {
    let certs = vec![CertificateDer::from_pem_slice(LOCALHOST_CERT).expect("the fixture certificate")];
    let key = PrivateKeyDer::from_pem_slice(LOCALHOST_KEY).expect("the fixture key");
    let config = ServerConfig::builder().with_no_client_auth().with_single_cert(certs, key).expect("a server config");
    let acceptor = TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let port = listener.local_addr().expect("bound").port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { continue };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut buffer = vec![0u8; 16 * 1024];
                let _ = tls.read(&mut buffer).await;
                let answer = "HTTP/1.1 400 Bad Request\r\ncontent-type: application/x-amz-json-1.0\r\n\
                              content-length: 2\r\nconnection: close\r\n\r\n{}";
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

async fn list_tables(http: SharedHttpClient, port: u16) -> Result<(), SdkError<impl std::fmt::Debug>> {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version_latest()
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .endpoint_url(format!("https://localhost:{port}"))
        .retry_config(RetryConfig::disabled())
        .http_client(http)
        .build();
    aws_sdk_dynamodb::Client::from_conf(config).list_tables().send().await.map(|_| ())
}

#[tokio::test]
async fn a_certificate_from_an_unknown_ca_is_refused_and_accepted_once_its_ca_is_trusted() {
    let port = server_with_unknown_ca().await;

    let refused = list_tables(paylinks_aws::https_client(), port).await.unwrap_err();
    assert!(matches!(refused, SdkError::DispatchFailure(_)), "the handshake must fail: {refused:?}");
    let why = format!("{:?}", refused);
    assert!(why.contains("UnknownIssuer") || why.contains("certificate"), "{why}");

    let mut roots = paylinks_https::mozilla_roots();
    roots.add(CertificateDer::from_pem_slice(UNKNOWN_CA_CERT).expect("the fixture CA")).expect("a CA certificate");
    let reached = list_tables(paylinks_aws::https_client_trusting(roots), port).await.unwrap_err();
    assert!(!matches!(reached, SdkError::DispatchFailure(_)), "the server answered: {reached:?}");
}

#[test]
fn the_roots_are_mozillas_set() {
    let roots = paylinks_https::mozilla_roots().len();
    assert!(roots > 100, "Mozilla's set: {roots}");
    assert_eq!(roots, webpki_roots::TLS_SERVER_ROOTS.len());
}
