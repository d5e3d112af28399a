//! The HTTP edge shared by every function: errors to responses, request parsing, merchant auth.

mod auth;
mod error;
mod request;
mod response;

pub use auth::{merchant_of, with_merchant_claims};
pub use error::ApiError;
pub use request::{body_bytes, header, idempotency_key, json_body, path_segments, query_param};
pub use response::{empty, html, json, redirect};
