//! The page where a customer chooses before Checkout — a part of the balance, a tip — and the
//! form it posts (`POST /pay`: `payment_link_token`, `amount`, and for "another amount"
//! `other_amount`; `tip`, and for "another tip" `tip_amount`). No JavaScript: radio buttons and
//! text fields. `amount` is in the currency's minor unit, as everywhere in the API (the page's
//! radio buttons carry it); what a customer types (`other_amount`, `tip_amount`) is in the major
//! unit, as people write money.

use minijinja::context;
use serde::Serialize;

use paylinks::domain::{Amount, ChoiceError, Currency, Language, Link, PaymentChoice, TIP_PERCENTS, Tip, typed_amount};
use paylinks::words::words;

use crate::pages::{Brand, Summary, render};

/// The form's fields as posted, unread.
#[derive(Debug, Clone, Default)]
pub struct ChoiceInput {
    pub amount: String,
    pub other_amount: String,
    pub tip: String,
    pub tip_amount: String,
}

impl ChoiceInput {
    /// The token and the choice fields of a posted form.
    pub fn parse(body: &[u8]) -> (Option<String>, Self) {
        let mut token = None;
        let mut input = Self::default();
        for (key, value) in form_urlencoded::parse(body) {
            let value = value.into_owned();
            match key.as_ref() {
                "payment_link_token" => token = Some(value),
                "amount" => input.amount = value,
                "other_amount" => input.other_amount = value,
                "tip" => input.tip = value,
                "tip_amount" => input.tip_amount = value,
                _ => {}
            }
        }
        (token.filter(|t| !t.is_empty()), input)
    }

    /// The fields as a query string (the token apart), for a `GET` that carries the same choice.
    pub fn query(&self) -> String {
        let fields = [
            ("amount", &self.amount),
            ("other_amount", &self.other_amount),
            ("tip", &self.tip),
            ("tip_amount", &self.tip_amount),
        ];
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in fields.into_iter().filter(|(_, v)| !v.is_empty()) {
            query.append_pair(name, value);
        }
        query.finish()
    }
}

/// Why a posted choice is refused: it does not read as an amount, or the link's rules refuse it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoiceProblem {
    NotAnAmount,
    Refused(ChoiceError),
}

/// The customer's choice, read and checked against the link's rules.
pub fn read(link: &Link, input: &ChoiceInput, language: Language) -> Result<PaymentChoice, ChoiceProblem> {
    let typed =
        |text: &str| typed_amount(text, link.currency, language.decimal_comma()).ok_or(ChoiceProblem::NotAnAmount);
    // What was typed counts, whichever radio stayed checked: a customer who wrote an amount meant it.
    let typed_part = !input.other_amount.trim().is_empty();
    let part = match input.amount.trim() {
        _ if typed_part => Some(typed(&input.other_amount)?),
        "" => None,
        "other" => Some(typed(&input.other_amount)?),
        minor => Some(minor.parse::<i64>().map_err(|_| ChoiceProblem::NotAnAmount)?),
    };
    let tip = match input.tip.trim() {
        _ if !input.tip_amount.trim().is_empty() => Tip::Amount(typed(&input.tip_amount)?),
        "" | "none" => Tip::None,
        "other" if input.tip_amount.trim().is_empty() => Tip::None,
        "other" => Tip::Amount(typed(&input.tip_amount)?),
        percent => match percent.parse::<u8>() {
            Ok(p) if TIP_PERCENTS.contains(&p) => Tip::Percent(p),
            _ => return Err(ChoiceProblem::NotAnAmount),
        },
    };
    link.choose(part, tip).map_err(ChoiceProblem::Refused)
}

#[derive(Debug, Serialize)]
struct PartForm {
    balance: String,
    balance_minor: i64,
    minimum: String,
    minimum_minor: i64,
    paid: Option<String>,
    range: String,
}

/// Pay what you want: the bounds, and the suggested price as the field takes it.
#[derive(Debug, Serialize)]
struct CustomForm {
    range: String,
    preset: String,
}

#[derive(Debug, Serialize)]
struct TipOption {
    value: String,
    label: String,
}

