//! Timestamps as stored: microseconds since the Unix epoch in a `BIGINT`, which orders and indexes the
//! same on SQLite and PostgreSQL.

use chrono::{DateTime, Utc};

/// Now, truncated to milliseconds: the precision `meta.created`/`meta.lastModified` are rendered
/// with, so a client filtering on a value it was shown compares equal to what is stored.
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).unwrap_or_default()
}

/// A timestamp as stored.
pub fn to_micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// A stored timestamp back as a `DateTime` (out-of-range values clamp to the epoch).
pub fn from_micros(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}
