use lambda_http::{Body, Request, RequestExt};
use serde_json::Value;

use super::ApiError;

/// The JSON body, or `400 invalid_json`. An empty body reads as `{}` for routes whose body is optional.
pub fn json_body(request: &Request) -> Result<Value, ApiError> {
    let bytes: &[u8] = match request.body() {
        Body::Empty => b"",
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => b"",
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_slice(bytes).map_err(ApiError::invalid_json)
}

pub fn path_param(request: &Request, name: &str) -> Option<String> {
    request.path_parameters_ref().and_then(|p| p.first(name)).map(str::to_string)
}

pub fn query_param(request: &Request, name: &str) -> Option<String> {
    request.query_string_parameters_ref().and_then(|q| q.first(name)).map(str::to_string)
}

/// Every query parameter name given, to refuse ones a route does not know.
pub fn query_params(request: &Request) -> Vec<String> {
    request
        .query_string_parameters_ref()
        .map(|q| q.iter().map(|(k, _)| k.to_string()).collect())
        .unwrap_or_default()
}

pub fn header(request: &Request, name: &str) -> Option<String> {
    request.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}
