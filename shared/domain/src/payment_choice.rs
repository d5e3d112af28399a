//! What a customer may choose on our page before Checkout: a part of an order's balance (when its
//! link takes partial payments) and a tip (when it offers one). The rules live here; the page and
//! Checkout only carry the choice.

use super::{Amount, Currency, CustomAmount, Link, LinkKind, PaymentChoice};

/// The tip a customer picked: none, a share of what they pay, or an amount of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tip {
    None,
    Percent(u8),
    Amount(i64),
}

/// The shares of the amount paid a customer is offered as a tip.
pub const TIP_PERCENTS: [u8; 3] = [10, 15, 20];

/// Why a choice cannot be paid; amounts in the currency's minor unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChoiceError {
    #[error("the amount must be between the minimum and the balance")]
    PartOutOfRange { minimum: i64, balance: i64 },
    #[error("the link is paid in full, not in parts")]
    PartsNotTaken,
    #[error("the link offers no tip")]
    TipNotOffered,
    /// A tip above what is paid is taken for a typing slip.
    #[error("the tip may not be more than the amount paid")]
    TipTooLarge { maximum: i64 },
    #[error("nothing is left to pay")]
    NothingDue,
}

impl Link {
    /// What its order was paid so far: the parts recorded, or all of it once the order is
    /// settled (however it was: links made before parts were recorded say only that).
    pub fn paid_of_order(&self) -> i64 {
        match self.order_status {
            Some(status) if status.is_settled() => self.owed().max(self.order_paid),
            _ => self.order_paid,
        }
    }

    /// What the order asks for in all: its amount now, else (a reusable link) the link's.
    fn owed(&self) -> i64 {
        self.order_amount.unwrap_or(self.amount).minor()
    }

    /// What is left to pay: the order's amount less what it was paid so far.
    pub fn balance(&self) -> i64 {
        (self.owed() - self.paid_of_order()).max(0)
    }

    /// The least a part may be: the link's minimum, or the balance when less is left.
    pub fn minimum_part(&self) -> Option<i64> {
        self.partial_payments.map(|p| p.minimum_amount.minor().min(self.balance()))
    }

    pub fn offers_tip(&self) -> bool {
        self.kind == LinkKind::Order && self.options.allow_tip
    }

    /// The bounds of the price a customer names, on a pay-what-you-want link (its one product).
    pub fn custom_amount(&self) -> Option<CustomAmount> {
        self.line_items.iter().find_map(|item| item.custom_amount)
    }

    /// Whether the customer chooses on our page before going to Checkout.
    pub fn asks_for_choice(&self) -> bool {
        self.partial_payments.is_some() || self.offers_tip() || self.custom_amount().is_some()
    }

    /// The customer's choice, checked: `part` only on a link that takes parts (else the balance is
    /// paid), between the minimum and the balance; a tip only where offered, at most what is paid.
    /// On a pay-what-you-want link `part` is the price named, between its minimum and maximum
    /// (absent: the preset).
    pub fn choose(&self, part: Option<i64>, tip: Tip) -> Result<PaymentChoice, ChoiceError> {
        if let Some(custom) = self.custom_amount() {
            let (minimum, maximum) = (custom.minimum.minor(), custom.maximum.minor());
            let price = part.or(custom.preset.map(Amount::minor)).unwrap_or(minimum);
            if !(minimum..=maximum).contains(&price) {
                return Err(ChoiceError::PartOutOfRange { minimum, balance: maximum });
            }
            if tip != Tip::None {
                return Err(ChoiceError::TipNotOffered);
            }
            return Ok(PaymentChoice { price: Amount::parse(price).ok(), ..PaymentChoice::default() });
        }
        let balance = self.balance();
        if balance == 0 {
            return Err(ChoiceError::NothingDue);
        }
        let part = match (self.minimum_part(), part) {
            (None, Some(_)) => return Err(ChoiceError::PartsNotTaken),
            (None, None) => None,
            (Some(minimum), part) => {
                let part = part.unwrap_or(balance);
                if !(minimum..=balance).contains(&part) {
                    return Err(ChoiceError::PartOutOfRange { minimum, balance });
                }
                Some(part)
            }
        };
        let paid = part.unwrap_or(balance);
        let tip = match tip {
            Tip::None => 0,
            _ if !self.offers_tip() => return Err(ChoiceError::TipNotOffered),
            // Rounded half up, in the minor unit.
            Tip::Percent(percent) => (paid * i64::from(percent) + 50) / 100,
            Tip::Amount(amount) => amount,
        };
        // At most what is paid, and never past what Stripe takes in one charge.
        let maximum = paid.min(Amount::MAX - paid);
        if !(0..=maximum).contains(&tip) {
            return Err(ChoiceError::TipTooLarge { maximum });
        }
        let amount = |minor: i64| Amount::parse(minor).ok();
        Ok(PaymentChoice { part: part.and_then(amount), tip: amount(tip), price: None })
    }
}

/// An amount as a customer types it in the currency's major unit ("25", "25.50", "25,50"), in
/// the minor unit; `None` when it is not one.
pub fn typed_amount(text: &str, currency: Currency) -> Option<i64> {
    let text = text.trim();
    let decimals = currency.decimals() as usize;
    let (whole, fraction) = match text.find(['.', ',']) {
        Some(at) => (&text[..at], &text[at + 1..]),
        None => (text, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 9 || !digits(whole) || !digits(fraction) || fraction.len() > decimals {
        return None;
    }
    if text.contains(['.', ',']) && fraction.is_empty() {
        return None;
    }
    let unit = 10i64.pow(decimals as u32);
    let fraction_minor = format!("{fraction:0<decimals$}");
    let fraction_minor: i64 = if decimals == 0 { 0 } else { fraction_minor.parse().ok()? };
    whole.parse::<i64>().ok()?.checked_mul(unit)?.checked_add(fraction_minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_amounts_read_in_the_major_unit() {
        let usd = Currency::parse("usd").unwrap();
        assert_eq!(typed_amount("25", usd), Some(2500));
        assert_eq!(typed_amount(" 25.5 ", usd), Some(2550));
        assert_eq!(typed_amount("25,05", usd), Some(2505));
        for bad in ["", "25.", ".5", "2.505", "1,000.00", "-5", "abc", "1e3"] {
            assert_eq!(typed_amount(bad, usd), None, "{bad}");
        }
        let jpy = Currency::parse("jpy").unwrap();
        assert_eq!(typed_amount("500", jpy), Some(500));
        assert_eq!(typed_amount("500.5", jpy), None);
    }
}
