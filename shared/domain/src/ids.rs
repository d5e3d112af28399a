use serde::{Deserialize, Serialize};

use super::ValidationError;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `len` characters from a CSPRNG, each uniform over [0-9A-Za-z] (rejection sampling, no modulo bias).
/// A number in `0..n` (`n` at least 1), for spreading writes over shards: the slight bias of a
/// remainder does not matter there.
pub fn random_below(n: u32) -> u32 {
    let mut buf = [0u8; 4];
    getrandom::fill(&mut buf).expect("the operating system's random source is unavailable");
    u32::from_le_bytes(buf) % n.max(1)
}

pub fn random_base62(len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut buf).expect("the operating system's random source is unavailable");
        for b in buf {
            // 248 = 4 * 62: bytes at or above it would favour the first symbols.
            if b < 248 && out.len() < len {
                out.push(BASE62[(b % 62) as usize] as char);
            }
        }
    }
    out
}

fn is_base62(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Conversions every string-backed id shares: serde through `String`, and `Display`.
macro_rules! string_id_conversions {
    ($name:ident, $parse:expr) => {
        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(text: String) -> Result<Self, String> {
                $parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// A random identifier with a recognisable prefix, e.g. `pl_…` for links.
macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $random_len:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, random_base62($random_len)))
            }

            pub fn parse(text: &str) -> Option<Self> {
                let rest = text.strip_prefix($prefix)?;
                (rest.len() == $random_len && is_base62(rest)).then(|| Self(text.to_string()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        string_id_conversions!($name, |text: &str| Self::parse(text).ok_or_else(|| format!("not a {} id", $prefix)));
    };
}

prefixed_id!(
    /// A payment link: 128 random bits behind `pl_`.
    LinkId, "pl_", 22
);
prefixed_id!(
    /// One message that carried a link to one recipient.
    DeliveryId, "dl_", 22
);
prefixed_id!(
    /// A merchant's webhook endpoint.
    EndpointId, "we_", 22
);

/// An event's id, `evt_` then its creation time (ten digits) and 12 random characters: unique,
/// and in the order events happened, so the merchant's log reads newest first by key alone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EventId(String);

impl EventId {
    pub fn generate(at: crate::Timestamp) -> Self {
        Self(format!("evt_{:010}{}", at.unix().clamp(0, 9_999_999_999), random_base62(12)))
    }

    pub fn parse(text: &str) -> Option<Self> {
        let rest = text.strip_prefix("evt_")?;
        let ok = rest.len() == 22
            && rest[..10].bytes().all(|b| b.is_ascii_digit())
            && rest[10..].bytes().all(|b| b.is_ascii_alphanumeric());
        ok.then(|| Self(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_id_conversions!(EventId, |text: &str| Self::parse(text).ok_or_else(|| "not an event id".to_string()));

/// The path part of a short URL, `/p/{code}`: 11 base62 characters, about 65 bits from a CSPRNG.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ShortCode(String);

impl ShortCode {
    const LEN: usize = 11;

    pub fn generate() -> Self {
        Self(random_base62(Self::LEN))
    }

    pub fn parse(text: &str) -> Option<Self> {
        (text.len() == Self::LEN && is_base62(text)).then(|| Self(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ShortCode {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text).ok_or_else(|| "not a short code".to_string())
    }
}

impl From<ShortCode> for String {
    fn from(code: ShortCode) -> String {
        code.0
    }
}

/// Text chosen by someone else (the merchant's auth provider, the merchant, Stripe): kept as given,
/// bounded in length and free of control characters so it is safe in keys and logs.
macro_rules! external_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(text: &str) -> Result<Self, ValidationError> {
                if text.trim().is_empty() || text.len() > 200 || text.chars().any(char::is_control) {
                    return Err(ValidationError::new("", concat!("must be a ", $what, " of 1 to 200 printable characters")));
                }
                Ok(Self(text.to_string()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        string_id_conversions!($name, |text: &str| Self::parse(text).map_err(|e| e.message));
    };
}

external_id!(
    /// The merchant, as named by the caller's token (`merchant_id` claim, else `sub`).
    MerchantId, "merchant id"
);
external_id!(
    /// The merchant's own order number, e.g. `SO-1001`.
    OrderId, "order id"
);
external_id!(
    /// A Stripe Checkout Session id, `cs_…`.
    SessionId, "session id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_link_ids_parse_back_and_differ() {
        let a = LinkId::generate();
        let b = LinkId::generate();
        assert_ne!(a, b);
        assert_eq!(LinkId::parse(a.as_str()), Some(a));
    }

    #[test]
    fn link_ids_of_the_wrong_shape_are_rejected() {
        assert!(LinkId::parse("pl_short").is_none());
        assert!(LinkId::parse("xx_0123456789012345678901").is_none());
        assert!(LinkId::parse("pl_01234567890123456789-!").is_none());
    }

    #[test]
    fn short_codes_carry_more_than_64_bits() {
        let bits = (ShortCode::LEN as f64) * 62f64.log2();
        assert!(bits >= 64.0, "{bits}");
    }

    #[test]
    fn external_ids_refuse_control_characters_and_blank_text() {
        assert!(OrderId::parse("SO-1001").is_ok());
        assert!(OrderId::parse(" ").is_err());
        assert!(OrderId::parse("a\nb").is_err());
        assert!(OrderId::parse(&"x".repeat(201)).is_err());
    }
}
