//! `/wa/connections/:id/groups*`: WhatsApp groups through the connection's live page
//! (`page/groups.js`). Reads need a viewer; changes an operator, since they change what other
//! people see of the account (sending alone does not need them). A connection that is not
//! connected answers `409 WHATSAPP_NOT_READY`; WhatsApp's refusals keep its reason.

mod types;

use std::time::Duration;

use axum::extract::{Path, State};
use axum::Json;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use super::auth::{Auth, Principal};
use super::json::ApiJson;
use super::AppState;
use crate::domain::ChatId;
use crate::error::{ApiError, ErrorBody};
pub use types::*;

/// A page operation that reads or changes one group.
const GROUP_OP_TIMEOUT: Duration = Duration::from_secs(30);
/// Adds are paced like WhatsApp Web paces them (250-500 ms apart).
const ADD_PACE_MS: [u64; 2] = [250, 500];
const MAX_PARTICIPANTS: usize = 100;

async fn call<T: DeserializeOwned>(
    state: &AppState,
    caller: &Principal,
    id: &str,
    op: &str,
    args: Value,
    limit: Duration,
) -> Result<T, ApiError> {
    let connection = state.owned(caller, id).await?;
    Ok(state.manager.call(&connection, op, args, limit).await?)
}

/// A group id from the path: `1203…@g.us`, or its digits alone.
fn group_id(raw: &str) -> Result<String, ApiError> {
    let full = if raw.contains('@') {
        raw.to_owned()
    } else {
        format!("{raw}@g.us")
    };
    match ChatId::parse(&full) {
        Ok(id) if id.as_str().ends_with("@g.us") => Ok(id.as_str().to_owned()),
        _ => Err(ApiError::invalid(format!(
            "'{raw}' is not a group id (…@g.us)"
        ))),
    }
}

/// A member: a phone number, a `…@c.us` id or a `…@lid` id.
fn participant_id(raw: &str) -> Result<String, ApiError> {
    if let Some(user) = raw.trim().strip_suffix("@lid") {
        if !user.is_empty() && user.len() <= 20 && user.chars().all(|c| c.is_ascii_digit()) {
            return Ok(format!("{user}@lid"));
        }
    }
    match ChatId::parse(raw) {
        Ok(id) if id.as_str().ends_with("@c.us") => Ok(id.as_str().to_owned()),
        Ok(_) => Err(ApiError::invalid(format!(
            "'{raw}' is a group, not a person"
        ))),
        Err(e) => Err(ApiError::invalid(format!("Invalid participant: {e}"))),
    }
}

fn participant_ids(list: &[UserId], min: usize) -> Result<Vec<String>, ApiError> {
    if list.len() < min || list.len() > MAX_PARTICIPANTS {
        return Err(ApiError::invalid(format!(
            "`participants` must hold {min}-{MAX_PARTICIPANTS} entries"
        )));
    }
    list.iter().map(|p| participant_id(&p.0)).collect()
}

fn subject(raw: &str) -> Result<String, ApiError> {
    let len = raw.chars().count();
    if raw.trim().is_empty() || len > 100 {
        return Err(ApiError::invalid(
            "`subject` must be 1-100 characters, not blank",
        ));
    }
    Ok(raw.to_owned())
}

const CONNECTION: &str = "The connection id returned by `POST /wa/add-number`";

