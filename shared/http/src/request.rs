use lambda_http::{Body, Request, RequestExt};

use super::ApiError;

/// The body exactly as it arrived (lambda_http has already decoded a base64-encoded one).
pub fn body_bytes(request: &Request) -> &[u8] {
    match request.body() {
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => b"",
    }
}

/// The request path without an API Gateway stage, split into its segments.
pub fn path_segments(request: &Request) -> Vec<String> {
    let raw = request.raw_http_path();
    let path = if raw.is_empty() { request.uri().path() } else { raw };
    // Merchant ids such as order numbers may arrive percent-encoded.
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect()
}

pub fn query_param(request: &Request, name: &str) -> Option<String> {
    request.query_string_parameters_ref().and_then(|q| q.first(name)).map(str::to_string)
}

pub fn header(request: &Request, name: &str) -> Option<String> {
    request.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// The request's `Idempotency-Key`, if it sent one that is valid.
pub fn idempotency_key(request: &Request) -> Result<Option<String>, ApiError> {
    match header(request, "idempotency-key") {
        Some(key) if !paylinks::usecases::idempotency::valid_key(&key) => Err(ApiError::new(
            lambda_http::http::StatusCode::BAD_REQUEST,
            "invalid_idempotency_key",
            "Idempotency-Key must be 1 to 255 visible ASCII characters.",
        )),
        key => Ok(key),
    }
}
