//! Link tokens: HS256 JWTs naming a link (and the delivery that carried it). The algorithm is
//! pinned, every secret must be at least 32 bytes, and expiry is ours to judge so that an expired
//! token says "expired" rather than "invalid".
//!
//! Rotation: `TOKEN_SIGNING_SECRET` holds one secret or several, comma-separated, newest first.
//! The newest signs; every one verifies, so links sent before a rotation keep opening until their
//! secret is removed from the list. A token names its key (`kid`, a fingerprint of the secret:
//! nothing to configure, nothing secret in it); one issued before tokens named keys is tried
//! against each.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::{DeliveryId, LinkId, MerchantId, Timestamp};

pub const MIN_SECRET_BYTES: usize = 32;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    lid: String,
    /// The link's merchant: the link and the merchant's settings are then read in one go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    did: Option<String>,
    iat: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkToken {
    pub link_id: LinkId,
    pub merchant_id: Option<MerchantId>,
    pub delivery_id: Option<DeliveryId>,
    pub expires_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed, tampered with or signed with another key")]
    Invalid,
    #[error("the token has expired")]
    Expired,
}

#[derive(Debug, thiserror::Error)]
#[error("TOKEN_SIGNING_SECRET must be at least {MIN_SECRET_BYTES} bytes (each secret, when several)")]
pub struct WeakSecret;

/// At most this many secrets verify at once: a rotation needs two; a few more cover a slow roll.
const MAX_SECRETS: usize = 4;

struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

pub struct LinkTokens {
    /// Newest first: the first signs.
    keys: Vec<SigningKey>,
    validation: Validation,
}

impl std::fmt::Debug for LinkTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkTokens(HS256, secret hidden)")
    }
}

impl LinkTokens {
    /// One secret, or several comma-separated, newest first.
    pub fn new(secret: &SecretString) -> Result<Self, WeakSecret> {
        let secrets: Vec<&str> = secret.expose_secret().split(',').map(str::trim).collect();
        if secrets.len() > MAX_SECRETS || secrets.iter().any(|s| s.len() < MIN_SECRET_BYTES) {
            return Err(WeakSecret);
        }
        let keys = secrets
            .iter()
            .map(|s| SigningKey {
                kid: key_id(s),
                encoding: EncodingKey::from_secret(s.as_bytes()),
                decoding: DecodingKey::from_secret(s.as_bytes()),
            })
            .collect();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        Ok(Self { keys, validation })
    }

    pub fn issue(&self, token: &LinkToken, now: Timestamp) -> String {
        let claims = Claims {
            lid: token.link_id.to_string(),
            mid: token.merchant_id.as_ref().map(ToString::to_string),
            did: token.delivery_id.as_ref().map(ToString::to_string),
            iat: now.unix(),
            exp: token.expires_at.map(Timestamp::unix),
        };
        let newest = &self.keys[0];
        let header = Header { kid: Some(newest.kid.clone()), ..Header::new(Algorithm::HS256) };
        jsonwebtoken::encode(&header, &claims, &newest.encoding)
            .expect("HS256 signing with an in-memory key cannot fail")
    }

    /// A correctly signed token, whether or not it has expired.
    pub fn verify_ignoring_expiry(&self, token: &str) -> Option<LinkToken> {
        self.verify(token, Timestamp::from_unix(i64::MIN)).ok()
    }

    pub fn verify(&self, token: &str, now: Timestamp) -> Result<LinkToken, TokenError> {
        if token.len() > 2048 {
            return Err(TokenError::Invalid);
        }
        let kid = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?.kid;
        // The key the token names; one that names none (issued before keys were named) may be any.
        let candidates = self.keys.iter().filter(|k| kid.as_ref().is_none_or(|kid| *kid == k.kid));
        let claims = candidates
            .filter_map(|key| jsonwebtoken::decode::<Claims>(token, &key.decoding, &self.validation).ok())
            .map(|data| data.claims)
            .next()
            .ok_or(TokenError::Invalid)?;
        let link_id = LinkId::parse(&claims.lid).ok_or(TokenError::Invalid)?;
        let delivery_id = match claims.did {
            Some(did) => Some(DeliveryId::parse(&did).ok_or(TokenError::Invalid)?),
            None => None,
        };
        let merchant_id = match claims.mid {
            Some(mid) => Some(MerchantId::parse(&mid).map_err(|_| TokenError::Invalid)?),
            None => None,
        };
        let expires_at = claims.exp.map(Timestamp::from_unix);
        if expires_at.is_some_and(|exp| exp <= now) {
            return Err(TokenError::Expired);
        }
        Ok(LinkToken { link_id, merchant_id, delivery_id, expires_at })
    }
}

