//! What the routes on a connection's live page share: running an operation there on the
//! caller's behalf, and the ids they take in their paths.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::auth::Principal;
use super::AppState;
use crate::domain::ChatId;
use crate::error::ApiError;

/// Most page operations are one or two round trips to WhatsApp's servers.
pub const OP_TIMEOUT: Duration = Duration::from_secs(30);
/// History may need the phone to upload more, several times.
pub const HISTORY_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `op` on the page of the caller's connection `id`. An unknown connection is reported
/// before bad `args` (which the path or body gave), so that it is a 404 whatever else is wrong.
pub async fn on_page<T: DeserializeOwned>(
    state: &AppState,
    caller: &Principal,
    id: &str,
    op: &str,
    args: Result<Value, ApiError>,
    limit: Duration,
) -> Result<T, ApiError> {
    let connection = state.owned(caller, id).await?;
    Ok(state.manager.call(&connection, op, args?, limit).await?)
}

/// A user as a path names it: a phone number (`923001234567`, `+92 300 1234567`), `…@c.us`
/// or a privacy id `…@lid`.
pub fn user_id(raw: &str) -> Result<String, ApiError> {
    if let Some(lid) = raw.trim().strip_suffix("@lid") {
        let ok = (6..=20).contains(&lid.len()) && lid.bytes().all(|b| b.is_ascii_digit());
        return ok
            .then(|| format!("{lid}@lid"))
            .ok_or_else(|| ApiError::invalid(format!("'{raw}' is not a valid @lid id")));
    }
    let id = ChatId::parse(raw).map_err(ApiError::invalid)?;
    if id.as_str().ends_with("@g.us") {
        return Err(ApiError::invalid(format!("'{raw}' is a group, not a user")));
    }
    Ok(id.as_str().to_owned())
}

/// A chat as a path names it: a user (see [`user_id`]) or a group `…@g.us`.
pub fn chat_id(raw: &str) -> Result<String, ApiError> {
    if raw.trim().ends_with("@g.us") {
        return Ok(ChatId::parse(raw)
            .map_err(ApiError::invalid)?
            .as_str()
            .to_owned());
    }
    user_id(raw)
}

/// Unix seconds as RFC 3339, when set.
pub fn rfc3339(t: Option<i64>) -> Option<chrono::DateTime<chrono::Utc>> {
    t.filter(|t| *t > 0)
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_normalised_and_bad_ones_refused() {
        assert_eq!(user_id("+92 300 1234567").unwrap(), "923001234567@c.us");
        assert_eq!(
            user_id("123456789012345@lid").unwrap(),
            "123456789012345@lid"
        );
        assert!(user_id("120363012345678901@g.us").is_err());
        assert!(user_id("abc@lid").is_err());
        assert_eq!(
            chat_id("120363012345678901@g.us").unwrap(),
            "120363012345678901@g.us"
        );
        assert!(chat_id("hello").is_err());
    }
}
