//! The keys of a Checkout Session's metadata, in one place: the session form writes them, the
//! webhook reads them back. Every session states what it was made for, so the webhook credits
//! that and never the balance of the moment.

/// The link the session is for (also its `client_reference_id`).
pub const LINK_ID: &str = "link_id";
pub const MERCHANT_ID: &str = "merchant_id";
/// Whose URL the customer came through (a product link's session is one customer's).
pub const DELIVERY_ID: &str = "delivery_id";
/// What the session charges toward its order (or the link's price), tip excluded, minor units.
pub const AMOUNT: &str = "amount";
pub const CURRENCY: &str = "currency";
/// `whole` (the balance when it was made) or `part` (a part the customer chose).
pub const PAYS: &str = "pays";
/// The part the customer chose, when they chose one.
pub const PART_AMOUNT: &str = "part_amount";
/// The customer's tip, a line of its own.
pub const TIP_AMOUNT: &str = "tip_amount";

/// The metadata a session is made with: which link (and delivery) it is for, and what it charges
/// toward its order. Strings, as all Stripe metadata is.
pub fn of_session(request: &crate::ports::NewCheckoutSession) -> std::collections::BTreeMap<&'static str, String> {
    let mut metadata = std::collections::BTreeMap::from([
        (LINK_ID, request.link_id.as_str().to_string()),
        (MERCHANT_ID, request.merchant_id.as_str().to_string()),
    ]);
    if let Some(delivery) = &request.delivery_id {
        metadata.insert(DELIVERY_ID, delivery.as_str().to_string());
    }
    if let Some(made_for) = request.made_for {
        metadata.insert(AMOUNT, made_for.minor().to_string());
        metadata.insert(CURRENCY, request.currency.code().to_string());
        metadata.insert(PAYS, if request.choice.part.is_some() { "part" } else { "whole" }.to_string());
    }
    if let Some(part) = request.choice.part {
        metadata.insert(PART_AMOUNT, part.minor().to_string());
    }
    if let Some(tip) = request.choice.tip {
        metadata.insert(TIP_AMOUNT, tip.minor().to_string());
    }
    metadata
}