/// Creates a group with this account as its owner and adds the participants; reports each one.
#[utoipa::path(
    post, path = "/wa/connections/{id}/groups", tag = "groups",
    params(("id" = String, Path, description = CONNECTION)),
    request_body = CreateGroupBody,
    responses(
        (status = 201, description = "Created; per participant what WhatsApp answered", body = CreatedGroup),
        (status = 400, description = "`INVALID_REQUEST`", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`", body = ErrorBody),
        (status = 502, description = "`WHATSAPP_REFUSED` / `SERVER_ERROR`: WhatsApp refused or did not answer", body = ErrorBody),
        (status = 413, description = "`INVALID_REQUEST`: the body is too large", body = ErrorBody),
        (status = 415, description = "`INVALID_REQUEST`: not `Content-Type: application/json`", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CreateGroupBody>,
) -> Result<(axum::http::StatusCode, Json<CreatedGroup>), ApiError> {
    let subject = subject(&body.subject)?;
    let participants = participant_ids(&body.participants, 0)?;
    let limit = GROUP_OP_TIMEOUT + Duration::from_secs(participants.len() as u64);
    let args = json!({"subject": subject, "participants": participants});
    let created = call(&state, &caller, &id, "groups.create", args, limit).await?;
    Ok((axum::http::StatusCode::CREATED, Json(created)))
}

/// The groups this account is in (as WhatsApp Web last knew them).
#[utoipa::path(
    get, path = "/wa/connections/{id}/groups", tag = "groups",
    params(("id" = String, Path, description = CONNECTION)),
    responses(
        (status = 200, body = Vec<Group>),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Json<Vec<Group>>, ApiError> {
    let groups = call(
        &state,
        &caller,
        &id,
        "groups.list",
        json!({}),
        GROUP_OP_TIMEOUT,
    )
    .await?;
    Ok(Json(groups))
}

/// One group, fresh from WhatsApp: subject, description, owner, settings, participants.
#[utoipa::path(
    get, path = "/wa/connections/{id}/groups/{groupId}", tag = "groups",
    params(("id" = String, Path, description = CONNECTION), ("groupId" = String, Path, description = "The group id (`1203…@g.us`, or its digits)", pattern = r"^[0-9]+(-[0-9]+)?(@g\.us)?$", example = "120363012345678901@g.us")),
    responses(
        (status = 200, body = Group),
        (status = 400, description = "`INVALID_REQUEST`: not a group id", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`; `NOT_FOUND`: no such group", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`", body = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((id, group)): Path<(String, String)>,
) -> Result<Json<Group>, ApiError> {
    let args = json!({"id": group_id(&group)?});
    let group = call(&state, &caller, &id, "groups.get", args, GROUP_OP_TIMEOUT).await?;
    Ok(Json(group))
}

/// Changes the subject, description or settings (admins only where the group says so); an
/// empty body changes nothing.
#[utoipa::path(
    patch, path = "/wa/connections/{id}/groups/{groupId}", tag = "groups",
    params(("id" = String, Path, description = CONNECTION), ("groupId" = String, Path, description = "The group id (`1203…@g.us`, or its digits)", pattern = r"^[0-9]+(-[0-9]+)?(@g\.us)?$", example = "120363012345678901@g.us")),
    request_body = UpdateGroupBody,
    responses(
        (status = 200, description = "The group after the change", body = Group),
        (status = 400, description = "`INVALID_REQUEST`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`: WhatsApp allows this to admins only (its reason in the message)", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`; `NOT_FOUND`: no such group", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`", body = ErrorBody),
        (status = 413, description = "`INVALID_REQUEST`: the body is too large", body = ErrorBody),
        (status = 415, description = "`INVALID_REQUEST`: not `Content-Type: application/json`", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((id, group)): Path<(String, String)>,
    ApiJson(body): ApiJson<UpdateGroupBody>,
) -> Result<Json<Group>, ApiError> {
    let gid = group_id(&group)?;
    if let Some(s) = &body.subject {
        subject(s)?;
    }
    if body
        .description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 2048)
    {
        return Err(ApiError::invalid(
            "`description` is longer than 2048 characters",
        ));
    }
    // An empty body changes nothing and answers the group as it is.
    let mut args = serde_json::to_value(&body).map_err(ApiError::internal)?;
    args["id"] = json!(gid);
    let group = call(
        &state,
        &caller,
        &id,
        "groups.update",
        args,
        GROUP_OP_TIMEOUT,
    )
    .await?;
    Ok(Json(group))
}

/// Adds, removes, promotes or demotes members (adds paced as WhatsApp Web paces them).
#[utoipa::path(
    post, path = "/wa/connections/{id}/groups/{groupId}/participants", tag = "groups",
    params(("id" = String, Path, description = CONNECTION), ("groupId" = String, Path, description = "The group id (`1203…@g.us`, or its digits)", pattern = r"^[0-9]+(-[0-9]+)?(@g\.us)?$", example = "120363012345678901@g.us")),
    request_body = ParticipantsBody,
    responses(
        (status = 200, description = "Per participant what WhatsApp answered", body = Vec<ParticipantResult>),
        (status = 400, description = "`INVALID_REQUEST`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`: this account is not an admin of the group", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`; `NOT_FOUND`: no such group", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`", body = ErrorBody),
        (status = 413, description = "`INVALID_REQUEST`: the body is too large", body = ErrorBody),
        (status = 415, description = "`INVALID_REQUEST`: not `Content-Type: application/json`", body = ErrorBody),
    )
)]
pub async fn participants(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((id, group)): Path<(String, String)>,
    ApiJson(body): ApiJson<ParticipantsBody>,
) -> Result<Json<Vec<ParticipantResult>>, ApiError> {
    let gid = group_id(&group)?;
    let list = participant_ids(&body.participants, 1)?;
    // The bench and the tests turn pacing off with sends' (`SEND_MIN_INTERVAL_MS=0`).
    let pace = if state.config.security.send_min_interval.is_zero() {
        [0, 0]
    } else {
        ADD_PACE_MS
    };
    let limit = GROUP_OP_TIMEOUT + Duration::from_millis((pace[1] + 200) * list.len() as u64);
    let args = json!({"id": gid, "action": body.action, "participants": list, "paceMs": pace});
    let results = call(&state, &caller, &id, "groups.participants", args, limit).await?;
    Ok(Json(results))
}

/// The group's invite link (admins only).
#[utoipa::path(
    get, path = "/wa/connections/{id}/groups/{groupId}/invite-code", tag = "groups",
    params(("id" = String, Path, description = CONNECTION), ("groupId" = String, Path, description = "The group id (`1203…@g.us`, or its digits)", pattern = r"^[0-9]+(-[0-9]+)?(@g\.us)?$", example = "120363012345678901@g.us")),
    responses(
        (status = 200, body = InviteCode),
        (status = 400, description = "`INVALID_REQUEST`: not a group id", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`: not an admin", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`; `NOT_FOUND`: no such group", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`", body = ErrorBody),
    )
)]
pub async fn invite_code(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((id, group)): Path<(String, String)>,
) -> Result<Json<InviteCode>, ApiError> {
    let args = json!({"id": group_id(&group)?});
    let code = call(
        &state,
        &caller,
        &id,
        "groups.inviteCode",
        args,
        GROUP_OP_TIMEOUT,
    )
    .await?;
    Ok(Json(code))
}

