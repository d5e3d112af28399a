//! A function that is not configured properly refuses to start, naming the setting.

use std::process::Command;

fn start_with(vars: &[(&str, &str)]) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_create-link"))
        .env_clear()
        .envs(vars.iter().copied())
        .output()
        .expect("the binary runs");
    (output.status.code(), String::from_utf8_lossy(&output.stderr).to_string())
}

const BASE: &[(&str, &str)] =
    &[("AWS_REGION", "us-east-1"), ("TABLE_NAME", "links"), ("PUBLIC_BASE_URL", "https://pay.example.com")];

#[test]
fn a_token_secret_shorter_than_32_bytes_stops_the_function() {
    let mut vars = BASE.to_vec();
    vars.push(("TOKEN_SIGNING_SECRET", "too-short"));
    let (code, stderr) = start_with(&vars);
    assert_eq!(code, Some(78));
    assert!(stderr.contains("TOKEN_SIGNING_SECRET"), "{stderr}");
    assert!(!stderr.contains("too-short"), "the secret itself is never printed");
}

#[test]
fn a_missing_setting_is_named() {
    let (code, stderr) = start_with(&[("AWS_REGION", "us-east-1")]);
    assert_eq!(code, Some(78));
    assert!(stderr.contains("TABLE_NAME"), "{stderr}");
}
