//! The customer's language: from the link's `customer.locale` (BCP 47), else the browser's
//! `Accept-Language`, among the languages pages and emails are written in; English otherwise.
//! Amounts are written as that language writes numbers.

use serde::{Deserialize, Serialize};

use super::{Amount, Currency, ValidationError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    De,
    Fr,
    Es,
    Ja,
}

impl Language {
    pub const ALL: [Self; 5] = [Self::En, Self::De, Self::Fr, Self::Es, Self::Ja];

    /// How the language writes a moment (strftime, with the time zone's abbreviation).
    pub fn date_time_pattern(self) -> &'static str {
        match self {
            Self::En => "%-d %b %Y %H:%M %Z",
            Self::De => "%-d.%-m.%Y, %H:%M %Z",
            Self::Fr => "%d/%m/%Y %H:%M %Z",
            Self::Es => "%-d/%-m/%Y %H:%M %Z",
            Self::Ja => "%Y年%-m月%-d日 %H:%M %Z",
        }
    }

    /// The code Stripe Checkout and `<html lang>` take.
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::De => "de",
            Self::Fr => "fr",
            Self::Es => "es",
            Self::Ja => "ja",
        }
    }

    /// The language of a BCP 47 tag by its primary subtag (`de-AT` is German), if one we write.
    pub fn of_tag(tag: &str) -> Option<Self> {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        Self::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// The link's locale first, then the browser's preferences by weight, then English.
    pub fn negotiate(locale: Option<&str>, accept_language: Option<&str>) -> Self {
        if let Some(language) = locale.and_then(Self::of_tag) {
            return language;
        }
        let mut preferred: Vec<(f32, Self)> = accept_language
            .unwrap_or_default()
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.trim().split(';');
                let language = Self::of_tag(pieces.next()?.trim())?;
                let weight =
                    pieces.find_map(|p| p.trim().strip_prefix("q=")).and_then(|q| q.parse::<f32>().ok()).unwrap_or(1.0);
                (weight > 0.0).then_some((weight, language))
            })
            .collect();
        // Stable: among equal weights, the browser's own order stands.
        preferred.sort_by(|a, b| b.0.total_cmp(&a.0));
        preferred.first().map(|(_, l)| *l).unwrap_or_default()
    }

    /// Whether this language writes decimals after a comma (`25,50`) rather than a point.
    pub fn decimal_comma(self) -> bool {
        matches!(self, Self::De | Self::Es | Self::Fr)
    }

    /// `1,234.56 USD` as this language writes it: separators, and where the currency goes.
    pub fn amount(self, currency: Currency, amount: Amount) -> String {
        self.money(None, currency, amount)
    }

    /// The same, as the region of `locale` writes it when `locale` is in this language: Mexico
    /// and most of Latin America write `USD 1,234.50`, Switzerland `USD 1’234.50`.
    pub fn money(self, locale: Option<&str>, currency: Currency, amount: Amount) -> String {
        let region = locale
            .filter(|tag| Self::of_tag(tag) == Some(self))
            .and_then(|tag| tag.split(['-', '_']).skip(1).find(|s| s.len() == 2 || s.len() == 3))
            .map(str::to_ascii_uppercase);
        let region = region.as_deref();
        let decimals = currency.shown_decimals();
        let unit = 10i64.pow(currency.decimals());
        let (whole, fraction) = (amount.minor() / unit, amount.minor() % unit);
        // Regions whose numbers differ from their language's (CLDR).
        let point_regions = ["MX", "US", "PR", "DO", "GT", "HN", "NI", "PA", "SV", "PE", "419"];
        let (group, point, code_first) = match (self, region) {
            (Self::Es, Some(r)) if point_regions.contains(&r) => (",", ".", true),
            (Self::De, Some("CH" | "LI")) => ("’", ".", true),
            (Self::En | Self::Ja, _) => (",", ".", true),
            (Self::De | Self::Es, _) => (".", ",", false),
            // French groups with a narrow no-break space.
            (Self::Fr, _) => ("\u{202f}", ",", false),
        };
        let digits = whole.to_string();
        let mut grouped = String::new();
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push_str(group);
            }
            grouped.push(digit);
        }
        let number = if decimals == 0 {
            grouped
        } else {
            format!("{grouped}{point}{fraction:0width$}", width = decimals as usize)
        };
        let code = currency.code().to_ascii_uppercase();
        if code_first { format!("{code} {number}") } else { format!("{number}\u{a0}{code}") }
    }
}

