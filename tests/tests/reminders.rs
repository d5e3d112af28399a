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
    let reminder = messages::email_as(
        &settings,
        &link,
        Some("Ada"),
        messages::MessageUrls::single(url),
        Wording::Reminder { number: 2 },
    )
    .unwrap();
    assert_eq!(reminder.subject, "Reminder: payment request from Acme");
    for part in [&reminder.html, &reminder.text] {
        assert!(part.contains("A reminder") && part.contains("until 3 Dec 2026 10:00 CET"), "{part}");
    }
    let request = messages::email(&settings, &link, Some("Ada"), messages::MessageUrls::single(url)).unwrap();
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

/// The scheduler over the use cases, on both stores, with the clock in the test's hands.
mod scheduler {
    use std::sync::{Arc, Mutex};

    use async_trait::async_trait;
    use paylinks::config::LinkConfig;
    use paylinks::domain::{
        Channel, DeliveryKind, Email, EventType, Link, LinkReminders, LinkStatus, OrderPaymentStatus, PhoneE164,
        QuietHours, Recipient, ReminderPolicy, Settings, TimeOfDay, TimeZoneName, Timestamp, Versioned,
        WebhookEndpoints,
    };
    use paylinks::ports::{EmailMessage, Mailer, SendError, SmsMessage, SmsSender, Store, Wanted, Write};
    use paylinks::tokens::LinkTokens;
    use paylinks::usecases::link_view::LinkUrls;
    use paylinks::usecases::reminders::{Channels, RunReport, run_reminders};
    use paylinks::usecases::send::{Sender, Transport};
    use paylinks_dynamodb::DynamoStore;
    use paylinks_embedded::EmbeddedStore;
    use paylinks_tests::contract::{self, NOW};
    use paylinks_tests::moto;
    use secrecy::SecretString;

    const DAY: i64 = 86_400;

    /// Records what it is asked to send; fails as told.
    #[derive(Default)]
    struct Provider {
        sent: Mutex<Vec<(String, String)>>,
        fail: Mutex<Option<SendError>>,
    }

    impl Provider {
        fn take(&self, to: String, words: String) -> Result<String, SendError> {
            if let Some(err) = self.fail.lock().unwrap().clone() {
                return Err(err);
            }
            let mut sent = self.sent.lock().unwrap();
            sent.push((to, words));
            Ok(format!("msg-{}", sent.len()))
        }

        fn count(&self) -> usize {
            self.sent.lock().unwrap().len()
        }
    }

    #[async_trait]
    impl Mailer for Provider {
        async fn send_email(&self, m: &EmailMessage) -> Result<String, SendError> {
            self.take(m.to.as_str().to_string(), format!("{}\n{}", m.subject, m.text))
        }
    }

    #[async_trait]
    impl SmsSender for Provider {
        async fn send_sms(&self, m: &SmsMessage) -> Result<String, SendError> {
            self.take(m.to.as_str().to_string(), m.text.clone())
        }
    }

    struct World {
        store: Arc<dyn Store>,
        mail: Provider,
        sms: Provider,
        config: LinkConfig,
        tokens: LinkTokens,
        merchant: paylinks::domain::MerchantId,
    }

    async fn stores() -> Vec<Arc<dyn Store>> {
        let client = moto::dynamo().await;
        let table = moto::fresh_table(&client).await;
        vec![Arc::new(EmbeddedStore::new()), Arc::new(DynamoStore::new(client, table))]
    }

    fn policy(days: &[u16], channels: &[Channel], quiet: Option<(&str, &str)>) -> ReminderPolicy {
        let quiet =
            quiet.map(|(s, e)| QuietHours::new(TimeOfDay::parse(s).unwrap(), TimeOfDay::parse(e).unwrap()).unwrap());
        ReminderPolicy::new(days.to_vec(), channels.to_vec(), quiet, TimeZoneName::utc()).unwrap()
    }