/// A secret's name in tokens: the first 8 bytes of its SHA-256, hex. It tells which key signed,
/// and gives nothing of a 32-byte secret away.
fn key_id(secret: &str) -> String {
    hex::encode(&Sha256::digest(secret.as_bytes())[..8])
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    fn tokens(secret: &str) -> LinkTokens {
        LinkTokens::new(&SecretString::from(secret.to_string())).unwrap()
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";
    const NOW: Timestamp = Timestamp::from_unix(1_800_000_000);

    fn sample() -> LinkToken {
        LinkToken {
            link_id: LinkId::generate(),
            merchant_id: Some(MerchantId::parse("m-1").unwrap()),
            delivery_id: None,
            expires_at: Some(NOW.plus_seconds(60)),
        }
    }

    #[test]
    fn a_token_verifies_back_to_its_link() {
        let t = tokens(SECRET);
        let token = sample();
        assert_eq!(t.verify(&t.issue(&token, NOW), NOW), Ok(token));
    }

    #[test]
    fn a_secret_shorter_than_32_bytes_is_refused() {
        assert!(LinkTokens::new(&SecretString::from("short".to_string())).is_err());
    }

    #[test]
    fn tampered_truncated_and_wrong_key_tokens_are_invalid() {
        let t = tokens(SECRET);
        let issued = t.issue(&sample(), NOW);
        let (head, rest) = issued.split_once('.').unwrap();
        let (payload, signature) = rest.split_once('.').unwrap();
        let mut claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        claims["lid"] = serde_json::json!(LinkId::generate().to_string());
        let forged = format!("{head}.{}.{signature}", URL_SAFE_NO_PAD.encode(claims.to_string()));
        assert_eq!(t.verify(&forged, NOW), Err(TokenError::Invalid));
        assert_eq!(t.verify(&issued[..issued.len() - 3], NOW), Err(TokenError::Invalid));
        let other = tokens("another-secret-that-is-long-enough!!");
        assert_eq!(other.verify(&issued, NOW), Err(TokenError::Invalid));
        assert_eq!(t.verify("", NOW), Err(TokenError::Invalid));
    }

    #[test]
    fn an_alg_none_token_is_invalid() {
        let t = tokens(SECRET);
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let claims = URL_SAFE_NO_PAD.encode(format!(r#"{{"lid":"{}","iat":1}}"#, LinkId::generate()));
        assert_eq!(t.verify(&format!("{header}.{claims}."), NOW), Err(TokenError::Invalid));
    }

    #[test]
    fn a_rotated_key_set_opens_old_tokens_until_their_secret_is_removed() {
        const NEW: &str = "a-brand-new-secret-of-32-bytes-or-more";
        let before = tokens(SECRET);
        let old = before.issue(&sample(), NOW);
        let during = tokens(&format!("{NEW},{SECRET}"));
        assert!(during.verify(&old, NOW).is_ok(), "a link sent before the rotation still opens");
        let new = during.issue(&sample(), NOW);
        assert!(before.verify(&new, NOW).is_err(), "the newest secret signs");
        let after = tokens(NEW);
        assert!(after.verify(&new, NOW).is_ok());
        assert_eq!(after.verify(&old, NOW), Err(TokenError::Invalid), "a removed secret opens nothing");
        let kid = |t: &str| jsonwebtoken::decode_header(t).unwrap().kid.unwrap();
        assert_ne!(kid(&old), kid(&new));
        assert!(!kid(&new).contains(&NEW[..8]), "the key's name is no part of it");
    }

    #[test]
    fn a_token_issued_before_keys_were_named_is_tried_against_each() {
        let claims = Claims { lid: LinkId::generate().to_string(), mid: None, did: None, iat: 1, exp: None };
        let unnamed =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(SECRET.as_bytes()))
                .unwrap();
        let rotated = tokens(&format!("a-brand-new-secret-of-32-bytes-or-more,{SECRET}"));
        assert!(rotated.verify(&unnamed, NOW).is_ok());
    }

    #[test]
    fn every_secret_of_a_rotation_must_be_long_enough() {
        assert!(LinkTokens::new(&SecretString::from(format!("{SECRET},short"))).is_err());
        assert!(LinkTokens::new(&SecretString::from([SECRET; 5].join(","))).is_err(), "at most four");
    }

    #[test]
    fn an_expired_token_says_expired() {
        let t = tokens(SECRET);
        let issued = t.issue(&sample(), NOW);
        assert_eq!(t.verify(&issued, NOW.plus_seconds(61)), Err(TokenError::Expired));
    }
}
