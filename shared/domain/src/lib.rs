//! Values that cannot be built invalid, and the state machines of links, orders and payments.

mod client_session;
mod contact;
mod delivery;
mod idempotency;
mod ids;
mod language;
mod ledger;
mod link;
mod link_lifecycle;
mod merchant_webhooks;
mod money;
mod order;
mod payment;
mod payment_choice;
mod phone_plan;
pub use phone_plan::e164_pattern;
mod rate_limit;
mod reminder_schedule;
mod reminders;
mod settings;
mod settings_patch;
mod suppression;
mod timestamp;
mod validation;
mod versioned;

pub use client_session::{CLIENT_SESSION_REUSE_SECONDS, ClientSession};
pub use contact::{Email, PhoneE164};
pub use delivery::{
    Activity, Channel, Delivery, DeliveryActivity, DeliveryKind, DeliveryStatus, Recipient, SendWindow,
};
pub use idempotency::{IDEMPOTENCY_KEEP_SECONDS, IdempotencyRecord, Replay};
pub use ids::{
    DeliveryId, EndpointId, EventId, LinkId, MerchantId, OrderId, SessionId, ShortCode, random_base62, random_below,
};
pub use language::{Language, parse_locale};
pub use ledger::{Charged, Credit, Entry, EntryType, Figures};
pub use link::{
    AdjustableQuantity, CollectAddress, CustomAmount, Customer, Invoice, LineItem, Link, LinkKind, LinkOptions,
    LinkStatus, OpenSession, PartialPayments, PaymentChoice, RecurringInterval, Restrictions, ShortCodeTarget,
};
pub use link_lifecycle::{LinkError, Openable, RENEWAL_REQUEST_EVERY_SECONDS, Refusal, RenewalRequest};
pub use merchant_webhooks::{
    Destination, EVENT_KEEP_DAYS, EventDelivery, EventDeliveryStatus, EventType, MAX_ENDPOINTS,
    MAX_PREVIOUS_SECRET_HOURS, MerchantEvent, PreviousSecret, QUEUE_LEASE_SECONDS, WebhookEndpoint, WebhookEndpoints,
};
pub use money::{Amount, Currency};
pub use order::{CurrentLink, Order, OrderError, OrderPaymentStatus};
pub use payment::{IntentRecord, Payment, PaymentKey, PaymentSource, PaymentState};
pub use payment_choice::{ChoiceError, TIP_PERCENTS, Tip, typed_amount};
pub use rate_limit::{
    Limit, PER_CLIENT, Pace, SESSIONS_PER_ADDRESS_AND_LINK, Spent, Window, address_key, merchant_limit_key,
};
pub use reminder_schedule::ReminderSchedule;
pub use reminders::{
    LinkReminders, MAX_REMINDERS, QuietHours, ReminderPolicy, TimeOfDay, TimeZoneName, reminder_policy,
};
pub use settings::{BrandColor, EmailTemplate, HostName, Settings, SmsTemplate, StripeAccount};
pub use settings_patch::SettingsPatch;
pub use suppression::{MessageTarget, Suppression, SuppressionReason};
pub use timestamp::Timestamp;
pub use validation::ValidationError;
pub use versioned::Versioned;

#[cfg(test)]
mod lifecycle_tests;
