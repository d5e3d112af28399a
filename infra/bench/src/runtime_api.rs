//! A stand-in for the Lambda Runtime API: enough to see when a function asks for its first
//! event, hand it one, and read back its answer.

use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// An API Gateway v2 event the function answers without reaching AWS (an unknown route).
const EVENT: &str = r#"{"version":"2.0","routeKey":"$default","rawPath":"/nowhere","rawQueryString":"","headers":{},"requestContext":{"http":{"method":"GET","path":"/nowhere","protocol":"HTTP/1.1","sourceIp":"127.0.0.1","userAgent":"bench"},"requestId":"bench","routeKey":"$default","stage":"$default","timeEpoch":0},"isBase64Encoded":false}"#;

enum Seen {
    Next,
    Response,
}

async fn serve(listener: TcpListener, seen: mpsc::Sender<Seen>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { return };
        let seen = seen.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let seen = seen.clone();
                async move {
                    let path = request.uri().path().to_string();
                    let _ = request.into_body().collect().await;
                    let response = if path.ends_with("/invocation/next") {
                        let _ = seen.send(Seen::Next);
                        hyper::Response::builder()
                            .header("lambda-runtime-aws-request-id", "bench-1")
                            .header("lambda-runtime-deadline-ms", "99999999999999")
                            .header(
                                "lambda-runtime-invoked-function-arn",
                                "arn:aws:lambda:us-east-1:000000000000:function:bench",
                            )
                            .body(Full::new(Bytes::from_static(EVENT.as_bytes())))
                    } else {
                        let _ = seen.send(Seen::Response);
                        hyper::Response::builder().status(202).body(Full::new(Bytes::new()))
                    };
                    Ok::<_, std::convert::Infallible>(response.expect("a valid response"))
                }
            });
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// The median cold start over `runs` starts, and the peak RSS after one invocation.
pub fn measure(binary: &std::path::Path, runs: usize) -> (Duration, u64) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let mut starts = Vec::new();
    let mut peak = 0;
    for _ in 0..runs {
        let (tx, rx) = mpsc::channel();
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).expect("a port");
        let addr = listener.local_addr().expect("bound");
        runtime.spawn(serve(listener, tx));
        let started = Instant::now();
        let child = Command::new(binary)
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "bench")
            .env("AWS_SECRET_ACCESS_KEY", "bench")
            .env("TABLE_NAME", "bench")
            .env("PUBLIC_BASE_URL", "https://pay.example.com")
            .env("TOKEN_SIGNING_SECRET", "bench-secret-bench-secret-bench-secret")
            .env("STRIPE_SECRET_KEY", "sk_test_bench")
            .env("STRIPE_WEBHOOK_SECRET", "whsec_bench")
            .env("EMAIL_FROM", "payments@example.com")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(mut child) = child else { return (Duration::ZERO, 0) };
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(Seen::Next) => starts.push(started.elapsed()),
            // It never asked for an event: misconfigured here, so there is nothing to measure.
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return (Duration::ZERO, 0);
            }
        }
        let _ = rx.recv_timeout(Duration::from_secs(10));
        peak = peak.max(peak_rss_kib(child.id()));
        let _ = child.kill();
        let _ = child.wait();
    }
    starts.sort();
    (starts.get(starts.len() / 2).copied().unwrap_or_default(), peak)
}
