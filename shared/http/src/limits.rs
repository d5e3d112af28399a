//! A merchant's requests, limited per merchant: one dashboard in a loop must not take the service
//! (and the platform's Stripe and AWS quotas) from every other merchant. Counted in the store like
//! the public routes' limits (`domain::rate_limit`), per fixed minute.

use paylinks::domain::{Limit, MerchantId, Spent, Timestamp};
use paylinks::ports::Throttle;

use crate::ApiError;

/// `429 rate_limited` with `Retry-After` once `merchant` made `per_minute` requests this minute.
pub async fn within_merchant_limit(
    store: &dyn Throttle,
    merchant: &MerchantId,
    per_minute: u32,
    now: Timestamp,
) -> Result<(), ApiError> {
    match store.spend(&paylinks::domain::merchant_limit_key(merchant), Limit::per_minute(per_minute), now).await {
        Ok(Spent::Allowed) => Ok(()),
        Ok(Spent::Limited { retry_after }) => {
            paylinks::metrics::throttled("merchant");
            Err(ApiError::rate_limited(retry_after))
        }
        Err(err) => Err(ApiError::from(err)),
    }
}
