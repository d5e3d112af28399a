//! redeem-link: the customer's routes, public. `GET /pay`, `GET /p/{code}`, `POST /pay` (what the
//! customer chose: a part, a tip), `GET /pay/resolve`, `GET /pay/complete`, `GET /pay/cancel`,
//! `POST /pay/renewal-request`.

use std::convert::Infallible;
use std::sync::Arc;

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use paylinks::budgets;
use paylinks::config::LinkConfig;
use paylinks::domain::{Language, Link, PER_CLIENT, PaymentChoice, Settings, Spent, address_key};
use paylinks::ports::{Checkout, Clock, Store};
use paylinks::tokens::LinkTokens;
use paylinks::usecases::redeem::{Client, Inspection, Presented, RedeemError, Redeemer, Refusal};
use paylinks::usecases::renewal::Renewal;
use paylinks_http::choice::{self, ChoiceInput};
use paylinks_http::pages::{self, Brand, Summary};
use paylinks_http::{self as http, ApiError};
use serde_json::json;

pub struct Deps {
    pub store: Arc<dyn Store>,
    pub checkout: Arc<dyn Checkout>,
    pub tokens: Arc<LinkTokens>,
    pub config: LinkConfig,
    pub clock: Arc<dyn Clock>,
}

impl Deps {
    fn redeemer(&self) -> Redeemer<'_, dyn Store> {
        Redeemer {
            store: self.store.as_ref(),
            checkout: self.checkout.as_ref(),
            tokens: &self.tokens,
            config: &self.config,
        }
    }
}

enum Route {
    Pay,
    Short(String),
    Resolve,
    Complete,
    Cancel,
    RenewalRequest,
    Choose,
}

fn route(request: &Request) -> Option<Route> {
    let segments = http::path_segments(request);
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    if request.method() == Method::POST {
        return match segments.as_slice() {
            ["pay", "renewal-request"] => Some(Route::RenewalRequest),
            ["pay"] => Some(Route::Choose),
            _ => None,
        };
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return None;
    }
    match segments.as_slice() {
        ["pay"] => Some(Route::Pay),
        ["p", code] => Some(Route::Short((*code).to_string())),
        ["pay", "resolve"] => Some(Route::Resolve),
        ["pay", "complete"] => Some(Route::Complete),
        ["pay", "cancel"] => Some(Route::Cancel),
        _ => None,
    }
}

fn not_available_now() -> Response<Body> {
    http::html(StatusCode::SERVICE_UNAVAILABLE, pages::not_available_now(&Brand::neutral()))
}

pub async fn handle(deps: &Deps, request: Request) -> Result<Response<Body>, Infallible> {
    Ok(paylinks_http::within_deadline(&budgets::REDEEM_LINK, serve(deps, request), not_available_now).await)
}

