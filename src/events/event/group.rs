//! The payload of the group events (`group_join`, `group_leave`, `group_admin_changed`,
//! `group_update`, `group_membership_request`): one shape, from WhatsApp's group notifications.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Someone in a group: the id WhatsApp uses (`…@c.us`, or `…@lid` in groups that hide numbers)
/// and the phone number where WhatsApp shares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GroupMember {
    #[schema(example = "923001234567@c.us")]
    pub id: String,
    /// Digits; `null` when WhatsApp does not share the number behind an `@lid`.
    #[schema(example = "923001234567")]
    pub phone: Option<String>,
}

/// The data of every group event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupEventData {
    #[schema(example = "120363012345678901@g.us")]
    pub group_id: String,
    /// WhatsApp's notification subtype: `add`, `invite`, `remove`, `leave`, `promote`, `demote`,
    /// `membership_approval_request`, `create`, `subject`, `description`, `announce`,
    /// `restrict`, `member_add_mode`, ...
    #[schema(example = "add")]
    pub action: Option<String>,
    /// Who acted (`null` when WhatsApp does not say).
    pub actor: Option<GroupMember>,
    /// Whom it concerns (added, removed, promoted, asking to join, ...).
    pub participants: Vec<GroupMember>,
    /// The new subject or description for `group_update` (`on`/`off` for a setting).
    pub value: Option<String>,
    /// When WhatsApp says it happened (RFC 3339).
    #[schema(format = DateTime)]
    pub timestamp: Option<String>,
    /// The notification's message id.
    pub message_id: Option<String>,
}
