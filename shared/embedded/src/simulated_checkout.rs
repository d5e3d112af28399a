//! Checkout without Stripe, for the local server: a session is a page on the local server with
//! Pay, Fail and Expire buttons, and paying it posts a signed event to the real webhook route.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use paylinks::domain::{OpenSession, SessionId, StripeAccount, random_base62};
use paylinks::ports::{Checkout, CheckoutError, NewCheckoutSession};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatedSession {
    pub session: OpenSession,
    pub request: NewCheckoutSession,
    pub expired: bool,
}

#[derive(Debug)]
pub struct SimulatedCheckout {
    public_base_url: String,
    sessions: Mutex<HashMap<String, SimulatedSession>>,
    by_idempotency_key: Mutex<HashMap<String, String>>,
}

impl SimulatedCheckout {
    pub fn new(public_base_url: &str) -> Self {
        Self {
            public_base_url: public_base_url.trim_end_matches('/').to_string(),
            sessions: Mutex::new(HashMap::new()),
            by_idempotency_key: Mutex::new(HashMap::new()),
        }
    }

    pub fn session(&self, id: &str) -> Option<SimulatedSession> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner()).get(id).cloned()
    }

    pub fn mark_expired(&self, id: &str) {
        if let Some(s) = self.sessions.lock().unwrap_or_else(|p| p.into_inner()).get_mut(id) {
            s.expired = true;
        }
    }
}

#[async_trait]
impl Checkout for SimulatedCheckout {
    async fn create_session(&self, request: &NewCheckoutSession) -> Result<OpenSession, CheckoutError> {
        // Both maps under one order of locking: keys first, then sessions.
        let mut keys = self.by_idempotency_key.lock().unwrap_or_else(|p| p.into_inner());
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(existing) = keys.get(&request.idempotency_key).and_then(|id| sessions.get(id)) {
            if existing.request != *request {
                return Err(CheckoutError::IdempotencyConflict);
            }
            return Ok(existing.session.clone());
        }
        let id = format!("cs_sim_{}", random_base62(24));
        let session = OpenSession {
            id: SessionId::parse(&id).map_err(|e| CheckoutError::Unavailable(Box::new(e)))?,
            url: format!("{}/simulated-checkout/{id}", self.public_base_url),
            expires_at: request.expires_at,
            choice: request.choice,
            made_for: request.made_for,
        };
        keys.insert(request.idempotency_key.clone(), id.clone());
        sessions.insert(id, SimulatedSession { session: session.clone(), request: request.clone(), expired: false });
        Ok(session)
    }

    async fn expire_session(&self, _account: Option<&StripeAccount>, session: &SessionId) -> Result<(), CheckoutError> {
        self.mark_expired(session.as_str());
        Ok(())
    }
}
