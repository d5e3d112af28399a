//! Customers as a crowd: each its own address and browser, opening one link and following the
//! waiting page ("Preparing your checkout…") as a browser would, by its meta refresh, until
//! Checkout.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;

use crate::server::TestServer;

/// One customer: an address (`X-Forwarded-For`, as API Gateway would see it) and a browser's
/// cookie of its own.
#[derive(Debug, Clone)]
pub struct Customer {
    pub address: String,
    pub cookie: String,
}

impl Customer {
    /// The `n`th of a crowd: a distinct IPv4 address and a distinct browser.
    pub fn nth(n: usize) -> Self {
        let address = format!("10.{}.{}.{}", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
        let cookie = format!("{:0>22}", format!("crowd{n}"));
        Self { address, cookie }
    }
}

/// What one customer went through.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Every status answered, in order: the first open's first.
    pub statuses: Vec<StatusCode>,
    /// Where Checkout was, once reached.
    pub checkout: Option<String>,
    /// What the last answer said, when it was not Checkout.
    pub last_text: String,
}

impl Outcome {
    pub fn waited(&self) -> usize {
        self.statuses.iter().filter(|s| **s == StatusCode::OK).count()
    }
}

/// Opens `url` as `customer`, following waiting pages (at most `max_waits`) until Checkout or
/// any other answer.
pub async fn until_checkout(server: &TestServer, url: &str, customer: &Customer, max_waits: usize) -> Outcome {
    let mut outcome = Outcome { statuses: Vec::new(), checkout: None, last_text: String::new() };
    let mut url = url.to_string();
    for _ in 0..=max_waits {
        let request = server
            .http
            .get(&url)
            .header("x-forwarded-for", &customer.address)
            .header("cookie", format!("paylinks_client={}", customer.cookie));
        let reply = server.raw(request).await;
        outcome.statuses.push(reply.status);
        match (reply.status, refresh_of(&reply.text)) {
            (StatusCode::SEE_OTHER, _) => {
                outcome.checkout = reply.location;
                return outcome;
            }
            (StatusCode::OK, Some((seconds, next))) => {
                tokio::time::sleep(Duration::from_secs(seconds)).await;
                url = next;
            }
            _ => {
                outcome.last_text = reply.text;
                return outcome;
            }
        }
    }
    outcome
}

/// A page's `<meta http-equiv="refresh" content="N;url=U">`: after how long, and where to.
pub fn refresh_of(html: &str) -> Option<(u64, String)> {
    let at = html.find("http-equiv=\"refresh\"")?;
    let content = html[at..].split("content=\"").nth(1)?.split('"').next()?;
    let (seconds, url) = content.split_once(";url=")?;
    Some((seconds.trim().parse().ok()?, unescape(url)))
}

/// An attribute as a browser reads it: minijinja writes `/` as `&#x2f;`.
fn unescape(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// How many of `times` fall in each second of the machine's clock.
pub fn per_second(times: &[SystemTime]) -> BTreeMap<u64, usize> {
    let mut seconds = BTreeMap::new();
    for t in times {
        *seconds.entry(t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()).or_default() += 1;
    }
    seconds
}
