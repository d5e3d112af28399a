//! A proxy between the SDK and moto that forwards every request, records what each one asked
//! for, and, when told, answers chosen operations as AWS does when it fails: DynamoDB's JSON
//! errors (`__type`, `CancellationReasons`), SES v2's REST errors (`x-amzn-ErrorType`), SNS's XML
//! errors, SQS's JSON errors (`x-amzn-query-error`), or no answer at all. The SDK parses those answers itself, so the code under test meets
//! exactly what it would meet in the cloud. It also counts round trips.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// Which AWS wire protocol a request spoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// awsJson1_0, operation in `X-Amz-Target`.
    DynamoDb,
    /// restJson1 under `/v2/email`.
    SesV2,
    /// awsQuery, operation in the form field `Action`.
    Sns,
    /// awsJson1_0, operation in `X-Amz-Target` (`AmazonSQS.…`).
    Sqs,
}

/// One request as it reached AWS.
#[derive(Debug, Clone)]
pub struct Call {
    pub service: Service,
    pub operation: String,
    /// DynamoDB's and SQS's JSON request, SES's JSON body, or SNS's form fields as a JSON object.
    pub input: Value,
    /// Answered with an injected fault instead of reaching AWS.
    pub faulted: bool,
    /// When the proxy took the call, and when it answered it (unset while in flight): calls
    /// whose spans overlap were sent side by side.
    pub started: std::time::Instant,
    pub ended: Option<std::time::Instant>,
}

impl Call {
    fn taken(service: Service, operation: String, input: Value) -> Self {
        Self { service, operation, input, faulted: false, started: std::time::Instant::now(), ended: None }
    }
}

/// Round trips waited on one after another: the longest chain of calls each sent after the one
/// before it was answered (calls sent side by side count once).
pub fn in_sequence(calls: &[Call]) -> usize {
    let mut calls: Vec<&Call> = calls.iter().collect();
    calls.sort_by_key(|c| c.started);
    let mut chain = vec![1; calls.len()];
    for j in 0..calls.len() {
        for i in 0..j {
            if calls[i].ended.is_some_and(|end| end <= calls[j].started) {
                chain[j] = chain[j].max(chain[i] + 1);
            }
        }
    }
    chain.into_iter().max().unwrap_or(0)
}