/// A customer's locale as a merchant gives it: a BCP 47 tag (`de`, `fr-CA`, `ja-JP`), kept as given.
pub fn parse_locale(text: &str) -> Result<String, ValidationError> {
    let subtags: Vec<&str> = text.split('-').collect();
    let primary_ok =
        subtags[0].len() >= 2 && subtags[0].len() <= 3 && subtags[0].bytes().all(|b| b.is_ascii_alphabetic());
    let rest_ok =
        subtags[1..].iter().all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()));
    if text.len() > 35 || !primary_ok || !rest_ok {
        return Err(ValidationError::new("customer.locale", "must be a BCP 47 language tag, e.g. de or fr-CA"));
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_links_locale_comes_first_then_the_browsers_by_weight_then_english() {
        assert_eq!(Language::negotiate(Some("de-AT"), Some("fr")), Language::De);
        assert_eq!(Language::negotiate(Some("pt-BR"), Some("fr;q=0.5, ja;q=0.8")), Language::Ja);
        assert_eq!(Language::negotiate(None, Some("pt, es-MX;q=0.9, *;q=0.1")), Language::Es);
        assert_eq!(Language::negotiate(None, Some("de;q=0")), Language::En);
        assert_eq!(Language::negotiate(None, None), Language::En);
    }

    #[test]
    fn amounts_are_written_as_each_language_writes_them() {
        let usd = Currency::parse("usd").unwrap();
        let jpy = Currency::parse("jpy").unwrap();
        let amount = Amount::parse(99_999_999).unwrap();
        assert_eq!(Language::En.amount(usd, amount), "USD 999,999.99");
        assert_eq!(Language::De.amount(usd, amount), "999.999,99\u{a0}USD");
        assert_eq!(Language::Fr.amount(usd, amount), "999\u{202f}999,99\u{a0}USD");
        assert_eq!(Language::En.amount(usd, Amount::parse(5).unwrap()), "USD 0.05");
        assert_eq!(Language::Ja.amount(jpy, Amount::parse(12_100).unwrap()), "JPY 12,100");
        assert_eq!(Language::Es.amount(jpy, Amount::parse(500).unwrap()), "500\u{a0}JPY");
        let price = Amount::parse(123_450).unwrap();
        assert_eq!(Language::Es.money(Some("es-MX"), usd, price), "USD 1,234.50");
        assert_eq!(Language::Es.money(Some("es-ES"), usd, price), "1.234,50\u{a0}USD");
        assert_eq!(Language::De.money(Some("de-CH"), usd, price), "USD 1’234.50");
        assert_eq!(Language::De.money(Some("de-AT"), usd, price), "1.234,50\u{a0}USD");
        assert_eq!(
            Language::En.money(Some("es-MX"), usd, price),
            "USD 1,234.50",
            "another language's region is not ours"
        );
    }

    #[test]
    fn a_locale_is_a_bcp_47_tag() {
        for ok in ["de", "fr-CA", "ja-JP", "zh-Hant-TW", "es-419"] {
            assert!(parse_locale(ok).is_ok(), "{ok}");
        }
        for bad in ["", "d", "german!", "de--AT", "x".repeat(40).as_str()] {
            assert!(parse_locale(bad).is_err(), "{bad}");
        }
    }
}
