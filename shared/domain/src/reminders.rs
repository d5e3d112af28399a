//! Reminders: when a link that was sent and not paid is sent again, by the merchant's policy.
//! Days count from the first delivery to a recipient and keep the merchant's wall-clock time
//! (a reminder three days after a 10:00 send is at 10:00, across a daylight-saving change); one that
//! falls in quiet hours waits for their end, both in the merchant's time zone.

use jiff::civil::Time;
use jiff::tz::TimeZone;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Channel, Timestamp, ValidationError};

/// At most this many reminders per recipient and channel.
pub const MAX_REMINDERS: usize = 10;
/// The latest a reminder may be, in days after the first delivery.
pub const MAX_REMINDER_DAY: u16 = 365;

/// An IANA time zone name (`Europe/Berlin`), known to the compiled-in zone database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let zone = jiff::tz::db()
            .get(text)
            .map_err(|_| ValidationError::new("", "must be an IANA time zone such as Europe/Berlin"))?;
        // The database's own spelling, so `europe/berlin` is stored as `Europe/Berlin`.
        Ok(Self(zone.iana_name().unwrap_or(text).to_string()))
    }

    pub fn utc() -> Self {
        Self("UTC".to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn zone(&self) -> TimeZone {
        jiff::tz::db().get(&self.0).unwrap_or(TimeZone::UTC)
    }

    /// A moment as people here read it: `3 Dec 2026 10:00 CET`.
    pub fn local_text(&self, at: Timestamp) -> String {
        self.local_text_in(at, super::Language::En)
    }

    /// The same, as `language` writes a date (numbers only outside English: no month names to
    /// translate).
    pub fn local_text_in(&self, at: Timestamp, language: super::Language) -> String {
        jiff::Timestamp::from_second(at.unix())
            .map(|t| t.to_zoned(self.zone()).strftime(language.date_time_pattern()).to_string())
            .unwrap_or_else(|_| at.rfc3339())
    }
}

/// A wall-clock time of day, `HH:MM` (24-hour).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimeOfDay {
    minutes: u16,
}

impl TimeOfDay {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        let refuse = || ValidationError::new("", "must be a time of day like 21:00");
        let (h, m) = text.split_once(':').ok_or_else(refuse)?;
        let digits = |part: &str| part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit());
        if !digits(h) || !digits(m) {
            return Err(refuse());
        }
        let (h, m): (u16, u16) = (h.parse().map_err(|_| refuse())?, m.parse().map_err(|_| refuse())?);
        if h > 23 || m > 59 {
            return Err(refuse());
        }
        Ok(Self { minutes: h * 60 + m })
    }

    fn time(self) -> Time {
        Time::constant((self.minutes / 60) as i8, (self.minutes % 60) as i8, 0, 0)
    }
}

impl std::fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.minutes / 60, self.minutes % 60)
    }
}

/// When no reminder is sent: from `start` up to `end`, across midnight when `start` is later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: TimeOfDay,
    pub end: TimeOfDay,
}

impl QuietHours {
    pub fn new(start: TimeOfDay, end: TimeOfDay) -> Result<Self, ValidationError> {
        if start == end {
            return Err(ValidationError::new("end", "must differ from start"));
        }
        Ok(Self { start, end })
    }

    fn contains(&self, at: TimeOfDay) -> bool {
        if self.start < self.end { self.start <= at && at < self.end } else { at >= self.start || at < self.end }
    }
}

/// A merchant's (or a link's own) reminder policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderPolicy {
    /// Days after the first delivery, strictly increasing: slot `n` is `after_days[n]`.
    pub after_days: Vec<u16>,
    pub channels: Vec<Channel>,
    pub quiet_hours: Option<QuietHours>,
    pub time_zone: TimeZoneName,
}

