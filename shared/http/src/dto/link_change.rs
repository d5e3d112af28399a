//! `PATCH /links/{id}`.

use paylinks::domain::ValidationError;
use paylinks::usecases::manage::LinkChange;
use serde::Deserialize;

use super::fields::{present, text};
use super::reminders::{LinkRemindersBody, link_reminders};

#[derive(Debug, Deserialize)]
pub struct LinkChangeBody {
    name: Option<String>,
    active: Option<bool>,
    /// `null`: back to the merchant's policy; `false`: none; an object: the link's own.
    #[serde(default, deserialize_with = "present")]
    reminders: Option<Option<LinkRemindersBody>>,
}

impl TryFrom<LinkChangeBody> for LinkChange {
    type Error = ValidationError;

    fn try_from(body: LinkChangeBody) -> Result<Self, ValidationError> {
        let reminders = match body.reminders {
            None => None,
            Some(None) => Some(None),
            Some(Some(r)) => Some(Some(link_reminders(r, "reminders")?)),
        };
        let change = Self { name: text(body.name, "name", 200)?, active: body.active, reminders };
        if change.name.is_none() && change.active.is_none() && change.reminders.is_none() {
            return Err(ValidationError::new("", "give name, active or reminders"));
        }
        Ok(change)
    }
}
