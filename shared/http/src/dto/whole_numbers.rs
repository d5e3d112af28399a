//! A whole number written `40.0` or `4e1` is the integer 40. JSON Schema (so `openapi.yaml`'s
//! `type: integer`) counts it as one, and some languages' JSON writers put whole numbers that way.
//! Decided on the number as written, not as a double reads it: `40.0000000000000001` is a
//! fraction (a double would round it to 40), and a body holding any fraction is read as it is,
//! so the field that asks for a whole number refuses it by name.

use serde_json::Value;

/// The body with its whole numbers as integers, when it writes one in decimal form and holds no
/// fraction; `None` otherwise (the usual body: read straight into its DTO).
pub(super) fn read_as_integers(text: &[u8]) -> Option<Result<Value, serde_json::Error>> {
    if !writes_whole_numbers_in_decimal_form(text) {
        return None;
    }
    Some(serde_json::from_slice(text).map(|mut value| {
        as_integers(&mut value);
        value
    }))
}

/// The integers a double holds exactly: a whole number beyond stays a double (and is refused).
const EXACT: f64 = 9_007_199_254_740_992.0;

fn as_integers(value: &mut Value) {
    match value {
        Value::Number(number) if !number.is_i64() && !number.is_u64() => {
            if let Some(float) = number.as_f64().filter(|f| f.fract() == 0.0 && f.abs() <= EXACT) {
                // Exact by the bound above: the cast neither rounds nor saturates.
                *value = Value::from(float as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(as_integers),
        Value::Object(fields) => fields.values_mut().for_each(as_integers),
        _ => {}
    }
}

/// Whether some number literal in `text` is a whole number in decimal form and none is a fraction.
fn writes_whole_numbers_in_decimal_form(text: &[u8]) -> bool {
    let (mut any, mut at) = (false, 0);
    while at < text.len() {
        match text[at] {
            b'"' => at = after_string(text, at),
            b'-' | b'0'..=b'9' => {
                let end = at + text[at..].iter().take_while(|b| b"+-.eE0123456789".contains(b)).count();
                match written(&text[at..end]) {
                    Written::Integer => {}
                    Written::WholeInDecimalForm => any = true,
                    Written::Fraction => return false,
                }
                at = end;
            }
            _ => at += 1,
        }
    }
    any
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
    at
}

#[derive(Debug, PartialEq, Eq)]
enum Written {
    Integer,
    WholeInDecimalForm,
    Fraction,
}

/// What a number literal is, exactly: `-`, digits, an optional `.` fraction, an optional exponent.
fn written(literal: &[u8]) -> Written {
    let literal = literal.strip_prefix(b"-").unwrap_or(literal);
    let (mantissa, exponent) = match literal.iter().position(|b| matches!(b, b'e' | b'E')) {
        Some(e) => (&literal[..e], Some(&literal[e + 1..])),
        None => (literal, None),
    };
    let (whole, fraction) = match mantissa.iter().position(|b| *b == b'.') {
        Some(dot) => (&mantissa[..dot], &mantissa[dot + 1..]),
        None => (mantissa, &b""[..]),
    };
    if exponent.is_none() && fraction.is_empty() {
        return Written::Integer;
    }
    let exponent = match exponent {
        None => 0,
        Some(text) => match std::str::from_utf8(text).ok().and_then(|e| e.parse::<i64>().ok()) {
            Some(exponent) => exponent,
            // Beyond any i64: no amount; left as written, for serde and the field to refuse.
            None => return Written::Fraction,
        },
    };
    // How many of the digits written fall after the decimal point once the exponent moved it.
    let digits: Vec<u8> = whole.iter().chain(fraction).copied().collect();
    let fraction_len = i64::try_from(fraction.len()).unwrap_or(i64::MAX);
    let after_point = fraction_len.saturating_sub(exponent).max(0);
    let after_point = usize::try_from(after_point).unwrap_or(usize::MAX).min(digits.len());
    if digits[digits.len() - after_point..].iter().all(|d| *d == b'0') {
        Written::WholeInDecimalForm
    } else {
        Written::Fraction
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_literal_is_whole_only_when_every_digit_after_the_point_is_zero() {
        for whole in ["40.0", "4e1", "4E+1", "4.00E+1", "4000e-2", "-40.000", "0.0", "1.5e1", "0e-5"] {
            assert_eq!(written(whole.as_bytes()), Written::WholeInDecimalForm, "{whole}");
        }
        for fraction in ["40.5", "40.0000000000000001", "4.05e1", "4e-1", "1.25e1", "1e-99999999999999999999"] {
            assert_eq!(written(fraction.as_bytes()), Written::Fraction, "{fraction}");
        }
        assert_eq!(written(b"40"), Written::Integer);
        assert_eq!(written(b"-7"), Written::Integer);
    }

    #[test]
    fn numbers_inside_strings_are_text() {
        assert!(!writes_whole_numbers_in_decimal_form(br#"{"note": "40.0", "amount": 40}"#));
        assert!(!writes_whole_numbers_in_decimal_form(br#"{"note": "a \"40.0\" b", "amount": 40}"#));
        assert!(writes_whole_numbers_in_decimal_form(br#"{"note": "40.5", "amount": 40.0}"#));
        assert!(!writes_whole_numbers_in_decimal_form(br#"{"a": 40.0, "b": 0.5}"#), "a fraction: read as written");
    }
}
