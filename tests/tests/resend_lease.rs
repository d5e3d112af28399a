//! A re-send window held by a request that died (killed at its function's timeout before it
//! recorded how its send ended) is a lease: a retry takes it over once that timeout has passed,
//! instead of waiting out the whole window. On both stores, with the clock in the test's hands.

use std::sync::Mutex;

use async_trait::async_trait;
use paylinks::config::LinkConfig;
use paylinks::domain::{Email, Recipient, SendWindow, Settings, Versioned};
use paylinks::ports::{EmailMessage, Mailer, SendError, Store, Write};
use paylinks::tokens::LinkTokens;
use paylinks::usecases::link_view::LinkUrls;
use paylinks::usecases::send::{SEND_LEASE_SECONDS, Sender, Transport};
use paylinks_dynamodb::DynamoStore;
use paylinks_embedded::EmbeddedStore;
use paylinks_tests::contract::{NOW, link, merchant};
use paylinks_tests::moto;
use secrecy::SecretString;

#[derive(Default)]
struct Counting(Mutex<usize>);

#[async_trait]
impl Mailer for Counting {
    async fn send_email(&self, _: &EmailMessage) -> Result<String, SendError> {
        let mut sent = self.0.lock().unwrap();
        *sent += 1;
        Ok(format!("msg-{sent}"))
    }
}

async fn a_dead_requests_window_is_taken_over_after_its_lease(store: &dyn Store) {
    let config = LinkConfig::with_base_url("https://pay.example.com");
    let tokens = LinkTokens::new(&SecretString::from("lease-test-secret-0123456789abcdef".to_string())).unwrap();
    let mailer = Counting::default();
    let sender = Sender {
        store,
        transport: Transport::Email(&mailer),
        urls: LinkUrls { config: &config, tokens: &tokens },
        resend_window_seconds: 1800,
    };
    let l = link(&merchant("m-lease"), Some("SO-lease"));
    store.commit(vec![Write::Link(Versioned::new(l.clone()))]).await.unwrap();
    let recipient = Recipient::Email { email: Email::parse("ada@example.com").unwrap(), name: None };
    // What a request that died after claiming left behind: a pending delivery holding the window.
    let pending = paylinks_tests::contract::delivery(&l);
    let window = SendWindow {
        link_id: l.id.clone(),
        key: recipient.window_key(),
        delivery: pending.clone(),
        lease_until: NOW.plus_seconds(SEND_LEASE_SECONDS),
    };
    store.commit(vec![Write::Delivery(Versioned::new(pending)), Write::Window(Versioned::new(window))]).await.unwrap();
    let settings = Settings::default();
    let within =
        sender.send(&l, &settings, std::slice::from_ref(&recipient), None, NOW.plus_seconds(10)).await.unwrap();
    assert_eq!(within[0].status, "deduplicated", "the request may still be running");
    assert_eq!(*mailer.0.lock().unwrap(), 0);
    let after = NOW.plus_seconds(SEND_LEASE_SECONDS + 1);
    let taken_over = sender.send(&l, &settings, std::slice::from_ref(&recipient), None, after).await.unwrap();
    assert_eq!(taken_over[0].status, "sent", "its request is dead: the retry sends");
    let again = sender.send(&l, &settings, &[recipient], None, after.plus_seconds(60)).await.unwrap();
    assert_eq!(again[0].status, "deduplicated", "and now holds the window itself");
    assert_eq!(*mailer.0.lock().unwrap(), 1);
}

#[tokio::test]
async fn embedded_a_dead_requests_window_is_taken_over_after_its_lease() {
    a_dead_requests_window_is_taken_over_after_its_lease(&EmbeddedStore::new()).await;
}

#[tokio::test]
async fn dynamodb_a_dead_requests_window_is_taken_over_after_its_lease() {
    let client = moto::dynamo().await;
    let table = moto::fresh_table(&client).await;
    a_dead_requests_window_is_taken_over_after_its_lease(&DynamoStore::new(client, table)).await;
}
