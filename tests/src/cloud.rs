//! The deployment as the cloud runs it: one server per function, each calling AWS under exactly
//! the IAM policy `template.yaml` gives that function, all over one table and one fake Stripe.
//! Each request goes to the server of the function the route table names, so a call a function's
//! role does not allow fails as it would in AWS (`AccessDeniedException`, the route's 5xx).

use std::collections::{BTreeMap, BTreeSet};

use paylinks_http::routes;
use serde_json::Value;

use crate::fake_stripe::FakeStripe;
use crate::iam::{self, Grant, Policy, Request};
use crate::server::{Reply, TestServer, over_table};
use crate::template::{self, Stack};

pub struct Cloud {
    pub stripe: FakeStripe,
    pub table: String,
    /// The merchant events' queue, as moto names it (the functions reach it through their proxy).
    pub webhook_queue_url: String,
    /// By binary name.
    servers: BTreeMap<String, (TestServer, Policy)>,
}

const WEBHOOK_BINARY: &str = "stripe-webhook";

fn email_domain() -> &'static str {
    crate::moto::EMAIL_FROM.rsplit('@').next().expect("an address")
}

impl Cloud {
    pub async fn start() -> Self {
        let table = crate::moto::fresh_table(&crate::moto::inspector().await).await;
        let stripe = FakeStripe::start().await;
        let (webhook_queue_url, _) = crate::sqs::fresh_webhook_queue().await;
        let webhook_queue = webhook_queue_url.rsplit('/').next().expect("a queue name").to_string();
        let stack = Stack { table: &table, email_identity: email_domain(), webhook_queue: &webhook_queue };
        let mut servers = BTreeMap::new();
        for function in template::functions(&stack) {
            let server = over_table(table.clone(), &stripe.base_url, crate::moto::EMAIL_FROM).await;
            // Enforced once the server has started: seeding the dev merchant is not a function's.
            let policy = Policy { statements: function.statements.clone() };
            server.aws().dynamodb.take_calls();
            server.aws().messaging.take_calls();
            server.aws().dynamodb.enforce(policy.clone());
            server.aws().messaging.enforce(policy.clone());
            servers.insert(function.binary.clone(), (server, policy));
        }
        Self { stripe, table, webhook_queue_url, servers }
    }

    /// The server of the function built from `binary`.
    pub fn function(&self, binary: &str) -> &TestServer {
        &self.servers.get(binary).unwrap_or_else(|| panic!("no function {binary} in template.yaml")).0
    }

    fn serving(&self, method: &str, path: &str) -> &TestServer {
        let path = path.split('?').next().unwrap_or(path);
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let route = routes::find(method, &segments).unwrap_or_else(|| panic!("no route {method} {path}"));
        self.function(route.function)
    }

    /// A merchant call, answered by the function that serves the route.
    pub async fn call(&self, merchant: &str, method: &str, path: &str, body: Option<Value>) -> Reply {
        self.serving(method, path).call(merchant, method, path, body).await
    }

    /// A customer's browser opening a link URL (whichever server's address it carries).
    pub async fn open(&self, url: &str) -> Reply {
        let after_scheme = url.split_once("://").map(|(_, rest)| rest).unwrap_or(url);
        let path_and_query = after_scheme.find('/').map(|i| &after_scheme[i..]).unwrap_or("/");
        let server = self.serving("GET", path_and_query);
        server.open(&server.url(path_and_query)).await
    }

    /// A Stripe event, signed as Stripe signs it, to the webhook's function URL.
    pub async fn deliver(&self, body: &str) -> Reply {
        self.function(WEBHOOK_BINARY).deliver(body).await
    }

    pub async fn enable_payments(&self, merchant: &str, extra: Value) {
        self.serving("PUT", "/settings").enable_payments(merchant, extra).await;
    }

    /// What each function asked of AWS, as IAM requests.
    fn requests(&self) -> BTreeMap<&str, Vec<Request>> {
        self.servers
            .iter()
            .map(|(binary, (server, _))| {
                let aws = server.aws();
                let calls = aws.dynamodb.calls().into_iter().chain(aws.messaging.calls());
                (binary.as_str(), calls.flat_map(|call| iam::requests(&call)).collect())
            })
            .collect()
    }

    /// Every request a function's role refused, as `function: action on resource`.
    pub fn refused(&self) -> Vec<String> {
        let mut refused = Vec::new();
        for (binary, requests) in self.requests() {
            let policy = &self.servers[binary].1;
            for request in requests.iter().filter(|r| policy.allowing(r).is_none()) {
                refused.push(format!("{binary}: {} on {}", request.action, request.resource));
            }
        }
        refused.sort();
        refused.dedup();
        refused
    }

    /// Every grant of a function's role that none of its calls used, as `function: action on resource`.
    pub fn unused_grants(&self) -> Vec<String> {
        let mut unused = Vec::new();
        for (binary, requests) in self.requests() {
            let policy = &self.servers[binary].1;
            let used: BTreeSet<Grant> = requests.iter().filter_map(|r| policy.allowing(r)).collect();
            for grant in policy.grants().into_iter().filter(|g| !used.contains(g)) {
                unused.push(format!("{binary}: {} on {}", grant.action, grant.resource));
            }
        }
        unused
    }
}
