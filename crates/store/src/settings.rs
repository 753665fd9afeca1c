//! Instance settings: JSON values under string keys, written atomically with the caller's transaction.

use crate::entity::settings;
use crate::time::to_micros;
use crate::Result;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

/// Key of the Okta integration settings (see the provider crate for their shape).
pub const OKTA_INTEGRATION: &str = "integration.okta";

/// The value stored under `key`, if any.
pub async fn get<C: ConnectionTrait>(c: &C, key: &str) -> Result<Option<serde_json::Value>> {
    let Some(row) = settings::Entity::find_by_id(key.to_owned()).one(c).await? else {
        return Ok(None);
    };
    serde_json::from_str(&row.value).map(Some).map_err(|e| crate::Error::Corrupt {
        kind: "setting",
        id: key.to_owned(),
        reason: e.to_string(),
    })
}

/// Stores `value` under `key` (insert or replace).
pub async fn put<C: ConnectionTrait>(c: &C, key: &str, value: &serde_json::Value, now: DateTime<Utc>) -> Result<()> {
    settings::Entity::insert(settings::ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value.to_string()),
        updated_at: Set(to_micros(now)),
    })
    .on_conflict(
        OnConflict::column(settings::Column::Key)
            .update_columns([settings::Column::Value, settings::Column::UpdatedAt])
            .to_owned(),
    )
    .exec_without_returning(c)
    .await?;
    Ok(())
}
