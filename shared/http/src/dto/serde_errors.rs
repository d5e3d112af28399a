//! A serde error as a merchant should read it: the field's path in the dotted form every other
//! validation error uses, and "must be a whole number" rather than "expected i64".

use paylinks::domain::ValidationError;
use serde_path_to_error::Segment;

pub(super) fn validation_error(err: &serde_path_to_error::Error<serde_json::Error>) -> ValidationError {
    ValidationError::new(dotted_path(err.path()), plain_message(err.inner()))
}

fn dotted_path(path: &serde_path_to_error::Path) -> String {
    let segments: Vec<String> = path
        .iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Map { key } => Some(key.clone()),
            Segment::Enum { variant } => Some(variant.clone()),
            Segment::Unknown => None,
        })
        .collect();
    segments.join(".")
}

fn plain_message(err: &serde_json::Error) -> String {
    let text = err.to_string();
    // serde_json says where in the text; the field's path says it better.
    let position = format!(" at line {} column {}", err.line(), err.column());
    let text = text.strip_suffix(&position).unwrap_or(&text);
    // The last ", expected": the value found, quoted first, may hold those words itself.
    match text.rsplit_once(", expected ") {
        Some((found, expected)) if found.starts_with("invalid type") || found.starts_with("invalid value") => {
            format!("must be {}", plain_expected(expected))
        }
        _ => text.to_string(),
    }
}

fn plain_expected(expected: &str) -> &str {
    match expected {
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" => "a whole number",
        "a boolean" => "true or false",
        "a sequence" => "a list",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Item {
        amount: Option<i64>,
        paid: Option<bool>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        items: Option<Vec<Item>>,
        name: Option<String>,
    }

    fn refusal(json: &str) -> ValidationError {
        let mut reader = serde_json::Deserializer::from_str(json);
        validation_error(&serde_path_to_error::deserialize::<_, Body>(&mut reader).unwrap_err())
    }

    #[test]
    fn a_type_error_names_the_field_and_what_it_must_be() {
        let err = refusal(r#"{"items": [{"amount": 1}, {"amount": 12.5}]}"#);
        assert_eq!((err.field.as_str(), err.message.as_str()), ("items.1.amount", "must be a whole number"));
        let err = refusal(r#"{"items": [{"paid": "yes"}]}"#);
        assert_eq!((err.field.as_str(), err.message.as_str()), ("items.0.paid", "must be true or false"));
        let err = refusal(r#"{"name": 7}"#);
        assert_eq!((err.field.as_str(), err.message.as_str()), ("name", "must be a string"));
        let err = refusal(r#"{"items": {}}"#);
        assert_eq!((err.field.as_str(), err.message.as_str()), ("items", "must be a list"));
        let err = refusal(r#"{"items": [{"amount": "1, expected cake"}]}"#);
        assert_eq!(err.message, "must be a whole number");
    }
}