/// How AWS fails an operation.
#[derive(Debug, Clone)]
pub enum Fault {
    /// DynamoDB cancels a transaction; one reason per item, `None` for the items that were fine.
    TransactionCanceled(Vec<&'static str>),
    /// DynamoDB's `ThrottlingException`.
    Throttling,
    /// DynamoDB's `ProvisionedThroughputExceededException`.
    ThroughputExceeded,
    /// A 500 of the service (DynamoDB's `InternalServerError`, SES's and SNS's `InternalFailure`).
    InternalError,
    /// SES v2's `TooManyRequestsException` (429), SNS's `Throttling`.
    TooManyRequests,
    /// The request is taken and never answered.
    Hang,
    /// IAM refuses the call (DynamoDB's and SES's `AccessDeniedException`, SNS's
    /// `AuthorizationError`), with AWS's message naming the action and resource.
    AccessDenied(String),
}

struct Rule {
    operation: String,
    /// Calls of the operation that still pass before this rule bites.
    passing: u32,
    fault: Fault,
    /// How many more calls fail; `None`: every call until cleared.
    remaining: Option<u32>,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    calls: Vec<Call>,
    /// When set, each call is authorised as IAM would before it reaches moto.
    policy: Option<crate::iam::Policy>,
    /// Held before each call goes on, as a network would: calls sent side by side then overlap
    /// however fast moto answers (`in_sequence`).
    latency: std::time::Duration,
}

#[derive(Clone)]
pub struct AwsProxy {
    /// Give this to the SDK as its endpoint.
    pub url: String,
    state: Arc<Mutex<State>>,
    accept_loop: Arc<tokio::task::JoinHandle<()>>,
}

impl Drop for AwsProxy {
    fn drop(&mut self) {
        if Arc::strong_count(&self.accept_loop) == 1 {
            self.accept_loop.abort();
        }
    }
}

impl AwsProxy {
    /// A proxy in front of `upstream` (a moto server's URL).
    pub async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("bound"));
        let state = Arc::new(Mutex::new(State::default()));
        let client = reqwest::Client::new();
        let shared = state.clone();
        let accept_loop = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let (state, client, upstream) = (shared.clone(), client.clone(), upstream.clone());
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let (state, client, upstream) = (state.clone(), client.clone(), upstream.clone());
                        async move { Ok::<_, Infallible>(relay(&state, &client, &upstream, request).await) }
                    });
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
        Self { url, state, accept_loop: Arc::new(accept_loop) }
    }

    /// Every call of `operation` fails with `fault` until `clear`.
    pub fn fail(&self, operation: &str, fault: Fault) {
        self.fail_after(operation, 0, fault);
    }

    /// The first `passing` calls of `operation` go through; every later one fails until `clear`.
    pub fn fail_after(&self, operation: &str, passing: u32, fault: Fault) {
        self.state.lock().unwrap().rules.push(Rule { operation: operation.into(), passing, fault, remaining: None });
    }

    /// The next `times` calls of `operation` fail with `fault`.
    pub fn fail_times(&self, operation: &str, times: u32, fault: Fault) {
        let rule = Rule { operation: operation.into(), passing: 0, fault, remaining: Some(times) };
        self.state.lock().unwrap().rules.push(rule);
    }

    /// From now on every call must be allowed by `policy`, or is answered as IAM refuses it.
    pub fn enforce(&self, policy: crate::iam::Policy) {
        self.state.lock().unwrap().policy = Some(policy);
    }

    /// AWS is healthy again.
    pub fn clear(&self) {
        self.state.lock().unwrap().rules.clear();
    }

    pub fn calls(&self) -> Vec<Call> {
        self.state.lock().unwrap().calls.clone()
    }

    /// Forgets the calls so far, to count a step on its own.
    /// Every call waits `latency` before it goes on (zero: none).
    pub fn set_latency(&self, latency: std::time::Duration) {
        self.state.lock().unwrap().latency = latency;
    }

    pub fn take_calls(&self) -> Vec<Call> {
        std::mem::take(&mut self.state.lock().unwrap().calls)
    }

    /// Round trips to DynamoDB so far (each attempt the SDK made counts).
    pub fn dynamodb_round_trips(&self) -> usize {
        self.calls().iter().filter(|c| c.service == Service::DynamoDb).count()
    }
}

fn identify(headers: &hyper::HeaderMap, method: &hyper::Method, path: &str, body: &[u8]) -> (Service, String, Value) {
    if let Some(target) = headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        let operation = target.rsplit('.').next().unwrap_or(target).to_string();
        let service = if target.starts_with("AmazonSQS.") { Service::Sqs } else { Service::DynamoDb };
        return (service, operation, serde_json::from_slice(body).unwrap_or(Value::Null));
    }
    if path.starts_with("/v2/email") {
        let operation = match (method.as_str(), path) {
            ("POST", "/v2/email/outbound-emails") => "SendEmail".to_string(),
            ("POST", "/v2/email/identities") => "CreateEmailIdentity".to_string(),
            _ => format!("{method} {path}"),
        };
        return (Service::SesV2, operation, serde_json::from_slice(body).unwrap_or(Value::Null));
    }
    let fields: serde_json::Map<String, Value> =
        form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), Value::String(v.into_owned()))).collect();
    let operation = fields.get("Action").and_then(Value::as_str).unwrap_or("unknown").to_string();
    (Service::Sns, operation, Value::Object(fields))
}

