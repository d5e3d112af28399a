//! `PATCH /links/{id}`.

use paylinks::domain::ValidationError;
use paylinks::usecases::manage::LinkChange;
use serde::Deserialize;

use super::fields::text;

#[derive(Debug, Deserialize)]
pub struct LinkChangeBody {
    name: Option<String>,
    active: Option<bool>,
}

impl TryFrom<LinkChangeBody> for LinkChange {
    type Error = ValidationError;

    fn try_from(body: LinkChangeBody) -> Result<Self, ValidationError> {
        let change = Self { name: text(body.name, "name", 200)?, active: body.active };
        if change.name.is_none() && change.active.is_none() {
            return Err(ValidationError::new("", "give name or active (or both)"));
        }
        Ok(change)
    }
}
