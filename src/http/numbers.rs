//! `POST /wa/connections/:id/numbers/check`: which numbers are on WhatsApp, under which id.
//! Answers are kept in the store for `NUMBER_CHECK_TTL`; WhatsApp is asked only about the rest,
//! one number per `SEND_MIN_INTERVAL_MS` (as sends are paced), since bulk look-ups get numbers
//! banned just as bulk sends do.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::time::Instant;
use utoipa::ToSchema;

use super::auth::Auth;
use super::json::ApiJson;
use super::page_ops::OP_TIMEOUT;
use super::AppState;
use crate::domain::ChatId;
use crate::error::{ApiError, ErrorBody};
use crate::store::{now, Connection, NumberCheck};

const MAX_NUMBERS: usize = 100;

/// Spaces each connection's look-ups like its sends.
#[derive(Default)]
pub struct LookupPacer {
    next: Mutex<HashMap<String, Instant>>,
}

impl LookupPacer {
    /// Waits for the connection's next look-up slot: `interval` after the last one, plus up
    /// to 30 % so look-ups do not tick like a machine. A zero interval never waits.
    pub async fn slot(&self, connection: &str, interval: Duration) {
        if interval.is_zero() {
            return;
        }
        let at = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let at = next.get(connection).copied().unwrap_or(now).max(now);
            let gap = interval.mul_f64(1.0 + rand::random::<f64>() * 0.3);
            next.insert(connection.to_owned(), at + gap);
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// 1-100 phone numbers in international format (`+92 300 1234567`, `923001234567`).
    #[schema(min_items = 1, max_items = 100, example = json!(["+92 300 1234567", "5511912345678"]))]
    numbers: Vec<String>,
}

/// What WhatsApp says about one number.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NumberResult {
    /// The number as given.
    input: String,
    /// Whether the number is on WhatsApp.
    exists: bool,
    /// WhatsApp's canonical id for it (send here); it can differ from the number given, e.g.
    /// with or without a country's mobile prefix. `null` when not on WhatsApp.
    #[schema(example = "923001234567@c.us")]
    id: Option<String>,
    /// The user's privacy id (`…@lid`) when WhatsApp told it.
    lid: Option<String>,
    /// Answered from the store (checked within `NUMBER_CHECK_TTL`) rather than by WhatsApp now.
    cached: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CheckResponse {
    /// One per number given, in the same order.
    results: Vec<NumberResult>,
}

/// The digits of each number, or which one is not a phone number.
fn digits_of(numbers: &[String]) -> Result<Vec<String>, ApiError> {
    if numbers.is_empty() || numbers.len() > MAX_NUMBERS {
        return Err(ApiError::invalid(format!("give 1-{MAX_NUMBERS} numbers")));
    }
    numbers
        .iter()
        .map(|n| {
            let id = ChatId::parse(n).map_err(ApiError::invalid)?;
            id.as_str()
                .strip_suffix("@c.us")
                .map(str::to_owned)
                .ok_or_else(|| ApiError::invalid(format!("'{n}' is a group, not a number")))
        })
        .collect()
}

#[derive(Deserialize)]
struct PageCheck {
    input: String,
    exists: bool,
    id: Option<String>,
    lid: Option<String>,
}

/// Asks WhatsApp about `numbers` (all at once when unpaced, else one per slot).
async fn ask_whatsapp(
    state: &AppState,
    connection: &Connection,
    numbers: Vec<String>,
) -> Result<Vec<NumberCheck>, ApiError> {
    let interval = state.config.security.send_min_interval;
    let batches: Vec<Vec<String>> = if interval.is_zero() {
        vec![numbers]
    } else {
        numbers.into_iter().map(|n| vec![n]).collect()
    };
    let mut checks = Vec::new();
    for batch in batches.into_iter().filter(|b| !b.is_empty()) {
        state
            .lookups
            .slot(&connection.connection_id, interval)
            .await;
        let args = json!({"numbers": batch});
        let answers: Vec<PageCheck> = state
            .manager
            .call(connection, "numbers.check", args, OP_TIMEOUT)
            .await?;
        let at = now();
        checks.extend(answers.into_iter().map(|a| NumberCheck {
            number: a.input,
            exists: a.exists,
            id: a.id,
            lid: a.lid,
            checked_at: at,
        }));
    }
    Ok(checks)
}

/// Which numbers are on WhatsApp, with WhatsApp's canonical id for each.
#[utoipa::path(
    post, path = "/wa/connections/{id}/numbers/check", tag = "numbers",
    params(("id" = String, Path, description = "The connection id returned by `POST /wa/add-number`")),
    request_body = CheckRequest,
    responses(
        (status = 200, body = CheckResponse),
        (status = 400, description = "`INVALID_REQUEST`: not 1-100 numbers, or one is not a phone number", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`: the number is not linked (yet)", body = ErrorBody),
        (status = 415, description = "`INVALID_REQUEST`: not `Content-Type: application/json`", body = ErrorBody),
    )
)]
pub async fn check(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CheckRequest>,
) -> Result<Json<CheckResponse>, ApiError> {
    let connection = state.owned(&caller, &id).await?;
    let digits = digits_of(&req.numbers)?;
    let ttl = chrono::TimeDelta::from_std(state.config.number_check_ttl).unwrap_or_default();
    let cached = state
        .store
        .get_number_checks(&id, &digits, now() - ttl)
        .await?;
    let mut known: HashMap<String, (NumberCheck, bool)> = cached
        .into_iter()
        .map(|c| (c.number.clone(), (c, true)))
        .collect();
    let mut asked = HashSet::new();
    let missing: Vec<String> = digits
        .iter()
        .filter(|d| !known.contains_key(*d) && asked.insert(*d))
        .cloned()
        .collect();
    let fresh = ask_whatsapp(&state, &connection, missing).await?;
    state.store.put_number_checks(&id, &fresh).await?;
    known.extend(fresh.into_iter().map(|c| (c.number.clone(), (c, false))));
    let results = req
        .numbers
        .into_iter()
        .zip(digits)
        .map(|(input, d)| result(input, known.get(&d)))
        .collect();
    Ok(Json(CheckResponse { results }))
}

fn result(input: String, known: Option<&(NumberCheck, bool)>) -> NumberResult {
    let (check, cached) = match known {
        Some((c, cached)) => (Some(c), *cached),
        None => (None, false),
    };
    NumberResult {
        input,
        exists: check.is_some_and(|c| c.exists),
        id: check.and_then(|c| c.id.clone()),
        lid: check.and_then(|c| c.lid.clone()),
        cached,
    }
}
