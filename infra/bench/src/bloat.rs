//! What `cargo bloat --crates` shows, read from the binaries already built (with symbols) instead
//! of relinking each function alone: the code (`.text` symbols) of each function by crate, from
//! `nm`'s sizes and demangled names. Like cargo bloat's, the attribution of generic code is a guess
//! (it goes to the crate whose path the symbol's name starts with).

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

/// The `top` crates by code size, and the total, in bytes; `None` when `nm` cannot read it.
pub fn by_crate(binary: &Path, top: usize) -> Option<(Vec<(String, u64)>, u64)> {
    let out =
        Command::new("nm").args(["--print-size", "--demangle=rust", "--defined-only"]).arg(binary).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let mut sizes: HashMap<String, u64> = HashMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut parts = line.splitn(4, ' ');
        let (Some(_), Some(size), Some(kind), Some(name)) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if !matches!(kind, "t" | "T" | "w" | "W") {
            continue;
        }
        let Ok(size) = u64::from_str_radix(size, 16) else { continue };
        *sizes.entry(crate_of(name)).or_default() += size;
    }
    let total = sizes.values().sum();
    let mut crates: Vec<_> = sizes.into_iter().collect();
    crates.sort_by_key(|(_, size)| std::cmp::Reverse(*size));
    crates.truncate(top);
    Some((crates, total))
}

fn crate_of(symbol: &str) -> String {
    let name =
        symbol.trim_start_matches('<').trim_start_matches("impl ").trim_start_matches('&').trim_start_matches("dyn ");
    let head = name.split("::").next().unwrap_or(name);
    if !name.contains("::") {
        // C and assembly: aws-lc's symbols carry its version prefix.
        return if head.starts_with("aws_lc_") { "aws_lc_sys (C)".into() } else { "[C or unnamed]".into() };
    }
    head.split(['<', ' ', '>']).next().unwrap_or(head).to_string()
}
