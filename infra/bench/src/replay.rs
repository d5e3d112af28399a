//! Between the functions and moto during the cold-start runs. The first run of a function reaches
//! moto and its answers are recorded; every later run is answered from that recording at once. So
//! the time measured is the function's own (signing, connecting, parsing, its logic), not moto's
//! (a few milliseconds per call in Python). What DynamoDB itself adds in the cloud is in the
//! round-trip table, counted separately.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

#[derive(Clone)]
struct Answer {
    status: u16,
    headers: Vec<(String, Bytes)>,
    body: Bytes,
}

#[derive(Default)]
struct Tape {
    recording: bool,
    /// Each operation's answers, in the order the recorded run asked for them.
    answers: HashMap<String, Vec<Answer>>,
    /// How many of each operation's answers this run has used.
    played: HashMap<String, usize>,
}

#[derive(Clone)]
pub struct Replay {
    /// Give this to the functions as `AWS_ENDPOINT_URL`.
    pub url: String,
    upstream: String,
    tape: Arc<Mutex<Tape>>,
    http: reqwest::Client,
}

impl Replay {
    pub async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let url = format!("http://{}", listener.local_addr().expect("bound"));
        let replay = Self { url, upstream, tape: Arc::default(), http: reqwest::Client::new() };
        tokio::spawn(accept(listener, replay.clone()));
        replay
    }

    /// The next run reaches moto, and its answers become the tape.
    pub fn record(&self) {
        let mut tape = self.tape.lock().expect("tape");
        *tape = Tape { recording: true, ..Tape::default() };
    }

    /// The next run is answered from the tape, from its beginning.
    pub fn rewind(&self) {
        let mut tape = self.tape.lock().expect("tape");
        tape.recording = false;
        tape.played.clear();
    }

    async fn answer(&self, request: Request<hyper::body::Incoming>) -> Answer {
        let (parts, body) = request.into_parts();
        let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        let key = operation(&parts, &body);
        if !self.tape.lock().expect("tape").recording {
            return self.played_back(&key);
        }
        let answer = self.forwarded(&parts, body).await;
        self.tape.lock().expect("tape").answers.entry(key).or_default().push(answer.clone());
        answer
    }

    fn played_back(&self, key: &str) -> Answer {
        let mut tape = self.tape.lock().expect("tape");
        let turn = tape.played.entry(key.to_string()).or_default();
        let index = *turn;
        *turn += 1;
        tape.answers.get(key).and_then(|answers| answers.get(index)).cloned().unwrap_or_else(|| Answer {
            status: 599,
            headers: Vec::new(),
            body: Bytes::from(format!("the recorded run never asked for {key} #{index}")),
        })
    }

    async fn forwarded(&self, parts: &hyper::http::request::Parts, body: Bytes) -> Answer {
        let url = format!("{}{}", self.upstream, parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"));
        let mut request = self.http.request(parts.method.clone(), url).body(body);
        for (name, value) in &parts.headers {
            if name != "host" && name != "content-length" {
                request = request.header(name, value);
            }
        }
        let Ok(response) = request.send().await else {
            return Answer { status: 502, headers: Vec::new(), body: Bytes::from_static(b"moto did not answer") };
        };
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter(|(name, _)| *name != "content-length" && *name != "transfer-encoding" && *name != "connection")
            .map(|(name, value)| (name.to_string(), Bytes::copy_from_slice(value.as_bytes())))
            .collect();
        Answer { status, headers, body: response.bytes().await.unwrap_or_default() }
    }
}

/// DynamoDB's `X-Amz-Target`, SNS's form `Action`, or SES v2's method and path.
fn operation(parts: &hyper::http::request::Parts, body: &[u8]) -> String {
    if let Some(target) = parts.headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        return target.to_string();
    }
    if let Some((_, action)) = form_urlencoded::parse(body).find(|(name, _)| name == "Action") {
        return action.into_owned();
    }
    format!("{} {}", parts.method, parts.uri.path())
}

async fn accept(listener: TcpListener, replay: Replay) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { return };
        let replay = replay.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let replay = replay.clone();
                async move {
                    let answer = replay.answer(request).await;
                    let mut response = Response::builder().status(answer.status);
                    for (name, value) in &answer.headers {
                        response = response.header(name.as_str(), value.as_ref());
                    }
                    Ok::<_, Infallible>(response.body(Full::new(answer.body)).expect("a response"))
                }
            });
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}
