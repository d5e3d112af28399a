//! One route table (`paylinks_http::routes::ROUTES`), and everything that routes agrees with it:
//! `template.yaml`'s events (what API Gateway will route in the cloud), `openapi.yaml`'s paths,
//! the local server's dispatch and each function's own router. The local server routes on its own,
//! so without this a route could work locally and not exist in the cloud.

use std::collections::BTreeSet;

use paylinks::budgets;
use paylinks_http::routes::{Access, ROUTES};
use paylinks_tests::server::{embedded, order_link, unique};
use paylinks_tests::template::{Event, Stack, functions, openapi};
use reqwest::StatusCode;
use serde_json::json;

const STACK: Stack = Stack { table: "paylinks", email_identity: "example.com", webhook_queue: "paylinks-webhooks" };

#[test]
fn the_template_routes_exactly_the_tables_cloud_routes_to_the_same_functions() {
    let mut deployed = BTreeSet::new();
    for function in functions(&STACK) {
        for Event { method, path, public } in &function.events {
            let route = ROUTES
                .iter()
                .find(|r| r.method == method && r.path == path)
                .unwrap_or_else(|| panic!("template routes {method} {path}, the route table does not"));
            assert_eq!(route.function, function.binary, "{method} {path} goes to another function");
            assert_eq!(*public, route.access == Access::Public, "{method} {path}: who may call it");
            deployed.insert((method.clone(), path.clone()));
        }
        let serves_function_url =
            ROUTES.iter().any(|r| r.function == function.binary && r.access == Access::FunctionUrl);
        assert_eq!(function.function_url, serves_function_url, "{}: function URL", function.binary);
    }
    for route in ROUTES.iter().filter(|r| matches!(r.access, Access::Merchant | Access::Public)) {
        assert!(
            deployed.contains(&(route.method.to_string(), route.path.to_string())),
            "{} {} is not routed by template.yaml: it would not exist in the cloud",
            route.method,
            route.path
        );
    }
}

#[test]
fn the_openapi_file_describes_exactly_the_tables_routes_and_marks_the_local_ones() {
    let spec = openapi();
    let serde_norway::Value::Mapping(paths) = &spec["paths"] else { panic!("paths is a mapping") };
    let mut described = BTreeSet::new();
    for (path, item) in paths {
        let path = path.as_str().unwrap();
        let local_only = item["x-local-only"].as_bool() == Some(true);
        for method in ["get", "put", "post", "patch", "delete"] {
            if item[method].is_null() {
                continue;
            }
            let method = method.to_uppercase();
            let route = ROUTES
                .iter()
                .find(|r| r.method == method && r.path == path)
                .unwrap_or_else(|| panic!("openapi.yaml has {method} {path}, the route table does not"));
            assert_eq!(local_only, route.access == Access::LocalOnly, "{method} {path}: x-local-only");
            described.insert((method, path.to_string()));
        }
    }
    for route in ROUTES {
        assert!(
            described.contains(&(route.method.to_string(), route.path.to_string())),
            "{} {} is not in openapi.yaml",
            route.method,
            route.path
        );
    }
}

#[test]
fn every_function_has_the_timeout_its_budget_was_computed_for() {
    let deployed = functions(&STACK);
    assert_eq!(deployed.len(), budgets::FUNCTIONS.len(), "one budget per function");
    for budget in budgets::FUNCTIONS {
        let function = deployed.iter().find(|f| f.binary == budget.binary).expect("the function is deployed");
        assert_eq!(function.timeout_seconds, budget.timeout_seconds, "{}: template Timeout", budget.binary);
    }
    for route in ROUTES.iter().filter(|r| r.access != Access::LocalOnly) {
        assert!(budgets::FUNCTIONS.iter().any(|b| b.binary == route.function), "{} has no budget", route.function);
    }
}

