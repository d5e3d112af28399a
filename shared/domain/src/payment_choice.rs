//! What a customer may choose on our page before Checkout: a part of an order's balance (when its
//! link takes partial payments) and a tip (when it offers one). The rules live here; the page and
//! Checkout only carry the choice.

use super::{Amount, Currency, CustomAmount, Link, LinkKind, OrderPaymentStatus, PaymentChoice};

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
    /// Not an amount Stripe charges in the currency (a three-decimal amount not ending in 0, a
    /// fraction of ISK).
    #[error("the amount is not one the currency is charged in")]
    NotChargeable,
}

impl Link {
    /// What its order was paid so far: the parts recorded, or all of it once the order is
    /// settled (however it was: links made before parts were recorded say only that).
    pub fn paid_of_order(&self) -> i64 {
        match self.order_status {
            // Links written before they carried the order's figures know only that it was paid.
            Some(OrderPaymentStatus::Paid) => self.owed().max(self.order_paid),
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
            if !self.currency.takes(price) {
                return Err(ChoiceError::NotChargeable);
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
                // What a part leaves must be chargeable on its own: Stripe has a least charge.
                let least = self.currency.minimum_charge();
                if part < balance && balance - part < least {
                    return Err(ChoiceError::PartOutOfRange { minimum, balance: balance - least });
                }
                if !self.currency.takes(part) {
                    return Err(ChoiceError::NotChargeable);
                }
                Some(part)
            }
        };
        let paid = part.unwrap_or(balance);
        let tip = match tip {
            Tip::None => 0,
            _ if !self.offers_tip() => return Err(ChoiceError::TipNotOffered),
            // Rounded half up, to what the currency is charged in.
            Tip::Percent(percent) => self.currency.round((paid * i64::from(percent) + 50) / 100),
            Tip::Amount(amount) if !self.currency.takes(amount) => return Err(ChoiceError::NotChargeable),
            Tip::Amount(amount) => amount,
        };
        // At most what is paid, and never past what Stripe takes in one charge.
        let maximum = self.currency.round_down(paid.min(Amount::MAX - paid));
        if !(0..=maximum).contains(&tip) {
            return Err(ChoiceError::TipTooLarge { maximum });
        }
        let amount = |minor: i64| Amount::parse(minor).ok();
        Ok(PaymentChoice { part: part.and_then(amount), tip: amount(tip), price: None })
    }
}

/// An amount as a customer types it in the currency's major unit, in the minor unit; `None` when
/// it is not one, or not one the currency is charged in. `decimal_comma`: the customer's language
/// writes decimals after a comma (`25,50`), else after a point (`25.50`). The other mark groups
/// thousands (`1,000.50`, `1.000,50`, `1,000`); the language's own mark before one or two digits
/// or, in a three-decimal currency, three, starts the fraction, and the other mark before one or
/// two digits does too (`25,50` on an English page). `1,000` in KWD is a thousand dinars on an
/// English page and one dinar on a German one.
pub fn typed_amount(text: &str, currency: Currency, decimal_comma: bool) -> Option<i64> {
    let text = text.trim();
    let decimals = currency.shown_decimals() as usize;
    let group = if decimal_comma { '.' } else { ',' };
    let marks: Vec<(usize, char)> = text.char_indices().filter(|(_, c)| matches!(c, '.' | ',')).collect();
    let digits_after = |at: usize| text[at + 1..].chars().take_while(char::is_ascii_digit).count();
    // Which mark, if any, starts the fraction: the last one, unless it groups.
    let decimal_at = match marks.last() {
        None => None,
        Some(&(at, mark)) => {
            let three_after = digits_after(at) == 3 && at + 4 == text.len();
            let repeated = marks[..marks.len() - 1].iter().any(|&(_, m)| m == mark);
            if mark == group && (three_after || repeated) { None } else { Some(at) }
        }
    };
    let (whole, fraction) = match decimal_at {
        Some(at) => (&text[..at], &text[at + 1..]),
        None => (text, ""),
    };
    if decimal_at.is_some() && fraction.is_empty() {
        return None;
    }
    // Grouping marks in the whole part: each group of three digits after the first.
    let groups: Vec<&str> = whole.split(['.', ',']).collect();
    let grouped_right = groups.len() == 1
        || (!groups[0].is_empty() && groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3));
    let whole: String = groups.concat();
    let is_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 9 || !grouped_right || !is_digits(&whole) || !is_digits(fraction) {
        return None;
    }
    if fraction.len() > decimals {
        return None;
    }
    let unit = 10i64.pow(currency.decimals());
    let fraction_minor = if decimals == 0 { 0 } else { format!("{fraction:0<decimals$}").parse::<i64>().ok()? };
    let scale = 10i64.pow(currency.decimals() - decimals as u32);
    let minor = whole.parse::<i64>().ok()?.checked_mul(unit)?.checked_add(fraction_minor * scale)?;
    currency.takes(minor).then_some(minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_amounts_read_in_the_major_unit() {
        let usd = Currency::parse("usd").unwrap();
        assert_eq!(typed_amount("25", usd, false), Some(2500));
        assert_eq!(typed_amount(" 25.5 ", usd, false), Some(2550));
        assert_eq!(typed_amount("25,05", usd, false), Some(2505), "a comma before cents is read as decimals");
        assert_eq!(typed_amount("1,000.00", usd, false), Some(100_000));
        assert_eq!(typed_amount("1,000", usd, false), Some(100_000));
        assert_eq!(typed_amount("1.000,50", usd, true), Some(100_050));
        for bad in ["", "25.", ".5", "2.505", "-5", "abc", "1e3", "1,00,000", "1,000,00.5", "1.000.000"] {
            assert_eq!(typed_amount(bad, usd, false), None, "{bad}");
        }
        let jpy = Currency::parse("jpy").unwrap();
        assert_eq!(typed_amount("500", jpy, false), Some(500));
        assert_eq!(typed_amount("1,500", jpy, false), Some(1500));
        assert_eq!(typed_amount("500.5", jpy, false), None);
    }

    #[test]
    fn three_decimal_amounts_read_in_their_own_decimals_and_end_in_zero() {
        let kwd = Currency::parse("kwd").unwrap();
        assert_eq!(typed_amount("1,000", kwd, false), Some(1_000_000), "a thousand on an English page");
        assert_eq!(typed_amount("1.000", kwd, false), Some(1000), "one dinar, written with its three decimals");
        assert_eq!(typed_amount("1,000", kwd, true), Some(1000), "one dinar on a German page");
        assert_eq!(typed_amount("1.000", kwd, true), Some(1_000_000));
        assert_eq!(typed_amount("1.25", kwd, false), Some(1250));
        assert_eq!(typed_amount("1.234", kwd, false), None, "Stripe charges KWD in steps of 10");
        let isk = Currency::parse("isk").unwrap();
        assert_eq!(typed_amount("5", isk, false), Some(500), "sent as two decimals that are always 00");
        assert_eq!(typed_amount("5.50", isk, false), None, "no fraction of ISK");
    }
}
