//! `reminders`: a policy in settings; on a link its own policy, or `false` for none.

use std::collections::BTreeMap;

use paylinks::domain::{
    Channel, LinkReminders, MAX_REMINDERS, QuietHours, ReminderPolicy, TimeOfDay, TimeZoneName, ValidationError,
};
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::Object;
use super::fields::{at, present, required};

#[derive(Debug, Deserialize)]
pub struct ReminderPolicyBody {
    after_days: Option<Vec<i64>>,
    channels: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    quiet_hours: Option<Option<Object<QuietHoursBody>>>,
    time_zone: Option<String>,
    /// A misspelt key would otherwise be saved as nothing.
    #[serde(flatten)]
    unknown: BTreeMap<String, IgnoredAny>,
}

#[derive(Debug, Deserialize)]
pub struct QuietHoursBody {
    start: Option<String>,
    end: Option<String>,
}

/// On a link: a policy of its own, or `false` for none whatever the merchant's settings say.
/// Read by what the value is (a boolean or an object), not as an untagged enum: a policy with one
/// wrong field is refused naming that field (`reminders.time_zone`), not as "data did not match
/// any variant".
#[derive(Debug)]
pub enum LinkRemindersBody {
    Flag(bool),
    Policy(Object<ReminderPolicyBody>),
}

impl<'de> Deserialize<'de> for LinkRemindersBody {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(LinkRemindersVisitor)
    }
}

struct LinkRemindersVisitor;

impl<'de> serde::de::Visitor<'de> for LinkRemindersVisitor {
    type Value = LinkRemindersBody;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a reminder policy, or false for none")
    }

    fn visit_bool<E: serde::de::Error>(self, flag: bool) -> Result<Self::Value, E> {
        Ok(LinkRemindersBody::Flag(flag))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        ReminderPolicyBody::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            .map(|policy| LinkRemindersBody::Policy(Object(policy)))
    }
}

pub(super) fn link_reminders(body: LinkRemindersBody, path: &str) -> Result<LinkReminders, ValidationError> {
    match body {
        LinkRemindersBody::Flag(false) => Ok(LinkReminders::Off),
        LinkRemindersBody::Flag(true) => {
            Err(ValidationError::new(path, "must be a reminder policy, or false for none"))
        }
        LinkRemindersBody::Policy(Object(body)) => policy(body, path).map(LinkReminders::Own),
    }
}

