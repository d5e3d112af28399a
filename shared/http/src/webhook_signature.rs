//! Stripe's webhook signature: `Stripe-Signature: t=…,v1=…[,v1=…]`, HMAC-SHA256 keyed with the
//! whole `whsec_…` secret over `"{t}.{raw body}"`. Checked on the raw bytes before anything is
//! parsed; any `v1` may match any configured secret (rotation), within the tolerance.

use hmac::Mac;
use paylinks::signature::mac;
pub use paylinks::signature::sign;
use secrecy::{ExposeSecret, SecretString};

pub const TOLERANCE_SECONDS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Stripe-Signature header is missing or malformed")]
    Malformed,
    #[error("the signature timestamp is outside the tolerance")]
    Stale,
    #[error("no signature matches")]
    NoMatch,
}

/// Several secrets may be configured at once, comma-separated, while one is being rotated.
#[derive(Clone)]
pub struct WebhookSecrets(Vec<SecretString>);

impl std::fmt::Debug for WebhookSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WebhookSecrets({} hidden)", self.0.len())
    }
}

impl WebhookSecrets {
    /// `STRIPE_WEBHOOK_SECRET`: one secret, or several comma-separated during a rotation.
    pub fn from_env() -> Result<Self, paylinks::config::ConfigError> {
        let text = SecretString::from(paylinks::config::required("STRIPE_WEBHOOK_SECRET")?);
        Self::parse(&text).ok_or_else(|| paylinks::config::ConfigError::new("STRIPE_WEBHOOK_SECRET", "holds no secret"))
    }

    pub fn parse(text: &SecretString) -> Option<Self> {
        let secrets: Vec<SecretString> = text
            .expose_secret()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| SecretString::from(s.to_string()))
            .collect();
        (!secrets.is_empty()).then_some(Self(secrets))
    }

    /// The first secret: the one the local server signs its simulated events with.
    pub fn primary(&self) -> &SecretString {
        &self.0[0]
    }

    pub fn verify(&self, header: &str, body: &[u8], now: i64) -> Result<(), SignatureError> {
        let mut timestamp = None;
        let mut signatures = Vec::new();
        for part in header.split(',') {
            let (key, value) = part.trim().split_once('=').ok_or(SignatureError::Malformed)?;
            match key {
                "t" => timestamp = Some(value.parse::<i64>().map_err(|_| SignatureError::Malformed)?),
                "v1" => signatures.push(hex::decode(value).map_err(|_| SignatureError::Malformed)?),
                _ => {}
            }
        }
        let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
        if signatures.is_empty() {
            return Err(SignatureError::Malformed);
        }
        // abs_diff, not `(now - timestamp).abs()`: a header may carry any i64, and the subtraction
        // overflows (a panic in debug builds) for one near i64::MIN or i64::MAX.
        if now.abs_diff(timestamp) > TOLERANCE_SECONDS.unsigned_abs() {
            return Err(SignatureError::Stale);
        }
        let matches = self.0.iter().any(|secret| {
            // verify_slice compares in constant time.
            signatures.iter().any(|sig| mac(secret.expose_secret(), timestamp, body).verify_slice(sig).is_ok())
        });
        if matches { Ok(()) } else { Err(SignatureError::NoMatch) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(text: &str) -> WebhookSecrets {
        WebhookSecrets::parse(&SecretString::from(text.to_string())).unwrap()
    }

    const NOW: i64 = 1_800_000_000;
    const BODY: &[u8] = br#"{"id":"evt_1","type":"checkout.session.completed"}"#;

    #[test]
    fn a_signature_made_as_stripe_makes_it_verifies() {
        let header = sign("whsec_test", NOW, BODY);
        assert_eq!(secrets("whsec_test").verify(&header, BODY, NOW), Ok(()));
    }

    #[test]
    fn any_v1_may_match_any_secret_during_a_rotation() {
        let good = sign("whsec_new", NOW, BODY);
        let v1 = good.split_once(",v1=").unwrap().1;
        let header = format!("t={NOW},v1={},v1={v1}", "00".repeat(32));
        assert_eq!(secrets("whsec_old, whsec_new").verify(&header, BODY, NOW), Ok(()));
    }

    #[test]
    fn stale_changed_wrong_secret_and_malformed_signatures_fail() {
        let s = secrets("whsec_test");
        let header = sign("whsec_test", NOW, BODY);
        assert_eq!(s.verify(&header, BODY, NOW + 301), Err(SignatureError::Stale));
        assert_eq!(s.verify(&header, BODY, NOW - 301), Err(SignatureError::Stale));
        assert_eq!(s.verify(&header, BODY, NOW + 300), Ok(()));
        let mut changed = BODY.to_vec();
        changed[5] ^= 1;
        assert_eq!(s.verify(&header, &changed, NOW), Err(SignatureError::NoMatch));
        assert_eq!(secrets("whsec_other").verify(&header, BODY, NOW), Err(SignatureError::NoMatch));
        assert_eq!(s.verify("garbage", BODY, NOW), Err(SignatureError::Malformed));
        assert_eq!(s.verify("t=1", BODY, NOW), Err(SignatureError::Malformed));
    }

    #[test]
    fn a_timestamp_at_either_end_of_i64_is_stale_not_an_overflow() {
        let s = secrets("whsec_test");
        for timestamp in [i64::MIN, i64::MIN + 1, i64::MAX] {
            let header = sign("whsec_test", timestamp, BODY);
            assert_eq!(s.verify(&header, BODY, NOW), Err(SignatureError::Stale), "t={timestamp}");
        }
    }
}
