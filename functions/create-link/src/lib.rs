//! create-link: `POST /links`.

use std::convert::Infallible;
use std::sync::Arc;

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use paylinks::budgets;
use paylinks::config::LinkConfig;
use paylinks::ports::{Checkout, Clock, Store};
use paylinks::tokens::LinkTokens;
use paylinks::usecases::create_link::{CreateLink, CreateLinkError, Created, Creator, Outcome, Remember};
use paylinks::usecases::idempotency;
use paylinks::usecases::link_view::{LinkSummary, LinkUrls};
use paylinks_http::{self as http, ApiError};
use serde_json::json;

pub struct Deps {
    pub store: Arc<dyn Store>,
    /// Closes the Checkout Sessions an order's older links made for an amount it no longer has.
    pub checkout: Arc<dyn Checkout>,
    pub tokens: Arc<LinkTokens>,
    pub config: LinkConfig,
    pub clock: Arc<dyn Clock>,
}

pub async fn handle(deps: &Deps, request: Request) -> Result<Response<Body>, Infallible> {
    let late = || ApiError::out_of_time().into_response();
    Ok(paylinks_http::within_deadline(&budgets::CREATE_LINK, serve(deps, request), late).await)
}

async fn serve(deps: &Deps, request: Request) -> Response<Body> {
    let segments = http::path_segments(&request);
    if request.method() != Method::POST || segments != ["links"] {
        return ApiError::not_found("route").into_response();
    }
    create(deps, &request).await.unwrap_or_else(ApiError::into_response)
}

/// The response to a create, as the route answers it.
fn respond(
    deps: &Deps,
    outcome: &Result<Created, CreateLinkError>,
    now: paylinks::domain::Timestamp,
) -> Response<Body> {
    let urls = LinkUrls { config: &deps.config, tokens: &deps.tokens };
    let (status, view) = match outcome {
        Ok(Created::New(link)) => (StatusCode::CREATED, LinkSummary::of(link, urls, now)),
        Ok(Created::Reused(reused)) => (StatusCode::OK, LinkSummary::of_reused(reused, urls)),
        Err(err) => return http::create_link_answer(err).into_response(),
    };
    let mut body = serde_json::to_value(view).expect("summaries serialise");
    body["reused"] = json!(status == StatusCode::OK);
    http::json(status, &body)
}

/// A create, with its `Idempotency-Key` kept in the same transaction as the link: every retry
/// of the same request gets the first response, and a request that died holds nothing.
async fn create(deps: &Deps, request: &Request) -> Result<Response<Body>, ApiError> {
    let merchant = http::merchant_of(request)?;
    let key = http::idempotency_key(request)?;
    let command: CreateLink = http::command::<http::dto::CreateLinkBody, _>(request)?;
    let now = deps.clock.now();
    let fingerprint = idempotency::fingerprint("POST /links", http::body_bytes(request));
    let keep = |outcome: &Result<Created, CreateLinkError>| {
        let response = respond(deps, outcome, now);
        // A fault is not an outcome: the retry runs again.
        (!response.status().is_server_error()).then(|| (response.status().as_u16(), text_of(&response)))
    };
    let remember = key.as_deref().map(|key| Remember { key, fingerprint: &fingerprint, respond: &keep });
    let creator = Creator {
        store: deps.store.as_ref(),
        config: &deps.config,
        checkout: Some(deps.checkout.as_ref()),
        // Counted beside the create's first read.
        merchant_limit: Some(deps.config.merchant_requests_per_minute),
    };
    match creator.create(&merchant, &command, now, remember.as_ref()).await? {
        Outcome::Done(Ok(created)) => {
            paylinks::logging::record_link(created.link_id());
            Ok(respond(deps, &Ok(created), now))
        }
        Outcome::Done(Err(err)) => Err(err.into()),
        Outcome::Replayed { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut response =
                http::json(status, &serde_json::from_str::<serde_json::Value>(&body).unwrap_or_default());
            response.headers_mut().insert("idempotent-replayed", "true".parse().expect("static header"));
            Ok(response)
        }
    }
}

fn text_of(response: &Response<Body>) -> String {
    match response.body() {
        Body::Text(text) => text.clone(),
        _ => String::new(),
    }
}
