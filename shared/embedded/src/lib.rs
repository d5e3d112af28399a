//! What the local server runs on when nothing else is configured: an in-process store with the
//! DynamoDB store's semantics (both pass the same contract suite), an outbox for messages, and a
//! simulated Checkout.

pub mod outbox;
pub mod simulated_checkout;
mod store;

pub use store::EmbeddedStore;