/// Revokes the invite link; the answer is the new one (admins only).
#[utoipa::path(
    delete, path = "/wa/connections/{id}/groups/{groupId}/invite-code", tag = "groups",
    params(("id" = String, Path, description = CONNECTION), ("groupId" = String, Path, description = "The group id (`1203…@g.us`, or its digits)", pattern = r"^[0-9]+(-[0-9]+)?(@g\.us)?$", example = "120363012345678901@g.us")),
    responses(
        (status = 200, description = "The new invite link", body = InviteCode),
        (status = 400, description = "`INVALID_REQUEST`: not a group id", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`: not an admin", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`; `NOT_FOUND`: no such group", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`", body = ErrorBody),
    )
)]
pub async fn revoke_invite(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((id, group)): Path<(String, String)>,
) -> Result<Json<InviteCode>, ApiError> {
    let args = json!({"id": group_id(&group)?});
    let code = call(
        &state,
        &caller,
        &id,
        "groups.revokeInvite",
        args,
        GROUP_OP_TIMEOUT,
    )
    .await?;
    Ok(Json(code))
}

/// Joins a group by its invite code or link (or asks to, when an admin must approve).
#[utoipa::path(
    post, path = "/wa/connections/{id}/groups/join", tag = "groups",
    params(("id" = String, Path, description = CONNECTION)),
    request_body = JoinBody,
    responses(
        (status = 200, body = Joined),
        (status = 400, description = "`INVALID_REQUEST`: give a `code` or a `link`", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`; `NOT_FOUND`: the code is unknown or revoked", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`", body = ErrorBody),
        (status = 413, description = "`INVALID_REQUEST`: the body is too large", body = ErrorBody),
        (status = 415, description = "`INVALID_REQUEST`: not `Content-Type: application/json`", body = ErrorBody),
    )
)]
pub async fn join(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<JoinBody>,
) -> Result<Json<Joined>, ApiError> {
    let args = match body {
        JoinBody::Code { code } => json!({"code": code}),
        JoinBody::Link { link } => json!({"link": link}),
    };
    let joined = call(&state, &caller, &id, "groups.join", args, GROUP_OP_TIMEOUT).await?;
    Ok(Json(joined))
}

