use chrono::{DateTime, Utc};

use super::{Connection, ConnectionPatch, ConnectionStatus};

impl ConnectionPatch {
    /// The patch semantics both backends share: a status change always rewrites the reason (cleared
    /// unless the new status is `disconnected`), un-archiving clears `archived_at`, and `updated_at`
    /// becomes `now`.
    pub fn apply_to(self, conn: &mut Connection, now: DateTime<Utc>) {
        if let Some(change) = self.status {
            conn.status = change.status;
            conn.reason = change
                .reason
                .filter(|_| change.status == ConnectionStatus::Disconnected);
        }
        if let Some(number) = self.whatsapp_number {
            conn.whatsapp_number = Some(number);
        }
        if let Some(profile) = self.profile_info {
            conn.profile_info = Some(profile);
        }
        if let Some(at) = self.last_active {
            conn.last_active = Some(at);
        }
        if let Some(archived) = self.archived {
            conn.archived = archived;
            conn.archived_at = archived.then_some(now);
        }
        conn.updated_at = now;
    }
}
