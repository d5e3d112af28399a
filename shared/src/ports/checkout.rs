use async_trait::async_trait;

use crate::domain::{
    Amount, CollectAddress, Currency, DeliveryId, LinkId, MerchantId, OpenSession, PaymentChoice, SessionId,
    StripeAccount, Timestamp,
};

/// A line of a Checkout Session, in the currency of the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutLine {
    pub name: String,
    pub unit_amount: Amount,
    pub quantity: u32,
    pub adjustable_quantity: Option<(u32, u32)>,
    pub recurring: Option<&'static str>,
}

/// Everything Stripe needs to make a Checkout Session for one link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCheckoutSession {
    pub link_id: LinkId,
    pub merchant_id: MerchantId,
    pub delivery_id: Option<DeliveryId>,
    pub account: Option<StripeAccount>,
    pub currency: Currency,
    pub lines: Vec<CheckoutLine>,
    pub subscription: bool,
    pub customer_email: Option<String>,
    pub success_url: String,
    pub cancel_url: String,
    pub expires_at: Timestamp,
    pub allow_promotion_codes: bool,
    pub require_phone: bool,
    pub collect_address: CollectAddress,
    /// The order's invoice, named on the payment and above Checkout's pay button.
    pub invoice: Option<String>,
    /// Checkout's language: the customer's (`customer.locale`), else `auto` (the browser's).
    pub locale: &'static str,
    /// What the session charges toward its order, tip excluded (the balance then, or the part
    /// chosen); `None` for a reusable link's. Stated in the metadata: the webhook credits it.
    pub made_for: Option<Amount>,
    /// What the customer chose on our page (a part, a tip): told to the webhook in the metadata.
    pub choice: PaymentChoice,
    /// The same key for the same link and attempt: concurrent opens get one session from Stripe.
    pub idempotency_key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    /// Stripe saw this idempotency key with other parameters; another open is making the session.
    #[error("the idempotency key was used with other parameters")]
    IdempotencyConflict,
    /// Stripe refused the call for its rate limit on the account (`429`): nothing was made, and
    /// a moment later it will be.
    #[error("the payment provider is past its rate limit for now")]
    RateLimited,
    #[error("the payment provider is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

#[async_trait]
pub trait Checkout: Send + Sync {
    async fn create_session(&self, request: &NewCheckoutSession) -> Result<OpenSession, CheckoutError>;

    /// Closes an open session so nobody can pay through it any more (a voided link).
    async fn expire_session(&self, account: Option<&StripeAccount>, session: &SessionId) -> Result<(), CheckoutError>;
}
