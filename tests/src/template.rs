//! `template.yaml` as the cloud reads it: functions with their binaries, events, timeouts and IAM
//! statements, intrinsic functions (`!GetAtt`, `!Sub`, `!Ref`) resolved for a given table.

use serde_norway::Value;

fn repository_file(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{} cannot be read: {e}", path.display()))
}

pub fn template() -> Value {
    serde_norway::from_str(&repository_file("template.yaml")).expect("template.yaml is YAML")
}

pub fn openapi() -> Value {
    serde_norway::from_str(&repository_file("openapi.yaml")).expect("openapi.yaml is YAML")
}

/// An HTTP API event of a function.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Event {
    pub method: String,
    pub path: String,
    /// `Auth: {Authorizer: NONE}`: no merchant token asked.
    pub public: bool,
}

#[derive(Debug, Clone)]
pub struct Function {
    pub logical_id: String,
    pub binary: String,
    pub timeout_seconds: u64,
    pub events: Vec<Event>,
    pub function_url: bool,
    pub statements: Vec<Statement>,
    pub properties: Value,
}

/// One IAM statement, its resources resolved to ARNs.
#[derive(Debug, Clone)]
pub struct Statement {
    pub allow: bool,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
}

/// The names a resolved template uses in place of a stack's.
pub struct Stack<'a> {
    pub table: &'a str,
    pub email_identity: &'a str,
    /// The merchant events' queue (`WebhookQueue`).
    pub webhook_queue: &'a str,
}

pub const REGION: &str = "us-east-1";
/// The SES configuration set's name in a resolved template (`!Ref EmailEvents`).
pub const CONFIGURATION_SET: &str = "paylinks-email-events";
pub const ACCOUNT: &str = "123456789012";

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("expected text, found {other:?}"),
    }
}

fn list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Sequence(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        one => vec![one],
    }
}

impl Stack<'_> {
    fn table_arn(&self) -> String {
        format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{}", self.table)
    }

    fn substitute(&self, text: &str) -> String {
        text.replace("${LinksTable.Arn}", &self.table_arn())
            .replace("${AWS::Partition}", "aws")
            .replace("${AWS::Region}", REGION)
            .replace("${AWS::AccountId}", ACCOUNT)
            .replace("${EmailIdentity}", self.email_identity)
            .replace("${EmailEvents}", CONFIGURATION_SET)
    }

    /// A resource as IAM sees it: `!GetAtt LinksTable.Arn`, `!Sub "…"`, or a plain string.
    fn resolve(&self, value: &Value) -> String {
        match value {
            Value::Tagged(tagged) if tagged.tag == "GetAtt" => match text(&tagged.value).as_str() {
                "LinksTable.Arn" => self.table_arn(),
                "WebhookQueue.Arn" => format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{}", self.webhook_queue),
                other => panic!("unknown attribute {other}"),
            },
            Value::Tagged(tagged) if tagged.tag == "Sub" => self.substitute(&text(&tagged.value)),
            other => text(other),
        }
    }
}

fn global_timeout(template: &Value) -> u64 {
    template["Globals"]["Function"]["Timeout"].as_u64().expect("a global timeout")
}

/// Every `AWS::Serverless::Function` of the template.
pub fn functions(stack: &Stack) -> Vec<Function> {
    let template = template();
    let default_timeout = global_timeout(&template);
    let Value::Mapping(resources) = &template["Resources"] else { panic!("Resources is a mapping") };
    let mut functions = Vec::new();
    for (id, resource) in resources {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let properties = resource["Properties"].clone();
        let mut events = Vec::new();
        if let Value::Mapping(declared) = &properties["Events"] {
            for event in declared.values() {
                if matches!(event["Type"].as_str(), Some("DynamoDB" | "Schedule" | "SNS" | "SQS" | "CloudWatchLogs")) {
                    // The table's stream, the schedules, SES's events, the events' queue, SMS status.
                    continue;
                }
                assert_eq!(event["Type"].as_str(), Some("HttpApi"), "events are HTTP API routes");
                let p = &event["Properties"];
                events.push(Event {
                    method: text(&p["Method"]).to_uppercase(),
                    path: text(&p["Path"]),
                    public: p["Auth"]["Authorizer"].as_str() == Some("NONE"),
                });
            }
        }
        let mut statements = Vec::new();
        for policy in list(&properties["Policies"]) {
            for statement in list(&policy["Statement"]) {
                for unsupported in ["Condition", "NotAction", "NotResource", "NotPrincipal"] {
                    // tests/src/iam.rs would ignore it and decide wrongly: teach it first.
                    assert!(statement[unsupported].is_null(), "{id:?}: {unsupported} is not evaluated by the tests");
                }
                statements.push(Statement {
                    allow: statement["Effect"].as_str() == Some("Allow"),
                    actions: list(&statement["Action"]).into_iter().map(text).collect(),
                    resources: list(&statement["Resource"]).into_iter().map(|r| stack.resolve(r)).collect(),
                });
            }
        }
        functions.push(Function {
            logical_id: text(id),
            binary: text(&resource["Metadata"]["BuildProperties"]["Binary"]),
            timeout_seconds: properties["Timeout"].as_u64().unwrap_or(default_timeout),
            events,
            function_url: !properties["FunctionUrlConfig"].is_null(),
            statements,
            properties,
        });
    }
    functions
}

/// The function built from `binary`.
pub fn function(stack: &Stack, binary: &str) -> Function {
    functions(stack).into_iter().find(|f| f.binary == binary).unwrap_or_else(|| panic!("no function {binary}"))
}
