//! A small Stripe: the Checkout Session endpoints on Stripe's wire format (form-encoded requests,
//! JSON objects shaped like Stripe's published fixtures), with `Idempotency-Key` replay and
//! `Stripe-Account` recorded. No installable Stripe emulator has Checkout Sessions.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;

pub const SECRET_KEY: &str = "sk_test_fake_0123456789";

/// One request as Stripe received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub params: Vec<(String, String)>,
    pub idempotency_key: Option<String>,
    pub stripe_account: Option<String>,
}

impl Recorded {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// What Stripe answered to an idempotency key, and the parameters it was first used with.
struct Replay {
    params: Vec<(String, String)>,
    status: u16,
    body: String,
}

/// How Stripe fails, as it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StripeFault {
    /// `500` with an `api_error`.
    ServerError,
    /// `429` `rate_limit` with `Retry-After`.
    RateLimited,
    /// The request is taken and never answered.
    Hang,
}

#[derive(Default)]
struct State {
    fault: Option<StripeFault>,
    sessions: HashMap<String, Value>,
    created: Vec<String>,
    /// When each session in `created` was made (the machine's clock).
    created_at: Vec<std::time::SystemTime>,
    idempotency: HashMap<String, Replay>,
    requests: Vec<Recorded>,
    /// While set, a session creation is recorded and then waits for `release_sessions`.
    held: Option<(watch::Sender<bool>, watch::Receiver<bool>)>,
}

#[derive(Clone)]
pub struct FakeStripe {
    pub base_url: String,
    state: Arc<Mutex<State>>,
    accept_loop: Arc<tokio::task::JoinHandle<()>>,
}

impl Drop for FakeStripe {
    fn drop(&mut self) {
        if Arc::strong_count(&self.accept_loop) == 1 {
            self.accept_loop.abort();
        }
    }
}

fn fixture() -> Value {
    serde_json::from_str(include_str!("../fixtures/stripe/checkout.session.json")).expect("the fixture is JSON")
}

fn random_suffix() -> String {
    paylinks::domain::random_base62(24)
}

impl FakeStripe {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let base_url = format!("http://{}", listener.local_addr().expect("bound"));
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let accept_loop = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(serve(&state, req).await) }
                    });
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
        Self { base_url, state, accept_loop: Arc::new(accept_loop) }
    }

    /// Every request fails with `fault` until `clear`.
    pub fn fail(&self, fault: StripeFault) {
        self.state.lock().unwrap().fault = Some(fault);
    }

    /// Session creations wait, once recorded, until `release_sessions`: a test can change the
    /// link while an open is making its session.
    pub fn hold_sessions(&self) {
        self.state.lock().unwrap().held = Some(watch::channel(true));
    }

    pub fn release_sessions(&self) {
        if let Some((release, _)) = self.state.lock().unwrap().held.take() {
            let _ = release.send(false);
        }
    }

    pub fn clear(&self) {
        self.state.lock().unwrap().fault = None;
    }

    pub fn sessions_created(&self) -> usize {
        self.state.lock().unwrap().created.len()
    }

    /// When each session was made, in order: how fast Stripe was asked.
    pub fn creation_times(&self) -> Vec<std::time::SystemTime> {
        self.state.lock().unwrap().created_at.clone()
    }

    pub fn session(&self, id: &str) -> Option<Value> {
        self.state.lock().unwrap().sessions.get(id).cloned()
    }

    /// Every session the fake made for a link, as it stands now.
    pub fn sessions_of_link(&self, link_id: &str) -> Vec<Value> {
        let state = self.state.lock().unwrap();
        state
            .created
            .iter()
            .filter_map(|id| state.sessions.get(id))
            .filter(|s| s["metadata"]["link_id"] == link_id)
            .cloned()
            .collect()
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    /// What Stripe does when the customer pays: the session completes.
    pub fn complete(&self, id: &str, payment_status: &str, email: &str, name: &str) -> Value {
        let mut state = self.state.lock().unwrap();
        let session = state.sessions.get_mut(id).expect("a session the fake made");
        session["status"] = json!("complete");
        session["payment_status"] = json!(payment_status);
        session["customer_details"] =
            json!({"email": email, "name": name, "phone": null, "address": null, "tax_exempt": "none", "tax_ids": []});
        session.clone()
    }
}

fn respond(status: u16, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .expect("a valid response")
}

fn error(status: u16, kind: &str, message: &str) -> (u16, String) {
    (status, json!({"error": {"type": kind, "message": message}}).to_string())
}

async fn serve(state: &Mutex<State>, request: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let params: Vec<(String, String)> =
        form_urlencoded::parse(&bytes).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let recorded = Recorded {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        params: params.clone(),
        idempotency_key: header("idempotency-key"),
        stripe_account: header("stripe-account"),
    };
    let (fault, held) = {
        let mut state = state.lock().unwrap();
        state.requests.push(recorded.clone());
        let creates = parts.method == Method::POST && recorded.path == "/v1/checkout/sessions";
        (state.fault, state.held.as_ref().filter(|_| creates).map(|(_, held)| held.clone()))
    };
    if let Some(mut held) = held {
        let _ = held.wait_for(|held| !held).await;
    }
    if let Some(fault) = fault {
        return failed(fault).await;
    }
    let mut state = state.lock().unwrap();
    if header("authorization").as_deref() != Some(&format!("Bearer {SECRET_KEY}")) {
        let (s, b) = error(401, "invalid_request_error", "Invalid API Key provided.");
        return respond(s, b);
    }
    if let Some(replay) = recorded.idempotency_key.as_ref().and_then(|key| state.idempotency.get(key)) {
        return replayed(replay, &params);
    }
    let (status, body) = route(&mut state, &parts.method, &recorded.path, &params);
    if let Some(key) = recorded.idempotency_key {
        // Stripe replays what it answered, errors included, except when it failed on its side.
        if status < 500 {
            state.idempotency.insert(key, Replay { params, status, body: body.clone() });
        }
    }
    respond(status, body)
}

