//! IAM as AWS applies it to the calls a function makes, decided against the statements
//! `template.yaml` gives that function. moto enforces no IAM by default, and its opt-in
//! enforcement authorises a transaction as `dynamodb:TransactWriteItems`, an action IAM does not
//! have; here each call is broken into the actions AWS really checks:
//! - a transaction, per item: `PutItem`, `UpdateItem`, `DeleteItem`, `ConditionCheckItem`
//!   (`GetItem` for `TransactGetItems`), each on its item's table;
//! - a `Query` or `Scan` on an index, against the index's ARN (`table/T/index/I`);
//! - SES v2 `SendEmail`, against the sending identity (the From address's domain) and, when it
//!   names one, the configuration set;
//! - SNS `Publish` to a phone number, which names no ARN: only `Resource: "*"` covers it;
//! - an SQS call, against the queue its `QueueUrl` names (`SendMessageBatch` is `sqs:SendMessage`).
//!
//! An explicit Deny wins over any Allow; no matching Allow is an implicit deny.

use serde_json::Value;

use crate::aws_proxy::{Call, Service};
use crate::template::{ACCOUNT, REGION, Statement};

/// One action on one resource, as IAM authorises it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Request {
    pub action: String,
    pub resource: String,
}

/// One Allow statement's action on one of its resources: the unit a policy grants.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Grant {
    pub action: String,
    pub resource: String,
}

fn table_arn(table: &str) -> String {
    format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}")
}

fn request(action: String, resource: String) -> Request {
    Request { action, resource }
}

fn dynamodb_requests(operation: &str, input: &Value) -> Vec<Request> {
    let table = |item: &Value| table_arn(item["TableName"].as_str().unwrap_or_default());
    match operation {
        "TransactWriteItems" | "TransactGetItems" => input["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|item| item.as_object().into_iter().flatten())
            .map(|(kind, item)| {
                let action = match kind.as_str() {
                    "Put" => "PutItem",
                    "Update" => "UpdateItem",
                    "Delete" => "DeleteItem",
                    "ConditionCheck" => "ConditionCheckItem",
                    "Get" => "GetItem",
                    other => panic!("a transaction item of unknown kind {other}"),
                };
                request(format!("dynamodb:{action}"), table(item))
            })
            .collect(),
        "BatchGetItem" | "BatchWriteItem" => input["RequestItems"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, _)| request(format!("dynamodb:{operation}"), table_arn(name)))
            .collect(),
        _ => {
            let resource = match input["IndexName"].as_str() {
                Some(index) => format!("{}/index/{index}", table(input)),
                None => table(input),
            };
            vec![request(format!("dynamodb:{operation}"), resource)]
        }
    }
}

fn ses_requests(operation: &str, input: &Value) -> Vec<Request> {
    match operation {
        "SendEmail" => {
            let from = input["FromEmailAddress"].as_str().unwrap_or_default();
            let domain = from.rsplit('@').next().unwrap_or_default().trim_end_matches('>');
            let mut requests =
                vec![request("ses:SendEmail".into(), format!("arn:aws:ses:{REGION}:{ACCOUNT}:identity/{domain}"))];
            // Through a configuration set, SES authorises the set too.
            if let Some(set) = input["ConfigurationSetName"].as_str() {
                requests.push(request(
                    "ses:SendEmail".into(),
                    format!("arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/{set}"),
                ));
            }
            requests
        }
        _ => vec![request(format!("ses:{operation}"), "*".to_string())],
    }
}

fn sns_requests(operation: &str, input: &Value) -> Vec<Request> {
    let named = ["TopicArn", "TargetArn"].iter().find_map(|field| input[*field].as_str());
    vec![request(format!("sns:{operation}"), named.unwrap_or("*").to_string())]
}

