//! Payment links: the use cases, as plain logic over narrow ports, and what they share — link
//! tokens, message texts, time budgets, configuration, logging. The domain is its own crate (no
//! SDK, no HTTP); the adapters and the HTTP edge are crates that depend on this one.

pub use paylinks_domain as domain;

pub mod budgets;
pub mod config;
pub mod logging;
pub mod messages;
pub mod metadata;
pub mod metrics;
pub mod ports;
pub mod signature;
pub mod tokens;
pub mod usecases;
pub mod words;
