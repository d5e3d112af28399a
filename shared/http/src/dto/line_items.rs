//! Line items, of an order or of a reusable link's products.

use paylinks::domain::{
    AdjustableQuantity, Amount, Currency, CustomAmount, LineItem, RecurringInterval, ValidationError,
};
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
    custom_amount: Option<Object<CustomAmountBody>>,
}

#[derive(Debug, Deserialize)]
pub struct CustomAmountBody {
    minimum: Option<i64>,
    maximum: Option<i64>,
    preset: Option<i64>,
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
    let custom_amount = match (item.custom_amount, sold) {
        (None, _) => None,
        (Some(_), Sold::AsOrdered) => {
            return Err(ValidationError::new(at(path, "custom_amount"), "is for products (pay what you want)"));
        }
        (Some(_), _) if item.unit_amount.is_some() => {
            return Err(ValidationError::new(unit_amount_path, "cannot be given together with custom_amount"));
        }
        (Some(Object(custom)), Sold::AsProducts) => Some(custom_amount(custom, &at(path, "custom_amount"))?),
    };
    let unit_amount = match custom_amount {
        // What the link shows as its price: the suggestion, else the least.
        Some(custom) => custom.preset.unwrap_or(custom.minimum),
        None => Amount::parse(required(item.unit_amount, &unit_amount_path)?)
            .map_err(|e| ValidationError::new(&unit_amount_path, e.message))?,
    };
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
    if custom_amount.is_some() && (quantity != 1 || adjustable_quantity.is_some() || recurring.is_some()) {
        return Err(ValidationError::new(
            at(path, "custom_amount"),
            "is for one of a product, paid once: no quantity above 1, adjustable quantity or recurring",
        ));
    }
    let quantity = quantity as u32;
    Ok((LineItem { name, unit_amount, quantity, adjustable_quantity, recurring, custom_amount }, currency))
}

/// Stripe's `custom_unit_amount`: a minimum, a maximum, and a preset between them.
fn custom_amount(body: CustomAmountBody, path: &str) -> Result<CustomAmount, ValidationError> {
    let amount = |value: Option<i64>, name: &str| -> Result<Option<Amount>, ValidationError> {
        value.map(|v| Amount::parse(v).map_err(|e| ValidationError::new(at(path, name), e.message))).transpose()
    };
    let minimum = required(amount(body.minimum, "minimum")?, &at(path, "minimum"))?;
    let maximum = required(amount(body.maximum, "maximum")?, &at(path, "maximum"))?;
    if minimum > maximum {
        return Err(ValidationError::new(at(path, "maximum"), "must not be less than the minimum"));
    }
    let preset = amount(body.preset, "preset")?;
    if preset.is_some_and(|p| p < minimum || p > maximum) {
        return Err(ValidationError::new(at(path, "preset"), "must be between the minimum and the maximum"));
    }
    Ok(CustomAmount { minimum, maximum, preset })
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
