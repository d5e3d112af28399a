//! `./infra/bench.sh`: the numbers that decide how the functions feel on Lambda, each function beside
//! the floor (an empty `lambda_runtime` function built in the same run):
//! - binary size of each function's release build, and its code by crate (what `cargo bloat` shows);
//! - init: process start to the first Runtime API request (`GET …/invocation/next`), against a
//!   local stand-in of the Lambda Runtime API;
//! - first invocation: a realistic event (a merchant's create, a customer's open, Stripe's signed
//!   event…) handed over to its answer, with the AWS answers replayed from moto (see `replay.rs`);
//! - peak memory (VmHWM) after that first invocation;
//! - handler time of the hot paths on the embedded adapters.
//!
//! It prints numbers; nothing asserts on them.

mod bloat;
mod crowd;
mod events;
mod handlers;
mod replay;
mod runtime_api;
mod scenario;

use std::path::{Path, PathBuf};
use std::time::Duration;

use runtime_api::Start;

const FUNCTIONS: [&str; 11] = [
    "create-link",
    "send-email",
    "send-sms",
    "manage-links",
    "redeem-link",
    "stripe-webhook",
    "link-cleanup",
    "send-reminders",
    "delivery-events",
    "send-webhooks",
    "link-qr",
];
/// The AWS SDK's own share: `lambda_runtime` plus one DynamoDB read per event (infra/sdk-floor),
/// measured first, like a function, so each function's gap to the floor splits into the SDK's and ours.
const SDK_FLOOR: &str = "sdk-floor";
/// Cold starts per function after the one whose AWS answers are recorded.
const RUNS: usize = 21;
const MIB: f64 = 1_048_576.0;

fn main() {
    // `BENCH_ONLY=crowd`: the crowd on one hot link alone.
    if std::env::var("BENCH_ONLY").as_deref() == Ok("crowd") {
        crowd::run();
        return;
    }
    let mut args = std::env::args().skip(1);
    let stripped = PathBuf::from(args.next().unwrap_or_else(|| "target/bench/bin".into()));
    let symbols = PathBuf::from(args.next().unwrap_or_else(|| "target/symbols".into()));
    sizes(&stripped);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let measured = runtime.block_on(cold_starts(&stripped));
    drop(runtime);
    report(&measured);
    code_by_crate(&symbols);
    println!();
    handlers::run();
    println!();
    crowd::run();
}

fn sizes(dir: &Path) {
    println!("Release binaries, stripped (target: ≤ 8 MiB; ratio to the floor)");
    let floor = size_of(&dir.join("floor"));
    for name in ["floor", SDK_FLOOR].into_iter().chain(FUNCTIONS) {
        let size = size_of(&dir.join(name));
        println!("  {name:<16} {:>6.2} MiB {:>6.1}×", size as f64 / MIB, size as f64 / floor.max(1) as f64);
    }
    println!();
}

