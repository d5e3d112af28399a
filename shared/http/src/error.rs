use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use paylinks::domain::ValidationError;
use serde_json::json;

/// Every error a route answers with: `{"error": {"code", "message", "field"?}}`.
/// Dependency faults keep their cause for the log and show none of it to the caller.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    cause: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// Seconds until a limited caller may try again (`Retry-After`).
    retry_after: Option<i64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), field: None, cause: None, retry_after: None }
    }

    /// `429 rate_limited`, with `Retry-After`.
    pub fn rate_limited(retry_after: i64) -> Self {
        Self {
            retry_after: Some(retry_after.max(1)),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "Too many requests; try again shortly.")
        }
    }

    pub fn validation(err: ValidationError) -> Self {
        let message = if err.field.is_empty() { err.message.clone() } else { format!("{} {}", err.field, err.message) };
        Self { field: Some(err.field), ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", message) }
    }

    pub fn invalid_json(detail: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_json", format!("The request body is not valid JSON: {detail}"))
    }

    pub fn invalid_query(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_query", message)
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "A valid merchant token is required.")
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("No such {what}."))
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// A dependency failed: retryable, nothing half-written, no internals in the body.
    pub fn unavailable(cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self {
            cause: Some(Box::new(cause)),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "service_unavailable",
                "A service we depend on failed. Please retry.",
            )
        }
    }

    /// The request ran out of its function's time: retryable, as any dependency fault.
    pub fn out_of_time() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "A service we depend on failed. Please retry.",
        )
    }

    pub fn internal(cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self {
            cause: Some(Box::new(cause)),
            ..Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "Something went wrong on our side.")
        }
    }

    pub fn body(&self) -> serde_json::Value {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(field) = &self.field {
            error["field"] = json!(field);
        }
        json!({ "error": error })
    }

    pub fn into_response(self) -> Response<Body> {
        if let Some(cause) = &self.cause {
            tracing::error!(code = self.code, cause = %chain(cause.as_ref()), "request failed");
        }
        let mut response = super::json(self.status, &self.body());
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(lambda_http::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// The whole cause chain on one line, for the log.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(next) = source {
        text.push_str(": ");
        text.push_str(&next.to_string());
        source = next.source();
    }
    text
}
