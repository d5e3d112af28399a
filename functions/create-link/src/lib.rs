//! create-link: `POST /links`.

use std::convert::Infallible;
use std::sync::Arc;

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use paylinks::budgets;
use paylinks::config::LinkConfig;
use paylinks::http::{self, ApiError};
use paylinks::ports::{Clock, IdempotencyBegin, LinkStore};
use paylinks::tokens::LinkTokens;
use paylinks::usecases::create_link::{CreateLink, Created, create_link};
use paylinks::usecases::idempotency;
use paylinks::usecases::link_view::{LinkSummary, LinkUrls};
use serde_json::json;

pub struct Deps {
    pub store: Arc<dyn LinkStore>,
    pub tokens: Arc<LinkTokens>,
    pub config: LinkConfig,
    pub clock: Arc<dyn Clock>,
}

pub async fn handle(deps: &Deps, request: Request) -> Result<Response<Body>, Infallible> {
    let late = || ApiError::out_of_time().into_response();
    Ok(budgets::within_deadline(&budgets::CREATE_LINK, serve(deps, request), late).await)
}

async fn serve(deps: &Deps, request: Request) -> Response<Body> {
    let segments = http::path_segments(&request);
    if request.method() != Method::POST || segments != ["links"] {
        return ApiError::not_found("route").into_response();
    }
    with_idempotency(deps, &request).await.unwrap_or_else(ApiError::into_response)
}

/// Replays the first response to an `Idempotency-Key`; a request that failed on a dependency
/// frees its key so the retry runs again.
async fn with_idempotency(deps: &Deps, request: &Request) -> Result<Response<Body>, ApiError> {
    let merchant = http::merchant_of(request)?;
    let Some(key) = http::idempotency_key(request)? else {
        return create(deps, request).await.or_else(|e| Ok(e.into_response()));
    };
    let fingerprint = idempotency::fingerprint("POST /links", http::body_bytes(request));
    let now = deps.clock.now();
    match idempotency::begin(deps.store.as_ref(), &merchant, &key, &fingerprint, now).await? {
        IdempotencyBegin::Started => {}
        IdempotencyBegin::Completed { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut response =
                http::json(status, &serde_json::from_str::<serde_json::Value>(&body).unwrap_or_default());
            response.headers_mut().insert("idempotent-replayed", "true".parse().expect("static header"));
            return Ok(response);
        }
        IdempotencyBegin::InProgress => {
            return Err(ApiError::conflict(
                "idempotency_in_progress",
                "A request with this Idempotency-Key is still in progress.",
            ));
        }
        IdempotencyBegin::Mismatch => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "This Idempotency-Key was used for a different request.",
            ));
        }
    }
    let response = create(deps, request).await.unwrap_or_else(ApiError::into_response);
    if response.status().is_server_error() {
        deps.store.abandon_idempotent(&merchant, &key).await?;
        return Ok(response);
    }
    let body = match response.body() {
        Body::Text(text) => text.clone(),
        _ => String::new(),
    };
    if let Err(err) = deps.store.complete_idempotent(&merchant, &key, response.status().as_u16(), &body).await {
        // The response cannot be kept for replay: free the key (best effort) and say "retry".
        // The retry finds the link just made through the order's reuse window.
        let _ = deps.store.abandon_idempotent(&merchant, &key).await;
        return Err(err.into());
    }
    Ok(response)
}

async fn create(deps: &Deps, request: &Request) -> Result<Response<Body>, ApiError> {
    let merchant = http::merchant_of(request)?;
    let body = http::json_body(request)?;
    let command = CreateLink::parse(&body)?;
    let now = deps.clock.now();
    let created = create_link(deps.store.as_ref(), &deps.config, &merchant, &command, now).await?;
    let urls = LinkUrls { config: &deps.config, tokens: &deps.tokens };
    let (status, link, reused) = match &created {
        Created::New(link) => (StatusCode::CREATED, link, false),
        Created::Reused(link) => (StatusCode::OK, link, true),
    };
    paylinks::logging::record_link(&link.id);
    let mut view = serde_json::to_value(LinkSummary::of(link, urls, now)).expect("summaries serialise");
    view["reused"] = json!(reused);
    Ok(http::json(status, &view))
}
