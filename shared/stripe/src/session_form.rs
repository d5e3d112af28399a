//! The form Stripe's `POST /v1/checkout/sessions` takes, with only the parameters this service sends.
//!
//! async-stripe's generated `CreateCheckoutSession` serialises (and its `CheckoutSession` answer
//! deserialises) every field Stripe has: about 7 MB of code in each function that opened a session.
//! These few structs go through the same client, encoder (serde_qs) and wire format; the tests read
//! the parameters back at the fake Stripe.

use std::collections::BTreeMap;

use serde::Serialize;

use paylinks::domain::CollectAddress;
use paylinks::ports::{CheckoutLine, NewCheckoutSession};

/// Countries offered for a shipping address when a link asks for one.
const SHIPPING_COUNTRIES: &[&str] = &[
    "US", "CA", "GB", "IE", "AU", "NZ", "DE", "FR", "ES", "IT", "NL", "BE", "AT", "SE", "DK", "NO", "FI", "CH", "PT",
    "PL", "JP", "SG",
];

#[derive(Debug, Serialize)]
pub struct SessionForm<'a> {
    mode: &'static str,
    line_items: Vec<LineItem<'a>>,
    success_url: &'a str,
    cancel_url: &'a str,
    expires_at: i64,
    client_reference_id: &'a str,
    metadata: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allow_promotion_codes: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number_collection: Option<Enabled>,
    #[serde(skip_serializing_if = "Option::is_none")]
    billing_address_collection: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shipping_address_collection: Option<ShippingAddressCollection>,
    /// The invoice on the payment (what the merchant's Stripe dashboard and receipt show).
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_intent_data: Option<PaymentIntentData<'a>>,
    /// The invoice above the pay button, for the customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_text: Option<CustomText<'a>>,
    locale: &'static str,
}

#[derive(Debug, Serialize)]
struct PaymentIntentData<'a> {
    description: &'a str,
}

#[derive(Debug, Serialize)]
struct CustomText<'a> {
    submit: Message<'a>,
}

#[derive(Debug, Serialize)]
struct Message<'a> {
    message: &'a str,
}

#[derive(Debug, Serialize)]
struct LineItem<'a> {
    price_data: PriceData<'a>,
    quantity: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    adjustable_quantity: Option<AdjustableQuantity>,
}

#[derive(Debug, Serialize)]
struct PriceData<'a> {
    currency: &'static str,
    unit_amount: i64,
    product_data: ProductData<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recurring: Option<Recurring>,
}

#[derive(Debug, Serialize)]
struct ProductData<'a> {
    name: &'a str,
}

#[derive(Debug, Serialize)]
struct Recurring {
    interval: &'static str,
}

#[derive(Debug, Serialize)]
struct AdjustableQuantity {
    enabled: bool,
    minimum: u32,
    maximum: u32,
}

#[derive(Debug, Serialize)]
struct Enabled {
    enabled: bool,
}

#[derive(Debug, Serialize)]
struct ShippingAddressCollection {
    allowed_countries: &'static [&'static str],
}

impl<'a> SessionForm<'a> {
    pub fn new(request: &'a NewCheckoutSession) -> Self {
        let metadata = paylinks::metadata::of_session(request);
        Self {
            mode: if request.subscription { "subscription" } else { "payment" },
            line_items: request.lines.iter().map(|line| LineItem::new(request.currency.code(), line)).collect(),
            success_url: &request.success_url,
            cancel_url: &request.cancel_url,
            expires_at: request.expires_at.unix(),
            client_reference_id: request.link_id.as_str(),
            metadata,
            customer_email: request.customer_email.as_deref(),
            allow_promotion_codes: request.allow_promotion_codes.then_some(true),
            phone_number_collection: request.require_phone.then_some(Enabled { enabled: true }),
            billing_address_collection: matches!(request.collect_address, CollectAddress::Billing)
                .then_some("required"),
            shipping_address_collection: matches!(request.collect_address, CollectAddress::Shipping)
                .then_some(ShippingAddressCollection { allowed_countries: SHIPPING_COUNTRIES }),
            // A subscription's payments are the subscription's: no one PaymentIntent to describe.
            payment_intent_data: request
                .invoice
                .as_deref()
                .filter(|_| !request.subscription)
                .map(|description| PaymentIntentData { description }),
            custom_text: request.invoice.as_deref().map(|message| CustomText { submit: Message { message } }),
            locale: request.locale,
        }
    }
}

impl<'a> LineItem<'a> {
    fn new(currency: &'static str, line: &'a CheckoutLine) -> Self {
        Self {
            price_data: PriceData {
                currency,
                unit_amount: line.unit_amount.minor(),
                product_data: ProductData { name: &line.name },
                recurring: line.recurring.map(|interval| Recurring { interval }),
            },
            quantity: line.quantity,
            adjustable_quantity: line.adjustable_quantity.map(|(minimum, maximum)| AdjustableQuantity {
                enabled: true,
                minimum,
                maximum,
            }),
        }
    }
}