async fn serve(deps: &Deps, request: Request) -> Response<Body> {
    let Some(route) = route(&request) else {
        return http::html(StatusCode::NOT_FOUND, pages::not_found(&Brand::neutral()));
    };
    let accept = request.headers().get("accept-language").and_then(|v| v.to_str().ok());
    let agent = request.headers().get("user-agent").and_then(|v| v.to_str().ok());
    let client = client_of(&request);
    let seen = Seen { accept, client: &client };
    // A HEAD or a chat app's preview of the link: what it is for, never a session or an open.
    let looked_at_only = request.method() == Method::HEAD || paylinks_http::preview_agents::is_link_preview(agent);
    // One address may open links only so often (coming back from Checkout is not limited). An
    // open spends it side by side with reading the link (`pay`, `choose`); the rest first.
    let limit = ClientLimit { deps, address: http::client_address(&request) };
    let opens = !looked_at_only && matches!(route, Route::Pay | Route::Short(_) | Route::Choose);
    if !opens && !matches!(route, Route::Complete | Route::Cancel) {
        match limit.spend().await {
            Ok(Spent::Allowed) => {}
            Ok(Spent::Limited { retry_after }) => {
                return match route {
                    Route::Resolve => rate_limited_json(retry_after),
                    _ => throttled(seen, retry_after),
                };
            }
            Err(err) => {
                tracing::error!(error = %err, "a customer's open could not be counted against the limits");
                return not_available_now();
            }
        }
    }
    if let Route::RenewalRequest = route {
        return renewal_request(deps, &request).await;
    }
    let token = http::query_param(&request, &deps.config.token_query_param).unwrap_or_default();
    let gives_cookie = !client.returning && matches!(route, Route::Pay | Route::Short(_) | Route::Choose);
    let result = match route {
        Route::Pay if looked_at_only => preview(deps, seen, Presented::Token(&token)).await,
        Route::Short(code) if looked_at_only => preview(deps, seen, Presented::ShortCode(&code)).await,
        Route::Choose => {
            let (token, input) = ChoiceInput::parse(http::body_bytes(&request));
            choose(deps, seen, limit, token, input).await
        }
        // A choice in the query: the waiting page coming back with what was posted.
        Route::Pay if choice_in_query(&request) => {
            let (_, input) = ChoiceInput::parse(request.uri().query().unwrap_or_default().as_bytes());
            choose(deps, seen, limit, Some(token).filter(|t| !t.is_empty()), input).await
        }
        Route::Pay => {
            let again = deps.redeemer().urls().pay_url_for_token(&token);
            pay(deps, seen, limit, Presented::Token(&token), &again).await
        }
        Route::Short(code) => {
            let again = format!("{}/p/{code}", deps.config.public_base_url);
            pay(deps, seen, limit, Presented::ShortCode(&code), &again).await
        }
        Route::Resolve => return resolve(deps, &token).await.unwrap_or_else(ApiError::into_response),
        Route::Complete => complete(deps, seen, &token).await,
        Route::Cancel => cancel(deps, seen, &token).await,
        Route::RenewalRequest => unreachable!("served above"),
    };
    let response = result.unwrap_or_else(|err| match err {
        RedeemError::Throttled { retry_after } => throttled(seen, retry_after),
        // Answered where the link is known (`pay`, `choose`); a held open never gets here.
        RedeemError::Held { retry_after } => throttled(seen, retry_after),
        err => {
            tracing::error!(error = %err, "a customer page failed on a dependency");
            not_available_now()
        }
    });
    match (&client.browser, gives_cookie) {
        (Some(browser), true) => with_client_cookie(response, browser, &deps.config.public_base_url),
        _ => response,
    }
}

/// The per-client limit of the public routes (`PER_CLIENT`), for the caller's address.
#[derive(Clone, Copy)]
struct ClientLimit<'a> {
    deps: &'a Deps,
    address: Option<&'a str>,
}

impl ClientLimit<'_> {
    /// The caller's throttle key, when its address is known (hashed: the table never holds it).
    fn key(self) -> Option<String> {
        self.address.map(|address| format!("client:{}", address_key(address)))
    }

    async fn spend(self) -> Result<Spent, paylinks::ports::StoreError> {
        let Some(key) = self.key() else { return Ok(Spent::Allowed) };
        let spent = self.deps.store.spend(&key, PER_CLIENT, self.deps.clock.now()).await?;
        if spent != Spent::Allowed {
            paylinks::metrics::throttled("client");
        }
        Ok(spent)
    }

    /// Gives back this request's spend: a customer held by the pace comes back by itself every
    /// few seconds, and waiting must not turn into a refusal. Best effort.
    async fn give_back(self) {
        let Some(key) = self.key() else { return };
        if let Err(err) = self.deps.store.give_back(&key, PER_CLIENT, self.deps.clock.now()).await {
            tracing::warn!(error = %err, "a client's spend could not be given back");
        }
    }

    /// The limit spent side by side with finding the link: nothing is counted or made for a
    /// client past it.
    async fn beside<T>(self, inspecting: impl Future<Output = Result<T, RedeemError>>) -> Result<T, RedeemError> {
        let (spent, inspection) = tokio::join!(self.spend(), inspecting);
        if let Spent::Limited { retry_after } = spent? {
            return Err(RedeemError::Throttled { retry_after });
        }
        inspection
    }
}

/// Our cookie naming a browser across opens (random; nothing else in it).
const CLIENT_COOKIE: &str = "paylinks_client";

/// Who is opening: our cookie if the browser sent one (else a new one, given with the answer),
/// and its address behind API Gateway, hashed.
fn client_of(request: &Request) -> Client {
    let sent = request
        .headers()
        .get_all(lambda_http::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == CLIENT_COOKIE)
        .map(|(_, value)| value.to_string())
        .filter(|v| v.len() == 22 && v.bytes().all(|b| b.is_ascii_alphanumeric()));
    let returning = sent.is_some();
    let browser = sent.unwrap_or_else(|| paylinks::domain::random_base62(22));
    Client { browser: Some(browser), returning, address: http::client_address(request).map(address_key), kept: None }
}