fn size_of(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// The median of each measure over `RUNS` cold starts, the highest peak RSS, and the last answer.
struct Measured {
    name: &'static str,
    init: Duration,
    first: Duration,
    total: Duration,
    peak_rss_kib: u64,
    private_kib: u64,
    answer: String,
}

async fn cold_starts(dir: &Path) -> Vec<Measured> {
    let floor_event = serde_json::json!({"hello": "world"}).to_string();
    let mut measured = vec![summarise("floor", &runs(&dir.join("floor"), &[], &floor_event, None).await)];
    let world = scenario::World::new().await;
    // `BENCH_ONLY=create-link` measures one function (for a profiler's eyes: `perf record`).
    let only = std::env::var("BENCH_ONLY").ok();
    let measured_here = std::iter::once(SDK_FLOOR).chain(FUNCTIONS);
    for name in measured_here.filter(|name| only.as_deref().is_none_or(|only| only == *name)) {
        let event = world.event_for(name).await;
        // The first run reaches moto and is recorded; the runs measured are answered from it.
        world.replay.record();
        let _ = runtime_api::cold_start(&dir.join(name), &world.env(), &event).await;
        measured.push(summarise(name, &runs(&dir.join(name), &world.env(), &event, Some(&world.replay)).await));
    }
    measured
}

async fn runs(binary: &Path, env: &[(String, String)], event: &str, replay: Option<&replay::Replay>) -> Vec<Start> {
    let mut starts = Vec::new();
    // Under a tool (BENCH_WRAP) one start is enough.
    let runs = if std::env::var_os("BENCH_WRAP").is_some() { 1 } else { RUNS };
    for _ in 0..runs {
        if let Some(replay) = replay {
            replay.rewind();
        }
        starts.extend(runtime_api::cold_start(binary, env, event).await);
    }
    starts
}

fn summarise(name: &'static str, starts: &[Start]) -> Measured {
    let median = |pick: &dyn Fn(&Start) -> Duration| {
        let mut all: Vec<Duration> = starts.iter().map(pick).collect();
        all.sort();
        all.get(all.len() / 2).copied().unwrap_or_default()
    };
    Measured {
        name,
        init: median(&|s| s.init),
        first: median(&|s| s.first_invocation),
        total: median(&|s| s.init + s.first_invocation),
        peak_rss_kib: starts.iter().map(|s| s.peak_rss_kib).max().unwrap_or(0),
        private_kib: starts.iter().map(|s| s.private_kib).max().unwrap_or(0),
        answer: starts.last().map(|s| answer_summary(&s.answer)).unwrap_or_else(|| "(no answer)".into()),
    }
}

/// An HTTP function's status code, or the start of what it answered.
fn answer_summary(answer: &str) -> String {
    let status = serde_json::from_str::<serde_json::Value>(answer).ok().and_then(|v| v["statusCode"].as_u64());
    status.map(|s| s.to_string()).unwrap_or_else(|| answer.chars().take(40).collect())
}

fn report(measured: &[Measured]) {
    println!("Cold start, median of {RUNS} (target: init + first invocation ≤ 1.25× sdk-floor's, built in this run)");
    println!(
        "  {:<16} {:>9} {:>12} {:>12} {:>7} {:>7} {:>10} {:>7} {:>9}  answer",
        "function", "init", "first event", "init+first", "×floor", "×sdk", "peak RSS", "×floor", "private"
    );
    let Some(floor) = measured.first() else { return };
    let sdk_floor = measured.iter().find(|m| m.name == SDK_FLOOR).unwrap_or(floor);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    for m in measured {
        println!(
            "  {:<16} {:>6.2} ms {:>9.2} ms {:>9.2} ms {:>6.2}× {:>6.2}× {:>7.1} MB {:>6.2}× {:>6.1} MB  {}",
            m.name,
            ms(m.init),
            ms(m.first),
            ms(m.total),
            ms(m.total) / ms(floor.total).max(f64::EPSILON),
            ms(m.total) / ms(sdk_floor.total).max(f64::EPSILON),
            m.peak_rss_kib as f64 / 1024.0,
            m.peak_rss_kib as f64 / floor.peak_rss_kib.max(1) as f64,
            m.private_kib as f64 / 1024.0,
            m.answer
        );
    }
    println!("  (private: RssAnon, the process's own memory; the rest of its RSS is its binary's and libc's");
    println!("  pages mapped from the page cache, which grows with the binary's size)");
    println!();
}

fn code_by_crate(symbols: &Path) {
    println!("Code (.text) by crate, from the symbols of the same build (what `cargo bloat --crates` shows)");
    for name in std::iter::once(SDK_FLOOR).chain(FUNCTIONS) {
        let Some((crates, total)) = bloat::by_crate(&symbols.join(name), 8) else {
            println!("  {name}: (no symbols to read)");
            continue;
        };
        let listed: Vec<String> = crates.iter().map(|(c, size)| format!("{c} {:.0}K", *size as f64 / 1024.0)).collect();
        println!("  {name:<16} {:.2} MiB: {}", total as f64 / MIB, listed.join(", "));
    }
}
