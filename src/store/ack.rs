//! The ack semantics both backends share, applied in memory inside each backend's atomic
//! read-modify-write.

use chrono::{DateTime, SubsecRound, Utc};

use super::{AckStep, MessageRecord, MessageStatus};

impl MessageRecord {
    /// Records one ack. The history keeps the first arrival of each ack value (WhatsApp repeats
    /// acks). `ack`/`status` only move to a higher ack, so a late "delivered" cannot undo "read";
    /// a negative ack always marks the message `failed`, and a higher ack arriving after a failure
    /// moves it forward again (the message did get out). `updated_at` becomes `now` when anything
    /// changed. Returns whether anything changed, so callers can skip a no-op write.
    pub(crate) fn record_ack(&mut self, ack: i64, at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        // Stored at millisecond precision by both backends; the returned record must match.
        let at = at.trunc_subsecs(3);
        let mut changed = false;
        if !self.acks.iter().any(|step| step.ack == ack) {
            self.acks.push(AckStep {
                ack,
                status: MessageStatus::from_ack(ack),
                at,
            });
            changed = true;
        }
        let failed = ack < 0 && (self.ack != ack || self.status != MessageStatus::Failed);
        if failed || ack > self.ack {
            self.ack = ack;
            self.status = MessageStatus::from_ack(ack);
            changed = true;
        }
        if changed {
            self.updated_at = now;
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::store::{now, MessageDirection};

    fn sent() -> MessageRecord {
        let at = now() - TimeDelta::minutes(1);
        MessageRecord {
            seq: "0001".into(),
            message_id: "true_1@c.us_A".into(),
            connection_id: "c".into(),
            direction: MessageDirection::Outbound,
            chat_id: None,
            from: None,
            to: None,
            author: None,
            kind: None,
            body: None,
            timestamp: None,
            status: MessageStatus::Pending,
            ack: 0,
            acks: Vec::new(),
            media: None,
            edited_at: None,
            revoked_at: None,
            created_at: at,
            updated_at: at,
        }
    }

    fn history(m: &MessageRecord) -> Vec<i64> {
        m.acks.iter().map(|s| s.ack).collect()
    }

    #[test]
    fn acks_move_the_status_forward_and_are_recorded_once() {
        let mut m = sent();
        let t = now();
        assert!(m.record_ack(1, t, t));
        assert!(m.record_ack(3, t, t));
        assert_eq!((m.ack, m.status), (3, MessageStatus::Read));
        assert_eq!(m.updated_at, t);

        // A late "delivered" is history, not a step back.
        assert!(m.record_ack(2, t, t));
        assert_eq!((m.ack, m.status), (3, MessageStatus::Read));
        assert!(!m.record_ack(3, t + TimeDelta::seconds(1), t));
        assert_eq!(history(&m), [1, 3, 2]);
    }

    #[test]
    fn a_negative_ack_fails_the_message_and_a_later_higher_ack_recovers_it() {
        let mut m = sent();
        let t = now();
        m.record_ack(2, t, t);
        assert!(m.record_ack(-1, t, t));
        assert_eq!((m.ack, m.status), (-1, MessageStatus::Failed));
        assert!(!m.record_ack(-1, t, t));

        assert!(m.record_ack(2, t, t), "already in history, but above -1");
        assert_eq!((m.ack, m.status), (2, MessageStatus::Delivered));
        assert_eq!(history(&m), [2, -1]);
    }
}
