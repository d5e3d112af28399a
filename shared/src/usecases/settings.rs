//! `GET`/`PUT /settings`.

use serde_json::Value;

use crate::domain::{MerchantId, Settings, SettingsPatch, ValidationError};
use crate::ports::{SettingsStore, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<SettingsError> for crate::http::ApiError {
    fn from(err: SettingsError) -> Self {
        match err {
            SettingsError::Invalid(e) => Self::validation(e),
            SettingsError::Store(e) => Self::from(e),
        }
    }
}

pub async fn get_settings(store: &dyn SettingsStore, merchant: &MerchantId) -> Result<Settings, StoreError> {
    Ok(store.get_settings(merchant).await?.unwrap_or_default())
}

/// Applies any subset of the fields; the rest keep their value. Returns the whole settings.
pub async fn put_settings(
    store: &dyn SettingsStore,
    merchant: &MerchantId,
    body: &Value,
) -> Result<Settings, SettingsError> {
    let patch = SettingsPatch::parse(body)?;
    let current = get_settings(store, merchant).await?;
    let next = patch.apply_to(&current);
    store.put_settings(merchant, &next).await?;
    Ok(next)
}
