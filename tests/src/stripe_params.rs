//! What Stripe refuses, for the fake: every form parameter checked against Stripe's own typed
//! request parameters (`tests/fixtures/stripe/params.json`, generated from the `stripe` package
//! on PyPI by `infra/stripe_params.py`; the test command checks it is current), and the limits
//! Stripe documents for Checkout Sessions. Refusals are `400` in Stripe's error shape.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde_json::{Value, json};

/// The typed parameters of one operation: `checkout.session.create` or `checkout.session.expire`.
struct Operation {
    params: serde_json::Map<String, Value>,
    nested_required: Vec<String>,
}

fn operation(name: &str) -> &'static Operation {
    static ALL: OnceLock<Value> = OnceLock::new();
    static CREATE: OnceLock<Operation> = OnceLock::new();
    static EXPIRE: OnceLock<Operation> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        serde_json::from_str(include_str!("../fixtures/stripe/params.json")).expect("the parameters are JSON")
    });
    let load = || {
        let op = &all["operations"][name];
        Operation {
            params: op["params"].as_object().cloned().unwrap_or_default(),
            nested_required: op["nested_required"]
                .as_array()
                .map(|a| a.iter().filter_map(|p| p.as_str().map(str::to_string)).collect())
                .unwrap_or_default(),
        }
    };
    match name {
        "checkout.session.create" => CREATE.get_or_init(load),
        _ => EXPIRE.get_or_init(load),
    }
}

/// A refusal as Stripe answers it.
pub fn refusal(code: Option<&str>, param: &str, message: &str) -> (u16, String) {
    let error = json!({"error": {"type": "invalid_request_error", "code": code, "param": param, "message": message}});
    (400, error.to_string())
}

/// `line_items[0][price_data][currency]` as its segments: `line_items`, `0`, `price_data`, `currency`.
fn segments(key: &str) -> Vec<&str> {
    key.split('[').map(|s| s.trim_end_matches(']')).collect()
}

/// The typed parameter a wire key is, if any: list indices are `[]`, free-form map keys `[*]`.
fn typed<'a>(op: &'a Operation, key: &str) -> Option<(String, &'a Value)> {
    let parts = segments(key);
    let mut path = parts[0].to_string();
    for part in &parts[1..] {
        let candidates = if part.bytes().all(|b| b.is_ascii_digit()) && !part.is_empty() {
            vec![format!("{path}[]")]
        } else {
            vec![format!("{path}[{part}]"), format!("{path}[*]")]
        };
        let known = |p: &String| op.params.keys().any(|k| k == p || k.starts_with(&format!("{p}[")));
        path = candidates.into_iter().find(known)?;
    }
    op.params.get(&path).map(|spec| (path, spec))
}

