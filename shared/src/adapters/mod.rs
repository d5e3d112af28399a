//! Implementations of the ports: the real services and the embedded stand-ins of the local server.

pub mod dynamodb;
pub mod embedded;
pub mod simulated_checkout;
pub mod stripe;
