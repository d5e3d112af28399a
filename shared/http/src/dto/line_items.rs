//! Line items, of an order or of a reusable link's products.

use paylinks::domain::{AdjustableQuantity, Amount, Currency, LineItem, RecurringInterval, ValidationError};
use serde::Deserialize;

use super::Object;
use super::fields::{at, parsed, required, text};

const MAX_ITEMS: usize = 100;
const MAX_QUANTITY: i64 = 10_000;

#[derive(Debug, Deserialize)]
pub struct LineItemBody {
    name: Option<String>,
    unit_amount: Option<i64>,
    quantity: Option<i64>,
    currency: Option<String>,
    adjustable_quantity: Option<Object<AdjustableQuantityBody>>,
    recurring: Option<Object<RecurringBody>>,
}

#[derive(Debug, Deserialize)]
pub struct AdjustableQuantityBody {
    minimum: Option<i64>,
    maximum: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct RecurringBody {
    interval: Option<String>,
}

/// Order lines are sold once, as they are; products may let the customer pick the quantity and
/// may be subscriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sold {
    AsOrdered,
    AsProducts,
}

/// The items, each with the currency it names (if any).
pub(super) fn line_items(
    items: Vec<Object<LineItemBody>>,
    path: &str,
    sold: Sold,
) -> Result<Vec<(LineItem, Option<Currency>)>, ValidationError> {
    if items.is_empty() {
        return Err(ValidationError::new(path, "must have at least one item"));
    }
    if items.len() > MAX_ITEMS {
        return Err(ValidationError::new(path, format!("must have at most {MAX_ITEMS} items")));
    }
    items.into_iter().enumerate().map(|(i, Object(item))| line_item(item, &at(path, &i.to_string()), sold)).collect()
}

fn line_item(item: LineItemBody, path: &str, sold: Sold) -> Result<(LineItem, Option<Currency>), ValidationError> {
    let name = required(text(item.name, &at(path, "name"), 200)?, &at(path, "name"))?;
    let unit_amount_path = at(path, "unit_amount");
    let unit_amount = Amount::parse(required(item.unit_amount, &unit_amount_path)?)
        .map_err(|e| ValidationError::new(&unit_amount_path, e.message))?;
    let quantity = item.quantity.unwrap_or(1);
    if !(1..=MAX_QUANTITY).contains(&quantity) {
        return Err(ValidationError::new(at(path, "quantity"), format!("must be from 1 to {MAX_QUANTITY}")));
    }
    let currency = parsed(item.currency, &at(path, "currency"), Currency::parse)?;
    let (adjustable_quantity, recurring) = match sold {
        Sold::AsOrdered => (None, None),
        Sold::AsProducts => (
            item.adjustable_quantity.map(|Object(a)| adjustable(a, path, quantity)).transpose()?,
            item.recurring.map(|Object(r)| interval(r, &at(path, "recurring"))).transpose()?,
        ),
    };
    let quantity = quantity as u32;
    Ok((LineItem { name, unit_amount, quantity, adjustable_quantity, recurring }, currency))
}

fn adjustable(body: AdjustableQuantityBody, item: &str, quantity: i64) -> Result<AdjustableQuantity, ValidationError> {
    let (minimum, maximum) = (body.minimum.unwrap_or(1), body.maximum.unwrap_or(99));
    let within = |n: i64| (1..=MAX_QUANTITY).contains(&n);
    if !within(minimum) || !within(maximum) || minimum > maximum {
        return Err(ValidationError::new(
            at(item, "adjustable_quantity"),
            "minimum and maximum must be from 1 to 10000, minimum not above maximum",
        ));
    }
    if !(minimum..=maximum).contains(&quantity) {
        return Err(ValidationError::new(at(item, "quantity"), "must be between the adjustable minimum and maximum"));
    }
    Ok(AdjustableQuantity { minimum: minimum as u32, maximum: maximum as u32 })
}

fn interval(body: RecurringBody, path: &str) -> Result<RecurringInterval, ValidationError> {
    let path = at(path, "interval");
    match required(text(body.interval, &path, 10)?, &path)?.as_str() {
        "day" => Ok(RecurringInterval::Day),
        "week" => Ok(RecurringInterval::Week),
        "month" => Ok(RecurringInterval::Month),
        "year" => Ok(RecurringInterval::Year),
        _ => Err(ValidationError::new(path, "must be day, week, month or year")),
    }
}

/// What the items cost together, refused past the largest amount Stripe takes.
pub(super) fn total(items: &[LineItem], path: &str) -> Result<Amount, ValidationError> {
    let sum = items
        .iter()
        .try_fold(0i64, |acc, item| acc.checked_add(item.unit_amount.minor().checked_mul(i64::from(item.quantity))?))
        .unwrap_or(i64::MAX);
    Amount::parse(sum).map_err(|e| ValidationError::new(path, format!("total {}", e.message)))
}
