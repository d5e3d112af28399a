//! send-sms: `POST /links/{id}/sms` and `POST /text-to-pay` on SNS.

use std::convert::Infallible;
use std::sync::Arc;

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use paylinks::budgets;
use paylinks::config::LinkConfig;
use paylinks::domain::{Channel, Link, MerchantId, OrderId, PhoneE164, Recipient, random_base62};
use paylinks::ports::{Clock, SmsSender, Store};
use paylinks::tokens::LinkTokens;
use paylinks::usecases::create_link::{Created, Creator};
use paylinks::usecases::idempotency;
use paylinks::usecases::link_view::{LinkSummary, LinkUrls};
use paylinks::usecases::send::{Sender, Transport};
use paylinks::usecases::{manage, settings};
use paylinks_http::dto::TextToPay;
use paylinks_http::{self as http, ApiError};

pub struct Deps {
    pub store: Arc<dyn Store>,
    pub sms: Arc<dyn SmsSender>,
    pub tokens: Arc<LinkTokens>,
    pub config: LinkConfig,
    pub clock: Arc<dyn Clock>,
}

impl Deps {
    fn urls(&self) -> LinkUrls<'_> {
        LinkUrls { config: &self.config, tokens: &self.tokens }
    }

    fn sender(&self) -> Sender<'_, dyn Store> {
        Sender {
            store: self.store.as_ref(),
            transport: Transport::Sms(self.sms.as_ref()),
            urls: self.urls(),
            resend_window_seconds: self.config.resend_window_seconds,
        }
    }
}

pub async fn handle(deps: &Deps, request: Request) -> Result<Response<Body>, Infallible> {
    let late = || ApiError::out_of_time().into_response();
    Ok(paylinks_http::within_deadline(&budgets::SEND_SMS, serve(deps, request), late).await)
}

async fn serve(deps: &Deps, request: Request) -> Response<Body> {
    let segments = http::path_segments(&request);
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let response = match (request.method(), segments.as_slice()) {
        (&Method::POST, ["links", id, "sms"]) => send(deps, &request, id).await,
        (&Method::POST, ["text-to-pay"]) => text_to_pay(deps, &request).await,
        _ => Err(ApiError::not_found("route")),
    };
    response.unwrap_or_else(ApiError::into_response)
}

async fn send(deps: &Deps, request: &Request, id: &str) -> Result<Response<Body>, ApiError> {
    let merchant = http::merchant_of(request)?;
    let recipients = http::body::<http::dto::SendBody>(request)?.recipients(Channel::Sms)?;
    // The merchant's limit is counted beside the send's first read.
    let limit = deps.config.merchant_requests_per_minute;
    let sent = deps.sender().send_link(&merchant, id, recipients, limit, deps.clock.now()).await?;
    Ok(http::json(StatusCode::OK, &sent))
}

/// A one-off order link for a phone number and its SMS, in one call.
async fn text_to_pay(deps: &Deps, request: &Request) -> Result<Response<Body>, ApiError> {
    let merchant = http::merchant_of(request)?;
    let limit = deps.config.merchant_requests_per_minute;
    http::limits::within_merchant_limit(deps.store.as_ref(), &merchant, limit, deps.clock.now()).await?;
    let asked: TextToPay = http::command::<http::dto::TextToPayBody, _>(request)?;
    let order = asked.link(text_to_pay_order_id(request, &merchant)?);
    let now = deps.clock.now();
    // A one-off order is new: no older link of it has a session to close.
    let creator = Creator { store: deps.store.as_ref(), config: &deps.config, checkout: None, merchant_limit: None };
    let link = match creator.create_once(&merchant, &order, now).await? {
        Created::New(link) => *link,
        Created::Reused(reused) => {
            manage::owned_link(deps.store.as_ref(), &merchant, reused.current.id.as_str(), now).await?.value
        }
    };
    let delivery = send_text(deps, &merchant, &link, asked.phone).await?;
    let mut view = serde_json::to_value(LinkSummary::of(&link, deps.urls(), now)).expect("summaries serialise");
    view["delivery"] = serde_json::to_value(delivery).expect("results serialise");
    Ok(http::json(StatusCode::CREATED, &view))
}

async fn send_text(
    deps: &Deps,
    merchant: &MerchantId,
    link: &Link,
    phone: PhoneE164,
) -> Result<paylinks::usecases::send::DeliveryResult, ApiError> {
    let merchant_settings = settings::get_settings(deps.store.as_ref(), merchant).await?;
    let mut sent =
        deps.sender().send(link, &merchant_settings, &[Recipient::Phone(phone)], None, deps.clock.now()).await?;
    Ok(sent.remove(0))
}

/// The one-off order's id. With an `Idempotency-Key`, the same key and body always name the same
/// order: a retry after a 5xx (the link made, the text not sent) finds that order's link inside the
/// resend window and texts it once, instead of leaving an outstanding order nobody was told of.
fn text_to_pay_order_id(request: &Request, merchant: &MerchantId) -> Result<OrderId, ApiError> {
    let id = match http::idempotency_key(request)? {
        None => format!("TTP-{}", random_base62(12)),
        Some(key) => {
            let mut named = format!("{merchant}\n{key}\n").into_bytes();
            named.extend_from_slice(http::body_bytes(request));
            format!("TTP-{}", &idempotency::fingerprint("POST /text-to-pay", &named)[..20])
        }
    };
    Ok(OrderId::parse(&id).expect("TTP- and base62 or hex make an order id"))
}