/// Leaves the group.
#[utoipa::path(
    post, path = "/wa/connections/{id}/groups/{groupId}/leave", tag = "groups",
    params(("id" = String, Path, description = CONNECTION), ("groupId" = String, Path, description = "The group id (`1203…@g.us`, or its digits)", pattern = r"^[0-9]+(-[0-9]+)?(@g\.us)?$", example = "120363012345678901@g.us")),
    responses(
        (status = 200, body = Left),
        (status = 400, description = "`INVALID_REQUEST`: not a group id", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`: not a participant", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`; `NOT_FOUND`: no such group", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`", body = ErrorBody),
    )
)]
pub async fn leave(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((id, group)): Path<(String, String)>,
) -> Result<Json<Left>, ApiError> {
    let args = json!({"id": group_id(&group)?});
    let left = call(&state, &caller, &id, "groups.leave", args, GROUP_OP_TIMEOUT).await?;
    Ok(Json(left))
}

/// Pending requests to join (admins only).
#[utoipa::path(
    get, path = "/wa/connections/{id}/groups/{groupId}/requests", tag = "groups",
    params(("id" = String, Path, description = CONNECTION), ("groupId" = String, Path, description = "The group id (`1203…@g.us`, or its digits)", pattern = r"^[0-9]+(-[0-9]+)?(@g\.us)?$", example = "120363012345678901@g.us")),
    responses(
        (status = 200, body = Vec<JoinRequest>),
        (status = 400, description = "`INVALID_REQUEST`: not a group id", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`: not an admin", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`; `NOT_FOUND`: no such group", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`", body = ErrorBody),
    )
)]
pub async fn requests(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((id, group)): Path<(String, String)>,
) -> Result<Json<Vec<JoinRequest>>, ApiError> {
    let args = json!({"id": group_id(&group)?});
    let list = call(
        &state,
        &caller,
        &id,
        "groups.requests",
        args,
        GROUP_OP_TIMEOUT,
    )
    .await?;
    Ok(Json(list))
}

/// Approves or rejects requests to join (admins only); all pending ones without `participants`.
#[utoipa::path(
    post, path = "/wa/connections/{id}/groups/{groupId}/requests", tag = "groups",
    params(("id" = String, Path, description = CONNECTION), ("groupId" = String, Path, description = "The group id (`1203…@g.us`, or its digits)", pattern = r"^[0-9]+(-[0-9]+)?(@g\.us)?$", example = "120363012345678901@g.us")),
    request_body = RequestsBody,
    responses(
        (status = 200, description = "Per requester what WhatsApp answered", body = Vec<ParticipantResult>),
        (status = 400, description = "`INVALID_REQUEST`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`: not an admin", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`; `NOT_FOUND`: no such group", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`", body = ErrorBody),
        (status = 413, description = "`INVALID_REQUEST`: the body is too large", body = ErrorBody),
        (status = 415, description = "`INVALID_REQUEST`: not `Content-Type: application/json`", body = ErrorBody),
    )
)]
pub async fn answer_requests(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((id, group)): Path<(String, String)>,
    ApiJson(body): ApiJson<RequestsBody>,
) -> Result<Json<Vec<ParticipantResult>>, ApiError> {
    let gid = group_id(&group)?;
    let list = participant_ids(&body.participants, 0)?;
    let limit = GROUP_OP_TIMEOUT + Duration::from_millis(200 * list.len() as u64);
    let args = json!({"id": gid, "action": body.action, "participants": list});
    let results = call(&state, &caller, &id, "groups.answerRequests", args, limit).await?;
    Ok(Json(results))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_ids_take_the_suffix_or_the_digits_alone() {
        assert_eq!(
            group_id("120363012345678901").unwrap(),
            "120363012345678901@g.us"
        );
        assert_eq!(group_id("123-456@g.us").unwrap(), "123-456@g.us");
        for bad in ["", "abc", "923001234567@c.us", "1@lid", "12 34"] {
            assert!(group_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn participants_are_people_by_number_or_lid() {
        assert_eq!(
            participant_id("+92 300 1234567").unwrap(),
            "923001234567@c.us"
        );
        assert_eq!(
            participant_id("123456789012345@lid").unwrap(),
            "123456789012345@lid"
        );
        for bad in ["120363012345678901@g.us", "12", "x@lid", "@lid"] {
            assert!(participant_id(bad).is_err(), "{bad}");
        }
        let many: Vec<UserId> = (0..101).map(|i| UserId(format!("92300{i:07}"))).collect();
        assert!(participant_ids(&many, 0).is_err());
        assert!(participant_ids(&[], 1).is_err());
    }
}
