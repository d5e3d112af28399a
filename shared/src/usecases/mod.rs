//! What the product does, as plain logic over the ports: no HTTP, no SDK types.

pub mod create_link;
pub mod fields;
pub mod idempotency;
pub mod link_view;
pub mod list;
pub mod manage;
pub mod orders;
pub mod redeem;
pub mod send;
pub mod settings;
pub mod webhook;