/// Gives the browser its cookie: for as long as a session is handed back, on our paths only.
fn with_client_cookie(mut response: Response<Body>, browser: &str, base_url: &str) -> Response<Body> {
    let secure = if base_url.starts_with("https://") { "; Secure" } else { "" };
    let max_age = paylinks::domain::CLIENT_SESSION_REUSE_SECONDS;
    let cookie = format!("{CLIENT_COOKIE}={browser}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}");
    if let Ok(value) = cookie.parse() {
        response.headers_mut().append(lambda_http::http::header::SET_COOKIE, value);
    }
    response
}

/// `429` with `Retry-After`: a page saying to come back in a minute.
fn throttled(seen: Seen, retry_after: i64) -> Response<Body> {
    let brand = Brand::neutral().speaking(seen.language(None));
    with_retry_after(http::html(StatusCode::TOO_MANY_REQUESTS, pages::throttled(&brand)), retry_after)
}

/// `429` with `Retry-After`, as JSON, for `/pay/resolve`.
fn rate_limited_json(retry_after: i64) -> Response<Body> {
    let error = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "Too many requests; try again shortly.");
    with_retry_after(error.into_response(), retry_after)
}

fn with_retry_after(mut response: Response<Body>, retry_after: i64) -> Response<Body> {
    response.headers_mut().insert(lambda_http::http::header::RETRY_AFTER, retry_after.max(1).into());
    response
}

/// Who is looking: their browser's languages.
#[derive(Clone, Copy)]
struct Seen<'a> {
    accept: Option<&'a str>,
    client: &'a Client,
}

impl Seen<'_> {
    /// The link's customer's language, else the browser's.
    fn language(self, link: Option<&Link>) -> Language {
        let locale = link.and_then(|l| l.customer.as_ref()).and_then(|c| c.locale.as_deref());
        Language::negotiate(locale, self.accept)
    }

    fn brand(self, settings: &Settings, link: &Link) -> Brand {
        Brand::of(settings).speaking(self.language(Some(link)))
    }

    fn summary(self, link: &Link) -> Summary {
        Summary::of(link, self.language(Some(link)))
    }
}

/// A refused customer: to the link's landing page with the reason, or a page saying it.
fn refusal_response(
    deps: &Deps,
    seen: Seen,
    refusal: Refusal,
    link: Option<&Link>,
    settings: Option<&Settings>,
) -> Response<Body> {
    if let Some(location) = deps.redeemer().landing_redirect(link, refusal) {
        return http::redirect(&location);
    }
    let brand = settings.map(Brand::of).unwrap_or_else(Brand::neutral).speaking(seen.language(link));
    match refusal {
        // A reusable link that stopped at its date says what its merchant wrote for late customers.
        Refusal::Expired if link.and_then(|l| l.inactive_message.as_deref()).is_some() => {
            let message = link.and_then(|l| l.inactive_message.as_deref());
            http::html(StatusCode::GONE, pages::completed(&brand, message))
        }
        Refusal::Expired => {
            // The link's own token (whatever the customer came through): the page's "ask for a
            // new link" form carries it.
            let token = link.map(|l| deps.redeemer().urls().token(l));
            http::html(StatusCode::GONE, pages::expired(&brand, token.as_deref()))
        }
        Refusal::Void => http::html(StatusCode::GONE, pages::void(&brand)),
        Refusal::Invalid => http::html(StatusCode::NOT_FOUND, pages::not_found(&brand)),
    }
}

