//! The HTTP edge shared by every function: errors to responses, request parsing, merchant auth.

mod auth;
mod error;
mod request;
mod response;

pub use auth::{merchant_of, with_merchant_claims};
pub use error::ApiError;
pub use request::{header, json_body, path_param, query_param, query_params};
pub use response::{html, json, redirect, empty};
