//! The bodies and answers of the group routes, as the API document shows them. The driver
//! (`page/groups.js`) answers in these shapes; serde reads them back to check.

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::openapi::schema::{
    AdditionalProperties, Object, ObjectBuilder, OneOfBuilder, Schema, Type,
};
use utoipa::openapi::RefOr;
use utoipa::ToSchema;

pub use crate::events::event::GroupMember;

/// Who may do what in a group.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupSettings {
    /// Only admins send messages.
    pub announce: bool,
    /// Only admins edit the subject and description.
    pub restrict: bool,
    pub member_add_mode: MemberAddMode,
    /// Joining by link needs an admin's approval.
    pub approval_mode: bool,
}

/// Who may add members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberAddMode {
    AdminAdd,
    AllMemberAdd,
}

/// A group member with its admin flags.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    #[schema(example = "923001234567@c.us")]
    pub id: String,
    /// Digits; `null` when WhatsApp does not share the number behind an `@lid`.
    pub phone: Option<String>,
    pub is_admin: bool,
    /// The group's creator.
    pub is_super_admin: bool,
}

/// A group as WhatsApp describes it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    #[schema(example = "120363012345678901@g.us")]
    pub id: String,
    pub subject: Option<String>,
    pub description: Option<String>,
    pub owner: Option<GroupMember>,
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
    #[schema(format = DateTime)]
    pub subject_changed_at: Option<String>,
    pub settings: GroupSettings,
    /// Members are addressed by `@lid` (their numbers only where WhatsApp shares them).
    pub is_lid_addressing_mode: bool,
    pub size: u32,
    /// Whether this account is an admin of the group.
    pub i_am_admin: bool,
    pub participants: Vec<Participant>,
}

/// What happened to one participant of a request.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ParticipantResult {
    pub id: String,
    pub phone: Option<String>,
    /// `added`, `invited` (privacy allows only a private invite; it was sent), `not_on_whatsapp`,
    /// `already_member`, `recently_left`, `group_full`, `community`, `removed`, `promoted`,
    /// `demoted`, `not_member`, `approved`, `rejected`, `no_request`, `refused`, `failed`.
    #[schema(example = "added")]
    pub status: String,
    /// WhatsApp's code for it (200 done, 403 invite only, 404, 408, 409, 419, ...).
    #[schema(example = 200)]
    pub code: u16,
    /// For `invited`: the private invite's code and expiry (unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_expiration: Option<String>,
    /// For `invited`: whether the private invite message was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_sent: Option<bool>,
}

/// A person: a phone number in international format, a `…@c.us` or a `…@lid` id.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(
    pattern = r"^(\+?[ ()\-.]*[1-9]([ ()\-.]*[0-9]){5,14}[ ()\-.]*|[1-9][0-9]{5,14}@c\.us|[0-9]{1,20}@lid)$",
    example = "923007654321"
)]
pub struct UserId(pub String);

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroupBody {
    /// 1-100 characters.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S", example = "Team")]
    pub subject: String,
    /// Phone numbers (or `…@c.us` ids) to add; 0-100 of them.
    #[schema(max_items = 100, example = json!(["923007654321"]), inline)]
    #[serde(default)]
    pub participants: Vec<UserId>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedGroup {
    pub group: Group,
    pub participants: Vec<ParticipantResult>,
}

/// Changes to a group: only the fields given.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateGroupBody {
    /// 1-100 characters.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S", nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// At most 2048 characters (empty clears it).
    #[schema(max_length = 2048, nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub announce: Option<bool>,
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restrict: Option<bool>,
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_add_mode: Option<MemberAddMode>,
    #[schema(nullable = false)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval_mode: Option<bool>,
}

/// What to do with members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantAction {
    Add,
    Remove,
    Promote,
    Demote,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantsBody {
    pub action: ParticipantAction,
    /// 1-100 phone numbers, `…@c.us` or `…@lid` ids.
    #[schema(min_items = 1, max_items = 100, example = json!(["923007654321"]), inline)]
    pub participants: Vec<UserId>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InviteCode {
    #[schema(example = "AbCdEfGhIjKlMnOpQrStUv")]
    pub code: String,
    #[schema(example = "https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv")]
    pub link: String,
}

/// An invite `code` or a `link` (`https://chat.whatsapp.com/<code>`): exactly one.
#[derive(Debug, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum JoinBody {
    Code { code: String },
    Link { link: String },
}

// Written by hand: each alternative is closed (`additionalProperties: false`), as serde reads it.
impl utoipa::PartialSchema for JoinBody {
    fn schema() -> RefOr<Schema> {
        let one = |name: &str, field: Object| {
            ObjectBuilder::new()
                .property(name, field)
                .required(name)
                .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        };
        let code = ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[A-Za-z0-9]{6,64}$"))
            .examples([json!("AbCdEfGhIjKlMnOpQrStUv")])
            .build();
        let link = ObjectBuilder::new()
            .schema_type(Type::String)
            .examples([json!("https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv")])
            .build();
        OneOfBuilder::new()
            .item(one("code", code))
            .item(one("link", link))
            .description(Some(
                "An invite `code` or a `link` (`https://chat.whatsapp.com/<code>`): exactly one.",
            ))
            .into()
    }
}

impl ToSchema for JoinBody {
    fn name() -> std::borrow::Cow<'static, str> {
        "JoinBody".into()
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Joined {
    pub id: String,
    /// `joined`, or `requested` when an admin must approve first.
    #[schema(example = "joined")]
    pub status: String,
    /// The group, once joined.
    pub group: Option<Group>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Left {
    pub id: String,
    pub left: bool,
}

/// Someone asking to join.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JoinRequest {
    pub id: String,
    pub phone: Option<String>,
    /// Unix seconds.
    pub requested_at: Option<i64>,
    /// How they asked (`invite_link`, ...).
    pub method: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestAction {
    Approve,
    Reject,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestsBody {
    pub action: RequestAction,
    /// Whose requests (phone numbers or ids); empty or missing = all pending ones.
    #[schema(max_items = 100, inline)]
    #[serde(default)]
    pub participants: Vec<UserId>,
}
