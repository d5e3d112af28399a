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

/// How Stripe takes amounts in a currency (docs.stripe.com/currencies): the decimals of its API's
/// minor unit, the step every amount moves in, and the decimals a person reads and types. One
/// table for every amount this service computes or reads (parts, tips, percentages, balances,
/// typed amounts). A currency not listed takes two decimals in steps of one.
const RULES: &[(&str, CurrencyRule)] = &[
    // Zero-decimal: the charge and the amount are the same.
    ("bif", ZERO),
    ("clp", ZERO),
    ("djf", ZERO),
    ("gnf", ZERO),
    ("jpy", ZERO),
    ("kmf", ZERO),
    ("krw", ZERO),
    ("mga", ZERO),
    ("pyg", ZERO),
    ("rwf", ZERO),
    ("vnd", ZERO),
    ("vuv", ZERO),
    ("xaf", ZERO),
    ("xof", ZERO),
    ("xpf", ZERO),
    // Three-decimal: the last digit must be 0 (5.124 KWD is charged as 5120 or 5130).
    ("bhd", THREE),
    ("jod", THREE),
    ("kwd", THREE),
    ("omr", THREE),
    ("tnd", THREE),
    // Special cases: ISK and UGX became zero-decimal, but the API still takes two decimals that
    // are always 00 (5 ISK is 500); fractions cannot be charged. (HUF and TWD are whole units for
    // payouts only: their charges take two decimals, as any currency not listed.)
    ("isk", WHOLE_IN_HUNDREDTHS),
    ("ugx", WHOLE_IN_HUNDREDTHS),
];

