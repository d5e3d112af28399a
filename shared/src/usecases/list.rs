//! `GET /links`: the merchant's links, newest first, filtered, a page at a time. The cursor is a
//! position in the merchant's index, so links created between pages never shift later pages:
//! nothing is shown twice and nothing is skipped.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::QueryError;
use super::link_view::{LinkSummary, LinkUrls};
use crate::domain::{LinkKind, LinkStatus, MerchantId, Timestamp};
use crate::ports::{ListLinks, StoreError};

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;
const PAGE: usize = 100;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkFilter {
    pub status: Option<LinkStatus>,
    pub kind: Option<LinkKind>,
    pub name_contains: Option<String>,
    pub created_from: Option<Timestamp>,
    pub created_to: Option<Timestamp>,
    pub limit: usize,
    pub cursor: Option<String>,
}

fn bad(message: impl Into<String>) -> QueryError {
    QueryError::from_message(message)
}

fn time_bound(name: &str, text: &str, end_of_day: bool) -> Result<Timestamp, QueryError> {
    if let Some(t) = Timestamp::parse_rfc3339(text) {
        return Ok(t);
    }
    // A plain date means the whole day.
    let time = if end_of_day { "T23:59:59Z" } else { "T00:00:00Z" };
    Timestamp::parse_rfc3339(&format!("{text}{time}"))
        .ok_or_else(|| bad(format!("{name} must be an RFC 3339 time or a date like 2026-11-24")))
}

impl LinkFilter {
    /// From the query string; a value that makes no sense is `400 invalid_query`.
    pub fn parse(get: impl Fn(&str) -> Option<String>) -> Result<Self, QueryError> {
        let status = match get("status").as_deref() {
            None => None,
            Some(text) => match LinkStatus::parse(text) {
                Some(s) if s != LinkStatus::Deleted => Some(s),
                _ => return Err(bad("status must be active, paid, void, expired or completed")),
            },
        };
        let kind = match get("kind").as_deref() {
            None => None,
            Some("order") => Some(LinkKind::Order),
            Some("product") => Some(LinkKind::Product),
            Some(_) => return Err(bad("kind must be order or product")),
        };
        let name_contains = match get("q") {
            Some(q) if q.chars().count() > 100 => return Err(bad("q must be at most 100 characters")),
            Some(q) if !q.trim().is_empty() => Some(q.trim().to_lowercase()),
            _ => None,
        };
        let created_from = get("created_from").map(|t| time_bound("created_from", &t, false)).transpose()?;
        let created_to = get("created_to").map(|t| time_bound("created_to", &t, true)).transpose()?;
        let limit = match get("limit") {
            None => DEFAULT_LIMIT,
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| bad(format!("limit must be a whole number from 1 to {MAX_LIMIT}")))?,
        };
        let cursor = match get("cursor") {
            None => None,
            Some(text) => Some(
                URL_SAFE_NO_PAD
                    .decode(text.as_bytes())
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .filter(|p| p.len() < 64 && p.contains('#'))
                    .ok_or_else(|| bad("cursor is not one this API returned"))?,
            ),
        };
        Ok(Self { status, kind, name_contains, created_from, created_to, limit, cursor })
    }

    fn matches(&self, link: &crate::domain::Link, now: Timestamp) -> bool {
        let status = link.status_at(now);
        status != LinkStatus::Deleted
            && self.status.is_none_or(|s| s == status)
            && self.kind.is_none_or(|k| k == link.kind)
            && self.name_contains.as_ref().is_none_or(|q| link.name.to_lowercase().contains(q))
    }
}

pub struct LinkPage {
    pub data: Vec<LinkSummary>,
    pub next_cursor: Option<String>,
}

pub async fn list_links<S: ListLinks + ?Sized>(
    store: &S,
    urls: LinkUrls<'_>,
    merchant: &MerchantId,
    filter: &LinkFilter,
    now: Timestamp,
) -> Result<LinkPage, StoreError> {
    let mut data = Vec::new();
    let mut position = filter.cursor.clone();
    loop {
        let page =
            store.links_page(merchant, filter.created_from, filter.created_to, position.as_deref(), PAGE).await?;
        let exhausted = page.len() < PAGE;
        for (link, at) in page {
            position = Some(at);
            if filter.matches(&link, now) {
                data.push(LinkSummary::of(&link, urls, now));
                if data.len() == filter.limit {
                    let next_cursor = position.map(|p| URL_SAFE_NO_PAD.encode(p));
                    return Ok(LinkPage { data, next_cursor });
                }
            }
        }
        if exhausted {
            return Ok(LinkPage { data, next_cursor: None });
        }
    }
}
