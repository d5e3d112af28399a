//! The signature Stripe puts on its webhooks and this service puts on a merchant's events:
//! HMAC-SHA256 keyed with the whole `whsec_…` secret over `"{t}.{raw body}"`, sent as
//! `t={t},v1={hex}`. Merchants verify ours with the recipe they already use for Stripe's.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The MAC over `"{timestamp}.{body}"`.
pub fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The header value for `body` signed at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    sign_with_each(&[secret], timestamp, body)
}

/// Signed with each secret, one `v1` apiece (during a roll, as Stripe does): a verifier that
/// accepts any `v1` keeps working with either secret.
pub fn sign_with_each(secrets: &[&str], timestamp: i64, body: &[u8]) -> String {
    let mut header = format!("t={timestamp}");
    for secret in secrets {
        header.push_str(",v1=");
        header.push_str(&hex::encode(mac(secret, timestamp, body).finalize().into_bytes()));
    }
    header
}