async fn pay(
    deps: &Deps,
    seen: Seen<'_>,
    limit: ClientLimit<'_>,
    presented: Presented<'_>,
    again: &str,
) -> Result<Response<Body>, RedeemError> {
    let now = deps.clock.now();
    let redeemer = deps.redeemer();
    let (mut inspection, mut delivery) =
        limit.beside(redeemer.inspect_opening(presented, Some(seen.client), now)).await?;
    // Twice at most: a link paid, voided or expired while its session was made is answered
    // for what it is now (an order whose balance moved gets a session for the new balance).
    for _ in 0..2 {
        let Inspection::Payable { link, delivery_id, settings, kept } = &inspection else { break };
        if link.asks_for_choice() {
            break;
        }
        let whole = PaymentChoice::default();
        let client = seen.client.with_kept(kept.as_deref());
        match redeemer.checkout_session(link, delivery_id.as_ref(), whole, &client, true, now).await {
            Ok(session) => return Ok(http::redirect(&session.url)),
            Err(RedeemError::Held { retry_after }) => {
                limit.give_back().await;
                return Ok(waiting(seen.brand(settings, link), again, retry_after));
            }
            Err(RedeemError::NoLongerPayable) => {
                (inspection, delivery) = redeemer.inspect_opening(presented, Some(seen.client), now).await?;
            }
            Err(err) => return Err(err),
        }
    }
    if matches!(&inspection, Inspection::Payable { link, .. } if !link.asks_for_choice()) {
        // Payable again after it stopped being so twice: not available now (and no open counted,
        // as the retry will count it).
        return Ok(not_available_now());
    }
    // An open that stops at one of our pages: counted as an open, never as a checkout start.
    redeemer.count_open(&inspection, delivery.as_ref(), now).await?;
    Ok(match inspection {
        Inspection::Payable { link, delivery_id, settings, .. } if link.asks_for_choice() => {
            // Our page first: the customer chooses a part or a tip, then posts it.
            let token = match presented {
                Presented::Token(token) => token.to_string(),
                Presented::ShortCode(_) => redeemer.urls().token_for_delivery(&link, delivery_id.as_ref()),
            };
            let page = choice::page(&seen.brand(&settings, &link), &link, &token, &ChoiceInput::default(), None);
            http::html(StatusCode::OK, page)
        }
        Inspection::Payable { .. } => unreachable!("a payable link without a choice was answered above"),
        other => not_payable(deps, seen, other),
    })
}

/// `200` "Preparing your checkout…": the Stripe account's pace is spent this second. The page
/// goes to `again` (the same open, or the same choice) by itself in one to three seconds —
/// spread, so that a crowd held together does not come back together.
fn waiting(brand: Brand, again: &str, retry_after: i64) -> Response<Body> {
    let refresh = retry_after.max(1) + i64::from(paylinks::domain::random_below(3));
    let mut response = http::html(StatusCode::OK, pages::waiting(&brand, again, refresh));
    response.headers_mut().insert(lambda_http::http::header::RETRY_AFTER, refresh.into());
    response
        .headers_mut()
        .insert(lambda_http::http::header::CACHE_CONTROL, "no-store".parse().expect("a header value"));
    response
}

/// Whether a `GET /pay` carries a choice (the waiting page's way back to a posted choice).
fn choice_in_query(request: &Request) -> bool {
    let query = request.uri().query().unwrap_or_default();
    form_urlencoded::parse(query.as_bytes())
        .any(|(k, _)| matches!(k.as_ref(), "amount" | "other_amount" | "tip" | "tip_amount"))
}

/// A preview fetch or a `HEAD`: a payable link shows what it is for; any other answers as `/pay`
/// would (those make nothing). No session, no open counted.
async fn preview(deps: &Deps, seen: Seen<'_>, presented: Presented<'_>) -> Result<Response<Body>, RedeemError> {
    let inspection = deps.redeemer().inspect(presented, None, deps.clock.now()).await?;
    Ok(match inspection {
        Inspection::Payable { link, settings, .. } => {
            http::html(StatusCode::OK, pages::preview(&seen.brand(&settings, &link), &seen.summary(&link)))
        }
        other => not_payable(deps, seen, other),
    })
}

