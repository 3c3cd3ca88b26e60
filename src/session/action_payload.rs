//! The `data` of the events about acting on messages, built from what the page reported.

use chrono::{DateTime, Utc};

use crate::events::event::Event;
use crate::events::rich_data::{
    MessageEditData, MessageReactionData, MessageRevokeData, PollVoteData,
};
use crate::whatsapp::action_events::{PageEdit, PageReaction, PageRevoke, PageVote};
use crate::whatsapp::PageEvent;

/// The client event for a page report about a reaction, vote, edit or revoke.
pub fn event(page: PageEvent) -> Option<Event> {
    Some(match page {
        PageEvent::Reaction(r) => Event::MessageReaction(reaction(r)),
        PageEvent::PollVote(v) => Event::PollVote(vote(v)),
        PageEvent::MessageEdit(e) => Event::MessageEdit(edit(e)),
        PageEvent::MessageRevoke(r) => Event::MessageRevoke(revoke(r)),
        _ => return None,
    })
}

fn from_millis(ms: Option<i64>) -> Option<String> {
    ms.and_then(DateTime::<Utc>::from_timestamp_millis)
        .map(|t| t.to_rfc3339())
}

fn from_secs(s: Option<i64>) -> Option<String> {
    s.and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
        .map(|t| t.to_rfc3339())
}

fn reaction(r: PageReaction) -> MessageReactionData {
    let action = if r.emoji.is_empty() {
        "removed"
    } else {
        "added"
    };
    MessageReactionData {
        message_id: r.message_id,
        chat_id: r.chat_id,
        emoji: r.emoji,
        action: action.into(),
        sender: r.sender,
        sender_phone: r.sender_phone,
        from_me: r.from_me,
        timestamp: from_millis(r.t),
    }
}

fn vote(v: PageVote) -> PollVoteData {
    PollVoteData {
        poll_id: v.poll_id,
        chat_id: v.chat_id,
        voter: v.voter,
        voter_phone: v.voter_phone,
        selected_options: v.selected_options,
        from_me: v.from_me,
        timestamp: from_millis(v.t),
    }
}

fn edit(e: PageEdit) -> MessageEditData {
    MessageEditData {
        message_id: e.id,
        chat_id: e.chat_id,
        from_me: e.from_me,
        author: e.author,
        old_text: e.old_text,
        new_text: e.new_text,
        timestamp: from_millis(e.t),
    }
}

fn revoke(r: PageRevoke) -> MessageRevokeData {
    MessageRevokeData {
        message_id: r.id,
        chat_id: r.chat_id,
        from_me: r.from_me,
        author: r.author,
        previous: r.previous,
        timestamp: from_secs(r.t),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn page(v: serde_json::Value) -> PageEvent {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn an_empty_emoji_is_a_removed_reaction() {
        let report = json!({"type": "reaction", "messageId": "m1", "chatId": "c@c.us", "emoji": "",
            "sender": "1@c.us", "senderPhone": "1", "fromMe": false, "t": 1_795_615_200_000i64});
        let Some(Event::MessageReaction(data)) = event(page(report)) else {
            panic!("a reaction event")
        };
        assert_eq!(data.action, "removed");
        assert_eq!(data.timestamp.as_deref(), Some("2026-11-25T14:00:00+00:00"));
    }

    #[test]
    fn a_revoke_keeps_what_the_driver_saw_before() {
        let report = json!({"type": "message_revoke", "id": "m1", "chatId": "c@c.us", "fromMe": false,
            "author": "1@c.us", "previous": {"type": "chat", "body": "oops"}, "t": null});
        let Some(Event::MessageRevoke(data)) = event(page(report)) else {
            panic!("a revoke event")
        };
        let previous = data.previous.unwrap();
        assert_eq!(previous.body.as_deref(), Some("oops"));
        assert_eq!(previous.kind.as_deref(), Some("chat"));
    }
}