    impl World {
        async fn new(store: Arc<dyn Store>, merchant_policy: Option<ReminderPolicy>) -> Self {
            let merchant = contract::merchant(&paylinks::domain::random_base62(12));
            let settings = Settings { display_name: "Acme".into(), reminders: merchant_policy, ..Settings::default() };
            store.commit(vec![Write::Settings(merchant.clone(), Versioned::new(settings))]).await.unwrap();
            Self {
                store,
                mail: Provider::default(),
                sms: Provider::default(),
                config: LinkConfig::with_base_url("https://pay.example.com"),
                tokens: LinkTokens::new(&SecretString::from("reminder-test-secret-0123456789abcdef".to_string()))
                    .unwrap(),
                merchant,
            }
        }

        fn sender(&self, channel: Channel) -> Sender<'_, dyn Store> {
            let transport = match channel {
                Channel::Email => Transport::Email(&self.mail),
                Channel::Sms => Transport::Sms(&self.sms),
            };
            Sender {
                store: self.store.as_ref(),
                transport,
                urls: LinkUrls { config: &self.config, tokens: &self.tokens },
                resend_window_seconds: 1800,
            }
        }

        async fn settings(&self) -> Settings {
            let wanted = Wanted { settings: Some(self.merchant.clone()), ..Wanted::default() };
            self.store.read(&wanted).await.unwrap().settings.unwrap().value
        }

        /// An order link of this merchant, stored, then sent to `recipients` at `at`.
        async fn sent_link(&self, recipients: &[Recipient], at: Timestamp, own: Option<LinkReminders>) -> Link {
            let mut link = contract::link(&self.merchant, Some(&format!("SO-{}", paylinks::domain::random_base62(6))));
            link.reminders = own;
            self.store.commit(vec![Write::Link(Versioned::new(link.clone()))]).await.unwrap();
            let settings = self.settings().await;
            for channel in [Channel::Email, Channel::Sms] {
                let to: Vec<Recipient> = recipients.iter().filter(|r| r.channel() == channel).cloned().collect();
                if !to.is_empty() {
                    self.sender(channel).send(&link, &settings, &to, None, at).await.unwrap();
                }
            }
            link
        }

        async fn run(&self, at: Timestamp) -> RunReport {
            let channels = Channels { email: self.sender(Channel::Email), sms: self.sender(Channel::Sms) };
            run_reminders(self.store.as_ref(), &channels, &paylinks_tests::reminders::At(at), &|| false).await.unwrap()
        }

        async fn change_link(&self, link: &Link, change: impl FnOnce(&mut Link)) {
            let wanted = Wanted { link: Some(link.id.clone()), ..Wanted::default() };
            let mut stored = self.store.read(&wanted).await.unwrap().link.unwrap();
            change(&mut stored.value);
            self.store.commit(vec![Write::Link(stored)]).await.unwrap();
        }

