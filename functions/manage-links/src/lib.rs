//! manage-links: the dashboard's routes. `GET`/`PUT /settings`, `GET /funnel`, `GET /links`,
//! `GET`/`PATCH`/`DELETE /links/{id}`, `GET /orders`, `GET /orders/{id}`, `POST /orders/{id}/mark-paid`,
//! `POST /orders/{id}/reject`, `POST`/`GET /webhook-endpoints`, `DELETE /webhook-endpoints/{id}`,
//! `POST /webhook-endpoints/{id}/roll-secret`.

use std::convert::Infallible;
use std::sync::Arc;

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use paylinks::budgets;
use paylinks::config::LinkConfig;
use paylinks::domain::{Destination, MerchantId};
use paylinks::ports::{Checkout, Clock, ResolveHost, Store};
use paylinks::tokens::LinkTokens;
use paylinks::usecases::link_view::LinkUrls;
use paylinks::usecases::{list, manage, orders, settings, webhook_endpoints};
use paylinks_http::{self as http, ApiError};
use serde_json::json;

pub struct Deps {
    pub store: Arc<dyn Store>,
    pub checkout: Arc<dyn Checkout>,
    pub tokens: Arc<LinkTokens>,
    pub config: LinkConfig,
    pub clock: Arc<dyn Clock>,
    /// Where webhook URLs lead, and which destinations are allowed (public only in the cloud).
    pub resolver: Arc<dyn ResolveHost>,
    pub destinations: Destination,
}

impl Deps {
    fn urls(&self) -> LinkUrls<'_> {
        LinkUrls { config: &self.config, tokens: &self.tokens }
    }
}

pub async fn handle(deps: &Deps, request: Request) -> Result<Response<Body>, Infallible> {
    let serve = async { route(deps, &request).await.unwrap_or_else(ApiError::into_response) };
    let late = || ApiError::out_of_time().into_response();
    Ok(paylinks_http::within_deadline(&budgets::MANAGE_LINKS, serve, late).await)
}

async fn route(deps: &Deps, request: &Request) -> Result<Response<Body>, ApiError> {
    let segments = http::path_segments(request);
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let method = request.method().clone();
    let known = matches!(
        segments.as_slice(),
        ["settings"]
            | ["funnel"]
            | ["links"]
            | ["links", _]
            | ["orders"]
            | ["orders", _]
            | ["orders", _, "mark-paid" | "reject"]
            | ["webhook-endpoints"]
            | ["webhook-endpoints", _]
            | ["webhook-endpoints", _, "roll-secret"]
            | ["events"]
            | ["events", _, "redeliver"]
    );
    if !known {
        return Err(ApiError::not_found("route"));
    }
    // Authenticate before anything else, so an unknown id tells a stranger nothing.
    let merchant = http::merchant_of(request)?;
    let limit = deps.config.merchant_requests_per_minute;
    http::limits::within_merchant_limit(deps.store.as_ref(), &merchant, limit, deps.clock.now()).await?;
    match segments.as_slice() {
        ["settings"] => settings_route(deps, request, &method, &merchant).await,
        ["funnel"] => funnel_route(deps, request, &method, &merchant).await,
        ["webhook-endpoints", ..] => endpoints_route(deps, request, &method, &merchant, &segments[1..]).await,
        ["events", ..] => events_route(deps, request, &method, &merchant, &segments[1..]).await,
        ["links", ..] => links_route(deps, request, &method, &merchant, &segments[1..]).await,
        _ => orders_route(deps, request, &method, &merchant, &segments[1..]).await,
    }
}

fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "This route does not take that method.")
}

async fn settings_route(
    deps: &Deps,
    request: &Request,
    method: &Method,
    merchant: &MerchantId,
) -> Result<Response<Body>, ApiError> {
    match *method {
        Method::GET => Ok(http::json(StatusCode::OK, &settings::get_settings(deps.store.as_ref(), merchant).await?)),
        Method::PUT => {
            let patch = http::command::<http::dto::SettingsBody, _>(request)?;
            let saved = settings::put_settings(deps.store.as_ref(), merchant, &patch).await?;
            Ok(http::json(StatusCode::OK, &saved))
        }
        _ => Err(method_not_allowed()),
    }
}

async fn links_route(
    deps: &Deps,
    request: &Request,
    method: &Method,
    merchant: &MerchantId,
    rest: &[&str],
) -> Result<Response<Body>, ApiError> {
    let (store, checkout, now) = (deps.store.as_ref(), deps.checkout.as_ref(), deps.clock.now());
    match (method.clone(), rest) {
        (Method::GET, []) => {
            let filter = list::LinkFilter::parse(|name| http::query_param(request, name))?;
            let page = list::list_links(store, deps.urls(), merchant, &filter, now).await?;
            Ok(http::json(StatusCode::OK, &json!({"data": page.data, "next_cursor": page.next_cursor})))
        }
        (Method::GET, [id]) => link_detail(deps, merchant, id).await,
        (Method::PATCH, [id]) => {
            let change = http::command::<http::dto::LinkChangeBody, manage::LinkChange>(request)?;
            manage::change(store, checkout, &deps.config, merchant, id, &change, now).await?;
            link_detail(deps, merchant, id).await
        }
        (Method::DELETE, [id]) => {
            manage::delete(store, checkout, &deps.config, merchant, id, now).await?;
            Ok(http::empty(StatusCode::NO_CONTENT))
        }
        _ => Err(method_not_allowed()),
    }
}

