use serde::{Deserialize, Serialize};

use super::{
    Amount, Currency, DeliveryId, Email, LinkId, LinkReminders, MerchantId, OrderId, OrderPaymentStatus, PhoneE164,
    SessionId, ShortCode, StripeAccount, Timestamp,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// One order, one successful payment closes it.
    Order,
    /// Reusable: many customers, many payments, until deactivated.
    Product,
}

/// What is stored. `Expired` is never stored: it is derived from `expires_at` on every read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkStatus {
    Active,
    Paid,
    Void,
    Expired,
    Deleted,
    /// A reusable link that took its `completed_payments_limit`: it shows its inactive message.
    Completed,
}

impl LinkStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Paid => "paid",
            Self::Void => "void",
            Self::Expired => "expired",
            Self::Deleted => "deleted",
            Self::Completed => "completed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Active, Self::Paid, Self::Void, Self::Expired, Self::Deleted, Self::Completed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecurringInterval {
    Day,
    Week,
    Month,
    Year,
}

impl RecurringInterval {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
            Self::Year => "year",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdjustableQuantity {
    pub minimum: u32,
    pub maximum: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineItem {
    pub name: String,
    pub unit_amount: Amount,
    pub quantity: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjustable_quantity: Option<AdjustableQuantity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurring: Option<RecurringInterval>,
    /// Pay what you want: the customer names the price, within these bounds (`unit_amount` is
    /// then the preset, or the minimum).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_amount: Option<CustomAmount>,
}

/// The bounds of a price the customer names, and the one suggested to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomAmount {
    pub minimum: Amount,
    pub maximum: Amount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<Amount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<PhoneE164>,
    /// The customer's language (BCP 47): our pages, the emails and Checkout follow it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectAddress {
    #[default]
    None,
    Billing,
    Shipping,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LinkOptions {
    #[serde(default)]
    pub allow_promotion_codes: bool,
    #[serde(default)]
    pub require_phone: bool,
    #[serde(default)]
    pub collect_address: CollectAddress,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_url: Option<String>,
    /// An order link offers the customer a tip on our page before Checkout.
    #[serde(default)]
    pub allow_tip: bool,
}

/// An order link the customer may pay in parts: each at least `minimum_amount` (or the balance,
/// when less is left).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialPayments {
    pub minimum_amount: Amount,
}

/// How many payments a reusable link takes before it turns `completed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Restrictions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_payments_limit: Option<u32>,
}

/// The Checkout Session a customer is sent to while it is open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenSession {
    pub id: SessionId,
    pub url: String,
    pub expires_at: Timestamp,
    /// What the customer chose on our page for it (a part of the balance, a tip); the default
    /// (none) for a session of the whole amount.
    #[serde(default, skip_serializing_if = "PaymentChoice::is_whole")]
    pub choice: PaymentChoice,
    /// What an order link's session charges toward its order (the part, or the balance when it
    /// was made): a balance that moved since wants another session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_for: Option<Amount>,
}

/// What a customer chose to pay on our page before Checkout: a part of the balance (partial
/// payments) and a tip. `None`: the whole amount, no tip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PaymentChoice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tip: Option<Amount>,
    /// The price a customer named for a pay-what-you-want product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Amount>,
}

impl PaymentChoice {
    pub fn is_whole(&self) -> bool {
        self.part.is_none() && self.tip.is_none() && self.price.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub id: LinkId,
    pub merchant_id: MerchantId,
    pub kind: LinkKind,
    pub name: String,
    pub status: LinkStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<OrderId>,
    pub amount: Amount,
    pub currency: Currency,
    pub line_items: Vec<LineItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landing_page_url: Option<String>,
    #[serde(default)]
    pub options: LinkOptions,
    pub short_code: ShortCode,
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// The open Checkout Session of an order link, reused by every open until it closes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<OpenSession>,
    /// How many sessions were attached so far: the next session's Stripe idempotency key.
    #[serde(default)]
    pub session_seq: u32,
    /// A counter kept apart from the link's state (many customers open at once): filled in on
    /// reads that ask for it, never written with the link.
    #[serde(default, skip_serializing)]
    pub opens: u64,
    /// Money taken for the link through Stripe, in its currency's minor unit.
    #[serde(default)]
    pub collected: i64,
    /// Money the merchant marked as paid outside the platform: not earnings through Stripe.
    #[serde(default)]
    pub collected_manual: i64,
    /// When the store may forget the link (DynamoDB TTL); `None` while it can still be paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_at: Option<Timestamp>,
    /// The Stripe account the link's sessions are made on: the merchant's when the link was made.
    /// Its events count only from that account, whatever the settings say later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripe_account: Option<StripeAccount>,
    /// The payment status of the link's order, written with every change of the order, so a
    /// customer's open needs the link alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_status: Option<OrderPaymentStatus>,
    /// The link's own reminder policy, or `Off`; `None`: its merchant's settings decide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminders: Option<LinkReminders>,
    /// The expiry `link.expired` was told for: a link extended since is told again at its new one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_announced: Option<Timestamp>,
    /// When a customer last asked for a new link in place of this expired one (the merchant's flag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewal_requested_at: Option<Timestamp>,
    /// The order's invoice, as its merchant named it: shown to the customer wherever the link is.
    #[serde(default, skip_serializing_if = "Invoice::is_empty")]
    pub invoice: Invoice,
    /// An order link that may be paid in parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partial_payments: Option<PartialPayments>,
    /// What the link's order has been paid so far (parts), written with every change of the order
    /// like `order_status`: the balance a customer is asked for comes from the link alone.
    #[serde(default)]
    pub order_paid: i64,
    /// The order's amount as the order holds it now (a later create may change it): the balance
    /// is the order's, whichever of its links the customer came through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_amount: Option<Amount>,
    /// A reusable link's limits, and the message a customer sees once it reached them.
    #[serde(default, skip_serializing_if = "is_default")]
    pub restrictions: Restrictions,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactive_message: Option<String>,
    /// Payments a reusable link took (counted against `completed_payments_limit`).
    #[serde(default)]
    pub completed_payments: u32,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// An order's invoice: its number and where the customer can read it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Invoice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl Invoice {
    pub fn is_empty(&self) -> bool {
        self.number.is_none() && self.url.is_none()
    }

    /// How Checkout and the pages name it: "Invoice INV-1001".
    pub fn title(&self) -> Option<String> {
        self.number.as_ref().map(|n| format!("Invoice {n}"))
    }
}

/// Where a short code leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShortCodeTarget {
    pub link_id: LinkId,
    /// The link's merchant, so the link and its merchant's settings are read together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merchant_id: Option<MerchantId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_id: Option<DeliveryId>,
    /// When the store may forget the code: its link's retention when it was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_at: Option<Timestamp>,
}