/// The least Stripe charges, in the minor unit (its currencies page lists them by the currency an
/// account settles in; a charge in the same currency is held to it).
const MINIMUM_CHARGES: &[(&str, i64)] = &[
    ("usd", 50),
    ("aud", 50),
    ("brl", 50),
    ("cad", 50),
    ("chf", 50),
    ("eur", 50),
    ("inr", 50),
    ("nzd", 50),
    ("sgd", 50),
    ("gbp", 30),
    ("aed", 200),
    ("myr", 200),
    ("pln", 200),
    ("ron", 200),
    ("dkk", 250),
    ("nok", 300),
    ("sek", 300),
    ("hkd", 400),
    ("mxn", 1000),
    ("thb", 1000),
    ("czk", 1500),
    ("huf", 17500),
    ("jpy", 50),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CurrencyRule {
    /// Decimals of the API's minor unit.
    decimals: u32,
    /// Every amount is a multiple of this, in the minor unit.
    step: i64,
}

const ZERO: CurrencyRule = CurrencyRule { decimals: 0, step: 1 };
const TWO: CurrencyRule = CurrencyRule { decimals: 2, step: 1 };
const THREE: CurrencyRule = CurrencyRule { decimals: 3, step: 10 };
const WHOLE_IN_HUNDREDTHS: CurrencyRule = CurrencyRule { decimals: 2, step: 100 };

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
    /// Every currency Stripe Checkout accepts (`openapi.yaml`'s `Currency` enum lists the same).
    pub fn all() -> impl Iterator<Item = Currency> {
        CURRENCIES.iter().map(|c| Self(c))
    }

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

    fn rule(self) -> CurrencyRule {
        RULES.iter().find(|(code, _)| *code == self.0).map_or(TWO, |(_, rule)| *rule)
    }

    /// Decimals of the minor unit the API takes amounts in.
    pub fn decimals(self) -> u32 {
        self.rule().decimals
    }

    /// Every amount in this currency is a multiple of this many minor units.
    pub fn step(self) -> i64 {
        self.rule().step
    }

    /// The least Stripe charges in this currency, where its currencies page names one (else the
    /// smallest step).
    pub fn minimum_charge(self) -> i64 {
        MINIMUM_CHARGES.iter().find(|(code, _)| *code == self.0).map_or(self.step(), |(_, least)| *least)
    }

    /// Decimals a person reads and types: none where fractions cannot be charged (ISK, UGX).
    pub fn shown_decimals(self) -> u32 {
        let rule = self.rule();
        if rule.step == 10i64.pow(rule.decimals) { 0 } else { rule.decimals }
    }

    /// Whether Stripe takes `minor` in this currency (a three-decimal amount ending in 0, …).
    pub fn takes(self, minor: i64) -> bool {
        minor % self.step() == 0
    }

    /// `minor` rounded half up to what the currency takes.
    pub fn round(self, minor: i64) -> i64 {
        let step = self.step();
        (minor + step / 2).div_euclid(step) * step
    }

    /// `minor` rounded down to what the currency takes (a most that must not be passed).
    pub fn round_down(self, minor: i64) -> i64 {
        minor.div_euclid(self.step()) * self.step()
    }

    /// `minor` rounded up to what the currency takes (a least that must be reached).
    pub fn round_up(self, minor: i64) -> i64 {
        -(-minor).div_euclid(self.step()) * self.step()
    }

    /// A `ValidationError` unless Stripe takes `minor` in this currency.
    pub fn check(self, minor: i64) -> Result<(), ValidationError> {
        if self.takes(minor) {
            return Ok(());
        }
        let message = match self.decimals() {
            3 => format!("must end in 0 in {} (Stripe charges three-decimal currencies in steps of 10)", self.0),
            _ => format!("must be a whole number of {} (a multiple of {} in the minor unit)", self.0, self.step()),
        };
        Err(ValidationError::new("", &message))
    }

    /// `2500` in usd reads `USD 25.00`; amounts are never floats on the way.
    pub fn display(self, amount: Amount) -> String {
        let code = self.0.to_ascii_uppercase();
        let decimals = self.decimals();
        if self.shown_decimals() == 0 {
            return format!("{code} {}", amount.minor() / 10i64.pow(decimals));
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

    /// Every currency Stripe's currencies page names apart from the two-decimal rule, with what
    /// it says of it: (code, API decimals, the step amounts move in, decimals a person reads).
    #[test]
    fn each_currency_stripe_names_follows_its_rule() {
        let named = [
            ("bif", 0, 1, 0),
            ("clp", 0, 1, 0),
            ("djf", 0, 1, 0),
            ("gnf", 0, 1, 0),
            ("jpy", 0, 1, 0),
            ("kmf", 0, 1, 0),
            ("krw", 0, 1, 0),
            ("mga", 0, 1, 0),
            ("pyg", 0, 1, 0),
            ("rwf", 0, 1, 0),
            ("vnd", 0, 1, 0),
            ("vuv", 0, 1, 0),
            ("xaf", 0, 1, 0),
            ("xof", 0, 1, 0),
            ("xpf", 0, 1, 0),
            ("bhd", 3, 10, 3),
            ("jod", 3, 10, 3),
            ("kwd", 3, 10, 3),
            ("omr", 3, 10, 3),
            ("tnd", 3, 10, 3),
            // Whole units, sent as two decimals that are always 00.
            ("isk", 2, 100, 0),
            ("ugx", 2, 100, 0),
            // Whole units for payouts only: charges take two decimals.
            ("huf", 2, 1, 2),
            ("twd", 2, 1, 2),
            ("usd", 2, 1, 2),
        ];
        for (code, decimals, step, shown) in named {
            let c = Currency::parse(code).unwrap();
            assert_eq!((c.decimals(), c.step(), c.shown_decimals()), (decimals, step, shown), "{code}");
            assert!(c.takes(step * 7) && (step == 1 || !c.takes(step * 7 + 1)), "{code}");
            if step > 1 {
                assert_eq!(c.round(step * 7 + step / 2), step * 8, "{code}: half up");
            }
        }
        assert_eq!(Currency::parse("kwd").unwrap().round_down(1859), 1850);
        assert_eq!(Currency::parse("isk").unwrap().display(Amount::parse(500).unwrap()), "ISK 5");
        assert_eq!(Currency::parse("usd").unwrap().minimum_charge(), 50);
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
