//! The metrics the functions print — CloudWatch Embedded Metric Format lines — read back, and
//! checked against what `template.yaml`'s alarms and dashboard watch: an alarm on a metric nobody
//! emits (a typo, a dimension too many) would never fire. Its own test binary: the recorder is
//! process-wide.

use std::collections::BTreeSet;

use paylinks::metrics::{self, NAMESPACE};
use serde_json::Value as Json;
use serde_norway::Value as Yaml;

/// A metric as CloudWatch keys it: its name and the names of its dimensions.
type Watched = (String, BTreeSet<String>);

/// What one of each count prints, as (name, dimension names), every line checked for EMF's shape.
fn emitted() -> BTreeSet<Watched> {
    metrics::init("stripe-webhook");
    metrics::link_created();
    metrics::link_opened();
    metrics::session_created();
    metrics::payment_recorded(true);
    metrics::webhook_answered(200);
    metrics::webhook_answered(503);
    metrics::webhook_rejected("signature");
    metrics::webhook_rejected("payload");
    metrics::delivery_failed("email");
    metrics::reminder_sent();
    metrics::merchant_webhook_failed();
    metrics::throttled("client");
    let mut out = Vec::new();
    metrics::flush_into(&mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut seen = BTreeSet::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let doc: Json = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        assert!(doc["_aws"]["Timestamp"].is_u64(), "EMF needs a timestamp: {line}");
        assert_eq!(directive["Namespace"], NAMESPACE, "{line}");
        let dimensions: BTreeSet<String> =
            directive["Dimensions"][0].as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_string()).collect();
        for dimension in &dimensions {
            assert!(doc[dimension].is_string(), "a dimension's value is on the line: {line}");
        }
        for metric in directive["Metrics"].as_array().unwrap() {
            let name = metric["Name"].as_str().unwrap().to_string();
            assert!(doc[&name].is_number(), "a metric's value is on the line: {line}");
            seen.insert((name, dimensions.clone()));
        }
    }
    seen
}

fn text(value: &Yaml) -> String {
    match value {
        Yaml::String(s) => s.clone(),
        Yaml::Tagged(tagged) => text(&tagged.value),
        other => panic!("expected text, found {other:?}"),
    }
}

fn watched(metric: &Yaml) -> Option<Watched> {
    // An expression (no metric of its own) watches nothing by itself.
    (!metric["Namespace"].is_null() && text(&metric["Namespace"]) == NAMESPACE).then(|| {
        let dimensions = metric["Dimensions"].as_sequence().map(|d| d.iter().map(|d| text(&d["Name"])).collect());
        (text(&metric["MetricName"]), dimensions.unwrap_or_default())
    })
}

/// What the alarms and the dashboard watch in our namespace.
fn watched_by_the_template() -> BTreeSet<Watched> {
    let template = paylinks_tests::template::template();
    let mut watched_metrics = BTreeSet::new();
    for (_, resource) in template["Resources"].as_mapping().unwrap() {
        let properties = &resource["Properties"];
        match text(&resource["Type"]).as_str() {
            "AWS::CloudWatch::Alarm" if !properties["Namespace"].is_null() => {
                watched_metrics.extend(watched(properties));
            }
            "AWS::CloudWatch::Alarm" => {
                for query in properties["Metrics"].as_sequence().unwrap() {
                    watched_metrics.extend(watched(&query["MetricStat"]["Metric"]));
                }
            }
            "AWS::CloudWatch::Dashboard" => {
                // `${Resource.Arn}` placeholders are CloudFormation's; the rest is JSON.
                let body = text(&properties["DashboardBody"]).replace("${", "{");
                let body: Json = serde_json::from_str(&body).expect("the dashboard is JSON");
                for widget in body["widgets"].as_array().unwrap() {
                    for metric in widget["properties"]["metrics"].as_array().into_iter().flatten() {
                        let parts: Vec<&str> = metric.as_array().unwrap().iter().filter_map(Json::as_str).collect();
                        if parts[0] == NAMESPACE {
                            let dimensions = parts[2..].chunks(2).map(|pair| pair[0].to_string()).collect();
                            watched_metrics.insert((parts[1].to_string(), dimensions));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    watched_metrics
}

#[test]
fn every_metric_the_alarms_and_dashboard_watch_is_printed_with_those_dimensions() {
    let emitted = emitted();
    let watched = watched_by_the_template();
    assert!(watched.len() >= 8, "the template watches our metrics: {watched:?}");
    for metric in &watched {
        assert!(emitted.contains(metric), "{metric:?} is watched but never printed; printed: {emitted:?}");
    }
    for name in ["PaymentsRecorded", "SessionsCreated", "WebhookServerErrors", "WebhookRequests"] {
        assert!(watched.iter().any(|(n, _)| n == name), "an alarm watches {name}");
    }
}