/// The choice page: what is due, the choices, and (after a refused post) what was wrong, with
/// what the customer chose kept.
pub fn page(brand: &Brand, link: &Link, token: &str, input: &ChoiceInput, problem: Option<ChoiceProblem>) -> String {
    let language = brand.language;
    let w = words(language);
    let locale = link.customer.as_ref().and_then(|c| c.locale.as_deref());
    let money =
        |minor: i64| Amount::charged(minor).map(|a| language.money(locale, link.currency, a)).unwrap_or_default();
    let balance = link.balance();
    let part = link.minimum_part().map(|minimum| PartForm {
        balance: money(balance),
        balance_minor: balance,
        minimum: money(minimum),
        minimum_minor: minimum,
        paid: (link.order_paid > 0).then(|| money(link.order_paid)),
        range: w.amount_range.replace("{minimum}", &money(minimum)).replace("{balance}", &money(balance)),
    });
    let tips: Vec<TipOption> = if link.offers_tip() {
        TIP_PERCENTS
            .iter()
            .map(|p| {
                let label = match link.partial_payments {
                    // The part is not known before the post: the share alone.
                    Some(_) => format!("{p} %"),
                    None => format!("{p} % · {}", money((balance * i64::from(*p) + 50) / 100)),
                };
                TipOption { value: p.to_string(), label }
            })
            .collect()
    } else {
        Vec::new()
    };
    let custom = link.custom_amount().map(|custom| CustomForm {
        range: w
            .amount_range
            .replace("{minimum}", &money(custom.minimum.minor()))
            .replace("{balance}", &money(custom.maximum.minor())),
        preset: custom.preset.map(|p| typed_form(p, link.currency)).unwrap_or_default(),
    });
    let error = problem.map(|p| message(p, language, locale, link.currency, balance));
    let mut summary = Summary::of(link, language);
    summary.amount = money(balance);
    if custom.is_some() {
        // The customer names the price: no amount to show but the bounds.
        summary.amount = String::new();
        summary.items.clear();
    }
    render(
        "choose.html",
        brand,
        context! {
            summary => summary,
            token => token,
            part => part,
            custom => custom,
            tips => tips,
            offers_tip => link.offers_tip(),
            chosen_amount => if input.amount.is_empty() { balance.to_string() } else { input.amount.clone() },
            other_amount => input.other_amount,
            chosen_tip => if input.tip.is_empty() { "none".to_string() } else { input.tip.clone() },
            tip_amount => input.tip_amount,
            error => error,
        },
    )
}

/// An amount as the typed fields take it: "25.00".
fn typed_form(amount: Amount, currency: Currency) -> String {
    let shown = currency.display(amount);
    shown.split_once(' ').map_or(shown.as_str(), |(_, number)| number).to_string()
}

/// What was wrong, in the customer's words.
fn message(
    problem: ChoiceProblem,
    language: Language,
    locale: Option<&str>,
    currency: Currency,
    balance: i64,
) -> String {
    let w = words(language);
    let money = |minor: i64| Amount::charged(minor).map(|a| language.money(locale, currency, a)).unwrap_or_default();
    match problem {
        ChoiceProblem::NotAnAmount | ChoiceProblem::Refused(ChoiceError::NotChargeable) => {
            // "25.00": the balance as the field takes it.
            let example = Amount::charged(balance).map(|a| typed_form(a, currency)).unwrap_or_default();
            w.error_amount.replace("{example}", &example)
        }
        ChoiceProblem::Refused(ChoiceError::PartOutOfRange { minimum, balance }) => {
            w.error_range.replace("{minimum}", &money(minimum)).replace("{balance}", &money(balance))
        }
        ChoiceProblem::Refused(ChoiceError::TipTooLarge { maximum }) => {
            w.error_tip.replace("{maximum}", &money(maximum))
        }
        // The page offered neither: a form edited by hand, or the balance paid meanwhile.
        ChoiceProblem::Refused(ChoiceError::PartsNotTaken | ChoiceError::TipNotOffered | ChoiceError::NothingDue) => {
            w.error_amount.replace("{example}", "")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_posted_form_reads_minor_units_from_the_radios_and_major_units_from_what_is_typed() {
        let (token, read) = ChoiceInput::parse(b"payment_link_token=t&amount=other&other_amount=12.50&tip=15");
        assert_eq!(token.as_deref(), Some("t"));
        assert_eq!((read.amount.as_str(), read.other_amount.as_str(), read.tip.as_str()), ("other", "12.50", "15"));
        assert_eq!(ChoiceInput::parse(b"payment_link_token=&amount=1").0, None, "an empty token is none");
    }
}