        async fn reminders_of(&self, link: &Link) -> Vec<(Channel, String, Option<u16>)> {
            let records = self.store.link_records(&link.id).await.unwrap();
            records
                .deliveries
                .into_iter()
                .filter(|d| d.kind == DeliveryKind::Reminder)
                .map(|d| (d.channel, d.status.as_str().to_string(), d.slot))
                .collect()
        }
    }

    fn ada() -> Recipient {
        Recipient::Email { email: Email::parse("ada@example.com").unwrap(), name: Some("Ada".into()) }
    }

    fn phone(last: &str) -> Recipient {
        Recipient::Phone(PhoneE164::parse(&format!("+1415555{last}")).unwrap())
    }

    #[tokio::test]
    async fn reminders_are_sent_when_due_once_each_and_end_with_the_policy() {
        for store in stores().await {
            let world = World::new(store, Some(policy(&[1, 3], &[Channel::Email, Channel::Sms], None))).await;
            let link = world.sent_link(&[ada(), phone("0123")], NOW, None).await;
            assert_eq!((world.mail.count(), world.sms.count()), (1, 1), "the sends themselves");
            assert_eq!(world.run(NOW.plus_seconds(DAY - 1)).await.sent, 0, "not due yet");
            let first = world.run(NOW.plus_seconds(DAY)).await;
            assert_eq!(first.sent, 2, "{first:?}");
            assert_eq!(world.run(NOW.plus_seconds(DAY + 60)).await.sent, 0, "slot 1 is done");
            assert_eq!(world.run(NOW.plus_seconds(3 * DAY)).await.sent, 2, "slot 2");
            assert_eq!(
                world.run(NOW.plus_seconds(30 * DAY)).await,
                RunReport::default(),
                "no slot 3: out of the index"
            );
            let mut reminders = world.reminders_of(&link).await;
            reminders.sort_by_key(|(c, _, slot)| (*slot, c.as_str()));
            assert_eq!(
                reminders,
                vec![
                    (Channel::Email, "sent".into(), Some(1)),
                    (Channel::Sms, "sent".into(), Some(1)),
                    (Channel::Email, "sent".into(), Some(2)),
                    (Channel::Sms, "sent".into(), Some(2)),
                ]
            );
            let words = world.mail.sent.lock().unwrap()[1].1.clone();
            assert!(
                words.starts_with("Reminder: payment request from Acme") && words.contains("A reminder"),
                "{words}"
            );
            assert!(world.sms.sent.lock().unwrap()[1].1.contains("a reminder to pay"));
        }
    }

    /// What ends a link (or its order), by name.
    type Stop = (&'static str, fn(&mut Link));

    #[tokio::test]
    async fn nothing_is_sent_once_the_link_or_its_order_is_done() {
        let stops: [Stop; 6] = [
            ("paid", |l| l.status = LinkStatus::Paid),
            ("void", |l| l.status = LinkStatus::Void),
            ("deleted", |l| l.status = LinkStatus::Deleted),
            ("expired", |l| l.expires_at = Some(NOW.plus_seconds(DAY / 2))),
            ("order marked paid", |l| l.order_status = Some(OrderPaymentStatus::Paid)),
            ("order rejected", |l| l.order_status = Some(OrderPaymentStatus::Rejected)),
        ];
        for store in stores().await {
            let world = World::new(store, Some(policy(&[1, 2], &[Channel::Email], None))).await;
            for (what, stop) in stops {
                let link = world.sent_link(&[ada()], NOW, None).await;
                world.change_link(&link, stop).await;
                let before = world.mail.count();
                let report = world.run(NOW.plus_seconds(DAY)).await;
                assert_eq!(world.mail.count(), before, "{what}: no reminder");
                assert_eq!(report.ended, 1, "{what}: {report:?}");
                assert_eq!(world.run(NOW.plus_seconds(2 * DAY)).await.due, 0, "{what}: out of the index for good");
            }
        }
    }

    #[tokio::test]
    async fn a_reminder_in_quiet_hours_waits_for_their_end() {
        for store in stores().await {
            let world = World::new(store, Some(policy(&[1], &[Channel::Email], Some(("21:00", "08:00"))))).await;
            // NOW is 2027-01-15T08:00:00Z; sent at 22:30 UTC that day.
            let sent_at = Timestamp::parse_rfc3339("2027-01-15T22:30:00Z").unwrap();
            world.sent_link(&[ada()], sent_at, None).await;
            assert_eq!(world.run(sent_at.plus_seconds(DAY)).await.sent, 0, "22:30 the next day is quiet");
            let end = Timestamp::parse_rfc3339("2027-01-17T08:00:00Z").unwrap();
            assert_eq!(world.run(end.plus_seconds(-1)).await.sent, 0);
            assert_eq!(world.run(end).await.sent, 1, "at the end of quiet hours");
        }
    }

    /// A slot that comes due just before quiet hours but is reached after they began (a run late,
    /// a provider outage) still waits for their end.
    #[tokio::test]
    async fn a_late_slot_in_quiet_hours_waits_for_their_end() {
        for store in stores().await {
            let world = World::new(store, Some(policy(&[1], &[Channel::Email], Some(("21:00", "08:00"))))).await;
            let sent_at = Timestamp::parse_rfc3339("2027-01-15T20:58:00Z").unwrap();
            world.sent_link(&[ada()], sent_at, None).await;
            let late = world.run(Timestamp::parse_rfc3339("2027-01-16T21:03:00Z").unwrap()).await;
            assert_eq!((late.sent, late.rescheduled), (0, 1), "{late:?}");
            let morning = Timestamp::parse_rfc3339("2027-01-17T08:00:00Z").unwrap();
            assert_eq!(world.run(morning.plus_seconds(-60)).await.sent, 0);
            assert_eq!(world.run(morning).await.sent, 1);
        }
    }

    #[tokio::test]
    async fn an_opted_out_number_ends_its_reminders_and_a_provider_outage_keeps_the_slot_due() {
        for store in stores().await {
            let world = World::new(store, Some(policy(&[1, 2], &[Channel::Email, Channel::Sms], None))).await;
            let link = world.sent_link(&[ada(), phone("0199")], NOW, None).await;
            let url = url::Url::parse("https://hooks.example.com/").unwrap();
            let endpoint = paylinks::domain::WebhookEndpoint::new(&url, vec![EventType::DeliveryFailed], NOW);
            let endpoints = WebhookEndpoints { merchant_id: world.merchant.clone(), endpoints: vec![endpoint] };
            world.store.commit(vec![Write::Endpoints(Versioned::new(endpoints))]).await.unwrap();
            *world.sms.fail.lock().unwrap() = Some(SendError::Permanent("opted_out"));
            *world.mail.fail.lock().unwrap() = Some(SendError::Transient("throttled"));
            let outage = world.run(NOW.plus_seconds(DAY)).await;
            assert_eq!((outage.failed, outage.retry_later), (1, 1), "{outage:?}");
            let told = world.store.events_page(&world.merchant, None, 10).await.unwrap();
            assert_eq!(told.len(), 1, "the reminder that failed for good, told; the outage not: {told:?}");
            assert_eq!(told[0].kind, EventType::DeliveryFailed);
            assert!(told[0].data.contains(r#""kind":"reminder""#) && told[0].deliveries.len() == 1, "{told:?}");
            assert_eq!(
                world.reminders_of(&link).await,
                vec![(Channel::Sms, "failed".into(), Some(1))],
                "nothing half-written for the email"
            );
            *world.mail.fail.lock().unwrap() = None;
            *world.sms.fail.lock().unwrap() = None;
            let after = world.run(NOW.plus_seconds(DAY + 300)).await;
            assert_eq!(
                (after.sent, world.mail.count()),
                (1, 2),
                "the email's slot 1 went out once the provider was back"
            );
            let later = world.run(NOW.plus_seconds(2 * DAY)).await;
            assert_eq!(
                (later.sent, world.sms.count()),
                (1, 1),
                "slot 2: the email only; the opted-out number hears no more"
            );
        }
    }

    #[tokio::test]
    async fn a_link_of_its_own_or_false_and_a_policy_turned_off_decide() {
        for store in stores().await {
            let world = World::new(store, Some(policy(&[1], &[Channel::Email], None))).await;
            world.sent_link(&[ada()], NOW, Some(LinkReminders::Off)).await;
            let own = policy(&[2], &[Channel::Email], None);
            world.sent_link(&[ada()], NOW, Some(LinkReminders::Own(own))).await;
            let followed = world.sent_link(&[ada()], NOW, None).await;
            assert_eq!(world.run(NOW.plus_seconds(DAY)).await.sent, 1, "the merchant's, day 1; false: none at all");
            assert_eq!(world.run(NOW.plus_seconds(2 * DAY)).await.sent, 1, "the link's own, day 2");
            // A later send to the same recipient is not a first delivery: no second schedule.
            let settings = world.settings().await;
            world
                .sender(Channel::Email)
                .send(&followed, &settings, &[ada()], None, NOW.plus_seconds(3 * DAY))
                .await
                .unwrap();
            assert_eq!(world.run(NOW.plus_seconds(5 * DAY)).await.due, 0);
        }
    }

    #[tokio::test]
    async fn a_reminder_right_after_another_message_is_skipped() {
        for store in stores().await {
            let world = World::new(store, Some(policy(&[1, 2], &[Channel::Email], None))).await;
            let link = world.sent_link(&[ada()], NOW, None).await;
            let settings = world.settings().await;
            let resent = NOW.plus_seconds(DAY - 600);
            world.sender(Channel::Email).send(&link, &settings, &[ada()], None, resent).await.unwrap();
            let report = world.run(NOW.plus_seconds(DAY)).await;
            assert_eq!((report.sent, report.skipped), (0, 1), "{report:?}");
            assert_eq!(world.run(NOW.plus_seconds(2 * DAY)).await.sent, 1, "slot 2 as planned");
        }
    }

    /// The scheduler delivers at least once and may run twice at the same time: each recipient
    /// gets one message per slot.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn two_runs_at_once_send_one_message_per_recipient_and_slot() {
        for store in stores().await {
            let world = World::new(store, Some(policy(&[1], &[Channel::Email, Channel::Sms], None))).await;
            let recipients: Vec<Recipient> = (0..6)
                .map(|i| Recipient::Email { email: Email::parse(&format!("r{i}@example.com")).unwrap(), name: None })
                .chain((0..4).map(|i| phone(&format!("010{i}"))))
                .collect();
            world.sent_link(&recipients, NOW, None).await;
            let (sent_mail, sent_sms) = (world.mail.count(), world.sms.count());
            let at = NOW.plus_seconds(DAY);
            let (a, b, c) = tokio::join!(world.run(at), world.run(at), world.run(at));
            assert_eq!(a.sent + b.sent + c.sent, 10, "{a:?} {b:?} {c:?}");
            assert_eq!((world.mail.count() - sent_mail, world.sms.count() - sent_sms), (6, 4));
            assert_eq!(world.run(at).await.sent, 0);
        }
    }
}

/// On the local server: the clock is the test's, and moving it runs the reminders.
mod local_clock {
    use paylinks_tests::server::{embedded, order_link, unique};
    use reqwest::StatusCode;
    use serde_json::{Value, json};

    fn outbox_lines(path: &std::path::Path) -> Vec<Value> {
        std::fs::read_to_string(path).unwrap_or_default().lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
    }

    #[tokio::test]
    async fn moving_the_clock_a_day_sends_the_reminder_due_and_the_link_shows_it() {
        let server = embedded().await;
        let merchant = unique("merchant");
        let policy = json!({"reminders": {"after_days": [1, 3], "channels": ["email"]}});
        server.enable_payments(&merchant, policy).await;
        let link = server.call(&merchant, "POST", "/links", Some(order_link(&unique("SO")))).await.json();
        let id = link["id"].as_str().unwrap();
        let to = format!("{}@example.com", unique("ada")).to_lowercase();
        let sent = server
            .call(&merchant, "POST", &format!("/links/{id}/email"), Some(json!({"recipients": [{"email": to}]})))
            .await;
        assert_eq!(sent.status, StatusCode::OK, "{}", sent.text);
        let clock = server.raw(server.http.get(server.url("/local/clock"))).await.json();
        assert_eq!(clock["advanced_seconds"], 0);

        let advance = |seconds: i64| {
            server.raw(server.http.post(server.url("/local/clock")).json(&json!({"advance_seconds": seconds})))
        };
        let early = advance(23 * 3600).await;
        assert_eq!(early.json()["ran"]["reminders"]["sent"], 0, "{}", early.text);
        let due = advance(3600).await.json();
        assert_eq!(
            (due["advanced_seconds"].clone(), due["ran"]["reminders"]["sent"].clone()),
            (json!(86_400), json!(1))
        );
        let mail: Vec<Value> =
            outbox_lines(server.outbox_file()).into_iter().filter(|m| m["to"] == to.as_str()).collect();
        assert_eq!(mail.len(), 2, "the send and its first reminder");
        assert!(mail[1]["subject"].as_str().unwrap().starts_with("Reminder:"), "{}", mail[1]);

        let detail = server.call(&merchant, "GET", &format!("/links/{id}"), None).await.json();
        let kinds: Vec<(Value, Value)> =
            detail["deliveries"].as_array().unwrap().iter().map(|d| (d["kind"].clone(), d["slot"].clone())).collect();
        assert_eq!(kinds, vec![(json!("send"), json!(null)), (json!("reminder"), json!(1))]);

        let bad = advance(-5).await;
        assert_eq!(
            (bad.status, bad.json()["error"]["field"].clone()),
            (StatusCode::UNPROCESSABLE_ENTITY, json!("advance_seconds"))
        );
    }
}
