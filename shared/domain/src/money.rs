use serde::{Deserialize, Serialize};

use super::ValidationError;

/// Currencies Stripe Checkout accepts, as lowercase ISO 4217 codes.
const CURRENCIES: &[&str] = &[
    "aed", "afn", "all", "amd", "ang", "aoa", "ars", "aud", "awg", "azn", "bam", "bbd", "bdt", "bgn", "bhd", "bif",
    "bmd", "bnd", "bob", "brl", "bsd", "bwp", "byn", "bzd", "cad", "cdf", "chf", "clp", "cny", "cop", "crc", "cve",
    "czk", "djf", "dkk", "dop", "dzd", "egp", "etb", "eur", "fjd", "fkp", "gbp", "gel", "gip", "gmd", "gnf", "gtq",
    "gyd", "hkd", "hnl", "htg", "huf", "idr", "ils", "inr", "isk", "jmd", "jod", "jpy", "kes", "kgs", "khr", "kmf",
    "krw", "kwd", "kyd", "kzt", "lak", "lbp", "lkr", "lrd", "lsl", "mad", "mdl", "mga", "mkd", "mmk", "mnt", "mop",
    "mur", "mvr", "mwk", "mxn", "myr", "mzn", "nad", "ngn", "nio", "nok", "npr", "nzd", "omr", "pab", "pen", "pgk",
    "php", "pkr", "pln", "pyg", "qar", "ron", "rsd", "rub", "rwf", "sar", "sbd", "scr", "sek", "sgd", "shp", "sle",
    "sos", "srd", "std", "szl", "thb", "tjs", "tnd", "top", "try", "ttd", "twd", "tzs", "uah", "ugx", "usd", "uyu",
    "uzs", "vnd", "vuv", "wst", "xaf", "xcd", "xof", "xpf", "yer", "zar", "zmw",
];

/// Currencies whose amounts have no minor unit (Stripe's "zero-decimal" list).
const ZERO_DECIMAL: &[&str] =
    &["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"];
const THREE_DECIMAL: &[&str] = &["bhd", "jod", "kwd", "omr", "tnd"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct Currency(&'static str);

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(|e| serde::de::Error::custom(e.message))
    }
}

impl Currency {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let lower = text.to_ascii_lowercase();
        CURRENCIES
            .iter()
            .find(|c| **c == lower)
            .map(|c| Self(c))
            .ok_or_else(|| ValidationError::new("", "must be a currency Stripe accepts, e.g. usd"))
    }

    pub fn code(self) -> &'static str {
        self.0
    }

    pub fn decimals(self) -> u32 {
        if ZERO_DECIMAL.contains(&self.0) {
            0
        } else if THREE_DECIMAL.contains(&self.0) {
            3
        } else {
            2
        }
    }

    /// `2500` in usd reads `USD 25.00`; amounts are never floats on the way.
    pub fn display(self, amount: Amount) -> String {
        let code = self.0.to_ascii_uppercase();
        let decimals = self.decimals();
        if decimals == 0 {
            return format!("{code} {}", amount.minor());
        }
        let unit = 10i64.pow(decimals);
        let whole = amount.minor() / unit;
        let fraction = amount.minor() % unit;
        format!("{code} {whole}.{fraction:0width$}", width = decimals as usize)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.0.to_string()
    }
}

/// A positive amount in the currency's minor unit (cents), within what Stripe accepts in one charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Amount(i64);

impl Amount {
    pub const MAX: i64 = 99_999_999;

    pub fn parse(minor: i64) -> Result<Self, ValidationError> {
        if minor <= 0 {
            return Err(ValidationError::new("", "must be a positive integer in the currency's minor unit"));
        }
        if minor > Self::MAX {
            return Err(ValidationError::new("", "must be at most 99999999 in the minor unit"));
        }
        Ok(Self(minor))
    }

    /// What a payment provider charged: as `parse`, and zero too (a 100 % promotion code,
    /// `no_payment_required`). Prices are never zero; charges can be.
    pub fn charged(minor: i64) -> Result<Self, ValidationError> {
        if minor == 0 { Ok(Self(0)) } else { Self::parse(minor) }
    }

    pub fn minor(self) -> i64 {
        self.0
    }
}

/// Read back from storage, where payments may hold a zero charge; requests go through `parse`.
impl TryFrom<i64> for Amount {
    type Error = String;
    fn try_from(minor: i64) -> Result<Self, String> {
        Self::charged(minor).map_err(|e| e.message)
    }
}

impl From<Amount> for i64 {
    fn from(a: Amount) -> i64 {
        a.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currencies_are_known_lowercase_codes() {
        assert_eq!(Currency::parse("USD").unwrap().code(), "usd");
        assert!(Currency::parse("xyz").is_err());
    }

    #[test]
    fn amounts_must_be_positive_and_chargeable() {
        assert!(Amount::parse(0).is_err());
        assert!(Amount::parse(-5).is_err());
        assert!(Amount::parse(100_000_000).is_err());
        assert_eq!(Amount::parse(2500).unwrap().minor(), 2500);
    }

    #[test]
    fn amounts_display_with_the_currency_minor_unit() {
        let usd = Currency::parse("usd").unwrap();
        assert_eq!(usd.display(Amount::parse(2505).unwrap()), "USD 25.05");
        let jpy = Currency::parse("jpy").unwrap();
        assert_eq!(jpy.display(Amount::parse(500).unwrap()), "JPY 500");
        let kwd = Currency::parse("kwd").unwrap();
        assert_eq!(kwd.display(Amount::parse(1500).unwrap()), "KWD 1.500");
    }
}
