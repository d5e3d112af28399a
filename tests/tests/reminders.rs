//! Reminders: the words, the schedule, and exactly one message per recipient, channel and slot.

use paylinks::domain::{Amount, ReminderPolicy, Settings, TimeZoneName, Timestamp};
use paylinks::messages::{self, Wording};
use paylinks_tests::contract;

fn berlin_policy() -> ReminderPolicy {
    let zone = TimeZoneName::parse("Europe/Berlin").unwrap();
    ReminderPolicy::new(vec![1, 3], vec![paylinks::domain::Channel::Email], None, zone).unwrap()
}

#[test]
fn the_default_reminder_sms_fits_one_segment_and_says_until_when() {
    let settings = Settings {
        display_name: "W".repeat(Settings::MAX_DISPLAY_NAME),
        reminders: Some(berlin_policy()),
        ..Settings::default()
    };
    let mut link = contract::link(&contract::merchant("m"), Some("SO-1"));
    link.amount = Amount::parse(Amount::MAX).unwrap();
    // Summer time: the longest abbreviation (CEST).
    link.expires_at = Timestamp::parse_rfc3339("2026-07-13T08:00:00Z");
    let url = "https://pay.example-merchant-payments.com/p/Ab3dE9xQ2kZ";
    let text = messages::sms_as(&settings, &link, url, Wording::Reminder { number: 1 }).unwrap();
    assert!(text.contains("a reminder") && text.contains("13 Jul 2026 10:00 CEST") && text.contains(url), "{text}");
    assert_eq!(messages::sms_segments(&text), 1, "{} characters: {text}", text.len());
}

#[test]
fn the_reminder_email_says_it_is_one_and_until_when_and_the_request_does_not() {
    let settings = Settings { display_name: "Acme".into(), reminders: Some(berlin_policy()), ..Settings::default() };
    let mut link = contract::link(&contract::merchant("m"), Some("SO-2"));
    link.expires_at = Timestamp::parse_rfc3339("2026-12-03T09:00:00Z");
    let url = "https://pay.example.com/pay?payment_link_token=t";
    let reminder = messages::email_as(&settings, &link, Some("Ada"), url, Wording::Reminder { number: 2 }).unwrap();
    assert_eq!(reminder.subject, "Reminder: payment request from Acme");
    for part in [&reminder.html, &reminder.text] {
        assert!(part.contains("A reminder") && part.contains("until 3 Dec 2026 10:00 CET"), "{part}");
    }
    let request = messages::email(&settings, &link, Some("Ada"), url).unwrap();
    assert_eq!(request.subject, "Payment request from Acme");
    assert!(!request.text.contains("reminder") && !request.text.contains("until"), "{}", request.text);
}

#[test]
fn a_merchants_reminder_template_is_used_for_reminders_only() {
    let settings = Settings {
        sms_template: Some(paylinks::domain::SmsTemplate { text: "Pay: {{ url }}".into() }),
        reminder_sms_template: Some(paylinks::domain::SmsTemplate {
            text: "Reminder {{ reminder }}, until {{ expires }}: {{ url }}".into(),
        }),
        ..Settings::default()
    };
    let mut link = contract::link(&contract::merchant("m"), Some("SO-3"));
    link.expires_at = Timestamp::parse_rfc3339("2026-12-03T09:00:00Z");
    let url = "https://p.example.com/p/x";
    assert_eq!(messages::sms(&settings, &link, url).unwrap(), "Pay: https://p.example.com/p/x");
    assert_eq!(
        messages::sms_as(&settings, &link, url, Wording::Reminder { number: 3 }).unwrap(),
        "Reminder 3, until 3 Dec 2026 09:00 UTC: https://p.example.com/p/x",
        "no policy of the link's or merchant's own: UTC"
    );
}

mod over_http {
    use paylinks_tests::server::{embedded, on_real_adapters, order_link, unique};
    use reqwest::StatusCode;
    use serde_json::json;

    fn policy() -> serde_json::Value {
        json!({"after_days": [1, 3, 7], "channels": ["email", "sms"],
               "quiet_hours": {"start": "21:00", "end": "08:00"}, "time_zone": "europe/berlin"})
    }

    #[tokio::test]
    async fn settings_keep_a_policy_and_refuse_a_bad_one_by_field() {
        let server = embedded().await;
        let merchant = unique("merchant");
        let reply = server.call(&merchant, "PUT", "/settings", Some(json!({"reminders": policy()}))).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        let saved = server.call(&merchant, "GET", "/settings", None).await.json();
        assert_eq!(saved["reminders"]["time_zone"], "Europe/Berlin", "the database's spelling");
        assert_eq!(saved["reminders"]["after_days"], json!([1, 3, 7]));
        assert_eq!(saved["reminder_email_template"], json!(null));
        let bad = json!({"reminders": {"after_days": [1], "channels": ["email"], "time_zone": "Atlantis/Capital"}});
        let reply = server.call(&merchant, "PUT", "/settings", Some(bad)).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(reply.json()["error"]["field"], "reminders.time_zone");
        let cleared = server.call(&merchant, "PUT", "/settings", Some(json!({"reminders": null}))).await.json();
        assert_eq!(cleared["reminders"], json!(null));
    }

    /// On DynamoDB too (a policy, `false` and back to the merchant's), since the link's field is
    /// either a map or a boolean in the item.
    #[tokio::test]
    async fn a_link_carries_its_own_policy_or_false_and_patch_null_gives_it_back_to_settings() {
        for server in [embedded().await, on_real_adapters().await] {
            let merchant = unique("merchant");
            server.enable_payments(&merchant, json!({})).await;
            let mut body = order_link(&unique("SO"));
            body["reminders"] = policy();
            let created = server.call(&merchant, "POST", "/links", Some(body)).await;
            assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
            let path = format!("/links/{}", created.json()["id"].as_str().unwrap());
            let detail = server.call(&merchant, "GET", &path, None).await.json();
            assert_eq!(detail["reminders"]["channels"], json!(["email", "sms"]));
            let off = server.call(&merchant, "PATCH", &path, Some(json!({"reminders": false}))).await;
            assert_eq!(off.status, StatusCode::OK, "{}", off.text);
            assert_eq!(server.call(&merchant, "GET", &path, None).await.json()["reminders"], json!(false));
            server.call(&merchant, "PATCH", &path, Some(json!({"reminders": null}))).await;
            assert_eq!(server.call(&merchant, "GET", &path, None).await.json()["reminders"], json!(null));
            let bad = server.call(&merchant, "PATCH", &path, Some(json!({"reminders": true}))).await;
            assert_eq!(
                (bad.status, bad.json()["error"]["field"].clone()),
                (StatusCode::UNPROCESSABLE_ENTITY, json!("reminders"))
            );
        }
    }
}
