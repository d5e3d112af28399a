//! `POST /links/{id}/email` and `/sms`: whom to send to (none named: the link's customer).

use paylinks::domain::{Channel, Email, PhoneE164, Recipient, ValidationError};
use paylinks::usecases::send::MAX_RECIPIENTS;
use serde::Deserialize;

use super::Object;
use super::fields::{at, parsed, required, text};

#[derive(Debug, Deserialize)]
pub struct SendBody {
    recipients: Option<Vec<Object<RecipientBody>>>,
}

#[derive(Debug, Deserialize)]
pub struct RecipientBody {
    email: Option<String>,
    name: Option<String>,
    phone: Option<String>,
}

impl SendBody {
    /// The recipients the body names on this channel, or `None` for the link's customer.
    pub fn recipients(self, channel: Channel) -> Result<Option<Vec<Recipient>>, ValidationError> {
        let Some(list) = self.recipients else { return Ok(None) };
        if list.is_empty() || list.len() > MAX_RECIPIENTS {
            return Err(ValidationError::new("recipients", format!("must list 1 to {MAX_RECIPIENTS} recipients")));
        }
        let recipients = list.into_iter().enumerate().map(|(i, Object(r))| {
            let path = format!("recipients.{i}");
            match channel {
                Channel::Email => Ok(Recipient::Email {
                    email: required(parsed(r.email, &at(&path, "email"), Email::parse)?, &at(&path, "email"))?,
                    name: text(r.name, &at(&path, "name"), 200)?,
                }),
                Channel::Sms => Ok(Recipient::Phone(required(
                    parsed(r.phone, &at(&path, "phone"), PhoneE164::parse)?,
                    &at(&path, "phone"),
                )?)),
            }
        });
        recipients.collect::<Result<Vec<_>, ValidationError>>().map(Some)
    }
}