impl ReminderPolicy {
    pub fn new(
        after_days: Vec<u16>,
        channels: Vec<Channel>,
        quiet_hours: Option<QuietHours>,
        time_zone: TimeZoneName,
    ) -> Result<Self, ValidationError> {
        if after_days.is_empty() || after_days.len() > MAX_REMINDERS {
            return Err(ValidationError::new("after_days", format!("must list 1 to {MAX_REMINDERS} days")));
        }
        if after_days.iter().any(|d| *d == 0 || *d > MAX_REMINDER_DAY) {
            return Err(ValidationError::new("after_days", format!("must be days from 1 to {MAX_REMINDER_DAY}")));
        }
        if after_days.windows(2).any(|w| w[0] >= w[1]) {
            return Err(ValidationError::new("after_days", "must be in increasing order, each day once"));
        }
        if channels.is_empty() {
            return Err(ValidationError::new("channels", "must name email, sms or both"));
        }
        let mut distinct = Vec::with_capacity(channels.len());
        for channel in channels {
            if !distinct.contains(&channel) {
                distinct.push(channel);
            }
        }
        Ok(Self { after_days, channels: distinct, quiet_hours, time_zone })
    }

    pub fn covers(&self, channel: Channel) -> bool {
        self.channels.contains(&channel)
    }

    /// `at`, or the end of quiet hours when `at` falls inside them: the earliest a reminder may go.
    pub fn earliest_from(&self, at: Timestamp) -> Timestamp {
        let zone = self.time_zone.zone();
        let Ok(moment) = jiff::Timestamp::from_second(at.unix()) else { return at };
        let local = moment.to_zoned(zone);
        match self.quiet_hours {
            Some(quiet) if quiet.contains(time_of(&local)) => {
                end_of_quiet(&local, quiet).map(|end| Timestamp::from_unix(end.timestamp().as_second())).unwrap_or(at)
            }
            _ => at,
        }
    }

    /// When reminder `slot` is due for a recipient first reached at `first_sent_at`: that many
    /// calendar days later at the same wall-clock time, moved to the end of quiet hours if it falls
    /// inside them. `None` once the policy has no such slot.
    pub fn due_at(&self, first_sent_at: Timestamp, slot: usize) -> Option<Timestamp> {
        let days = *self.after_days.get(slot)?;
        let zone = self.time_zone.zone();
        let first = jiff::Timestamp::from_second(first_sent_at.unix()).ok()?.to_zoned(zone.clone());
        let due = first.checked_add(jiff::Span::new().days(i64::from(days))).ok()?;
        let due = match self.quiet_hours {
            Some(quiet) if quiet.contains(time_of(&due)) => end_of_quiet(&due, quiet)?,
            _ => due,
        };
        Some(Timestamp::from_unix(due.timestamp().as_second()))
    }
}

fn time_of(at: &jiff::Zoned) -> TimeOfDay {
    TimeOfDay { minutes: at.hour() as u16 * 60 + at.minute() as u16 }
}

/// The first moment at or after `at` when quiet hours have ended: their end today, or tomorrow
/// when it has already passed today (quiet hours across midnight).
fn end_of_quiet(at: &jiff::Zoned, quiet: QuietHours) -> Option<jiff::Zoned> {
    let today = at.date().to_datetime(quiet.end.time()).to_zoned(at.time_zone().clone()).ok()?;
    if today >= *at { Some(today) } else { today.checked_add(jiff::Span::new().days(1)).ok() }
}

/// What a link says about reminders; a link that says nothing follows its merchant's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkReminders {
    /// `false`: none for this link, whatever the settings say.
    Off,
    Own(ReminderPolicy),
}

/// The policy that applies to a link: its own, none, or its merchant's.
pub fn reminder_policy<'a>(
    link: Option<&'a LinkReminders>,
    merchant: Option<&'a ReminderPolicy>,
) -> Option<&'a ReminderPolicy> {
    match link {
        Some(LinkReminders::Off) => None,
        Some(LinkReminders::Own(policy)) => Some(policy),
        None => merchant,
    }
}

// Stored and shown as the SPEC's JSON: {"after_days", "channels", "quiet_hours": {"start", "end"},
// "time_zone"}, and `false` for a link's "none".

