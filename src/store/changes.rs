//! Edits and deletes of a tracked message, applied in memory inside each backend's atomic
//! read-modify-write (like acks): the record follows what WhatsApp shows.

use chrono::{DateTime, SubsecRound, Utc};

use super::MessageRecord;

/// What happened to a message after it was tracked.
#[derive(Debug, Clone, PartialEq)]
pub enum MessageChange {
    /// Its text (or a media message's caption) was edited.
    Edited {
        text: Option<String>,
        at: DateTime<Utc>,
    },
    /// It was deleted for everyone: its content goes, the record stays.
    Revoked { at: DateTime<Utc> },
}

impl MessageRecord {
    /// Applies `change`; returns whether anything changed. A revoked message takes no edits, and
    /// the first revoke time stays.
    pub(crate) fn apply_change(&mut self, change: &MessageChange, now: DateTime<Utc>) -> bool {
        if self.revoked_at.is_some() {
            return false;
        }
        match change {
            MessageChange::Edited { text, at } => {
                let at = at.trunc_subsecs(3);
                if self.body == *text && self.edited_at.is_some_and(|e| e >= at) {
                    return false;
                }
                self.body.clone_from(text);
                if let Some(media) = &mut self.media {
                    media.caption.clone_from(text);
                }
                self.edited_at = Some(self.edited_at.map_or(at, |e| e.max(at)));
            }
            MessageChange::Revoked { at } => {
                self.revoked_at = Some(at.trunc_subsecs(3));
                self.body = None;
                self.media = None;
            }
        }
        self.updated_at = now;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::MessageMedia;
    use crate::store::{now, MessageDirection, MessageStatus};

    fn record() -> MessageRecord {
        let at = now();
        MessageRecord {
            seq: "s".into(),
            message_id: "m".into(),
            connection_id: "c".into(),
            direction: MessageDirection::Inbound,
            chat_id: None,
            from: None,
            to: None,
            author: None,
            kind: Some("image".into()),
            body: Some("old".into()),
            timestamp: None,
            status: MessageStatus::Received,
            ack: 0,
            acks: Vec::new(),
            media: Some(MessageMedia {
                caption: Some("old".into()),
                ..Default::default()
            }),
            edited_at: None,
            revoked_at: None,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn an_edit_replaces_text_and_caption_and_a_revoke_clears_the_content_for_good() {
        let mut m = record();
        let at = now();
        let edit = MessageChange::Edited {
            text: Some("new".into()),
            at,
        };
        assert!(m.apply_change(&edit, now()));
        assert_eq!(m.body.as_deref(), Some("new"));
        assert_eq!(m.media.as_ref().unwrap().caption.as_deref(), Some("new"));
        assert_eq!(m.edited_at, Some(at.trunc_subsecs(3)));
        assert!(
            !m.apply_change(&edit, now()),
            "the same edit again changes nothing"
        );
        assert!(m.apply_change(&MessageChange::Revoked { at }, now()));
        assert_eq!((m.body.as_ref(), m.media.as_ref()), (None, None));
        assert!(m.revoked_at.is_some());
        let later = MessageChange::Edited {
            text: Some("again".into()),
            at: now(),
        };
        assert!(
            !m.apply_change(&later, now()),
            "a deleted message takes no edit"
        );
    }
}