/// Every route reaches its function through the local server, and that function's own router
/// takes it: no "No such route", no 405. (The local server picks the function from the table.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_server_and_each_functions_router_serve_every_route_of_the_table() {
    let server = embedded().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    let order = unique("SO");
    let link = server.call(&merchant, "POST", "/links", Some(order_link(&order))).await.json();
    let id = link["id"].as_str().unwrap();
    let token = link["url"].as_str().unwrap().split("payment_link_token=").nth(1).unwrap().to_string();
    let code = link["short_url"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    for route in ROUTES {
        let value = match route.path {
            p if p.contains("{code}") => code.clone(),
            p if p.starts_with("/orders") => order.clone(),
            p if p.contains("{session}") => "cs_sim_unknown".to_string(),
            _ => id.to_string(),
        };
        let mut path = route.example_path(&value);
        if route.access == Access::Public {
            path = format!("{path}?payment_link_token={token}");
        }
        let method = reqwest::Method::from_bytes(route.method.as_bytes()).unwrap();
        let mut request = server.http.request(method, server.url(&path)).bearer_auth(server.token(&merchant));
        if route.method != "GET" && route.method != "DELETE" {
            request = request.json(&json!({}));
        }
        let reply = server.raw(request).await;
        let unrouted = reply.text.contains("No such route") || reply.status == StatusCode::METHOD_NOT_ALLOWED;
        assert!(!unrouted, "{} {} is not served: {} {}", route.method, route.path, reply.status, reply.text);
    }
}

/// The cloud's own brakes, before any function runs: API Gateway throttles every route, and the
/// public functions have reserved concurrency (a flood of opens cannot starve the webhook, and
/// the webhook always has room to record a payment).
#[test]
fn the_api_is_throttled_and_the_public_functions_have_reserved_concurrency() {
    let template = paylinks_tests::template::template();
    let resources = &template["Resources"];
    let throttle = &resources["HttpApi"]["Properties"]["DefaultRouteSettings"];
    assert!(!throttle["ThrottlingRateLimit"].is_null() && !throttle["ThrottlingBurstLimit"].is_null(), "{throttle:?}");
    for function in ["RedeemLinkFunction", "StripeWebhookFunction"] {
        let reserved = &resources[function]["Properties"]["ReservedConcurrentExecutions"];
        assert!(!reserved.is_null(), "{function} has no reserved concurrency");
    }
}

/// The pace of new Checkout Sessions reaches the function that makes them, from a parameter
/// whose default and range are the configuration's (`STRIPE_SESSIONS_PER_SECOND`, 25, 1–100):
/// without it every stack would run on the default, whatever its operator set.
#[test]
fn the_stripe_pace_is_a_parameter_wired_to_the_customers_function() {
    let template = paylinks_tests::template::template();
    let parameter = &template["Parameters"]["StripeSessionsPerSecond"];
    let number = |v: &serde_norway::Value| v.as_u64().unwrap_or_else(|| panic!("a number: {v:?}"));
    let default = paylinks::config::LinkConfig::with_base_url("https://pay.example.com").stripe_sessions_per_second;
    assert_eq!(number(&parameter["Default"]), u64::from(default), "{parameter:?}");
    assert_eq!((number(&parameter["MinValue"]), number(&parameter["MaxValue"])), (1, 100));
    let variables = &template["Resources"]["RedeemLinkFunction"]["Properties"]["Environment"]["Variables"];
    let wired = format!("{:?}", variables["STRIPE_SESSIONS_PER_SECOND"]);
    assert!(wired.contains("StripeSessionsPerSecond"), "redeem-link's STRIPE_SESSIONS_PER_SECOND: {wired}");
}

#[test]
fn the_openapi_currencies_are_the_ones_the_api_accepts() {
    let spec = openapi();
    let listed: BTreeSet<String> = spec["components"]["schemas"]["Currency"]["enum"]
        .as_sequence()
        .expect("Currency is an enum")
        .iter()
        .map(|c| c.as_str().expect("a code").to_string())
        .collect();
    let accepted: BTreeSet<String> = paylinks::domain::Currency::all().map(|c| c.code().to_string()).collect();
    assert_eq!(listed, accepted, "openapi.yaml's Currency enum and the domain's list");
}

#[test]
fn the_openapi_phone_pattern_allows_only_numbers_the_api_accepts() {
    let spec = openapi();
    let pattern = spec["components"]["schemas"]["Phone"]["pattern"].as_str().expect("Phone has a pattern").to_string();
    assert_eq!(pattern, paylinks::domain::e164_pattern(), "openapi.yaml's Phone pattern, from the phone plan's tables");
    // Every number the pattern allows (drawn from it), the API takes.
    let unanchored = pattern.trim_start_matches('^').trim_end_matches('$');
    let numbers = proptest::string::string_regex(unanchored).expect("a pattern proptest can draw from");
    let mut runner = proptest::test_runner::TestRunner::default();
    runner
        .run(&numbers, |number| {
            proptest::prop_assert!(paylinks::domain::PhoneE164::parse(&number).is_ok(), "{number} is refused");
            Ok(())
        })
        .expect("the API accepts what openapi.yaml allows");
}
