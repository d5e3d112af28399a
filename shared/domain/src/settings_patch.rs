//! A change to a merchant's settings: any subset of the fields, each already valid.

use crate::{BrandColor, EmailTemplate, HostName, ReminderPolicy, Settings, SmsTemplate, StripeAccount};

/// `None`: leave the field as it is. For the fields that may be empty, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsPatch {
    pub display_name: Option<String>,
    pub brand_color: Option<BrandColor>,
    pub logo_url: Option<Option<String>>,
    pub payments_enabled: Option<bool>,
    pub stripe_account: Option<Option<StripeAccount>>,
    pub allowed_redirect_hosts: Option<Vec<HostName>>,
    pub default_expires_in_minutes: Option<Option<u32>>,
    pub email_template: Option<Option<EmailTemplate>>,
    pub sms_template: Option<Option<SmsTemplate>>,
    pub reminders: Option<Option<ReminderPolicy>>,
    pub reminder_email_template: Option<Option<EmailTemplate>>,
    pub reminder_sms_template: Option<Option<SmsTemplate>>,
}

fn set<T: Clone>(field: &mut T, change: &Option<T>) {
    if let Some(value) = change {
        *field = value.clone();
    }
}

impl SettingsPatch {
    /// The settings after this patch: fields left out keep their current value. Applied to
    /// whatever is current, so a patch retried after a concurrent write loses neither.
    pub fn apply_to(&self, current: &Settings) -> Settings {
        let mut next = current.clone();
        set(&mut next.display_name, &self.display_name);
        set(&mut next.brand_color, &self.brand_color);
        set(&mut next.logo_url, &self.logo_url);
        set(&mut next.payments_enabled, &self.payments_enabled);
        set(&mut next.stripe_account, &self.stripe_account);
        set(&mut next.allowed_redirect_hosts, &self.allowed_redirect_hosts);
        set(&mut next.default_expires_in_minutes, &self.default_expires_in_minutes);
        set(&mut next.email_template, &self.email_template);
        set(&mut next.sms_template, &self.sms_template);
        set(&mut next.reminders, &self.reminders);
        set(&mut next.reminder_email_template, &self.reminder_email_template);
        set(&mut next.reminder_sms_template, &self.reminder_sms_template);
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_keeps_fields_it_leaves_out_and_clears_those_set_to_none() {
        let current = Settings {
            display_name: "Acme".into(),
            payments_enabled: true,
            logo_url: Some("https://acme.example.com/logo.png".into()),
            ..Settings::default()
        };
        let patch = SettingsPatch {
            brand_color: Some(BrandColor::parse("#00aa11").unwrap()),
            logo_url: Some(None),
            ..SettingsPatch::default()
        };
        let next = patch.apply_to(&current);
        assert_eq!(next.display_name, "Acme");
        assert!(next.payments_enabled);
        assert_eq!(next.brand_color.as_str(), "#00AA11");
        assert_eq!(next.logo_url, None);
    }
}
