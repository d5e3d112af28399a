//! link-qr: `GET /links/{id}/qr.svg` and `GET /links/{id}/qr.png`, the link's short URL as a QR
//! code for counters and printed invoices. The merchant's own links only: another merchant's id
//! is 404. A function of its own, so the QR and PNG code is in no other function's binary.

mod qr;

use std::convert::Infallible;
use std::sync::Arc;

use lambda_http::http::{Method, StatusCode, header};
use lambda_http::{Body, Request, Response};
use paylinks::budgets;
use paylinks::config::LinkConfig;
use paylinks::ports::{Clock, Store};
use paylinks::usecases::manage::owned_link;
use paylinks_http::{self as http, ApiError};

pub use qr::{png, svg};

pub struct Deps {
    pub store: Arc<dyn Store>,
    /// The public base URL, for the short URL (no token: the function holds no signing secret).
    pub config: LinkConfig,
    pub clock: Arc<dyn Clock>,
}

pub async fn handle(deps: &Deps, request: Request) -> Result<Response<Body>, Infallible> {
    let serve = async { serve(deps, &request).await.unwrap_or_else(ApiError::into_response) };
    let late = || ApiError::out_of_time().into_response();
    Ok(paylinks_http::within_deadline(&budgets::LINK_QR, serve, late).await)
}

enum Format {
    Svg,
    Png,
}

async fn serve(deps: &Deps, request: &Request) -> Result<Response<Body>, ApiError> {
    let segments = http::path_segments(request);
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let (id, format) = match segments.as_slice() {
        ["links", id, "qr.svg"] => (*id, Format::Svg),
        ["links", id, "qr.png"] => (*id, Format::Png),
        _ => return Err(ApiError::not_found("route")),
    };
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "This route does not take that method.",
        ));
    }
    let merchant = http::merchant_of(request)?;
    let limit = deps.config.merchant_requests_per_minute;
    http::limits::within_merchant_limit(deps.store.as_ref(), &merchant, limit, deps.clock.now()).await?;
    let link = owned_link(deps.store.as_ref(), &merchant, id, deps.clock.now()).await?;
    let url = deps.config.short_url(&link.short_code);
    let (content_type, body) = match format {
        Format::Svg => ("image/svg+xml", qr::svg(&url).map(Body::from)),
        Format::Png => ("image/png", qr::png(&url).map(Body::from)),
    };
    // A short URL is a few dozen characters: always within a QR code's capacity.
    let body = body.ok_or_else(|| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "No QR code."))?;
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        // The short URL never changes: a browser may keep it (the merchant's alone, so private).
        .header(header::CACHE_CONTROL, "private, max-age=86400")
        .header("x-content-type-options", "nosniff")
        .body(body)
        .expect("a valid response"))
}
