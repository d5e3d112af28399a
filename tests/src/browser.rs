//! Pages and emails looked at in a real browser: headless Chromium (Debian's `chromium`, which the
//! test command installs), at a phone's width and a desktop's. Each document is saved under
//! `target/screens/` with a screenshot at each width, and measured: its content must be no wider
//! than the viewport (nothing pushes the screen sideways).
//!
//! Headless Chromium lays a window out no narrower than 500 px, so the measuring is done in an
//! `<iframe>` of the exact width: a copy of the document reports its `scrollWidth` to the frame's
//! host, which Chromium then prints with `--dump-dom`.

use std::path::{Path, PathBuf};
use std::process::Command;

pub const WIDTHS: [u32; 2] = [360, 1280];

pub fn screens_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screens");
    std::fs::create_dir_all(&dir).expect("target/screens");
    dir.canonicalize().expect("a path")
}

fn chromium(args: &[String]) -> String {
    let profile = tempfile_dir();
    let browser = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let output = Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("chromium runs (the test command installs Debian's chromium)");
    let _ = std::fs::remove_dir_all(&profile);
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("paylinks-chromium-{}", paylinks::domain::random_base62(10)));
    std::fs::create_dir_all(&dir).expect("a profile directory");
    dir
}

/// How wide `html`'s content lays out in a viewport `width` px wide: (content, viewport).
fn measure(dir: &Path, name: &str, html: &str, width: u32) -> (u32, u32) {
    let report = r#"<script>addEventListener("load", () => parent.postMessage(document.documentElement.scrollWidth + "/" + innerWidth, "*"))</script>"#;
    let measured = match html.rfind("</body>") {
        Some(at) => format!("{}{report}{}", &html[..at], &html[at..]),
        None => format!("{html}{report}"),
    };
    let copy = dir.join(format!("{name}.measure.html"));
    std::fs::write(&copy, measured).expect("written");
    let host = dir.join(format!("{name}.host-{width}.html"));
    let frame = format!(
        r#"<!doctype html><body style="margin:0"><iframe src="{}" width="{width}" height="900" style="border:0"></iframe><script>addEventListener("message", e => document.body.setAttribute("data-width", e.data))</script></body>"#,
        copy.file_name().unwrap().to_string_lossy()
    );
    std::fs::write(&host, frame).expect("written");
    let dom = chromium(&[
        "--window-size=1400,1000".into(),
        "--virtual-time-budget=5000".into(),
        "--dump-dom".into(),
        format!("file://{}", host.display()),
    ]);
    let found = dom
        .split("data-width=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("{name}: no measurement in {dom}"));
    let (content, viewport) = found.split_once('/').expect("content/viewport");
    (content.parse().unwrap(), viewport.parse().unwrap())
}

/// Saves `html` as `target/screens/{name}.html`, screenshots it at each width, and asserts its
/// content is no wider than the viewport at each.
pub fn look_at(name: &str, html: &str) {
    let dir = screens_dir();
    let page = dir.join(format!("{name}.html"));
    std::fs::write(&page, html).expect("written");
    for width in WIDTHS {
        let shot = dir.join(format!("{name}-{width}.png"));
        let _ = std::fs::remove_file(&shot);
        chromium(&[
            format!("--window-size={width},1000"),
            format!("--screenshot={}", shot.display()),
            format!("file://{}", page.display()),
        ]);
        assert!(shot.exists(), "{name}: a screenshot at {width} px");
        let (content, viewport) = measure(&dir, name, html, width);
        assert_eq!(viewport, width, "{name}: measured in a {width}-px viewport");
        assert!(content <= viewport, "{name} at {width} px is {content} px wide: it scrolls sideways");
    }
}
