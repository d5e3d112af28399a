//! The hello-world `lambda_runtime` function: what a Rust Lambda costs before it does anything.
//! `infra/bench.sh` builds it in the same run as the functions and prints theirs as ratios to it.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move { Ok::<_, Error>(event.payload) })).await
}
