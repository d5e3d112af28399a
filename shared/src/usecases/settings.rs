//! `GET`/`PUT /settings`.

use super::attempts;
use crate::domain::{MerchantId, Settings, SettingsPatch, Versioned};
use crate::ports::{Commit, Read, StoreError, Wanted, Write};

/// The merchant's settings as stored, or the defaults (version 0) when never saved.
pub async fn read_settings<S: Read + ?Sized>(
    store: &S,
    merchant: &MerchantId,
) -> Result<Versioned<Settings>, StoreError> {
    let wanted = Wanted { settings: Some(merchant.clone()), ..Wanted::default() };
    Ok(store.read(&wanted).await?.settings.unwrap_or_else(|| Versioned::new(Settings::default())))
}

pub async fn get_settings<S: Read + ?Sized>(store: &S, merchant: &MerchantId) -> Result<Settings, StoreError> {
    Ok(read_settings(store, merchant).await?.value)
}

/// Applies any subset of the fields; the rest keep their value. Returns the whole settings.
/// A concurrent update is never lost: the patch is applied again to what the other wrote.
pub async fn put_settings<S: Read + Commit + ?Sized>(
    store: &S,
    merchant: &MerchantId,
    patch: &SettingsPatch,
) -> Result<Settings, StoreError> {
    for _ in attempts() {
        let current = read_settings(store, merchant).await?;
        let next = Versioned::at(patch.apply_to(&current), current.version);
        match store.commit(vec![Write::Settings(merchant.clone(), next.clone())]).await {
            Ok(()) => return Ok(next.value),
            Err(StoreError::Conflict) => continue,
            Err(err) => return Err(err),
        }
    }
    Err(StoreError::Conflict)
}

/// Replaces the merchant's settings whole (seeding a merchant, tests, benchmarks).
pub async fn save_settings<S: Read + Commit + ?Sized>(
    store: &S,
    merchant: &MerchantId,
    settings: &Settings,
) -> Result<(), StoreError> {
    for _ in attempts() {
        let current = read_settings(store, merchant).await?;
        let next = Versioned::at(settings.clone(), current.version);
        match store.commit(vec![Write::Settings(merchant.clone(), next)]).await {
            Err(StoreError::Conflict) => continue,
            other => return other,
        }
    }
    Err(StoreError::Conflict)
}
