//! What the tests share: a Stripe-wire fake, moto helpers, events signed as Stripe signs them,
//! and a local server on the real adapters.

pub mod aws_proxy;
pub mod browser;
pub mod cascade;
pub mod cloud;
pub mod contract;
pub mod crowd;
pub mod delivery_events;
pub mod endpoint;
pub mod fake_stripe;
pub mod faults;
pub mod iam;
pub mod log_capture;
pub mod moto;
pub mod qr;
pub mod reminders;
pub mod server;
pub mod sqs;
pub mod stripe_events;
pub mod stripe_params;
pub mod template;
