//! The HTTP edge shared by every HTTP function: typed request bodies (`dto`), every error mapped to its
//! response in one place (`errors.rs`), merchant auth, the customer pages, the route table, and
//! Stripe's signature on the raw bytes.

mod auth;
pub mod choice;
mod deadline;
pub mod dto;
mod error;
mod errors;
pub mod limits;
pub mod pages;
pub mod preview_agents;
mod request;
pub mod resolver;
mod response;
pub mod routes;
pub mod webhook_signature;

pub use auth::{client_address, merchant_of, with_client_address, with_merchant_claims};
pub use deadline::within_deadline;
pub use dto::{body, command};
pub use error::ApiError;
pub use errors::create_link_answer;
pub use request::{body_bytes, header, idempotency_key, path_segments, query_param};
pub use response::{empty, html, json, redirect};
