//! `POST /ses/events`: an SES event in the SNS notification that carries it, as the configuration
//! set's topic hands it to the `delivery-events` function in the cloud; `POST /sms/events`: an SNS
//! SMS delivery status record, as SNS logs it and a log subscription hands it to the same function.
//! The same use case records each on its delivery's funnel (and the suppression list).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use paylinks::domain::ValidationError;
use paylinks::ports::Clock;
use paylinks::usecases::delivery_events::{self, Recorded};
use paylinks_http::{self as api, ApiError};
use serde::Deserialize;
use serde_json::json;

use crate::App;

/// What SNS posts to an HTTP subscriber; only what is used.
#[derive(Debug, Deserialize)]
struct SnsNotification {
    #[serde(rename = "Type")]
    kind: Option<String>,
    #[serde(rename = "Message")]
    message: Option<String>,
}

pub async fn handle(app: &App, request: Request) -> Response<Body> {
    let notification: SnsNotification = match api::dto::parse_body(api::body_bytes(&request)) {
        Ok(notification) => notification,
        Err(err) => return err.into_response(),
    };
    if notification.kind.as_deref() == Some("SubscriptionConfirmation") {
        return api::json(StatusCode::OK, &json!({"recorded": false}));
    }
    let invalid = |message: &str| ApiError::validation(ValidationError::new("Message", message)).into_response();
    let Some(message) = notification.message else { return invalid("is required") };
    let event = match delivery_events::parse_ses_event(&message, app.clock.now()) {
        Ok(Some(event)) => event,
        Ok(None) => return api::json(StatusCode::OK, &json!({"recorded": false})),
        Err(_) => return invalid("must be an SES event (eventType or notificationType, mail.messageId)"),
    };
    record(app, &event).await
}

pub async fn handle_sms(app: &App, request: Request) -> Response<Body> {
    // Malformed JSON is a 400 as on every route; JSON that is no status record a 422.
    let status: serde_json::Value = match api::dto::parse_body(api::body_bytes(&request)) {
        Ok(status) => status,
        Err(err) => return err.into_response(),
    };
    let event = match delivery_events::parse_sms_status(&status.to_string(), app.clock.now()) {
        Ok(Some(event)) => event,
        Ok(None) => return api::json(StatusCode::OK, &json!({"recorded": false})),
        Err(_) => {
            let problem = "must be an SNS SMS delivery status (notification.messageId, status)";
            return ApiError::validation(ValidationError::new("body", problem)).into_response();
        }
    };
    record(app, &event).await
}

async fn record(app: &App, event: &delivery_events::ProviderEvent) -> Response<Body> {
    match delivery_events::record(app.reminders.store.as_ref(), event).await {
        Ok(recorded) => api::json(StatusCode::OK, &json!({"recorded": recorded == Recorded::Recorded})),
        Err(err) => ApiError::from(err).into_response(),
    }
}
