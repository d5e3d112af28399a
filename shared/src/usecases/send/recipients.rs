//! Who a send goes to: the recipients a request names, or the link's customer.

use serde_json::Value;

use super::MAX_RECIPIENTS;
use crate::domain::{Channel, Customer, Email, PhoneE164, Recipient, ValidationError};
use crate::usecases::fields::Fields;

/// The link's customer as the recipient of a send that names none.
pub fn default_recipient(channel: Channel, customer: Option<&Customer>) -> Result<Vec<Recipient>, ValidationError> {
    let default = customer.and_then(|c| match channel {
        Channel::Email => c.email.clone().map(|email| Recipient::Email { email, name: c.name.clone() }),
        Channel::Sms => c.phone.clone().map(Recipient::Phone),
    });
    let what = if channel == Channel::Email { "an email" } else { "a phone number" };
    default
        .map(|r| vec![r])
        .ok_or_else(|| ValidationError::new("recipients", format!("are required: the link's customer has no {what}")))
}

/// The recipients the body names, or `None` for the link's customer.
pub fn parse_recipients(body: &Value, channel: Channel) -> Result<Option<Vec<Recipient>>, ValidationError> {
    let f = Fields::of(body, "")?;
    let Some(list) = f.array("recipients")? else { return Ok(None) };
    if list.is_empty() || list.len() > MAX_RECIPIENTS {
        return Err(ValidationError::new("recipients", format!("must list 1 to {MAX_RECIPIENTS} recipients")));
    }
    let mut recipients: Vec<Recipient> = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let path = format!("recipients.{i}");
        let r = Fields::of(item, &path)?;
        let recipient = match channel {
            Channel::Email => Recipient::Email {
                email: r.parsed("email", Email::parse)?.ok_or_else(|| r.fail("email", "is required"))?,
                name: r.text("name", 200)?,
            },
            Channel::Sms => {
                Recipient::Phone(r.parsed("phone", PhoneE164::parse)?.ok_or_else(|| r.fail("phone", "is required"))?)
            }
        };
        // The same person twice in one request gets one message.
        if !recipients.iter().any(|seen| seen.window_key() == recipient.window_key()) {
            recipients.push(recipient);
        }
    }
    Ok(Some(recipients))
}
