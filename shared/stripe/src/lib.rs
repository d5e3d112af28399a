//! Checkout Sessions through Stripe's API, at `STRIPE_API_BASE`: async-stripe's request builder and
//! client trait, with our own form, answer and HTTPS client (see `client.rs` for why).

mod client;
mod session_form;

use async_trait::async_trait;
use secrecy::SecretString;
use stripe_client_core::{AccountId, IdempotencyKey, RequestBuilder, RequestStrategy, StripeMethod};

use paylinks::domain::{OpenSession, SessionId, StripeAccount, Timestamp};
use paylinks::ports::{Checkout, CheckoutError, NewCheckoutSession};

use client::{StripeCallError, StripeHttp};
use session_form::SessionForm;

/// The fields of Stripe's Checkout Session this service reads; miniserde skips the rest.
#[derive(Debug, miniserde::Deserialize)]
struct CheckoutSession {
    id: String,
    url: Option<String>,
    expires_at: i64,
}

/// What an expired session's answer must hold to be read as one; the rest is not looked at.
#[derive(Debug, miniserde::Deserialize)]
struct ExpiredSession {
    #[allow(dead_code)]
    id: String,
}

pub struct StripeCheckout {
    client: StripeHttp,
}

impl std::fmt::Debug for StripeCheckout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StripeCheckout")
    }
}

impl StripeCheckout {
    /// `api_base` is `https://api.stripe.com` in production; tests point it at a local server.
    pub fn new(secret_key: &SecretString, api_base: &str) -> Result<Self, StripeCallError> {
        let budget = paylinks::budgets::STRIPE;
        Ok(Self { client: StripeHttp::new(secret_key, api_base, budget.connect, budget.attempt)? })
    }
}

fn unavailable(err: StripeCallError) -> CheckoutError {
    if let StripeCallError::Answered { status: 400, kind, .. } = &err
        && kind == "idempotency_error"
    {
        return CheckoutError::IdempotencyConflict;
    }
    if let StripeCallError::Answered { status: 429, .. } = &err {
        return CheckoutError::RateLimited;
    }
    // The error says what kind of failure it was and nothing the customer typed.
    CheckoutError::Unavailable(err.to_string().into())
}

#[async_trait]
impl Checkout for StripeCheckout {
    async fn create_session(&self, request: &NewCheckoutSession) -> Result<OpenSession, CheckoutError> {
        let form = SessionForm::new(request);
        let key =
            IdempotencyKey::new(&request.idempotency_key).map_err(|err| CheckoutError::Unavailable(Box::new(err)))?;
        let mut call = RequestBuilder::new(StripeMethod::Post, "/checkout/sessions")
            .form(&form)
            .customize::<CheckoutSession>()
            .request_strategy(RequestStrategy::Idempotent(key));
        if let Some(account) = &request.account {
            call = call.account_id(AccountId::from(account.as_str()));
        }
        let session = call.send(&self.client).await.map_err(unavailable)?;
        let url = session
            .url
            .ok_or_else(|| CheckoutError::Unavailable("Stripe returned a Checkout Session without a url".into()))?;
        Ok(OpenSession {
            id: SessionId::parse(&session.id).map_err(|e| CheckoutError::Unavailable(Box::new(e)))?,
            url,
            expires_at: Timestamp::from_unix(session.expires_at),
            choice: request.choice,
            made_for: request.made_for,
        })
    }

    async fn expire_session(&self, account: Option<&StripeAccount>, session: &SessionId) -> Result<(), CheckoutError> {
        let path = format!("/checkout/sessions/{}/expire", session.as_str());
        let mut call = RequestBuilder::new(StripeMethod::Post, path).customize::<ExpiredSession>();
        if let Some(account) = account {
            call = call.account_id(AccountId::from(account.as_str()));
        }
        match call.send(&self.client).await {
            Ok(_) => Ok(()),
            // Already complete or expired: nothing is open any more, which is what was asked.
            Err(StripeCallError::Answered { status: 400, .. }) => Ok(()),
            Err(err) => Err(unavailable(err)),
        }
    }
}

impl StripeCheckout {
    /// From `STRIPE_SECRET_KEY` and `STRIPE_API_BASE` (default `https://api.stripe.com`).
    pub fn from_env() -> Result<Self, paylinks::config::ConfigError> {
        let key = SecretString::from(paylinks::config::required("STRIPE_SECRET_KEY")?);
        let base =
            paylinks::config::optional("STRIPE_API_BASE").unwrap_or_else(|| "https://api.stripe.com".to_string());
        Self::new(&key, &base).map_err(|_| paylinks::config::ConfigError::new("STRIPE_API_BASE", "is not a usable URL"))
    }
}