fn sqs_requests(operation: &str, input: &Value) -> Vec<Request> {
    let name = input["QueueUrl"].as_str().and_then(|url| url.rsplit('/').next()).unwrap_or("*");
    let action = match operation {
        "SendMessageBatch" => "SendMessage",
        "ChangeMessageVisibilityBatch" => "ChangeMessageVisibility",
        "DeleteMessageBatch" => "DeleteMessage",
        other => other,
    };
    vec![request(format!("sqs:{action}"), format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"))]
}

/// What IAM authorises for one call.
pub fn requests(call: &Call) -> Vec<Request> {
    match call.service {
        Service::DynamoDb => dynamodb_requests(&call.operation, &call.input),
        Service::SesV2 => ses_requests(&call.operation, &call.input),
        Service::Sns => sns_requests(&call.operation, &call.input),
        Service::Sqs => sqs_requests(&call.operation, &call.input),
    }
}

/// IAM's wildcards: `*` any run of characters, `?` any one.
fn glob(pattern: &str, text: &str) -> bool {
    let (pattern, text): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut p, mut t, mut star, mut mark) = (0, 0, None, 0);
    while t < text.len() {
        if p < pattern.len() && pattern[p] == '*' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

fn action_matches(pattern: &str, action: &str) -> bool {
    glob(&pattern.to_ascii_lowercase(), &action.to_ascii_lowercase())
}

/// A function's policy: its statements from the template.
#[derive(Debug, Clone)]
pub struct Policy {
    pub statements: Vec<Statement>,
}

impl Policy {
    /// The grant that allows `request`, or `None` when IAM would deny it.
    pub fn allowing(&self, request: &Request) -> Option<Grant> {
        let matching = |s: &&Statement| {
            s.actions.iter().any(|a| action_matches(a, &request.action))
                && s.resources.iter().any(|r| glob(r, &request.resource))
        };
        if self.statements.iter().filter(|s| !s.allow).any(|s| matching(&s)) {
            return None;
        }
        let statement = self.statements.iter().filter(|s| s.allow).find(matching)?;
        let action = statement.actions.iter().find(|a| action_matches(a, &request.action))?;
        let resource = statement.resources.iter().find(|r| glob(r, &request.resource))?;
        Some(Grant { action: action.clone(), resource: resource.clone() })
    }

    /// Every action-on-resource the Allow statements grant.
    pub fn grants(&self) -> Vec<Grant> {
        let mut grants = Vec::new();
        for statement in self.statements.iter().filter(|s| s.allow) {
            for action in &statement.actions {
                for resource in &statement.resources {
                    grants.push(Grant { action: action.clone(), resource: resource.clone() });
                }
            }
        }
        grants
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_as_iam_matches_them() {
        assert!(glob("*", "anything"));
        assert!(glob("arn:aws:sns:*:*:*", "arn:aws:sns:us-east-1:1:topic"));
        assert!(!glob("arn:aws:sns:*:*:*", "*"));
        assert!(glob("table/t?", "table/t1"));
        assert!(!glob("table/t", "table/t/index/gsi1"));
        assert!(action_matches("dynamodb:Get*", "dynamodb:GetItem"));
        assert!(glob("a*b", "a*xb"), "a literal * in the text is still matched by a wildcard");
    }

    #[test]
    fn a_deny_wins_and_nothing_granted_is_denied() {
        let policy = Policy {
            statements: vec![
                Statement { allow: true, actions: vec!["sns:Publish".into()], resources: vec!["*".into()] },
                Statement {
                    allow: false,
                    actions: vec!["sns:Publish".into()],
                    resources: vec!["arn:aws:sns:*:*:*".into()],
                },
            ],
        };
        assert!(policy.allowing(&request("sns:Publish".into(), "*".into())).is_some());
        assert!(policy.allowing(&request("sns:Publish".into(), "arn:aws:sns:us-east-1:1:t".into())).is_none());
        assert!(policy.allowing(&request("sns:ListTopics".into(), "*".into())).is_none());
    }
}
