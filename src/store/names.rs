//! Enum <-> stored string, through the serde names the API already uses, so both backends and
//! the JSON responses spell every status the same way.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{StoreError, StoreResult};

/// The serde name of a unit variant (`DeliveryStatus::Pending` -> `"pending"`).
pub(crate) fn name_of<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        // Only called with unit-variant enums, which always serialize to a string.
        other => unreachable!("not a unit variant: {other:?}"),
    }
}

/// Parses a stored name; an unknown one means the row was written by something else: `Corrupt`.
pub(crate) fn parse_name<T: DeserializeOwned>(field: &str, s: &str) -> StoreResult<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| StoreError::Corrupt(format!("unknown {field} {s:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{DeliveryStatus, MessageDirection, MessageStatus, WebhookTarget};

    #[test]
    fn names_round_trip_and_unknown_ones_are_corrupt() {
        assert_eq!(name_of(&MessageStatus::Played), "played");
        assert_eq!(
            name_of(&WebhookTarget::Global),
            WebhookTarget::Global.as_str()
        );
        let d: DeliveryStatus = parse_name("status", "delivered").unwrap();
        assert_eq!(d, DeliveryStatus::Delivered);
        let dir: MessageDirection = parse_name("direction", "inbound").unwrap();
        assert_eq!(dir, MessageDirection::Inbound);
        let err = parse_name::<MessageStatus>("status", "lost").unwrap_err();
        assert!(matches!(err, StoreError::Corrupt(_)));
    }
}
