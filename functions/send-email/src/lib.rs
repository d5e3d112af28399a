//! send-email: `POST /links/{id}/email` on SES v2.

use std::convert::Infallible;
use std::sync::Arc;

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use paylinks::budgets;
use paylinks::config::LinkConfig;
use paylinks::domain::Channel;
use paylinks::ports::{Clock, Mailer, Store};
use paylinks::tokens::LinkTokens;
use paylinks::usecases::link_view::LinkUrls;
use paylinks::usecases::send::{Sender, Transport};
use paylinks_http::{self as http, ApiError};

pub struct Deps {
    pub store: Arc<dyn Store>,
    pub mailer: Arc<dyn Mailer>,
    pub tokens: Arc<LinkTokens>,
    pub config: LinkConfig,
    pub clock: Arc<dyn Clock>,
}

pub async fn handle(deps: &Deps, request: Request) -> Result<Response<Body>, Infallible> {
    let late = || ApiError::out_of_time().into_response();
    Ok(paylinks_http::within_deadline(&budgets::SEND_EMAIL, serve(deps, request), late).await)
}

async fn serve(deps: &Deps, request: Request) -> Response<Body> {
    let segments = http::path_segments(&request);
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let response = match (request.method(), segments.as_slice()) {
        (&Method::POST, ["links", id, "email"]) => send(deps, &request, id).await,
        _ => Err(ApiError::not_found("route")),
    };
    response.unwrap_or_else(ApiError::into_response)
}

async fn send(deps: &Deps, request: &Request, id: &str) -> Result<Response<Body>, ApiError> {
    let merchant = http::merchant_of(request)?;
    let recipients = http::body::<http::dto::SendBody>(request)?.recipients(Channel::Email)?;
    let sender = Sender {
        store: deps.store.as_ref(),
        transport: Transport::Email(deps.mailer.as_ref()),
        urls: LinkUrls { config: &deps.config, tokens: &deps.tokens },
        resend_window_seconds: deps.config.resend_window_seconds,
    };
    // The merchant's limit is counted beside the send's first read.
    let limit = deps.config.merchant_requests_per_minute;
    let sent = sender.send_link(&merchant, id, recipients, limit, deps.clock.now()).await?;
    Ok(http::json(StatusCode::OK, &sent))
}
