//! Where one recipient's reminders stand: made at the first delivery to them on a channel, moved
//! on by each reminder, and out of the due index once none is left.

use serde::{Deserialize, Serialize};

use super::{Channel, Email, LinkId, MerchantId, PhoneE164, Recipient, ReminderPolicy, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderSchedule {
    pub link_id: LinkId,
    pub merchant_id: MerchantId,
    /// The recipient's re-send window key (`Recipient::window_key`): one schedule per recipient
    /// and channel.
    pub key: String,
    pub channel: Channel,
    /// The address reminders go to, and the name an email greets.
    pub recipient: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The first delivery to this recipient on this channel: days count from it.
    pub first_sent_at: Timestamp,
    /// Slots done (sent, skipped or failed for good); the next is slot `done + 1`.
    pub done: u16,
    /// When the next slot is due; `None` once no reminder is left (it leaves the due index).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<Timestamp>,
    /// Its link's retention when it was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_at: Option<Timestamp>,
}

impl ReminderSchedule {
    /// The schedule a first delivery starts, when the policy reminds on its channel.
    pub fn start(
        link_id: LinkId,
        merchant_id: MerchantId,
        recipient: &Recipient,
        policy: &ReminderPolicy,
        sent_at: Timestamp,
        purge_at: Option<Timestamp>,
    ) -> Option<Self> {
        if !policy.covers(recipient.channel()) {
            return None;
        }
        let name = match recipient {
            Recipient::Email { name, .. } => name.clone(),
            Recipient::Phone(_) => None,
        };
        Some(Self {
            link_id,
            merchant_id,
            key: recipient.window_key(),
            channel: recipient.channel(),
            recipient: recipient.address(),
            name,
            first_sent_at: sent_at,
            done: 0,
            due_at: policy.due_at(sent_at, 0),
            purge_at,
        })
    }

    /// The slot due next, from 1.
    pub fn next_slot(&self) -> u16 {
        self.done + 1
    }

    /// When the next slot falls under `policy` as it is now: `None` when it has no such slot or
    /// no longer reminds on this channel.
    pub fn due_under(&self, policy: Option<&ReminderPolicy>) -> Option<Timestamp> {
        policy.filter(|p| p.covers(self.channel)).and_then(|p| p.due_at(self.first_sent_at, usize::from(self.done)))
    }

    /// The next slot done (sent, skipped, or failed for good); the one after it scheduled.
    pub fn advanced(&self, policy: Option<&ReminderPolicy>) -> Self {
        let mut next = self.clone();
        next.done += 1;
        next.due_at = next.due_under(policy);
        next
    }

    /// No more reminders for this recipient.
    pub fn ended(&self) -> Self {
        Self { due_at: None, ..self.clone() }
    }

    /// Whom the reminders go to; `None` if the stored address no longer reads as one.
    pub fn recipient(&self) -> Option<Recipient> {
        match self.channel {
            Channel::Email => {
                Email::parse(&self.recipient).ok().map(|email| Recipient::Email { email, name: self.name.clone() })
            }
            Channel::Sms => PhoneE164::parse(&self.recipient).ok().map(Recipient::Phone),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TimeZoneName;

    #[test]
    fn a_schedule_walks_the_slots_and_ends() {
        let policy = ReminderPolicy::new(vec![1, 3], vec![Channel::Email], None, TimeZoneName::utc()).unwrap();
        let email = Recipient::Email { email: Email::parse("ada@example.com").unwrap(), name: Some("Ada".into()) };
        let sent = Timestamp::from_unix(1_000_000);
        let link = LinkId::parse("pl_4fH2kLmN8pQ1rS5tU7vW9x").unwrap();
        let merchant = MerchantId::parse("m1").unwrap();
        let start = ReminderSchedule::start(link.clone(), merchant.clone(), &email, &policy, sent, None).unwrap();
        assert_eq!((start.next_slot(), start.due_at), (1, Some(sent.plus_days(1))));
        assert_eq!(start.recipient(), Some(email));
        let second = start.advanced(Some(&policy));
        assert_eq!((second.next_slot(), second.due_at), (2, Some(sent.plus_days(3))));
        assert_eq!(second.advanced(Some(&policy)).due_at, None, "no third slot");
        assert_eq!(start.advanced(None).due_at, None, "the policy was turned off");
        let phone = Recipient::Phone(PhoneE164::parse("+14155550123").unwrap());
        assert_eq!(ReminderSchedule::start(link, merchant, &phone, &policy, sent, None), None, "not an SMS policy");
    }
}
