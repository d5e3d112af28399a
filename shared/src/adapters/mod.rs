//! Implementations of the ports: the real services and the embedded stand-ins of the local server.

pub mod dynamodb;
pub mod embedded;
pub mod outbox;
pub mod ses;
pub mod simulated_checkout;
pub mod sns;
pub mod stripe;
