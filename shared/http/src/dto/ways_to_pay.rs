//! How a link may be paid beyond "the whole amount, once": parts of an order
//! (`partial_payments`) and the limits of a reusable link (`restrictions`, `inactive_message`).

use paylinks::domain::{Amount, Currency, PartialPayments, Restrictions, ValidationError};
use serde::Deserialize;

use super::fields::{required, text};

#[derive(Debug, Deserialize)]
pub struct PartialPaymentsBody {
    minimum_amount: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct RestrictionsBody {
    completed_payments_limit: Option<i64>,
}

/// Stripe's own bounds for a payment link's `completed_sessions.limit`.
const MAX_COMPLETED_PAYMENTS: i64 = 10_000;
/// Stripe's bound for a payment link's `inactive_message`.
const MAX_INACTIVE_MESSAGE_CHARS: usize = 500;

/// A minimum first payment, within the order's amount.
pub(super) fn partial_payments(
    body: PartialPaymentsBody,
    order_amount: Amount,
    currency: Currency,
) -> Result<PartialPayments, ValidationError> {
    let path = "partial_payments.minimum_amount";
    let minimum =
        Amount::parse(required(body.minimum_amount, path)?).map_err(|e| ValidationError::new(path, e.message))?;
    currency.check(minimum.minor()).map_err(|e| e.under(path))?;
    if minimum.minor() < currency.minimum_charge() {
        let least = currency.display(Amount::parse(currency.minimum_charge()).expect("a positive least charge"));
        return Err(ValidationError::new(path, format!("must be at least {least}, the least Stripe charges")));
    }
    if minimum > order_amount {
        return Err(ValidationError::new(path, "must not be more than the order's amount"));
    }
    Ok(PartialPayments { minimum_amount: minimum })
}

pub(super) fn restrictions(body: RestrictionsBody) -> Result<Restrictions, ValidationError> {
    let path = "restrictions.completed_payments_limit";
    let limit = body
        .completed_payments_limit
        .map(|n| {
            u32::try_from(n)
                .ok()
                .filter(|n| (1..=MAX_COMPLETED_PAYMENTS as u32).contains(n))
                .ok_or_else(|| ValidationError::new(path, "must be a whole number from 1 to 10000"))
        })
        .transpose()?;
    Ok(Restrictions { completed_payments_limit: limit })
}

pub(super) fn inactive_message(value: Option<String>) -> Result<Option<String>, ValidationError> {
    text(value, "inactive_message", MAX_INACTIVE_MESSAGE_CHARS)
}