pub(super) fn policy(body: ReminderPolicyBody, path: &str) -> Result<ReminderPolicy, ValidationError> {
    if let Some(key) = body.unknown.keys().next() {
        return Err(ValidationError::new(at(path, key), "is not part of a reminder policy"));
    }
    let days_path = at(path, "after_days");
    let days = required(body.after_days, &days_path)?;
    if days.len() > MAX_REMINDERS {
        return Err(ValidationError::new(days_path, format!("must list at most {MAX_REMINDERS} days")));
    }
    let after_days = days
        .iter()
        .map(|d| u16::try_from(*d).map_err(|_| ValidationError::new(&days_path, "must be days from 1 to 365")))
        .collect::<Result<Vec<_>, _>>()?;
    let channels_path = at(path, "channels");
    let channels = required(body.channels, &channels_path)?
        .iter()
        .enumerate()
        .map(|(i, c)| match c.as_str() {
            "email" => Ok(Channel::Email),
            "sms" => Ok(Channel::Sms),
            _ => Err(ValidationError::new(at(&channels_path, &i.to_string()), "must be email or sms")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let quiet_path = at(path, "quiet_hours");
    let quiet_hours = match body.quiet_hours.flatten() {
        None => None,
        Some(Object(q)) => {
            let time = |value: Option<String>, name: &str| {
                let field = at(&quiet_path, name);
                let text = required(value, &field)?;
                TimeOfDay::parse(&text).map_err(|e| ValidationError::new(field, e.message))
            };
            let (start, end) = (time(q.start, "start")?, time(q.end, "end")?);
            Some(QuietHours::new(start, end).map_err(|e| e.under(&quiet_path))?)
        }
    };
    let time_zone = match body.time_zone {
        None => TimeZoneName::utc(),
        Some(name) => TimeZoneName::parse(&name).map_err(|e| ValidationError::new(at(path, "time_zone"), e.message))?,
    };
    ReminderPolicy::new(after_days, channels, quiet_hours, time_zone).map_err(|e| e.under(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::parse_body;

    fn read(json: &str) -> Result<LinkReminders, ValidationError> {
        #[derive(Deserialize)]
        struct Body {
            reminders: LinkRemindersBody,
        }
        let body: Body =
            parse_body(json.as_bytes()).map_err(|e| ValidationError::new(e.field.unwrap_or_default(), e.message))?;
        link_reminders(body.reminders, "reminders")
    }

    #[test]
    fn a_policy_reads_as_the_spec_writes_it() {
        let json = r#"{"reminders": {"after_days": [1, 3, 7], "channels": ["email", "sms"],
            "quiet_hours": {"start": "21:00", "end": "08:00"}, "time_zone": "Europe/Berlin"}}"#;
        let LinkReminders::Own(p) = read(json).unwrap() else { panic!("a policy") };
        assert_eq!(p.after_days, vec![1, 3, 7]);
        assert_eq!(p.time_zone.as_str(), "Europe/Berlin");
        assert_eq!(read(r#"{"reminders": false}"#).unwrap(), LinkReminders::Off);
        let LinkReminders::Own(p) = read(r#"{"reminders": {"after_days": [2], "channels": ["sms"]}}"#).unwrap() else {
            panic!("a policy")
        };
        assert_eq!(p.time_zone.as_str(), "UTC", "the time zone defaults to UTC");
    }

    #[test]
    fn a_wrong_value_inside_a_policy_names_its_field_and_a_wrong_kind_says_what_is_asked() {
        let err = read(r#"{"reminders": {"after_days": [1], "channels": ["sms"], "time_zone": 0}}"#).unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.message.as_str()),
            ("reminders.time_zone", "reminders.time_zone must be a string")
        );
        let err = read(r#"{"reminders": 5}"#).unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.message.as_str()),
            ("reminders", "reminders must be a reminder policy, or false for none")
        );
    }

    #[test]
    fn each_mistake_names_its_field() {
        let field = |json: &str| read(json).unwrap_err().field;
        assert_eq!(field(r#"{"reminders": true}"#), "reminders");
        assert_eq!(field(r#"{"reminders": {"channels": ["email"]}}"#), "reminders.after_days");
        assert_eq!(field(r#"{"reminders": {"after_days": [3, 1], "channels": ["email"]}}"#), "reminders.after_days");
        assert_eq!(field(r#"{"reminders": {"after_days": [-1], "channels": ["email"]}}"#), "reminders.after_days");
        assert_eq!(field(r#"{"reminders": {"after_days": [1], "channels": ["fax"]}}"#), "reminders.channels.0");
        assert_eq!(field(r#"{"reminders": {"after_days": [1], "channels": []}}"#), "reminders.channels");
        assert_eq!(
            field(r#"{"reminders": {"after_days": [1], "channels": ["sms"], "time_zone": "Mars/Base"}}"#),
            "reminders.time_zone"
        );
        assert_eq!(
            field(
                r#"{"reminders": {"after_days": [1], "channels": ["sms"], "quiet_hours": {"start": "25:00", "end": "08:00"}}}"#
            ),
            "reminders.quiet_hours.start"
        );
        assert_eq!(
            field(
                r#"{"reminders": {"after_days": [1], "channels": ["sms"], "quiet_hours": {"start": "08:00", "end": "08:00"}}}"#
            ),
            "reminders.quiet_hours.end"
        );
        assert_eq!(field(r#"{"reminders": {"after_day": [1], "channels": ["sms"]}}"#), "reminders.after_day");
    }
}
