//! E.164 numbers checked against the ITU's country calling codes and the North American plan.
//!
//! This replaced the `phonenumber` crate: its metadata (half a megabyte) and its regular expressions
//! (parsed and compiled on first use, at a customer's first request) were about 1.3 MB of every
//! function and several milliseconds of the first invocation that read a phone. What it checked
//! beyond this (each country's number ranges) SNS checks again when it sends, and a number that
//! cannot receive a text shows as a failed delivery.

/// Country calling codes in service (ITU-T E.164 assignments), and the international services
/// (800, 808, 870, 878, 881–883, 888, 979) that phonenumber accepted too, so that numbers stored
/// before still read back.
const COUNTRY_CODES: &[u16] = &[
    1, 7, 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56, 57, 58, 60,
    61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98, 211, 212, 213, 216, 218, 220, 221, 222, 223,
    224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234, 235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246,
    247, 248, 249, 250, 251, 252, 253, 254, 255, 256, 257, 258, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 290,
    291, 297, 298, 299, 350, 351, 352, 353, 354, 355, 356, 357, 358, 359, 370, 371, 372, 373, 374, 375, 376, 377, 378,
    380, 381, 382, 383, 385, 386, 387, 389, 420, 421, 423, 500, 501, 502, 503, 504, 505, 506, 507, 508, 509, 590, 591,
    592, 593, 594, 595, 596, 597, 598, 599, 670, 672, 673, 674, 675, 676, 677, 678, 679, 680, 681, 682, 683, 685, 686,
    687, 688, 689, 690, 691, 692, 850, 852, 853, 855, 856, 880, 886, 960, 961, 962, 963, 964, 965, 966, 967, 968, 970,
    971, 972, 973, 974, 975, 976, 977, 992, 993, 994, 995, 996, 998,
];
const INTERNATIONAL_SERVICES: &[u16] = &[800, 808, 870, 878, 881, 882, 883, 888, 979];

/// Countries whose numbers themselves start with 0 after the country code (Italy's landlines,
/// Côte d'Ivoire, Gabon, Congo). Everywhere else a 0 there is the national trunk prefix, which
/// E.164 drops: "+44 (0)20 …" is written often, and "+44 020 …" is a mistake.
const NATIONAL_ZERO: &[u16] = &[39, 225, 241, 242];

/// E.164's longest number, country code included.
const MAX_DIGITS: usize = 15;
/// The shortest subscriber numbers in service (a few small territories) have four digits.
const MIN_NATIONAL_DIGITS: usize = 4;

/// `+` then digits, allowing the spaces, dots, dashes, slashes and brackets people write numbers
/// with, and the trunk prefix written as "(0)"; `None` unless the digits are a number some country
/// could have issued.
pub fn normalise(text: &str) -> Option<String> {
    let rest = text.trim().strip_prefix('+')?.replace("(0)", "");
    let mut digits = String::with_capacity(MAX_DIGITS);
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '\u{a0}' | '-' | '.' | '/' | '(' | ')' => {}
            _ => return None,
        }
    }
    // No country code starts with 0 (and "01" must not read as 1).
    if digits.starts_with('0') {
        return None;
    }
    let code_len = (1..=3).find(|len| digits.get(..*len).and_then(|c| c.parse().ok()).is_some_and(is_country_code))?;
    let national = &digits[code_len..];
    let code: u16 = digits[..code_len].parse().ok()?;
    if national.starts_with('0') && !NATIONAL_ZERO.contains(&code) {
        return None;
    }
    let fits = match &digits[..code_len] {
        // The North American plan: a three-digit area code and exchange, neither starting 0 or 1.
        "1" => national.len() == 10 && !national.starts_with(['0', '1']) && !national[3..].starts_with(['0', '1']),
        "7" => national.len() == 10,
        _ => national.len() >= MIN_NATIONAL_DIGITS && digits.len() <= MAX_DIGITS,
    };
    fits.then(|| format!("+{digits}"))
}

/// The numbers `normalise` accepts in their plain form (`+` and digits), as the regular expression
/// `openapi.yaml`'s `Phone` states (tests/tests/route_table.rs keeps the two equal): built from the
/// same tables, so the description never allows a number the API refuses.
pub fn e164_pattern() -> String {
    let codes = |digits: usize, zero: bool| {
        let listed = COUNTRY_CODES.iter().chain(INTERNATIONAL_SERVICES).filter(|c| c.to_string().len() == digits);
        let chosen: Vec<String> = listed.filter(|c| NATIONAL_ZERO.contains(c) == zero).map(u16::to_string).collect();
        chosen.join("|")
    };
    let national = |digits: usize, zero: bool| {
        let longest = MAX_DIGITS - digits;
        match zero {
            false => format!("[1-9][0-9]{{{},{}}}", MIN_NATIONAL_DIGITS - 1, longest - 1),
            true => format!("[0-9]{{{},{longest}}}", MIN_NATIONAL_DIGITS),
        }
    };
    let groups = [2, 3]
        .into_iter()
        .flat_map(|digits| [false, true].map(|zero| format!("({}){}", codes(digits, zero), national(digits, zero))));
    let plans = ["1[2-9][0-9]{2}[2-9][0-9]{6}".to_string(), "7[1-9][0-9]{9}".to_string()];
    format!("^\\+({})$", plans.into_iter().chain(groups).collect::<Vec<_>>().join("|"))
}

fn is_country_code(code: u16) -> bool {
    COUNTRY_CODES.binary_search(&code).is_ok() || INTERNATIONAL_SERVICES.contains(&code)
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn numbers_as_people_write_them_become_e164() {
        assert_eq!(normalise("+1 (415) 555-0123").as_deref(), Some("+14155550123"));
        assert_eq!(normalise(" +44 20 7946 0958 ").as_deref(), Some("+442079460958"));
        assert_eq!(normalise("+81.3.1234.5678").as_deref(), Some("+81312345678"));
        assert_eq!(normalise("+290 2222").as_deref(), Some("+2902222"));
        assert_eq!(normalise("+44 (0)7911 123456").as_deref(), Some("+447911123456"));
        assert_eq!(normalise("+49 151/2345\u{a0}6789").as_deref(), Some("+4915123456789"));
        assert_eq!(normalise("+39 06 6982 1234").as_deref(), Some("+390669821234"));
    }

    #[test]
    fn what_no_country_could_have_issued_is_refused() {
        for bad in [
            "4155550123",            // no country code
            "+1",                    // nothing after it
            "+1 415 555 012",        // nine digits in the North American plan
            "+1 015 555 0123",       // an area code starting 0
            "+1 415 155 0123",       // an exchange starting 1
            "+0 123 456 789",        // no country 0
            "+28 1234 5678",         // 28 is unassigned
            "+44 07911 123456",      // the trunk 0 kept
            "+49 1234 5678 9012 34", // sixteen digits
            "+44 20 7946 0958 ext 2",
            "+44 20 7946 095a",
            "+",
            "",
        ] {
            assert_eq!(normalise(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_country_codes_are_sorted_for_the_binary_search() {
        assert!(super::COUNTRY_CODES.windows(2).all(|w| w[0] < w[1]));
    }
}
