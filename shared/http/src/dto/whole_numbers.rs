//! A whole number written `40.0` or `4e1` is the integer 40. JSON Schema (so `openapi.yaml`'s
//! `type: integer`) counts it as one, and some languages' JSON writers put whole numbers that way.
//! Decided on the number as written, not as a double reads it: `40.0000000000000001` is a
//! fraction (a double would round it to 40), and a body holding any fraction is read as it is, so
//! the field that asks for a whole number refuses it by name. The body is rewritten as text (each
//! such literal replaced by its digits) and then read as any other, duplicate keys and all.

/// Digits beyond which a whole number is left as written: no amount, count or limit is near it,
/// and the field reading it refuses it.
const MAX_DIGITS: usize = 15;

/// The body with each whole number written in decimal form replaced by its integer digits, when
/// it has one and holds no fraction; `None` otherwise (the usual body: read as it came).
pub(super) fn as_integers(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let (mut rewritten, mut at) = (false, 0);
    while at < text.len() {
        match text[at] {
            b'"' => {
                let end = after_string(text, at);
                out.extend_from_slice(&text[at..end]);
                at = end;
            }
            b'-' | b'0'..=b'9' => {
                let end = at + text[at..].iter().take_while(|b| b"+-.eE0123456789".contains(b)).count();
                let literal = &text[at..end];
                match written(literal) {
                    Written::Integer => out.extend_from_slice(literal),
                    Written::Whole(digits) => {
                        out.extend_from_slice(digits.as_bytes());
                        rewritten = true;
                    }
                    Written::Fraction => return None,
                }
                at = end;
            }
            byte => {
                out.push(byte);
                at += 1;
            }
        }
    }
    rewritten.then_some(out)
}

/// The index just past the string whose opening quote is at `start`.
fn after_string(text: &[u8], start: usize) -> usize {
    let mut at = start + 1;
    while at < text.len() {
        match text[at] {
            b'\\' => at += 2,
            b'"' => return at + 1,
            _ => at += 1,
        }
    }
    at.min(text.len())
}

#[derive(Debug, PartialEq, Eq)]
enum Written {
    /// Digits alone: read as they are.
    Integer,
    /// A whole number in decimal form, as the integer's own digits.
    Whole(String),
    /// A true fraction, or beyond any amount: the body is read as it came.
    Fraction,
}

/// What a number literal is, exactly: `-`, digits, an optional `.` fraction, an optional exponent.
fn written(literal: &[u8]) -> Written {
    let (negative, unsigned) = match literal.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, literal),
    };
    let (mantissa, exponent) = match unsigned.iter().position(|b| matches!(b, b'e' | b'E')) {
        Some(e) => (&unsigned[..e], Some(&unsigned[e + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = match mantissa.iter().position(|b| *b == b'.') {
        Some(dot) => (&mantissa[..dot], &mantissa[dot + 1..]),
        None => (mantissa, &b""[..]),
    };
    if exponent.is_none() && fraction.is_empty() {
        return Written::Integer;
    }
    let Some(exponent) = exponent.map_or(Some(0), |e| std::str::from_utf8(e).ok()?.parse::<i64>().ok()) else {
        return Written::Fraction;
    };
    // Where the decimal point falls among all the digits written, once the exponent moved it.
    let digits: Vec<u8> = whole.iter().chain(fraction).copied().collect();
    let Some(point) = i64::try_from(whole.len()).ok().and_then(|w| w.checked_add(exponent)) else {
        return Written::Fraction;
    };
    let point = usize::try_from(point.max(0)).unwrap_or(usize::MAX);
    let (integer, after) = digits.split_at(point.min(digits.len()));
    if after.iter().any(|d| *d != b'0') {
        return Written::Fraction;
    }
    let zeros = point.saturating_sub(digits.len());
    let significant: Vec<u8> = integer.iter().copied().skip_while(|d| *d == b'0').collect();
    if significant.is_empty() {
        return Written::Whole("0".into());
    }
    if significant.len().saturating_add(zeros) > MAX_DIGITS {
        return Written::Fraction;
    }
    let mut text = String::from(if negative { "-" } else { "" });
    text.extend(significant.iter().map(|d| char::from(*d)));
    text.extend(std::iter::repeat_n('0', zeros));
    Written::Whole(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(literal: &str) -> String {
        match written(literal.as_bytes()) {
            Written::Whole(digits) => digits,
            other => panic!("{literal}: {other:?}"),
        }
    }

    #[test]
    fn a_whole_number_in_decimal_form_becomes_its_digits() {
        for (literal, digits) in [
            ("40.0", "40"),
            ("4e1", "40"),
            ("4E+1", "40"),
            ("4.00E+1", "40"),
            ("4000e-2", "40"),
            ("-40.000", "-40"),
            ("0.0", "0"),
            ("-0.0", "0"),
            ("1.5e1", "15"),
            ("0e-5", "0"),
            ("99999999.0", "99999999"),
            ("2.5e3", "2500"),
        ] {
            assert_eq!(whole(literal), digits, "{literal}");
        }
        assert_eq!(written(b"40"), Written::Integer);
        assert_eq!(written(b"-7"), Written::Integer);
    }

    #[test]
    fn a_fraction_or_a_number_beyond_any_amount_is_left_as_written() {
        for literal in ["40.5", "40.0000000000000001", "4.05e1", "4e-1", "1.25e1", "1e-99999999999999999999", "1e300"] {
            assert_eq!(written(literal.as_bytes()), Written::Fraction, "{literal}");
        }
    }

    #[test]
    fn numbers_inside_strings_are_text_and_a_fraction_leaves_the_body_as_it_came() {
        assert_eq!(as_integers(br#"{"note": "40.0", "amount": 40}"#), None);
        assert_eq!(
            as_integers(br#"{"note": "a \"40.0\" b", "amount": 40.0}"#).as_deref(),
            Some(&br#"{"note": "a \"40.0\" b", "amount": 40}"#[..])
        );
        assert_eq!(as_integers(br#"{"a": 40.0, "b": 0.5}"#), None, "a fraction: read as written");
    }
}
