//! Every route, the function that serves it and who may call it: the one route table.
//! `template.yaml`'s events, `openapi.yaml`'s paths, the local server's dispatch and each
//! function's own router are all checked against it (tests/tests/route_table.rs).

/// Who reaches a route, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Through the HTTP API with a merchant's JWT (the API's default authorizer).
    Merchant,
    /// Through the HTTP API with no authorizer: customers' browsers.
    Public,
    /// The function's own URL, checked by signature in the function (Stripe's webhook).
    FunctionUrl,
    /// Only the local server has it (simulated checkout, its index page); never deployed.
    LocalOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    /// As API Gateway and OpenAPI write it: `/links/{id}`.
    pub path: &'static str,
    /// The binary that serves it (`BuildProperties.Binary` in the template); `local-server` for
    /// local-only routes.
    pub function: &'static str,
    pub access: Access,
}

const fn route(method: &'static str, path: &'static str, function: &'static str, access: Access) -> Route {
    Route { method, path, function, access }
}

use Access::{FunctionUrl, LocalOnly, Merchant, Public};

pub const ROUTES: &[Route] = &[
    route("POST", "/links", "create-link", Merchant),
    route("POST", "/links/{id}/email", "send-email", Merchant),
    route("POST", "/links/{id}/sms", "send-sms", Merchant),
    route("POST", "/text-to-pay", "send-sms", Merchant),
    route("GET", "/pay", "redeem-link", Public),
    route("POST", "/pay", "redeem-link", Public),
    route("GET", "/p/{code}", "redeem-link", Public),
    route("GET", "/pay/resolve", "redeem-link", Public),
    route("GET", "/pay/complete", "redeem-link", Public),
    route("GET", "/pay/cancel", "redeem-link", Public),
    route("POST", "/pay/renewal-request", "redeem-link", Public),
    route("POST", "/stripe/webhook", "stripe-webhook", FunctionUrl),
    route("GET", "/links", "manage-links", Merchant),
    route("GET", "/links/{id}", "manage-links", Merchant),
    route("GET", "/links/{id}/qr.svg", "link-qr", Merchant),
    route("GET", "/links/{id}/qr.png", "link-qr", Merchant),
    route("PATCH", "/links/{id}", "manage-links", Merchant),
    route("DELETE", "/links/{id}", "manage-links", Merchant),
    route("GET", "/orders", "manage-links", Merchant),
    route("GET", "/orders/{id}", "manage-links", Merchant),
    route("POST", "/orders/{id}/mark-paid", "manage-links", Merchant),
    route("POST", "/orders/{id}/reject", "manage-links", Merchant),
    route("GET", "/funnel", "manage-links", Merchant),
    route("GET", "/events", "manage-links", Merchant),
    route("POST", "/events/{id}/redeliver", "manage-links", Merchant),
    route("POST", "/webhook-endpoints", "manage-links", Merchant),
    route("GET", "/webhook-endpoints", "manage-links", Merchant),
    route("DELETE", "/webhook-endpoints/{id}", "manage-links", Merchant),
    route("POST", "/webhook-endpoints/{id}/roll-secret", "manage-links", Merchant),
    route("GET", "/settings", "manage-links", Merchant),
    route("PUT", "/settings", "manage-links", Merchant),
    route("GET", "/simulated-checkout/{session}", "local-server", LocalOnly),
    route("POST", "/simulated-checkout/{session}", "local-server", LocalOnly),
    route("GET", "/local/clock", "local-server", LocalOnly),
    route("POST", "/local/clock", "local-server", LocalOnly),
    route("POST", "/ses/events", "local-server", LocalOnly),
    route("POST", "/sms/events", "local-server", LocalOnly),
];

impl Route {
    /// Whether `segments` (a request path split on `/`) fit this route's path.
    pub fn matches_path(&self, segments: &[&str]) -> bool {
        let pattern: Vec<&str> = self.path.split('/').filter(|s| !s.is_empty()).collect();
        pattern.len() == segments.len()
            && pattern.iter().zip(segments).all(|(p, s)| (p.starts_with('{') && !s.is_empty()) || p == s)
    }

    /// A concrete path of this route, each parameter filled with `value`.
    pub fn example_path(&self, value: &str) -> String {
        self.path.split('/').map(|s| if s.starts_with('{') { value } else { s }).collect::<Vec<_>>().join("/")
    }
}

/// The route a request takes; `HEAD` is served as `GET`. Literal segments win over parameters
/// (`/pay/resolve` is not `/p/{code}`), as in API Gateway.
pub fn find(method: &str, segments: &[&str]) -> Option<&'static Route> {
    let method = if method == "HEAD" { "GET" } else { method };
    ROUTES.iter().find(|r| r.method == method && r.matches_path(segments))
}

/// The function that serves a path under any method: where a wrong method is answered.
pub fn function_for_path(segments: &[&str]) -> Option<&'static str> {
    ROUTES.iter().find(|r| r.matches_path(segments)).map(|r| r.function)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_path_finds_its_route_and_parameters_match_one_segment() {
        assert_eq!(find("PATCH", &["links", "pl_1"]).map(|r| r.function), Some("manage-links"));
        assert_eq!(find("POST", &["links", "pl_1", "email"]).map(|r| r.function), Some("send-email"));
        assert_eq!(find("HEAD", &["p", "abc"]).map(|r| r.path), Some("/p/{code}"));
        assert_eq!(find("GET", &["pay", "resolve"]).map(|r| r.path), Some("/pay/resolve"));
        assert!(find("PUT", &["links"]).is_none());
        assert!(find("GET", &["links", "pl_1", "nothing"]).is_none());
        assert_eq!(function_for_path(&["settings"]), Some("manage-links"));
    }
}
