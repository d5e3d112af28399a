//! The roots the AWS clients trust, compiled in. The SDK's default HTTPS client builds its root
//! store from the system's certificate directory, opening every file in it, at every cold start
//! (about 150 `openat`s). Mozilla's roots (`webpki-root-certs`, the set the Stripe client already
//! uses through `webpki-roots`) cover every AWS endpoint (Amazon Root CA 1–4, Starfield), and
//! verification is the same rustls verifier with the same rules: only where the roots come from
//! changes. No proxy is read from the environment (a Lambda function has none).

use aws_smithy_http_client::Builder;
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore};
use aws_types::sdk_config::SharedHttpClient;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The HTTPS client every AWS SDK client of a function shares.
pub fn https_client() -> SharedHttpClient {
    https_client_trusting(&mozilla_roots_pem())
}

/// An HTTPS client that trusts exactly the certificates in `pem` (tests add their own CA here).
pub fn https_client_trusting(pem: &[u8]) -> SharedHttpClient {
    let roots = TrustStore::empty().with_native_roots(false).with_pem_certificate(pem.to_vec());
    let context = TlsContext::builder().with_trust_store(roots).build().expect("a trust store of PEM builds");
    Builder::new().tls_provider(Provider::Rustls(CryptoMode::AwsLc)).tls_context(context).build_https()
}

/// Mozilla's roots as one PEM bundle, made in memory (the SDK's trust store takes PEM).
pub fn mozilla_roots_pem() -> Vec<u8> {
    let mut pem = Vec::with_capacity(webpki_root_certs::TLS_SERVER_ROOT_CERTS.len() * 2_000);
    for der in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        pem.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
        for line in STANDARD.encode(der.as_ref()).as_bytes().chunks(64) {
            pem.extend_from_slice(line);
            pem.push(b'\n');
        }
        pem.extend_from_slice(b"-----END CERTIFICATE-----\n");
    }
    pem
}
