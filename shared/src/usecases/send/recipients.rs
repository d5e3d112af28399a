//! Who a send goes to: the recipients a request names, or the link's customer.

use crate::domain::{Channel, Customer, Recipient, ValidationError};

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

/// The same person twice in one request gets one message.
pub fn distinct(recipients: Vec<Recipient>) -> Vec<Recipient> {
    let mut kept: Vec<Recipient> = Vec::with_capacity(recipients.len());
    for recipient in recipients {
        if !kept.iter().any(|seen| seen.window_key() == recipient.window_key()) {
            kept.push(recipient);
        }
    }
    kept
}