/// `POST /pay`: what the customer chose on our page. A valid choice goes to Checkout (`303`);
/// one out of range shows the page again with what was wrong (`422`). The choice was not an
/// open (the page's was counted): a session handed over is the checkout start.
async fn choose(
    deps: &Deps,
    seen: Seen<'_>,
    limit: ClientLimit<'_>,
    token: Option<String>,
    input: ChoiceInput,
) -> Result<Response<Body>, RedeemError> {
    let Some(token) = token else {
        return Ok(http::html(
            StatusCode::BAD_REQUEST,
            pages::not_found(&Brand::neutral().speaking(seen.language(None))),
        ));
    };
    let now = deps.clock.now();
    let redeemer = deps.redeemer();
    let inspection = limit.beside(redeemer.inspect(Presented::Token(&token), Some(seen.client), now)).await?;
    let Inspection::Payable { link, delivery_id, settings, kept } = inspection else {
        return Ok(not_payable(deps, seen, inspection));
    };
    if !link.asks_for_choice() {
        // Nothing to choose: the link itself goes to Checkout.
        return Ok(http::redirect(&redeemer.urls().pay_url_for_token(&token)));
    }
    let brand = seen.brand(&settings, &link);
    let chosen = match choice::read(&link, &input, brand.language) {
        Ok(chosen) => chosen,
        Err(problem) => {
            let page = choice::page(&brand, &link, &token, &input, Some(problem));
            return Ok(http::html(StatusCode::UNPROCESSABLE_ENTITY, page));
        }
    };
    let client = seen.client.with_kept(kept.as_deref());
    match redeemer.checkout_session(&link, delivery_id.as_ref(), chosen, &client, false, now).await {
        Ok(session) => Ok(http::redirect(&session.url)),
        Err(RedeemError::Held { retry_after }) => {
            limit.give_back().await;
            // Back with the same choice, as a `GET` (a page cannot post again by itself).
            let again = format!("{}&{}", redeemer.urls().pay_url_for_token(&token), input.query());
            Ok(waiting(brand, &again, retry_after))
        }
        // Paid, voided or expired meanwhile: the link's page says what it is now.
        Err(RedeemError::NoLongerPayable) => Ok(http::redirect(&redeemer.urls().pay_url_for_token(&token))),
        Err(err) => Err(err),
    }
}

/// What a customer sees of a link that is not payable now.
fn not_payable(deps: &Deps, seen: Seen<'_>, inspection: Inspection) -> Response<Body> {
    match inspection {
        Inspection::Payable { .. } => unreachable!("payable links are answered by the caller"),
        Inspection::Completed { link, settings } => completed(seen, &link, &settings),
        Inspection::AlreadyPaid { link, settings } => {
            http::html(StatusCode::OK, pages::already_paid(&seen.brand(&settings, &link), &seen.summary(&link)))
        }
        Inspection::Processing { link, settings } => {
            http::html(StatusCode::OK, pages::processing(&seen.brand(&settings, &link), &seen.summary(&link)))
        }
        Inspection::Refused { refusal, link, settings } => {
            refusal_response(deps, seen, refusal, link.as_deref(), settings.as_ref())
        }
    }
}

/// A reusable link past its limit: `410` with its merchant's message (no landing-page redirect:
/// the message is what the merchant chose to say).
fn completed(seen: Seen, link: &Link, settings: &Settings) -> Response<Body> {
    http::html(StatusCode::GONE, pages::completed(&seen.brand(settings, link), link.inactive_message.as_deref()))
}

/// The same checks as `/pay`, as JSON, for headless storefronts. Opens are not counted here.
async fn resolve(deps: &Deps, token: &str) -> Result<Response<Body>, ApiError> {
    let now = deps.clock.now();
    let inspection = deps.redeemer().inspect(Presented::Token(token), None, now).await.map_err(|e| match e {
        RedeemError::Store(e) => ApiError::from(e),
        RedeemError::Checkout(e) => ApiError::from(e),
        RedeemError::NoLongerPayable => ApiError::from(paylinks::ports::StoreError::Conflict),
        // Only a session is limited or held this way; resolving makes none.
        RedeemError::Throttled { .. } | RedeemError::Held { .. } => {
            ApiError::from(paylinks::ports::StoreError::Conflict)
        }
    })?;
    let (link, settings, status) = match inspection {
        Inspection::Payable { link, settings, .. } => (Box::new(link.value), settings, "active"),
        Inspection::AlreadyPaid { link, settings } => (link, settings, "paid"),
        Inspection::Processing { link, settings } => (link, settings, "processing"),
        Inspection::Completed { link, .. } => {
            let message = link.inactive_message.as_deref().unwrap_or("This payment link is no longer available.");
            return Err(ApiError::new(StatusCode::GONE, "link_completed", message));
        }
        Inspection::Refused { refusal: Refusal::Expired, .. } => {
            return Err(ApiError::new(StatusCode::GONE, "link_expired", "This payment link has expired."));
        }
        Inspection::Refused { refusal: Refusal::Void, .. } => {
            return Err(ApiError::new(StatusCode::GONE, "link_void", "This payment link is no longer active."));
        }
        Inspection::Refused { refusal: Refusal::Invalid, .. } => return Err(ApiError::not_found("payment link")),
    };
    Ok(http::json(
        StatusCode::OK,
        &json!({
            "id": link.id,
            "status": status,
            "kind": link.kind,
            "name": link.name,
            "amount": link.amount,
            "currency": link.currency,
            "line_items": link.line_items,
            "amount_paid": link.paid_of_order(),
            "amount_due": link.balance(),
            "partial_payments": link.partial_payments,
            "allow_tip": link.offers_tip(),
            "merchant": {
                "display_name": settings.display_name,
                "brand_color": settings.brand_color,
                "logo_url": settings.logo_url,
            },
        }),
    ))
}

