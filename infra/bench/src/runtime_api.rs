//! A stand-in for the Lambda Runtime API: it sees when a function first asks for an event, hands
//! it one, reads back its answer, and then holds the next request as Lambda does between events.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// One cold start of a function.
#[derive(Debug, Clone)]
pub struct Start {
    /// Process start to its first `GET …/invocation/next`.
    pub init: Duration,
    /// From handing it the event to its answer arriving.
    pub first_invocation: Duration,
    /// VmHWM after the answer, in KiB.
    pub peak_rss_kib: u64,
    /// RssAnon after the answer, in KiB: the process's own memory. The rest of its RSS is mapped
    /// file pages (its binary, libc), shared page cache that the kernel can drop.
    pub private_kib: u64,
    /// What it answered, to show the event did what it should.
    pub answer: String,
}

enum Seen {
    Next(Instant),
    Answer(Instant, String),
}

async fn serve(listener: TcpListener, event: Arc<str>, seen: mpsc::UnboundedSender<Seen>) {
    let handed = Arc::new(AtomicBool::new(false));
    loop {
        let Ok((stream, _)) = listener.accept().await else { return };
        let (seen, event, handed) = (seen.clone(), event.clone(), handed.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let (seen, event, handed) = (seen.clone(), event.clone(), handed.clone());
                async move {
                    let arrived = Instant::now();
                    let path = request.uri().path().to_string();
                    let body = request.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                    if !path.ends_with("/invocation/next") {
                        let _ = seen.send(Seen::Answer(arrived, String::from_utf8_lossy(&body).into_owned()));
                        return Ok(hyper::Response::builder()
                            .status(202)
                            .body(Full::new(Bytes::new()))
                            .expect("a response"));
                    }
                    if handed.swap(true, Ordering::SeqCst) {
                        // Between events Lambda freezes the function; holding the request is the same.
                        std::future::pending::<()>().await;
                    }
                    let _ = seen.send(Seen::Next(arrived));
                    Ok::<_, std::convert::Infallible>(
                        hyper::Response::builder()
                            .header("lambda-runtime-aws-request-id", "bench-1")
                            .header("lambda-runtime-deadline-ms", "99999999999999")
                            .header(
                                "lambda-runtime-invoked-function-arn",
                                "arn:aws:lambda:us-east-1:000000000000:function:bench",
                            )
                            .body(Full::new(Bytes::copy_from_slice(event.as_bytes())))
                            .expect("a response"),
                    )
                }
            });
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

async fn within(rx: &mut mpsc::UnboundedReceiver<Seen>, patience: Duration) -> Option<Seen> {
    tokio::time::timeout(patience, rx.recv()).await.ok().flatten()
}

/// A `/proc/{pid}/status` field in KiB (`VmHWM`, `RssAnon`).
fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.strip_prefix(field).is_some_and(|r| r.starts_with(':'))).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// Starts `binary` with only `env`, hands it `event`, and measures; `None` if it never asked for
/// an event or never answered within ten seconds, a minute under a tool (misconfigured here: nothing
/// to measure).
pub async fn cold_start(binary: &std::path::Path, env: &[(String, String)], event: &str) -> Option<Start> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let listener = TcpListener::bind("127.0.0.1:0").await.ok()?;
    let address = listener.local_addr().ok()?;
    let server = tokio::spawn(serve(listener, Arc::from(event), tx));
    // `BENCH_WRAP="valgrind --tool=callgrind"` starts the function under a tool (infra/symbol-order.sh).
    let wrap: Vec<String> =
        std::env::var("BENCH_WRAP").map(|w| w.split_whitespace().map(String::from).collect()).unwrap_or_default();
    let mut command = match wrap.split_first() {
        Some((tool, args)) => {
            let mut command = Command::new(tool);
            command.args(args).arg(binary);
            command
        }
        None => Command::new(binary),
    };
    let started = Instant::now();
    let mut child = command
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let patience = Duration::from_secs(if wrap.is_empty() { 10 } else { 60 });
    let start = match within(&mut rx, patience).await {
        Some(Seen::Next(asked)) => match within(&mut rx, patience).await {
            Some(Seen::Answer(answered, answer)) => Some(Start {
                init: asked - started,
                first_invocation: answered - asked,
                peak_rss_kib: status_kib(child.id(), "VmHWM"),
                private_kib: status_kib(child.id(), "RssAnon"),
                answer,
            }),
            _ => None,
        },
        _ => None,
    };
    if wrap.is_empty() {
        let _ = child.kill();
    } else {
        // A tool writes what it saw when the function ends by a signal it can catch.
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    }
    let _ = child.wait();
    server.abort();
    start
}