/// Refuses what Stripe refuses of `params` for the operation `name`.
pub fn check(name: &str, params: &[(String, String)]) -> Result<(), (u16, String)> {
    let op = operation(name);
    for (key, value) in params {
        let Some((_, spec)) = typed(op, key) else {
            return Err(refusal(Some("parameter_unknown"), key, &format!("Received unknown parameter: {key}")));
        };
        if value.is_empty() {
            if spec["emptyable"] == true || spec["type"] == "empty" {
                continue;
            }
            let message = format!(
                "You passed an empty string for '{key}'. We assume empty values are an attempt to unset a parameter; however '{key}' cannot be unset."
            );
            return Err(refusal(Some("parameter_invalid_empty"), key, &message));
        }
        match spec["type"].as_str() {
            Some("integer") if value.parse::<i64>().is_err() => {
                return Err(refusal(Some("parameter_invalid_integer"), key, &format!("Invalid integer: {value}")));
            }
            Some("boolean") if value != "true" && value != "false" => {
                return Err(refusal(None, key, &format!("Invalid boolean: {value}")));
            }
            Some("enum") => {
                let values: Vec<&str> =
                    spec["values"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                if !values.contains(&value.as_str()) {
                    let name = segments(key).last().copied().unwrap_or_default().to_string();
                    return Err(refusal(None, key, &format!("Invalid {name}: must be one of {}", values.join(", "))));
                }
            }
            Some("empty") => {
                return Err(refusal(None, key, &format!("Invalid {key}: an object, not a string")));
            }
            _ => {}
        }
    }
    nested_required(op, params)?;
    if name == "checkout.session.create" {
        documented_limits(params)?;
    }
    Ok(())
}

/// A sub-object that is sent must hold the keys Stripe requires of it (`price_data[currency]`).
fn nested_required(op: &Operation, params: &[(String, String)]) -> Result<(), (u16, String)> {
    let keys: BTreeSet<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    for key in &keys {
        let parts = segments(key);
        // Every object this key is inside of, as sent (`line_items[0][price_data]`).
        for depth in 1..parts.len() {
            let sent: String = parts[..depth]
                .iter()
                .enumerate()
                .map(|(i, p)| if i == 0 { p.to_string() } else { format!("[{p}]") })
                .collect();
            let Some((typed_parent, _)) = typed_prefix(op, &sent) else { continue };
            for required in op.nested_required.iter().filter_map(|r| r.strip_prefix(&format!("{typed_parent}["))) {
                let Some(child) = required.strip_suffix(']').filter(|c| !c.contains('[')) else { continue };
                let wanted = format!("{sent}[{child}]");
                if !keys.iter().any(|k| *k == wanted || k.starts_with(&format!("{wanted}["))) {
                    return Err(refusal(
                        Some("parameter_missing"),
                        &wanted,
                        &format!("Missing required param: {wanted}."),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The typed path of an object as sent (`line_items[0][price_data]` is `line_items[][price_data]`).
fn typed_prefix(op: &Operation, sent: &str) -> Option<(String, ())> {
    let parts = segments(sent);
    let mut path = parts[0].to_string();
    for part in &parts[1..] {
        path = if part.bytes().all(|b| b.is_ascii_digit()) { format!("{path}[]") } else { format!("{path}[{part}]") };
    }
    op.params.keys().any(|k| k.starts_with(&format!("{path}["))).then_some((path, ()))
}

/// Limits Stripe documents for a Checkout Session beyond the parameters' types.
fn documented_limits(params: &[(String, String)]) -> Result<(), (u16, String)> {
    let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let metadata: Vec<(&str, &str)> = params
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("metadata[")?.strip_suffix(']')?, v.as_str())))
        .collect();
    if metadata.len() > 50 {
        return Err(refusal(None, "metadata", "Metadata can have at most 50 keys."));
    }
    for (key, value) in &metadata {
        if key.chars().count() > 40 {
            return Err(refusal(None, "metadata", &format!("Metadata key `{key}` is longer than 40 characters.")));
        }
        if value.chars().count() > 500 {
            return Err(refusal(
                None,
                "metadata",
                &format!("Metadata value for `{key}` is longer than 500 characters."),
            ));
        }
    }
    for (param, max) in [("custom_text[submit][message]", 1200), ("payment_intent_data[description]", 1000)] {
        if get(param).is_some_and(|v| v.chars().count() > max) {
            return Err(refusal(None, param, &format!("`{param}` may be at most {max} characters.")));
        }
    }
    if get("mode") == Some("subscription") && params.iter().any(|(k, _)| k.starts_with("payment_intent_data[")) {
        return Err(refusal(
            None,
            "payment_intent_data",
            "You can not pass `payment_intent_data` in `subscription` mode.",
        ));
    }
    if let Some(at) = get("expires_at").and_then(|v| v.parse::<i64>().ok()) {
        let ahead = at - crate::stripe_events::now();
        // A minute below for the seconds between the request and this check; five above for
        // the tests that move the local server's clock on by a minute (to a fresh rate window).
        if !(29 * 60..=24 * 3600 + 300).contains(&ahead) {
            let message =
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.";
            return Err(refusal(None, "expires_at", message));
        }
    }
    let items = params.iter().filter(|(k, _)| k.starts_with("line_items[") && k.ends_with("][quantity]")).count();
    if items > 100 {
        return Err(refusal(None, "line_items", "A Checkout Session may have at most 100 line items."));
    }
    let total: i64 = (0..items)
        .map(|i| {
            let unit = get(&format!("line_items[{i}][price_data][unit_amount]")).and_then(|v| v.parse::<i64>().ok());
            let quantity = get(&format!("line_items[{i}][quantity]")).and_then(|v| v.parse::<i64>().ok());
            unit.unwrap_or(0) * quantity.unwrap_or(1)
        })
        .sum();
    // Stripe's least charges (its currencies page), a few, written out here rather than taken
    // from the code under test.
    let least = match get("line_items[0][price_data][currency]").unwrap_or_default() {
        "usd" | "eur" | "aud" | "cad" | "chf" | "sgd" | "jpy" => 50,
        "gbp" => 30,
        "mxn" | "thb" => 1000,
        _ => 0,
    };
    if get("mode") == Some("payment") && total < least {
        return Err(refusal(Some("amount_too_small"), "line_items", &format!("Amount must be at least {least}.")));
    }
    for (key, value) in params.iter().filter(|(k, _)| k.ends_with("[price_data][unit_amount]")) {
        let currency_key = key.replace("[unit_amount]", "[currency]");
        let currency = get(&currency_key).unwrap_or_default();
        let amount: i64 = value.parse().unwrap_or(0);
        let step = match currency {
            "bhd" | "jod" | "kwd" | "omr" | "tnd" => 10,
            "isk" | "ugx" => 100,
            _ => 1,
        };
        if amount % step != 0 {
            let message = format!("Invalid amount: {currency} amounts must be multiples of {step} in the minor unit.");
            return Err(refusal(Some("invalid_amount"), key, &message));
        }
    }
    Ok(())
}
