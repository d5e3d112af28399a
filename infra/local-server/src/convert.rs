//! hyper's requests and responses to and from lambda_http's, as API Gateway would build them.

use std::collections::HashMap;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};

/// API Gateway's payload limit.
const MAX_BODY: usize = 10 * 1024 * 1024;

pub async fn from_hyper(request: hyper::Request<hyper::body::Incoming>) -> Result<Request, Response<Body>> {
    let (parts, body) = request.into_parts();
    let bytes = Limited::new(body, MAX_BODY).collect().await.map(|c| c.to_bytes()).map_err(|_| {
        paylinks_http::ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "The body is too large.")
            .into_response()
    })?;
    let body = if bytes.is_empty() {
        Body::Empty
    } else {
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => Body::Text(text),
            Err(_) => Body::Binary(bytes.to_vec()),
        }
    };
    let mut query: HashMap<String, Vec<String>> = HashMap::new();
    if let Some(q) = parts.uri.query() {
        for (k, v) in form_urlencoded::parse(q.as_bytes()) {
            query.entry(k.into_owned()).or_default().push(v.into_owned());
        }
    }
    let path = parts.uri.path().to_string();
    // API Gateway gives the caller's address from the connection; the local server takes the first
    // of `X-Forwarded-For` (a test's, or a proxy's in front of it), and gives none without one.
    let forwarded = parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let client = forwarded.and_then(|v| v.split(',').next()).map(|a| a.trim().to_string()).filter(|a| !a.is_empty());
    let request = Request::from_parts(parts, body).with_query_string_parameters(query).with_raw_http_path(path);
    Ok(match client {
        Some(address) => paylinks_http::with_client_address(request, address),
        None => request,
    })
}

pub fn to_hyper(response: Response<Body>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(text) => Bytes::from(text),
        Body::Binary(bytes) => Bytes::from(bytes),
        _ => Bytes::new(),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
}
