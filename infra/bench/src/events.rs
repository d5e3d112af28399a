//! Events as Lambda hands them to the functions: API Gateway's HTTP API (payload 2.0, with the JWT
//! authorizer's claims on merchant routes), a function URL for Stripe's webhook, a DynamoDB
//! Streams REMOVE for link-cleanup, EventBridge's scheduled event, and SNS carrying an SES event.

use serde_json::{Value, json};

/// One HTTP request as API Gateway delivers it.
pub struct Http<'a> {
    pub method: &'a str,
    /// The route as the template declares it (`/links/{id}`), or `$default` for a function URL.
    pub route: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: Value,
    pub body: Option<String>,
    /// The merchant the authorizer verified, on merchant routes.
    pub merchant: Option<&'a str>,
}

impl Http<'_> {
    pub fn event(&self) -> String {
        let mut headers = json!({
            "host": "api.example.com",
            "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)",
            "accept": "text/html,application/json",
            "x-forwarded-for": "203.0.113.7",
            "x-forwarded-proto": "https",
        });
        if self.body.is_some() {
            headers["content-type"] = json!("application/json");
        }
        if let (Some(all), Some(extra)) = (headers.as_object_mut(), self.headers.as_object()) {
            all.extend(extra.clone());
        }
        let route_key =
            if self.route == "$default" { "$default".to_string() } else { format!("{} {}", self.method, self.route) };
        let mut context = json!({
            "accountId": "123456789012",
            "apiId": "bench",
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "http": {"method": self.method, "path": self.path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7",
                     "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)"},
            "requestId": "bench-request",
            "routeKey": route_key,
            "stage": "$default",
            "time": "01/Dec/2026:00:00:00 +0000",
            "timeEpoch": 1_796_083_200_000_i64,
        });
        if let Some(merchant) = self.merchant {
            context["authorizer"] = json!({"jwt": {"claims": {"sub": merchant}, "scopes": null}});
        }
        let query: serde_json::Map<String, Value> =
            form_urlencoded::parse(self.query.as_bytes()).map(|(k, v)| (k.into_owned(), json!(v))).collect();
        let mut event = json!({
            "version": "2.0",
            "routeKey": route_key,
            "rawPath": self.path,
            "rawQueryString": self.query,
            "headers": headers,
            "requestContext": context,
            "isBase64Encoded": false,
        });
        if !query.is_empty() {
            event["queryStringParameters"] = Value::Object(query);
        }
        if let Some(id) = self.path.split('/').nth(2).filter(|_| self.route.contains("{id}")) {
            event["pathParameters"] = json!({"id": id});
        }
        if let Some(body) = &self.body {
            event["body"] = json!(body);
        }
        event.to_string()
    }
}

/// DynamoDB Streams' REMOVE of the link item `image` (as the table holds it, in DynamoDB JSON).
pub fn link_removed(table: &str, keys: Value, image: Value) -> String {
    paylinks_tests::cascade::stream_remove(table, keys, image).to_string()
}

/// EventBridge's wake-up of a scheduled function.
pub fn scheduled() -> String {
    json!({
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-12-01T00:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/bench"],
        "detail": {}
    })
    .to_string()
}

/// SNS invoking delivery-events with SES's delivery event of `message_id`.
pub fn email_delivered(message_id: &str) -> String {
    let ses = paylinks_tests::delivery_events::ses_event("Delivery", message_id, None);
    paylinks_tests::delivery_events::sns_event(&[ses]).payload.to_string()
}