#[derive(Serialize, Deserialize)]
struct PolicyJson {
    after_days: Vec<u16>,
    channels: Vec<Channel>,
    #[serde(default)]
    quiet_hours: Option<QuietHoursJson>,
    #[serde(default)]
    time_zone: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct QuietHoursJson {
    start: String,
    end: String,
}

impl Serialize for ReminderPolicy {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        PolicyJson {
            after_days: self.after_days.clone(),
            channels: self.channels.clone(),
            quiet_hours: self
                .quiet_hours
                .map(|q| QuietHoursJson { start: q.start.to_string(), end: q.end.to_string() }),
            time_zone: Some(self.time_zone.as_str().to_string()),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ReminderPolicy {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = PolicyJson::deserialize(deserializer)?;
        let error = |e: ValidationError| serde::de::Error::custom(e.to_string());
        let quiet_hours = json
            .quiet_hours
            .map(|q| QuietHours::new(TimeOfDay::parse(&q.start)?, TimeOfDay::parse(&q.end)?))
            .transpose()
            .map_err(error)?;
        let time_zone = json.time_zone.as_deref().map(TimeZoneName::parse).transpose().map_err(error)?;
        Self::new(json.after_days, json.channels, quiet_hours, time_zone.unwrap_or_else(TimeZoneName::utc))
            .map_err(error)
    }
}

impl Serialize for LinkReminders {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Off => serializer.serialize_bool(false),
            Self::Own(policy) => policy.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for LinkReminders {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Flag(bool),
            Policy(ReminderPolicy),
        }
        match Either::deserialize(deserializer)? {
            Either::Flag(false) => Ok(Self::Off),
            Either::Flag(true) => Err(serde::de::Error::custom("reminders: give a policy, or false for none")),
            Either::Policy(policy) => Ok(Self::Own(policy)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Language;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse_rfc3339(text).unwrap()
    }

    fn policy(days: &[u16], quiet: Option<(&str, &str)>, zone: &str) -> ReminderPolicy {
        let quiet =
            quiet.map(|(s, e)| QuietHours::new(TimeOfDay::parse(s).unwrap(), TimeOfDay::parse(e).unwrap()).unwrap());
        ReminderPolicy::new(days.to_vec(), vec![Channel::Email], quiet, TimeZoneName::parse(zone).unwrap()).unwrap()
    }

    #[test]
    fn days_count_from_the_first_delivery_and_keep_the_wall_clock_across_dst() {
        // 10:00 in Berlin on Friday 2026-10-23 (summer time, UTC+2); three days later it is winter time.
        let p = policy(&[1, 3], None, "Europe/Berlin");
        let first = at("2026-10-23T08:00:00Z");
        assert_eq!(p.due_at(first, 0), Some(at("2026-10-24T08:00:00Z")));
        assert_eq!(p.due_at(first, 1), Some(at("2026-10-26T09:00:00Z")), "10:00 local, now UTC+1");
        assert_eq!(p.due_at(first, 2), None, "no third slot");
    }

    #[test]
    fn a_reminder_in_quiet_hours_waits_for_their_end() {
        let p = policy(&[1], Some(("21:00", "08:00")), "Europe/Berlin");
        // Sent at 22:30 Berlin (20:30Z, winter): a day later is 22:30, quiet until 08:00 the next day.
        assert_eq!(p.due_at(at("2026-12-01T21:30:00Z"), 0), Some(at("2026-12-03T07:00:00Z")));
        // Sent at 02:00 Berlin: a day later is 02:00, quiet until 08:00 that same day.
        assert_eq!(p.due_at(at("2026-12-01T01:00:00Z"), 0), Some(at("2026-12-02T07:00:00Z")));
        // Sent at 12:00: not quiet, unchanged.
        assert_eq!(p.due_at(at("2026-12-01T11:00:00Z"), 0), Some(at("2026-12-02T11:00:00Z")));
    }

    #[test]
    fn a_moment_reads_in_the_zone_with_its_abbreviation() {
        let berlin = TimeZoneName::parse("Europe/Berlin").unwrap();
        assert_eq!(berlin.local_text(at("2026-12-03T09:00:00Z")), "3 Dec 2026 10:00 CET");
        assert_eq!(TimeZoneName::utc().local_text(at("2026-07-03T09:05:00Z")), "3 Jul 2026 09:05 UTC");
        let texts = [Language::De, Language::Fr, Language::Es, Language::Ja]
            .map(|language| berlin.local_text_in(at("2026-12-03T09:00:00Z"), language));
        assert_eq!(
            texts,
            ["3.12.2026, 10:00 CET", "03/12/2026 10:00 CET", "3/12/2026 10:00 CET", "2026年12月3日 10:00 CET"]
        );
    }

    #[test]
    fn a_late_slot_still_waits_out_quiet_hours_when_it_is_sent() {
        let p = policy(&[1], Some(("21:00", "08:00")), "UTC");
        assert_eq!(p.earliest_from(at("2026-12-01T21:03:00Z")), at("2026-12-02T08:00:00Z"));
        assert_eq!(p.earliest_from(at("2026-12-02T03:00:00Z")), at("2026-12-02T08:00:00Z"));
        assert_eq!(p.earliest_from(at("2026-12-02T12:00:00Z")), at("2026-12-02T12:00:00Z"));
    }

    #[test]
    fn quiet_hours_within_one_day_work_too() {
        let p = policy(&[2], Some(("12:00", "14:00")), "UTC");
        assert_eq!(p.due_at(at("2026-12-01T12:30:00Z"), 0), Some(at("2026-12-03T14:00:00Z")));
        assert_eq!(p.due_at(at("2026-12-01T14:00:00Z"), 0), Some(at("2026-12-03T14:00:00Z")));
    }

    #[test]
    fn a_policy_is_checked_when_made() {
        let zone = TimeZoneName::utc;
        let make = |days: &[u16], channels: Vec<Channel>| ReminderPolicy::new(days.to_vec(), channels, None, zone());
        assert_eq!(make(&[], vec![Channel::Email]).unwrap_err().field, "after_days");
        assert_eq!(make(&[3, 1], vec![Channel::Email]).unwrap_err().field, "after_days");
        assert_eq!(make(&[0], vec![Channel::Email]).unwrap_err().field, "after_days");
        assert_eq!(make(&[1], vec![]).unwrap_err().field, "channels");
        assert_eq!(make(&[1], vec![Channel::Sms, Channel::Sms]).unwrap().channels, vec![Channel::Sms]);
        assert!(TimeZoneName::parse("Mars/Olympus").is_err());
        assert_eq!(TimeZoneName::parse("europe/berlin").unwrap().as_str(), "Europe/Berlin");
        assert!(TimeOfDay::parse("24:00").is_err() && TimeOfDay::parse("9:00").is_err());
        assert!(TimeOfDay::parse("+9:00").is_err() && TimeOfDay::parse("09:+5").is_err());
        assert!(QuietHours::new(TimeOfDay::parse("08:00").unwrap(), TimeOfDay::parse("08:00").unwrap()).is_err());
    }

    #[test]
    fn policies_read_and_write_the_spec_json_and_a_link_may_say_false() {
        let json = r#"{"after_days":[1,3,7],"channels":["email","sms"],"quiet_hours":{"start":"21:00","end":"08:00"},"time_zone":"Europe/Berlin"}"#;
        let link: LinkReminders = serde_json::from_str(json).unwrap();
        assert_eq!(serde_json::to_string(&link).unwrap(), json);
        assert_eq!(serde_json::from_str::<LinkReminders>("false").unwrap(), LinkReminders::Off);
        assert!(serde_json::from_str::<LinkReminders>("true").is_err());
        let merchant = policy(&[2], None, "UTC");
        assert_eq!(reminder_policy(Some(&LinkReminders::Off), Some(&merchant)), None);
        assert_eq!(reminder_policy(None, Some(&merchant)), Some(&merchant));
    }
}