/// Stripe sends the customer here after paying: the link's own success page, or our thanks.
async fn complete(deps: &Deps, seen: Seen<'_>, token: &str) -> Result<Response<Body>, RedeemError> {
    let now = deps.clock.now();
    Ok(match deps.redeemer().inspect(Presented::Token(token), None, now).await? {
        Inspection::Payable { link, settings, .. } => thanks(seen, &link, &settings),
        Inspection::AlreadyPaid { link, settings }
        | Inspection::Processing { link, settings }
        | Inspection::Completed { link, settings } => thanks(seen, &link, &settings),
        // The webhook may void or expire nothing the customer just paid for; thank them anyway
        // when we know the link, since Stripe only sends them here after a payment.
        Inspection::Refused {
            link: Some(link),
            settings: Some(settings),
            refusal: Refusal::Expired | Refusal::Void,
        } => http::html(StatusCode::OK, pages::thank_you(&seen.brand(&settings, &link), &seen.summary(&link))),
        Inspection::Refused { refusal, link, settings } => {
            refusal_response(deps, seen, refusal, link.as_deref(), settings.as_ref())
        }
    })
}

fn thanks(seen: Seen, link: &Link, settings: &Settings) -> Response<Body> {
    match &link.options.success_url {
        Some(url) => http::redirect(url),
        None => http::html(StatusCode::OK, pages::thank_you(&seen.brand(settings, link), &seen.summary(link))),
    }
}

/// Stripe sends the customer here when they leave Checkout: a way back to the link.
async fn cancel(deps: &Deps, seen: Seen<'_>, token: &str) -> Result<Response<Body>, RedeemError> {
    let now = deps.clock.now();
    Ok(match deps.redeemer().inspect(Presented::Token(token), None, now).await? {
        Inspection::Payable { link, settings, .. } => {
            let pay_url = deps.redeemer().urls().pay_url_for_token(token);
            let (brand, summary) = (seen.brand(&settings, &link), seen.summary(&link));
            http::html(StatusCode::OK, pages::cancelled(&brand, &summary, &pay_url))
        }
        Inspection::AlreadyPaid { link, settings } => {
            http::html(StatusCode::OK, pages::already_paid(&seen.brand(&settings, &link), &seen.summary(&link)))
        }
        Inspection::Processing { link, settings } => {
            http::html(StatusCode::OK, pages::processing(&seen.brand(&settings, &link), &seen.summary(&link)))
        }
        Inspection::Completed { link, settings } => completed(seen, &link, &settings),
        Inspection::Refused { refusal, link, settings } => {
            refusal_response(deps, seen, refusal, link.as_deref(), settings.as_ref())
        }
    })
}

/// `POST /pay/renewal-request` (a form: `payment_link_token`): the merchant of an expired link is
/// asked for a new one; the customer sees that they were. A link that is not expired sends the
/// customer back to it.
async fn renewal_request(deps: &Deps, request: &Request) -> Response<Body> {
    let body = http::body_bytes(request);
    let token = form_urlencoded::parse(body).find(|(k, _)| k == "payment_link_token").map(|(_, v)| v.into_owned());
    let accept = request.headers().get("accept-language").and_then(|v| v.to_str().ok());
    // Before the link is known: the browser's language.
    let neutral = Brand::neutral().speaking(Language::negotiate(None, accept));
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return http::html(StatusCode::BAD_REQUEST, pages::not_found(&neutral));
    };
    let now = deps.clock.now();
    match paylinks::usecases::renewal::request_renewal(deps.store.as_ref(), &deps.tokens, &token, accept, now).await {
        Ok(Renewal::Asked { settings, language }) => {
            http::html(StatusCode::OK, pages::renewal_requested(&Brand::of(&settings).speaking(language)))
        }
        Ok(Renewal::NotExpired) => http::redirect(&deps.redeemer().urls().pay_url_for_token(&token)),
        Ok(Renewal::Unknown) => http::html(StatusCode::NOT_FOUND, pages::not_found(&neutral)),
        Err(err) => {
            tracing::error!(error = %err, "a renewal request failed on the store");
            not_available_now()
        }
    }
}
