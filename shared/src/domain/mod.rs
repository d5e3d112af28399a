//! Values that cannot be built invalid, and the state machines of links, orders and payments.

mod contact;
mod ids;
mod link;
mod money;
mod order;
mod payment;
mod settings;
mod timestamp;
mod validation;

pub use contact::{Email, PhoneE164};
pub use ids::{DeliveryId, LinkId, MerchantId, OrderId, SessionId, ShortCode, random_base62};
pub use link::{
    Customer, CollectAddress, Link, LinkKind, LinkOptions, LinkStatus, LineItem, OpenSession,
    RecurringInterval, AdjustableQuantity, ShortCodeTarget,
};
pub use money::{Amount, Currency};
pub use order::{Order, OrderPaymentStatus};
pub use payment::{Payment, PaymentSource, PaymentState};
pub use settings::{parse_expiry_minutes as settings_parse_expiry_minutes, BrandColor, EmailTemplate, HostName, Settings, SettingsPatch, SmsTemplate, StripeAccount};
pub use timestamp::Timestamp;
pub use validation::ValidationError;
