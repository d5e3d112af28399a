use paylinks::budgets::FunctionBudget;

/// Runs a request to its function's deadline; past it, `late` answers instead (a retryable 5xx).
/// Writes are conditional or transactional, so stopping between two of them leaves nothing
/// half-done that a retry does not finish.
pub async fn within_deadline<T>(
    budget: &FunctionBudget,
    request: impl Future<Output = T>,
    late: impl FnOnce() -> T,
) -> T {
    use tracing::Instrument;
    let span = paylinks::logging::request_span(budget.binary);
    async {
        match tokio::time::timeout(budget.deadline(), request).await {
            Ok(answer) => answer,
            Err(_) => {
                tracing::error!("request ran out of time; answering 5xx so the caller retries");
                late()
            }
        }
    }
    .instrument(span)
    .await
}
