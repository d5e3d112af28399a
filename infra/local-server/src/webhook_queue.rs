//! The local server's queue of merchants' event deliveries, in SQS's place: a message waits in
//! memory until the clock reaches it; a failed attempt puts it off by its backoff; after the last
//! it joins the dead letters. The same relay and dispatch the cloud runs drive it. It lives as
//! long as the server: deliveries queued when it stops stay queued in a kept store (redeliver
//! them by hand).

use std::sync::Mutex;

use async_trait::async_trait;
use paylinks::domain::Timestamp;
use paylinks::ports::{Clock, Commit, PostEvent, QueueDeliveries, QueueError, QueuedDelivery, Read, StoreError};
use paylinks::usecases::event_dispatch::{DispatchReport, Dispatched, dispatch};

struct Waiting {
    visible_at: Timestamp,
    message: QueuedDelivery,
    receives: u32,
}

#[derive(Default)]
pub struct InProcessQueue {
    waiting: Mutex<Vec<Waiting>>,
    dead_letters: Mutex<Vec<QueuedDelivery>>,
}

/// After a store fault, a message comes back after this long (as SQS's visibility timeout would).
const AFTER_A_FAULT_SECONDS: i64 = 60;

impl InProcessQueue {
    /// Sends every message the clock has reached, each once.
    pub async fn send_visible<S: Read + Commit + ?Sized>(
        &self,
        store: &S,
        poster: &dyn PostEvent,
        clock: &dyn Clock,
    ) -> Result<DispatchReport, StoreError> {
        let now = clock.now();
        let visible: Vec<Waiting> = {
            let mut waiting = self.waiting.lock().expect("the queue's lock");
            let (visible, later) = waiting.drain(..).partition(|w| w.visible_at <= now);
            *waiting = later;
            visible
        };
        let mut report = DispatchReport::default();
        let mut visible = visible.into_iter();
        while let Some(mut taken) = visible.next() {
            taken.receives += 1;
            let dispatched = match dispatch(store, poster, clock, &taken.message, taken.receives).await {
                Ok(dispatched) => dispatched,
                Err(err) => {
                    taken.visible_at = now.plus_seconds(AFTER_A_FAULT_SECONDS);
                    self.put_back(std::iter::once(taken).chain(visible));
                    return Err(err);
                }
            };
            report.count(dispatched);
            match dispatched {
                Dispatched::Done => {}
                Dispatched::RetryIn(seconds) => {
                    taken.visible_at = now.plus_seconds(seconds);
                    self.put_back(std::iter::once(taken));
                }
                Dispatched::DeadLetter => self.dead_letters.lock().expect("the queue's lock").push(taken.message),
            }
        }
        Ok(report)
    }

    /// Messages waiting, and dead letters: for `GET /local/clock`.
    pub fn depths(&self) -> (usize, usize) {
        (
            self.waiting.lock().expect("the queue's lock").len(),
            self.dead_letters.lock().expect("the queue's lock").len(),
        )
    }

    fn put_back(&self, messages: impl Iterator<Item = Waiting>) {
        self.waiting.lock().expect("the queue's lock").extend(messages);
    }
}

#[async_trait]
impl QueueDeliveries for InProcessQueue {
    async fn enqueue(&self, deliveries: &[QueuedDelivery]) -> Result<(), QueueError> {
        let now_visible = Timestamp::from_unix(0);
        self.put_back(deliveries.iter().map(|message| Waiting {
            visible_at: now_visible,
            message: message.clone(),
            receives: 0,
        }));
        Ok(())
    }
}
