//! An HTTPS client for Stripe's API, implementing async-stripe's `StripeClient` trait.
//!
//! async-stripe's own client reads every error answer into its full `ApiErrors` type, which holds
//! the PaymentIntent, SetupIntent and PaymentMethod a failed call may return: about 3 MB of
//! generated code per function for the three fields (`type`, `code`, status) we act on. This one
//! sends what async-stripe's client sends (secret key as bearer, API version, account, idempotency
//! key, form body) and reads only those fields back. Its HTTPS is the one the AWS clients use
//! (`paylinks-https`: rustls over compiled-in, already parsed roots).

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, USER_AGENT};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use secrecy::{ExposeSecret, SecretString};
use stripe_client_core::{CustomizedStripeRequest, StripeClient, StripeClientErr, StripeMethod};

/// How a call to Stripe failed, with nothing from the request in it (Stripe's messages can echo a
/// customer's email, so they are not kept).
#[derive(Debug, thiserror::Error)]
pub enum StripeCallError {
    #[error("Stripe answered {status} ({kind}{})", code.as_ref().map(|c| format!(", {c}")).unwrap_or_default())]
    Answered { status: u16, kind: String, code: Option<String> },
    #[error("Stripe answered {status} with a body that is not its error JSON")]
    UnreadableAnswer { status: u16 },
    #[error("Stripe did not answer in time")]
    Timeout,
    #[error("Stripe could not be reached")]
    Unreachable,
    #[error("Stripe's answer could not be read")]
    Unreadable,
    #[error("the Stripe client is misconfigured")]
    Misconfigured,
}

impl StripeClientErr for StripeCallError {
    fn deserialize_err(_: impl std::fmt::Display) -> Self {
        Self::Unreadable
    }
}

/// Stripe's error answer: `{"error": {"type": …, "code": …, "message": …}}`.
#[derive(miniserde::Deserialize)]
struct ErrorAnswer {
    error: ErrorDetail,
}

#[derive(miniserde::Deserialize)]
struct ErrorDetail {
    #[serde(rename = "type")]
    kind: String,
    code: Option<String>,
}

pub struct StripeHttp {
    http: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    /// `https://api.stripe.com/` or a test server's, always ending in `/`.
    base: String,
    authorization: HeaderValue,
    timeout: Duration,
}

impl StripeHttp {
    /// `connect` bounds the TCP connect; `timeout` the whole call.
    pub fn new(
        secret_key: &SecretString,
        api_base: &str,
        connect: Duration,
        timeout: Duration,
    ) -> Result<Self, StripeCallError> {
        let mut authorization = HeaderValue::from_str(&format!("Bearer {}", secret_key.expose_secret()))
            .map_err(|_| StripeCallError::Misconfigured)?;
        authorization.set_sensitive(true);
        let base = if api_base.ends_with('/') { api_base.to_string() } else { format!("{api_base}/") };
        let connector = paylinks_https::connector(paylinks_https::mozilla_roots(), Some(connect));
        // A fresh connection per call, as async-stripe's client had: a kept one may have been closed
        // by Stripe while Lambda froze the function, and a call is sent once.
        let http = Client::builder(TokioExecutor::new()).pool_max_idle_per_host(0).build(connector);
        Ok(Self { http, base, authorization, timeout })
    }

    fn request(&self, call: CustomizedStripeRequest) -> Result<Request<Full<Bytes>>, StripeCallError> {
        let (request, config) = call.into_pieces();
        let mut uri = format!("{}v1{}", self.base, request.path);
        if let Some(query) = &request.query {
            uri.push('?');
            uri.push_str(query);
        }
        let method = match request.method {
            StripeMethod::Get => hyper::Method::GET,
            StripeMethod::Post => hyper::Method::POST,
            StripeMethod::Delete => hyper::Method::DELETE,
        };
        let mut builder = Request::builder()
            .method(method)
            .uri(uri)
            .header(AUTHORIZATION, self.authorization.clone())
            .header(USER_AGENT, "paylinks")
            .header("stripe-version", stripe_client_core::VERSION.as_str());
        if let Some(account) = &config.account_id {
            builder = builder.header("stripe-account", account.as_str());
        }
        if let Some(key) = config.request_strategy.as_ref().and_then(|s| s.get_key()) {
            builder = builder.header("idempotency-key", key.as_str());
        }
        if request.body.is_some() {
            builder = builder.header(CONTENT_TYPE, "application/x-www-form-urlencoded");
        }
        builder
            .body(Full::new(Bytes::from(request.body.unwrap_or_default())))
            .map_err(|_| StripeCallError::Misconfigured)
    }

    async fn attempt(&self, request: Request<Full<Bytes>>) -> Result<Bytes, StripeCallError> {
        let response = self.http.request(request).await.map_err(|_| StripeCallError::Unreachable)?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.map_err(|_| StripeCallError::Unreachable)?.to_bytes();
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let answer =
            std::str::from_utf8(&body).ok().and_then(|text| miniserde::json::from_str::<ErrorAnswer>(text).ok());
        match answer {
            Some(ErrorAnswer { error }) => {
                Err(StripeCallError::Answered { status, kind: error.kind, code: error.code })
            }
            None => Err(StripeCallError::UnreadableAnswer { status }),
        }
    }
}

impl StripeClient for StripeHttp {
    type Err = StripeCallError;

    /// One attempt: a create carries an idempotency key, so the caller may retry it safely.
    async fn execute(&self, call: CustomizedStripeRequest) -> Result<Bytes, StripeCallError> {
        let request = self.request(call)?;
        tokio::time::timeout(self.timeout, self.attempt(request)).await.unwrap_or(Err(StripeCallError::Timeout))
    }
}