fn take_fault(state: &Mutex<State>, mut call: Call) -> Option<Fault> {
    let mut state = state.lock().unwrap();
    if let Some(policy) = &state.policy
        && let Some(refused) = crate::iam::requests(&call).into_iter().find(|r| policy.allowing(r).is_none())
    {
        call.faulted = true;
        state.calls.push(call);
        return Some(Fault::AccessDenied(format!(
            "User: arn:aws:sts::{}:assumed-role/function-role/function is not authorized to perform: {} on resource: {} because no identity-based policy allows the {} action",
            crate::template::ACCOUNT,
            refused.action,
            refused.resource,
            refused.action
        )));
    }
    let fault =
        state.rules.iter_mut().find(|r| r.operation == call.operation && r.remaining != Some(0)).and_then(|rule| {
            if rule.passing > 0 {
                rule.passing -= 1;
                return None;
            }
            if let Some(remaining) = rule.remaining.as_mut() {
                *remaining -= 1;
            }
            Some(rule.fault.clone())
        });
    call.faulted = fault.is_some();
    state.calls.push(call);
    fault
}

async fn relay(
    state: &Mutex<State>,
    client: &reqwest::Client,
    upstream: &str,
    request: Request<hyper::body::Incoming>,
) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let path = parts.uri.path().to_string();
    let (service, operation, input) = identify(&parts.headers, &parts.method, &path, &bytes);
    let (fault, started) = {
        let call = Call::taken(service, operation, input);
        let started = call.started;
        (take_fault(state, call), started)
    };
    let latency = state.lock().unwrap().latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let answer = match fault {
        Some(fault) => failure(service, &fault).await,
        None => forward(client, upstream, parts, bytes).await,
    };
    // Found again by when it started (unique enough: the calls of one test, microseconds apart).
    if let Some(call) = state.lock().unwrap().calls.iter_mut().rev().find(|c| c.started == started) {
        call.ended = Some(std::time::Instant::now());
    }
    answer
}

async fn forward(
    client: &reqwest::Client,
    upstream: &str,
    parts: hyper::http::request::Parts,
    bytes: Bytes,
) -> Response<Full<Bytes>> {
    let path_and_query = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let method = reqwest::Method::from_bytes(parts.method.as_str().as_bytes()).expect("a method");
    let mut forward = client.request(method, format!("{upstream}{path_and_query}")).body(bytes);
    for (name, value) in &parts.headers {
        if name != hyper::header::HOST && name != hyper::header::CONTENT_LENGTH {
            forward = forward.header(name.as_str(), value.as_bytes());
        }
    }
    match forward.send().await {
        Ok(answer) => {
            let mut response = Response::builder().status(answer.status().as_u16());
            for (name, value) in answer.headers() {
                if name != reqwest::header::CONTENT_LENGTH && name != reqwest::header::TRANSFER_ENCODING {
                    response = response.header(name.as_str(), value.as_bytes());
                }
            }
            let body = answer.bytes().await.unwrap_or_default();
            response.body(Full::new(body)).expect("a valid response")
        }
        Err(err) => plain(502, "text/plain", format!("upstream failed: {err}"), None),
    }
}

fn plain(status: u16, content_type: &str, body: String, error_type: Option<&str>) -> Response<Full<Bytes>> {
    let mut response = Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("x-amzn-requestid", "proxy-injected-fault");
    if let Some(kind) = error_type {
        response = response.header("x-amzn-errortype", kind);
    }
    response.body(Full::new(Bytes::from(body))).expect("a valid response")
}

async fn failure(service: Service, fault: &Fault) -> Response<Full<Bytes>> {
    if let Fault::Hang = fault {
        // Hold the connection open, answer nothing: only the client's own timeout ends the wait.
        std::future::pending::<()>().await;
    }
    match service {
        Service::DynamoDb => dynamodb_failure(fault),
        Service::SesV2 => ses_failure(fault),
        Service::Sns => sns_failure(fault),
        Service::Sqs => sqs_failure(fault),
    }
}

