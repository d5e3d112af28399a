//! The payment-links domain shared by every function: values, use cases over narrow ports, the
//! adapters that implement those ports, and the HTTP edge.

pub mod adapters;
pub mod budgets;
pub mod config;
pub mod domain;
pub mod http;
pub mod logging;
pub mod messages;
pub mod pages;
pub mod ports;
pub mod routes;
pub mod runtime;
pub mod tokens;
pub mod usecases;
pub mod webhook_signature;
