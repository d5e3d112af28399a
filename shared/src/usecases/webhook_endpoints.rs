//! `POST/GET /webhook-endpoints`, `DELETE /webhook-endpoints/{id}`: where a merchant's events go.
//! A URL is taken only if it is https (or, on the local server, http to 127.0.0.1) and every
//! address its host resolves to is public: a name that leads into a private network, the
//! loopback or the instance metadata service (169.254.169.254) is refused. The signing secret is
//! shown in the create answer only.

use serde::Serialize;

use super::attempts;
use crate::domain::{
    Destination, EndpointId, EventType, MAX_ENDPOINTS, MerchantId, Timestamp, ValidationError, Versioned,
    WebhookEndpoint, WebhookEndpoints,
};
use crate::ports::{Commit, Read, ResolveHost, StoreError, Wanted, Write};

#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// `422 webhook_url_not_allowed`: not https, or leads to an address that is not public.
    #[error("{0}")]
    UrlNotAllowed(String),
    #[error("a merchant has at most {MAX_ENDPOINTS} webhook endpoints")]
    TooMany,
    #[error("no such webhook endpoint")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An endpoint as listed: without its secret.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointView {
    pub id: String,
    pub url: String,
    pub events: Vec<&'static str>,
    pub created_at: Timestamp,
    /// Until when the secret before the last roll still signs (both sign meanwhile).
    pub previous_secret_expires_at: Option<Timestamp>,
}

impl EndpointView {
    pub fn of(endpoint: &WebhookEndpoint) -> Self {
        Self {
            id: endpoint.id.to_string(),
            url: endpoint.url.clone(),
            events: endpoint.events.iter().map(|e| e.as_str()).collect(),
            created_at: endpoint.created_at,
            previous_secret_expires_at: endpoint.previous_secret.as_ref().map(|p| p.expires_at),
        }
    }
}

/// The create answer: the endpoint and, this once, its secret.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedEndpoint {
    #[serde(flatten)]
    pub endpoint: EndpointView,
    pub secret: String,
}

/// What a new endpoint asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEndpoint {
    pub url: String,
    pub events: Vec<EventType>,
}

async fn stored<S: Read + ?Sized>(store: &S, merchant: &MerchantId) -> Result<Versioned<WebhookEndpoints>, StoreError> {
    let wanted = Wanted { endpoints: Some(merchant.clone()), ..Wanted::default() };
    Ok(store
        .read(&wanted)
        .await?
        .endpoints
        .unwrap_or_else(|| Versioned::new(WebhookEndpoints { merchant_id: merchant.clone(), endpoints: Vec::new() })))
}

/// Where a URL leads, checked: its shape, then every address its host resolves to.
pub async fn check_destination(
    resolver: &dyn ResolveHost,
    destination: Destination,
    url: &str,
) -> Result<url::Url, EndpointError> {
    let url = destination.check_url(url).map_err(|e| EndpointError::UrlNotAllowed(e.message))?;
    let host = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_string();
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses = resolver
        .resolve(&host, port)
        .await
        .map_err(|_| EndpointError::UrlNotAllowed("must name a host that resolves".into()))?;
    if addresses.is_empty() || !addresses.iter().all(|a| destination.allows(*a)) {
        return Err(EndpointError::UrlNotAllowed(
            "must lead to a public address (not private, loopback or link-local)".into(),
        ));
    }
    Ok(url)
}

pub async fn create<S: Read + Commit + ?Sized>(
    store: &S,
    resolver: &dyn ResolveHost,
    destination: Destination,
    merchant: &MerchantId,
    new: &NewEndpoint,
    now: Timestamp,
) -> Result<CreatedEndpoint, EndpointError> {
    let url = check_destination(resolver, destination, &new.url).await?;
    let endpoint = WebhookEndpoint::new(&url, new.events.clone(), now);
    for _ in attempts() {
        let mut all = stored(store, merchant).await?;
        if all.endpoints.len() >= MAX_ENDPOINTS {
            return Err(EndpointError::TooMany);
        }
        all.endpoints.push(endpoint.clone());
        match store.commit(vec![Write::Endpoints(all)]).await {
            Ok(()) => {
                return Ok(CreatedEndpoint { endpoint: EndpointView::of(&endpoint), secret: endpoint.secret.clone() });
            }
            Err(StoreError::Conflict) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(StoreError::Conflict.into())
}

/// What a roll answers: the endpoint, its new secret (this once), and until when the old one signs.
#[derive(Debug, Clone, Serialize)]
pub struct RolledSecret {
    #[serde(flatten)]
    pub endpoint: EndpointView,
    pub secret: String,
}

/// A new secret for the endpoint; the old one keeps signing for `hours` (both sign meanwhile).
pub async fn roll_secret<S: Read + Commit + ?Sized>(
    store: &S,
    merchant: &MerchantId,
    id: &str,
    hours: u32,
    now: Timestamp,
) -> Result<RolledSecret, EndpointError> {
    let id = EndpointId::parse(id).ok_or(EndpointError::NotFound)?;
    for _ in attempts() {
        let mut all = stored(store, merchant).await?;
        let endpoint = all.endpoints.iter_mut().find(|e| e.id == id).ok_or(EndpointError::NotFound)?;
        endpoint.roll_secret(hours, now);
        let rolled = RolledSecret { endpoint: EndpointView::of(endpoint), secret: endpoint.secret.clone() };
        match store.commit(vec![Write::Endpoints(all)]).await {
            Ok(()) => return Ok(rolled),
            Err(StoreError::Conflict) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(StoreError::Conflict.into())
}

pub async fn list<S: Read + ?Sized>(store: &S, merchant: &MerchantId) -> Result<Vec<EndpointView>, StoreError> {
    Ok(stored(store, merchant).await?.endpoints.iter().map(EndpointView::of).collect())
}

pub async fn delete<S: Read + Commit + ?Sized>(
    store: &S,
    merchant: &MerchantId,
    id: &str,
) -> Result<(), EndpointError> {
    let id = EndpointId::parse(id).ok_or(EndpointError::NotFound)?;
    for _ in attempts() {
        let mut all = stored(store, merchant).await?;
        let before = all.endpoints.len();
        all.endpoints.retain(|e| e.id != id);
        if all.endpoints.len() == before {
            return Err(EndpointError::NotFound);
        }
        match store.commit(vec![Write::Endpoints(all)]).await {
            Ok(()) => return Ok(()),
            Err(StoreError::Conflict) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(StoreError::Conflict.into())
}