/// How Stripe fails: never (a hang), or with its error body.
async fn failed(fault: StripeFault) -> Response<Full<Bytes>> {
    match fault {
        StripeFault::Hang => std::future::pending().await,
        StripeFault::ServerError => {
            let (s, b) = error(500, "api_error", "An unknown error occurred.");
            respond(s, b)
        }
        StripeFault::RateLimited => {
            let (s, b) = error(429, "invalid_request_error", "Too many requests hit the API too quickly.");
            let mut response = respond(s, b);
            response.headers_mut().insert("retry-after", "1".parse().expect("a header value"));
            response
        }
    }
}

/// A request with an idempotency key Stripe saw: its first answer, if the parameters match.
fn replayed(replay: &Replay, params: &[(String, String)]) -> Response<Full<Bytes>> {
    // Stripe compares the parameters, not the order the client wrote them in.
    let sorted = |p: &[(String, String)]| {
        let mut p = p.to_vec();
        p.sort();
        p
    };
    if sorted(&replay.params) != sorted(params) {
        let (s, b) = error(
            400,
            "idempotency_error",
            "Keys for idempotent requests can only be used with the same parameters they were first used with.",
        );
        return respond(s, b);
    }
    respond(replay.status, replay.body.clone())
}

fn route(state: &mut State, method: &Method, path: &str, params: &[(String, String)]) -> (u16, String) {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let operation = match (method, segments.as_slice()) {
        (&Method::POST, ["v1", "checkout", "sessions"]) => Some("checkout.session.create"),
        (&Method::POST, ["v1", "checkout", "sessions", _, "expire"]) => Some("checkout.session.expire"),
        _ => None,
    };
    // Stripe refuses what its API does not take before it does anything.
    if let Some(Err(refused)) = operation.map(|op| crate::stripe_params::check(op, params)) {
        return refused;
    }
    match (method, segments.as_slice()) {
        (&Method::POST, ["v1", "checkout", "sessions"]) => create_session(state, params),
        (&Method::GET, ["v1", "checkout", "sessions", id]) => match state.sessions.get(*id) {
            Some(s) => (200, s.to_string()),
            None => error(404, "invalid_request_error", "No such checkout.session"),
        },
        (&Method::POST, ["v1", "checkout", "sessions", id, "expire"]) => match state.sessions.get_mut(*id) {
            Some(s) if s["status"] == "open" => {
                s["status"] = json!("expired");
                (200, s.to_string())
            }
            Some(_) => {
                error(400, "invalid_request_error", "Only Checkout Sessions with a status of `open` can be expired.")
            }
            None => error(404, "invalid_request_error", "No such checkout.session"),
        },
        _ => error(404, "invalid_request_error", "Unrecognized request URL."),
    }
}

fn create_session(state: &mut State, params: &[(String, String)]) -> (u16, String) {
    let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let Some(mode) = get("mode") else { return error(400, "invalid_request_error", "Missing required param: mode.") };
    let (Some(success_url), Some(currency)) = (get("success_url"), get("line_items[0][price_data][currency]")) else {
        return error(400, "invalid_request_error", "Missing required param: line_items or success_url.");
    };
    let mut total = 0i64;
    for i in 0.. {
        let Some(unit) = get(&format!("line_items[{i}][price_data][unit_amount]")) else { break };
        let quantity: i64 = get(&format!("line_items[{i}][quantity]")).and_then(|q| q.parse().ok()).unwrap_or(1);
        total += unit.parse::<i64>().unwrap_or(0) * quantity;
    }
    let metadata: serde_json::Map<String, Value> = params
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("metadata[")?.strip_suffix(']')?.to_string(), json!(v))))
        .collect();
    let id = format!("cs_test_{}", random_suffix());
    let mut session = fixture();
    session["id"] = json!(id);
    session["url"] = json!(format!("https://checkout.stripe.com/c/pay/{id}"));
    session["mode"] = json!(mode);
    session["status"] = json!("open");
    session["payment_status"] = json!("unpaid");
    session["currency"] = json!(currency);
    session["amount_subtotal"] = json!(total);
    session["amount_total"] = json!(total);
    session["success_url"] = json!(success_url);
    session["cancel_url"] = json!(get("cancel_url"));
    session["client_reference_id"] = json!(get("client_reference_id"));
    session["customer_email"] = json!(get("customer_email"));
    session["metadata"] = Value::Object(metadata);
    session["expires_at"] = json!(get("expires_at").and_then(|e| e.parse::<i64>().ok()).unwrap_or(0));
    session["livemode"] = json!(false);
    state.sessions.insert(id.clone(), session.clone());
    state.created.push(id);
    state.created_at.push(std::time::SystemTime::now());
    (200, session.to_string())
}
