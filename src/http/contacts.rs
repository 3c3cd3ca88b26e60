//! The account's contacts as WhatsApp knows them, one contact's details, and the block list.

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::auth::Auth;
use super::page_ops::{on_page, user_id, OP_TIMEOUT};
use super::query::ApiQuery;
use super::AppState;
use crate::error::{ApiError, ErrorBody};

const DEFAULT_PAGE: usize = 50;
const MAX_PAGE: usize = 500;
const MAX_QUERY_CHARS: usize = 100;

/// A contact (the page reports these fields, see page/contacts.js).
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactView {
    /// `…@c.us`; an `@lid` contact whose number WhatsApp knows is shown by its number.
    #[schema(example = "923001234567@c.us")]
    id: String,
    /// The contact's privacy id (`…@lid`) when known.
    lid: Option<String>,
    /// The phone number (digits) when known; `null` for an `@lid` that hides it.
    number: Option<String>,
    /// The name saved in the phone's address book.
    name: Option<String>,
    short_name: Option<String>,
    /// The name the contact gave themselves.
    pushname: Option<String>,
    /// A business's verified name.
    verified_name: Option<String>,
    is_business: bool,
    is_enterprise: bool,
    is_me: bool,
    is_user: bool,
    is_group: bool,
    /// WhatsApp knows this number.
    #[serde(rename = "isWAContact")]
    is_wa_contact: bool,
    /// In the phone's address book.
    is_my_contact: bool,
    is_blocked: bool,
}

/// A contact with what only a look-up tells: the about text and the picture.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactDetails {
    #[serde(flatten)]
    contact: ContactView,
    /// The "about" text; `null` when unset or hidden.
    about: Option<String>,
    /// A temporary URL of the profile picture; `null` when none or hidden by privacy.
    profile_picture_url: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContactsQuery {
    /// Only contacts whose name, push name, business name or number contains this text
    /// (case-insensitive).
    #[param(max_length = 100)]
    q: Option<String>,
    /// Page size, 1-500 (50 by default).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
    /// Contacts to skip (from `nextOffset` of the previous page).
    #[param(minimum = 0)]
    offset: Option<usize>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactPage {
    contacts: Vec<ContactView>,
    total: usize,
    /// Pass as `offset` for the next page; `null` on the last one.
    next_offset: Option<usize>,
}

impl ContactView {
    fn matches(&self, needle: &str) -> bool {
        let fields = [
            &self.name,
            &self.pushname,
            &self.verified_name,
            &self.number,
        ];
        fields
            .iter()
            .filter_map(|f| f.as_deref())
            .any(|f| f.to_lowercase().contains(needle))
    }

    /// Address-book names first, then push names, then numbers.
    fn sort_key(&self) -> (bool, String) {
        let label = self
            .name
            .as_ref()
            .or(self.pushname.as_ref())
            .or(self.number.as_ref());
        (
            self.name.is_none(),
            label.cloned().unwrap_or_default().to_lowercase(),
        )
    }
}

/// The account's contacts, by name; `q` searches them.
#[utoipa::path(
    get, path = "/wa/connections/{id}/contacts", tag = "contacts",
    params(("id" = String, Path, description = "The connection id returned by `POST /wa/add-number`"), ContactsQuery),
    responses(
        (status = 200, body = ContactPage),
        (status = 400, description = "`INVALID_REQUEST`: a bad query parameter", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`: the number is not linked (yet)", body = ErrorBody),
    )
)]
pub async fn list_contacts(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ContactsQuery>,
) -> Result<Json<ContactPage>, ApiError> {
    let limit = match q.limit {
        None => DEFAULT_PAGE,
        Some(n) if (1..=MAX_PAGE).contains(&n) => n,
        Some(_) => return Err(ApiError::invalid(format!("limit must be 1-{MAX_PAGE}"))),
    };
    let needle = q.q.as_deref().map(str::trim).unwrap_or("").to_lowercase();
    if needle.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::invalid(format!(
            "q is longer than {MAX_QUERY_CHARS} characters"
        )));
    }
    let all: Vec<ContactView> = on_page(
        &state,
        &caller,
        &id,
        "contacts.list",
        Ok(json!({})),
        OP_TIMEOUT,
    )
    .await?;
    let mut contacts: Vec<ContactView> = all.into_iter().filter(|c| c.matches(&needle)).collect();
    contacts.sort_by_key(ContactView::sort_key);
    let (total, offset) = (contacts.len(), q.offset.unwrap_or(0));
    let next_offset = (offset + limit < total).then_some(offset + limit);
    let contacts = contacts.into_iter().skip(offset).take(limit).collect();
    Ok(Json(ContactPage {
        contacts,
        total,
        next_offset,
    }))
}

/// One contact, with its about text and profile picture.
#[utoipa::path(
    get, path = "/wa/connections/{id}/contacts/{contactId}", tag = "contacts",
    params(("id" = String, Path, description = "The connection id returned by `POST /wa/add-number`"),
           ("contactId" = String, Path, description = "A phone number, `…@c.us` or `…@lid`")),
    responses(
        (status = 200, body = ContactDetails),
        (status = 400, description = "`INVALID_REQUEST`: not a user id", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`; `NOT_FOUND`: no such contact", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`: the number is not linked (yet)", body = ErrorBody),
    )
)]
pub async fn get_contact(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((id, contact)): Path<(String, String)>,
) -> Result<Json<ContactDetails>, ApiError> {
    let args = user_id(&contact).map(|c| json!({"contactId": c}));
    Ok(Json(
        on_page(&state, &caller, &id, "contacts.get", args, OP_TIMEOUT).await?,
    ))
}