/// DynamoDB's errors as its awsJson1_0 protocol carries them.
fn dynamodb_failure(fault: &Fault) -> Response<Full<Bytes>> {
    const PREFIX: &str = "com.amazonaws.dynamodb.v20120810#";
    let (status, body) = match fault {
        Fault::TransactionCanceled(reasons) => {
            let listed = reasons.join(", ");
            let reasons: Vec<Value> = reasons
                .iter()
                .map(|code| match *code {
                    "None" => json!({"Code": "None"}),
                    "ConditionalCheckFailed" => json!({"Code": code, "Message": "The conditional request failed"}),
                    "TransactionConflict" => {
                        json!({"Code": code, "Message": "Transaction is ongoing for the item"})
                    }
                    "ThrottlingError" => json!({"Code": code, "Message": "Throughput exceeds the current capacity."}),
                    _ => json!({"Code": code, "Message": code}),
                })
                .collect();
            (
                400,
                json!({
                    "__type": format!("{PREFIX}TransactionCanceledException"),
                    "Message": format!("Transaction cancelled, please refer cancellation reasons for specific reasons [{listed}]"),
                    "CancellationReasons": reasons,
                }),
            )
        }
        Fault::Throttling | Fault::TooManyRequests => (
            400,
            json!({"__type": "com.amazon.coral.availability#ThrottlingException", "message": "Rate of requests exceeds the allowed throughput."}),
        ),
        Fault::ThroughputExceeded => (
            400,
            json!({"__type": format!("{PREFIX}ProvisionedThroughputExceededException"), "message": "The level of configured provisioned throughput for the table was exceeded."}),
        ),
        Fault::InternalError | Fault::Hang => {
            (500, json!({"__type": format!("{PREFIX}InternalServerError"), "message": "Internal server error"}))
        }
        Fault::AccessDenied(message) => {
            (400, json!({"__type": "com.amazon.coral.service#AccessDeniedException", "Message": message}))
        }
    };
    plain(status, "application/x-amz-json-1.0", body.to_string(), None)
}

/// SES v2's errors as restJson1 carries them: the type in a header, a message in the body.
fn ses_failure(fault: &Fault) -> Response<Full<Bytes>> {
    let (status, kind, message) = match fault {
        Fault::TooManyRequests | Fault::Throttling | Fault::ThroughputExceeded | Fault::TransactionCanceled(_) => {
            (429, "TooManyRequestsException", "Too many requests.")
        }
        Fault::InternalError | Fault::Hang => (500, "InternalFailure", "The request processing has failed."),
        Fault::AccessDenied(message) => (403, "AccessDeniedException", message.as_str()),
    };
    plain(status, "application/json", json!({"message": message}).to_string(), Some(kind))
}

/// SNS's errors as awsQuery carries them: an XML `ErrorResponse`.
fn sns_failure(fault: &Fault) -> Response<Full<Bytes>> {
    let (status, kind, code, message) = match fault {
        Fault::TooManyRequests | Fault::Throttling | Fault::ThroughputExceeded | Fault::TransactionCanceled(_) => {
            (400, "Sender", "Throttling", "Rate exceeded")
        }
        Fault::InternalError | Fault::Hang => (500, "Receiver", "InternalFailure", "Internal failure"),
        Fault::AccessDenied(message) => (403, "Sender", "AuthorizationError", message.as_str()),
    };
    let body = format!(
        "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>{kind}</Type>\
         <Code>{code}</Code><Message>{message}</Message></Error><RequestId>proxy-injected-fault</RequestId></ErrorResponse>"
    );
    plain(status, "text/xml", body, None)
}

/// SQS's errors as its awsJson1_0 protocol carries them, with the query-compatible code header.
fn sqs_failure(fault: &Fault) -> Response<Full<Bytes>> {
    let (status, kind, query_code, message) = match fault {
        Fault::TooManyRequests | Fault::Throttling | Fault::ThroughputExceeded | Fault::TransactionCanceled(_) => {
            (400, "com.amazonaws.sqs#RequestThrottled", "RequestThrottled;Sender", "Request is throttled.")
        }
        Fault::InternalError | Fault::Hang => {
            (500, "com.amazonaws.sqs#InternalError", "InternalError;Receiver", "We encountered an internal error.")
        }
        Fault::AccessDenied(message) => {
            (400, "com.amazon.coral.service#AccessDeniedException", "AccessDenied;Sender", message.as_str())
        }
    };
    let mut response =
        plain(status, "application/x-amz-json-1.0", json!({"__type": kind, "message": message}).to_string(), None);
    response.headers_mut().insert("x-amzn-query-error", query_code.parse().expect("a header value"));
    response
}
