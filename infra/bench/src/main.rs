//! `./infra/bench.sh`: the numbers that decide how the functions feel on Lambda.
//! - binary size of each function's release build;
//! - cold start: process start to its first Runtime API request (`GET …/invocation/next`), against
//!   a local stand-in of the Lambda Runtime API;
//! - peak memory (VmHWM) of each function after it served one invocation;
//! - handler time of the hot paths on the embedded adapters.
//!
//! It prints numbers; nothing asserts on them.

mod handlers;
mod runtime_api;

use std::path::PathBuf;

fn main() {
    let release = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "target/release".into()));
    let functions = ["create-link", "send-email", "send-sms", "redeem-link", "stripe-webhook", "manage-links"];
    println!("{:<16} {:>10} {:>16} {:>14}", "function", "size", "cold start", "peak RSS");
    for function in functions {
        let binary = release.join(function);
        let size = std::fs::metadata(&binary).map(|m| m.len()).unwrap_or(0);
        let (cold, peak) = runtime_api::measure(&binary, 5);
        println!(
            "{function:<16} {:>7.1} MB {:>13.2} ms {:>11.1} MB",
            size as f64 / 1_048_576.0,
            cold.as_secs_f64() * 1000.0,
            peak as f64 / 1024.0
        );
    }
    println!();
    handlers::run();
}
