//! `POST /text-to-pay`: `{"phone", "amount", "currency", "description"}`, a one-off order link of
//! one line for a phone number, and its SMS.

use paylinks::domain::ValidationError;
use paylinks::domain::{Amount, Currency, Customer, LineItem, LinkOptions, OrderId, OrderPaymentStatus, PhoneE164};
use paylinks::usecases::create_link::{CreateLink, Expiry, LinkSubject, OrderRequest};
use serde::Deserialize;

use super::fields::{parsed, required, text};

#[derive(Debug, Deserialize)]
pub struct TextToPayBody {
    phone: Option<String>,
    amount: Option<i64>,
    currency: Option<String>,
    description: Option<String>,
}

/// A text-to-pay request, valid; its order id is chosen by the route (see `TextToPay::link`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextToPay {
    pub phone: PhoneE164,
    pub amount: Amount,
    pub currency: Currency,
    pub description: String,
}

impl TryFrom<TextToPayBody> for TextToPay {
    type Error = ValidationError;

    fn try_from(body: TextToPayBody) -> Result<Self, ValidationError> {
        let phone = required(parsed(body.phone, "phone", PhoneE164::parse)?, "phone")?;
        let amount = required(body.amount, "amount")?;
        let currency = required(parsed(body.currency, "currency", Currency::parse)?, "currency")?;
        currency.check(amount).map_err(|e| e.under("amount"))?;
        Ok(Self {
            phone,
            amount: Amount::parse(amount).map_err(|e| ValidationError::new("amount", e.message))?,
            currency,
            description: required(text(body.description, "description", 200)?, "description")?,
        })
    }
}

impl TextToPay {
    /// The order link this asks for, as `order_id`, to the phone's owner.
    pub fn link(&self, order_id: OrderId) -> CreateLink {
        let line = LineItem {
            name: self.description.clone(),
            unit_amount: self.amount,
            quantity: 1,
            adjustable_quantity: None,
            recurring: None,
            custom_amount: None,
        };
        let order = OrderRequest {
            id: order_id,
            currency: self.currency,
            line_items: vec![line],
            amount: self.amount,
            invoice_number: None,
            invoice_url: None,
            payment_status: OrderPaymentStatus::Outstanding,
        };
        CreateLink {
            name: self.description.clone(),
            subject: LinkSubject::Order(order),
            customer: Some(Customer { name: None, email: None, phone: Some(self.phone.clone()), locale: None }),
            card_payments: true,
            expiry: Expiry::MerchantDefault,
            landing_page_url: None,
            options: LinkOptions::default(),
            success_url: None,
            reminders: None,
            partial_payments: None,
        }
    }
}