/// The result of a block or unblock.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BlockResult {
    /// The id WhatsApp blocks by (the user's `@lid`).
    id: String,
    blocked: bool,
}

async fn set_blocked(
    state: &AppState,
    caller: &super::auth::Principal,
    (id, contact): (String, String),
    block: bool,
) -> Result<Json<BlockResult>, ApiError> {
    let args = user_id(&contact).map(|c| json!({"contactId": c, "block": block}));
    Ok(Json(
        on_page(state, caller, &id, "contacts.block", args, OP_TIMEOUT).await?,
    ))
}

/// Blocks the user: they can no longer call or write to this number.
#[utoipa::path(
    post, path = "/wa/connections/{id}/contacts/{contactId}/block", tag = "contacts",
    params(("id" = String, Path, description = "The connection id returned by `POST /wa/add-number`"),
           ("contactId" = String, Path, description = "A phone number, `…@c.us` or `…@lid`")),
    responses(
        (status = 200, body = BlockResult),
        (status = 400, description = "`INVALID_REQUEST`: not a user id", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`; `NOT_FOUND`: WhatsApp knows no such user", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`: the number is not linked (yet)", body = ErrorBody),
    )
)]
pub async fn block(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(ids): Path<(String, String)>,
) -> Result<Json<BlockResult>, ApiError> {
    set_blocked(&state, &caller, ids, true).await
}

/// Unblocks the user.
#[utoipa::path(
    post, path = "/wa/connections/{id}/contacts/{contactId}/unblock", tag = "contacts",
    params(("id" = String, Path, description = "The connection id returned by `POST /wa/add-number`"),
           ("contactId" = String, Path, description = "A phone number, `…@c.us` or `…@lid`")),
    responses(
        (status = 200, body = BlockResult),
        (status = 400, description = "`INVALID_REQUEST`: not a user id", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`; `NOT_FOUND`: WhatsApp knows no such user", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`: the number is not linked (yet)", body = ErrorBody),
    )
)]
pub async fn unblock(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(ids): Path<(String, String)>,
) -> Result<Json<BlockResult>, ApiError> {
    set_blocked(&state, &caller, ids, false).await
}

/// One blocked user.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BlockedUser {
    /// As WhatsApp's block list holds it (`…@lid` or `…@c.us`).
    id: String,
    /// The phone number (digits) when known.
    number: Option<String>,
}

/// The users this account blocked.
#[utoipa::path(
    get, path = "/wa/connections/{id}/blocked", tag = "contacts",
    params(("id" = String, Path, description = "The connection id returned by `POST /wa/add-number`")),
    responses(
        (status = 200, body = Vec<BlockedUser>),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`: the number is not linked (yet)", body = ErrorBody),
    )
)]
pub async fn blocked(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Json<Vec<BlockedUser>>, ApiError> {
    Ok(Json(
        on_page(
            &state,
            &caller,
            &id,
            "contacts.blocked",
            Ok(json!({})),
            OP_TIMEOUT,
        )
        .await?,
    ))
}
