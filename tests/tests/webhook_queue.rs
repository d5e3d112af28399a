//! Merchants' event deliveries through SQS (moto) as the cloud runs them: the schedule queues each
//! delivery due, the event source hands messages out, a failed attempt puts its message off, and
//! after the last attempt the redrive policy moves it to the dead letters. Two relays at once
//! still send a delivery once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use paylinks::domain::{
    EventDeliveryStatus, EventType, MerchantEvent, MerchantId, Versioned, WebhookEndpoint, WebhookEndpoints,
};
use paylinks::ports::{Clock, Commit, PostEvent, Posted, Store, SystemClock, Wanted, Write};
use paylinks::usecases::event_dispatch::ATTEMPTS;
use paylinks_tests::{moto, sqs};
use serde_json::{Value, json};

struct Answers {
    status: u16,
    posts: AtomicUsize,
}

#[async_trait::async_trait]
impl PostEvent for Answers {
    async fn post(&self, _: &str, _: &[(&'static str, String)], _: &str) -> Posted {
        self.posts.fetch_add(1, Ordering::SeqCst);
        Posted::Status(self.status)
    }
}

struct Setup {
    deps: send_webhooks::Deps,
    answers: Arc<Answers>,
    queue: String,
    dead_letters: String,
    event: MerchantEvent,
}

/// A merchant with one endpoint for `order.paid`, and one such event pending for it.
async fn setup(status: u16) -> Setup {
    let table = moto::fresh_table(&moto::inspector().await).await;
    let (queue, dead_letters) = sqs::fresh_webhook_queue().await;
    let answers = Arc::new(Answers { status, posts: AtomicUsize::new(0) });
    let deps =
        sqs::send_webhooks_deps(&moto::endpoint(), &moto::messaging_endpoint(), &table, &queue, answers.clone()).await;
    let now = SystemClock.now();
    let merchant = MerchantId::parse(&paylinks_tests::server::unique("merchant")).unwrap();
    let url = url::Url::parse("https://hooks.example.com/paylinks").unwrap();
    let endpoints = WebhookEndpoints {
        merchant_id: merchant.clone(),
        endpoints: vec![WebhookEndpoint::new(&url, vec![EventType::OrderPaid], now)],
    };
    let event = MerchantEvent::new(&endpoints.endpoints, &merchant, EventType::OrderPaid, "{}".into(), now);
    let writes = vec![Write::Endpoints(Versioned::new(endpoints)), Write::Event(Versioned::new(event.clone()))];
    deps.store.commit(writes).await.expect("stored");
    Setup { deps, answers, queue, dead_letters, event }
}

async fn stored(store: &dyn Store, event: &MerchantEvent) -> MerchantEvent {
    let wanted = Wanted { event: Some((event.merchant_id.clone(), event.id.clone())), ..Wanted::default() };
    store.read(&wanted).await.unwrap().event.expect("the event").value
}

fn records(batch: &Value) -> &Vec<Value> {
    batch["Records"].as_array().expect("records")
}

#[tokio::test]
async fn a_delivery_that_keeps_failing_is_tried_every_attempt_then_dead_lettered() {
    let setup = setup(500).await;
    let queued = sqs::invoke(&setup.deps, json!({})).await;
    assert_eq!(queued["queued"], 1, "{queued}");
    for attempt in 1..=ATTEMPTS {
        let batch = sqs::receive(&setup.queue).await;
        assert_eq!(records(&batch).len(), 1, "attempt {attempt}: {batch}");
        assert_eq!(batch["Records"][0]["attributes"]["ApproximateReceiveCount"], attempt.to_string());
        let answered = sqs::invoke(&setup.deps, batch.clone()).await;
        assert_eq!(answered["batchItemFailures"].as_array().map(Vec::len), Some(1), "{answered}");
        if attempt < ATTEMPTS {
            let event = stored(setup.deps.store.as_ref(), &setup.event).await;
            let delivery = &event.deliveries[0];
            assert_eq!((delivery.status, delivery.attempts), (EventDeliveryStatus::Pending, attempt));
            assert!(delivery.next_attempt_at > Some(SystemClock.now()), "its backoff is in the log too");
            // The backoff passed (moto keeps the visibility the function set; no waiting here).
            sqs::make_visible(&setup.queue, batch["Records"][0]["receiptHandle"].as_str().unwrap()).await;
        }
    }
    let after = sqs::receive(&setup.queue).await;
    assert!(records(&after).is_empty(), "past its last receive: {after}");
    assert_eq!(sqs::depth(&setup.dead_letters).await, 1, "in the dead letters");
    let event = stored(setup.deps.store.as_ref(), &setup.event).await;
    let delivery = &event.deliveries[0];
    assert_eq!(
        (delivery.status, delivery.attempts, delivery.last_status_code),
        (EventDeliveryStatus::Failed, ATTEMPTS, Some(500))
    );
    assert_eq!(setup.answers.posts.load(Ordering::SeqCst), ATTEMPTS as usize);
    assert_eq!(event.due_at(), None, "not queued again");
}

#[tokio::test]
async fn two_relays_at_once_send_a_delivery_once_and_the_queue_ends_empty() {
    let setup = setup(200).await;
    let (a, b) = tokio::join!(sqs::invoke(&setup.deps, json!({})), sqs::invoke(&setup.deps, json!({})));
    assert_eq!(a["queued"].as_u64().unwrap() + b["queued"].as_u64().unwrap(), 1, "one record won: {a} {b}");
    loop {
        let batch = sqs::receive(&setup.queue).await;
        if records(&batch).is_empty() {
            break;
        }
        let answered = sqs::invoke(&setup.deps, batch).await;
        assert_eq!(answered["batchItemFailures"], json!([]), "{answered}");
    }
    assert_eq!(setup.answers.posts.load(Ordering::SeqCst), 1, "the losing relay's message was dropped unsent");
    let event = stored(setup.deps.store.as_ref(), &setup.event).await;
    assert_eq!(event.deliveries[0].status, EventDeliveryStatus::Succeeded);
    // Nothing due any more: a later run queues nothing.
    let again = sqs::invoke(&setup.deps, json!({})).await;
    assert_eq!(again["queued"], 0, "{again}");
}

/// `template.yaml`'s queue agrees with the code: dead letters after the last attempt, messages
/// kept past the longest retry span, hidden longer than a batch takes, failures reported one by one.
#[test]
fn the_templates_queue_dead_letters_after_the_last_attempt_and_outlives_the_retries() {
    let template = paylinks_tests::template::template();
    let queue = &template["Resources"]["WebhookQueue"]["Properties"];
    assert_eq!(queue["RedrivePolicy"]["maxReceiveCount"].as_u64(), Some(u64::from(ATTEMPTS)));
    let longest: i64 = (1..ATTEMPTS).map(|a| (60i64 << (a - 1).min(9)).min(6 * 3600) * 6 / 5).sum();
    let retention = queue["MessageRetentionPeriod"].as_i64().unwrap();
    assert!(retention > longest, "kept {retention} s, retried for up to {longest} s");
    let function = &template["Resources"]["SendWebhooksFunction"]["Properties"];
    let timeout = function["Timeout"].as_i64().unwrap();
    assert!(queue["VisibilityTimeout"].as_i64().unwrap() >= timeout, "a message is not handed out twice at once");
    let source = &function["Events"]["Deliveries"]["Properties"];
    assert_eq!(source["FunctionResponseTypes"][0].as_str(), Some("ReportBatchItemFailures"));
    // Each message a POST of ten seconds at most, and two store round trips.
    assert!(source["BatchSize"].as_i64().unwrap() * 15 < timeout, "a batch fits the function's timeout");
    let dead = &template["Resources"]["WebhookDeadLetters"]["Properties"];
    assert!(dead["MessageRetentionPeriod"].as_i64().unwrap() > retention, "dead letters outlive the queue's");
}

/// Messages against the record of their delivery, on the embedded store: one handed out before the
/// relay recorded its token comes back soon; one whose delivery names another token is dropped; a
/// queued delivery whose lease ran out unrecorded (its message lost) is queued again.
#[tokio::test]
async fn early_stale_and_lost_messages_each_end_right() {
    use paylinks::domain::QUEUE_LEASE_SECONDS;
    use paylinks::ports::{QueueDeliveries, QueueError, QueuedDelivery};
    use paylinks::usecases::event_dispatch::{Dispatched, dispatch};
    use paylinks::usecases::event_relay::queue_due;

    #[derive(Default)]
    struct Kept(std::sync::Mutex<Vec<QueuedDelivery>>);
    #[async_trait::async_trait]
    impl QueueDeliveries for Kept {
        async fn enqueue(&self, deliveries: &[QueuedDelivery]) -> Result<(), QueueError> {
            self.0.lock().unwrap().extend_from_slice(deliveries);
            Ok(())
        }
    }
    struct At(paylinks::domain::Timestamp);
    impl Clock for At {
        fn now(&self) -> paylinks::domain::Timestamp {
            self.0
        }
    }

    let store = paylinks_embedded::EmbeddedStore::new();
    let now = SystemClock.now();
    let merchant = MerchantId::parse(&paylinks_tests::server::unique("merchant")).unwrap();
    let url = url::Url::parse("https://hooks.example.com/paylinks").unwrap();
    let endpoint = WebhookEndpoint::new(&url, vec![EventType::OrderPaid], now);
    let event = MerchantEvent::new(std::slice::from_ref(&endpoint), &merchant, EventType::OrderPaid, "{}".into(), now);
    let endpoints = WebhookEndpoints { merchant_id: merchant.clone(), endpoints: vec![endpoint.clone()] };
    let writes = vec![Write::Endpoints(Versioned::new(endpoints)), Write::Event(Versioned::new(event.clone()))];
    store.commit(writes).await.unwrap();
    let answers = Answers { status: 200, posts: AtomicUsize::new(0) };
    let message = |token: &str| QueuedDelivery {
        merchant_id: merchant.clone(),
        event_id: event.id.clone(),
        endpoint_id: endpoint.id.clone(),
        token: token.into(),
    };

    let early = dispatch(&store, &answers, &SystemClock, &message("not-recorded-yet"), 1).await.unwrap();
    assert_eq!(early, Dispatched::RetryIn(30), "the relay has not recorded it yet");
    let queue = Kept::default();
    assert_eq!(queue_due(&store, &queue, &SystemClock, &|| false).await.unwrap().queued, 1);
    let stale = dispatch(&store, &answers, &SystemClock, &message("not-recorded-yet"), 2).await.unwrap();
    assert_eq!(stale, Dispatched::Done, "another token was recorded: this one is stale");
    assert_eq!(answers.posts.load(Ordering::SeqCst), 0, "neither was sent");

    // Its message is lost: nothing is recorded for the lease, then it is queued again.
    let within = At(now.plus_seconds(QUEUE_LEASE_SECONDS - 60));
    assert_eq!(queue_due(&store, &queue, &within, &|| false).await.unwrap().queued, 0, "the queue's, for now");
    let past = At(now.plus_seconds(QUEUE_LEASE_SECONDS + 60));
    assert_eq!(queue_due(&store, &queue, &past, &|| false).await.unwrap().queued, 1, "queued again");
    let queued = queue.0.lock().unwrap().clone();
    assert_ne!(queued[0].token, queued[1].token, "under a new token");
    assert_eq!(dispatch(&store, &answers, &past, &queued[0], 1).await.unwrap(), Dispatched::Done, "the lost one");
    assert_eq!(dispatch(&store, &answers, &past, &queued[1], 1).await.unwrap(), Dispatched::Done);
    assert_eq!(answers.posts.load(Ordering::SeqCst), 1, "sent once, by the live message");
}