/// The merchant's event log.
async fn events_route(
    deps: &Deps,
    request: &Request,
    method: &Method,
    merchant: &MerchantId,
    rest: &[&str],
) -> Result<Response<Body>, ApiError> {
    use paylinks::usecases::event_log;
    let store = deps.store.as_ref();
    match (method.clone(), rest) {
        (Method::GET, []) => {
            let filter = event_log::EventFilter::parse(|name| http::query_param(request, name))?;
            let (data, next_cursor) = event_log::list_events(store, merchant, &filter).await?;
            Ok(http::json(StatusCode::OK, &json!({"data": data, "next_cursor": next_cursor})))
        }
        (Method::POST, [id, "redeliver"]) => {
            let event = event_log::redeliver(store, merchant, id, deps.clock.now()).await?;
            Ok(http::json(StatusCode::ACCEPTED, &event))
        }
        _ => Err(method_not_allowed()),
    }
}

/// The merchant's webhook endpoints.
async fn endpoints_route(
    deps: &Deps,
    request: &Request,
    method: &Method,
    merchant: &MerchantId,
    rest: &[&str],
) -> Result<Response<Body>, ApiError> {
    let store = deps.store.as_ref();
    match (method.clone(), rest) {
        (Method::POST, []) => {
            let new = http::command::<http::dto::WebhookEndpointBody, webhook_endpoints::NewEndpoint>(request)?;
            let (resolver, destinations, now) = (deps.resolver.as_ref(), deps.destinations, deps.clock.now());
            let created = webhook_endpoints::create(store, resolver, destinations, merchant, &new, now).await?;
            Ok(http::json(StatusCode::CREATED, &created))
        }
        (Method::GET, []) => {
            let data = webhook_endpoints::list(store, merchant).await?;
            Ok(http::json(StatusCode::OK, &json!({"data": data})))
        }
        (Method::DELETE, [id]) => {
            webhook_endpoints::delete(store, merchant, id).await?;
            Ok(http::empty(StatusCode::NO_CONTENT))
        }
        (Method::POST, [id, "roll-secret"]) => {
            let roll = http::command::<http::dto::RollSecretBody, http::dto::RollSecret>(request)?;
            let rolled = webhook_endpoints::roll_secret(store, merchant, id, roll.hours, deps.clock.now()).await?;
            Ok(http::json(StatusCode::OK, &rolled))
        }
        _ => Err(method_not_allowed()),
    }
}

/// `GET /funnel`: the merchant's delivery funnel over the links created in a range.
async fn funnel_route(
    deps: &Deps,
    request: &Request,
    method: &Method,
    merchant: &MerchantId,
) -> Result<Response<Body>, ApiError> {
    if *method != Method::GET {
        return Err(method_not_allowed());
    }
    let range = paylinks::usecases::funnel::range(|name| http::query_param(request, name))?;
    let summary =
        paylinks::usecases::funnel::merchant_funnel(deps.store.as_ref(), merchant, range, deps.clock.now()).await?;
    Ok(http::json(StatusCode::OK, &summary))
}

async fn orders_route(
    deps: &Deps,
    request: &Request,
    method: &Method,
    merchant: &MerchantId,
    rest: &[&str],
) -> Result<Response<Body>, ApiError> {
    let (store, checkout, now) = (deps.store.as_ref(), deps.checkout.as_ref(), deps.clock.now());
    let retention = deps.config.retention_days;
    let order = match (method.clone(), rest) {
        (Method::GET, []) => {
            let filter = orders::OrderFilter::parse(|name| http::query_param(request, name))?;
            let (data, next_cursor) = orders::list_orders(store, merchant, &filter).await?;
            return Ok(http::json(StatusCode::OK, &json!({"data": data, "next_cursor": next_cursor})));
        }
        (Method::GET, [id]) => {
            let order = orders::get_order(store, merchant, id).await?;
            return Ok(http::json(StatusCode::OK, &orders::OrderView::with_entries(&order)));
        }
        (Method::POST, [id, "mark-paid"]) => orders::mark_paid(store, checkout, merchant, id, now, retention).await?,
        (Method::POST, [id, "reject"]) => orders::reject(store, checkout, merchant, id, now, retention).await?,
        _ => return Err(method_not_allowed()),
    };
    Ok(http::json(StatusCode::OK, &orders::OrderView::of(&order)))
}

async fn link_detail(deps: &Deps, merchant: &MerchantId, id: &str) -> Result<Response<Body>, ApiError> {
    let now = deps.clock.now();
    let detail = manage::detail(deps.store.as_ref(), deps.urls(), merchant, id, now).await?;
    Ok(http::json(StatusCode::OK, &detail))
}
