//! The local server's clock and its schedules. Time is a clock the tests and demos control:
//! `POST /local/clock {"advance_seconds": N}` moves it forward and runs every schedule that
//! became due (reminders, merchants' events and their retries); `GET /local/clock` shows it. A timer also runs the schedules every
//! minute, as EventBridge runs send-reminders in the cloud. Never in a Lambda.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use paylinks::domain::Timestamp;
use paylinks::ports::Clock;
use paylinks_http::{self as api, ApiError};
use serde::Deserialize;
use serde_json::json;

use crate::App;

/// What a run of the schedules did.
#[derive(Debug, serde::Serialize)]
pub struct Ran {
    pub reminders: paylinks::usecases::reminders::RunReport,
    /// Links that expired unpaid, told (`link.expired`).
    pub expiries: paylinks::usecases::link_expiry::ExpiryReport,
    /// Event deliveries handed to the queue.
    pub queued: paylinks::usecases::event_relay::RelayReport,
    /// Messages the queue handed out, and how their attempts went.
    pub webhooks: paylinks::usecases::event_dispatch::DispatchReport,
}

/// How often the local server runs its schedules on its own.
pub const SCHEDULE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);
/// The furthest one call may move the clock: ten years.
const MAX_ADVANCE_SECONDS: i64 = 10 * 366 * 86_400;

/// Another clock, moved forward by what `/local/clock` was asked.
pub struct MovableClock {
    inner: Arc<dyn Clock>,
    advanced: AtomicI64,
}

impl MovableClock {
    pub fn new(inner: Arc<dyn Clock>) -> Self {
        Self { inner, advanced: AtomicI64::new(0) }
    }

    fn advance(&self, seconds: i64) {
        self.advanced.fetch_add(seconds, Ordering::SeqCst);
    }

    fn advanced_seconds(&self) -> i64 {
        self.advanced.load(Ordering::SeqCst)
    }
}

impl Clock for MovableClock {
    fn now(&self) -> Timestamp {
        self.inner.now().plus_seconds(self.advanced_seconds())
    }
}

#[derive(Debug, Deserialize)]
struct Advance {
    advance_seconds: Option<i64>,
}

pub async fn handle(app: &App, request: Request) -> Response<Body> {
    match *request.method() {
        Method::GET => api::json(StatusCode::OK, &shown(app)),
        Method::POST => {
            let advance: Advance = match api::dto::parse_body(api::body_bytes(&request)) {
                Ok(advance) => advance,
                Err(err) => return err.into_response(),
            };
            let seconds = match advance.advance_seconds {
                Some(s) if (0..=MAX_ADVANCE_SECONDS).contains(&s) => s,
                _ => {
                    let problem = "must be a whole number of seconds from 0 to ten years";
                    let err = paylinks::domain::ValidationError::new("advance_seconds", problem);
                    return ApiError::validation(err).into_response();
                }
            };
            app.clock.advance(seconds);
            match app.run_schedules().await {
                Ok(ran) => {
                    let mut body = shown(app);
                    body["ran"] = json!(ran);
                    api::json(StatusCode::OK, &body)
                }
                Err(err) => ApiError::unavailable(err).into_response(),
            }
        }
        _ => {
            ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "This route does not take that method.")
                .into_response()
        }
    }
}

fn shown(app: &App) -> serde_json::Value {
    let (waiting, dead_letters) = app.webhook_queue.depths();
    json!({
        "now": app.clock.now(),
        "advanced_seconds": app.clock.advanced_seconds(),
        "webhook_queue": {"waiting": waiting, "dead_letters": dead_letters},
    })
}
