//! Waiting for what rich sends and message actions leave behind: the simulator's records, the
//! gateway's events and tracked messages.

use serde_json::{json, Value};
use wa_sim::{DeviceAction, SentMessage};

use super::{eventually, TestApp, LINK_TIMEOUT};

pub const ALICE: &str = "923001234567";
pub const BOB: &str = "923007654321";
pub const CAROL: &str = "14155550123";

impl TestApp {
    /// What the simulator recorded of the account's send `id`.
    pub async fn recorded(&self, number: &str, id: &str) -> SentMessage {
        eventually("the simulator records the send", LINK_TIMEOUT, || async {
            self.sim
                .sent_messages(number)
                .into_iter()
                .find(|s| s.id == id)
        })
        .await
    }

    /// The first action of `kind` the account's devices did on `target` (a message or chat id).
    pub async fn device_action(&self, number: &str, kind: &str, target: &str) -> DeviceAction {
        let what = format!("the simulator records a {kind} on {target}");
        eventually(&what, LINK_TIMEOUT, || async {
            self.sim.device_actions(number).into_iter().find(|a| {
                a.kind == kind
                    && (a.message_id.as_deref() == Some(target)
                        || a.chat.as_deref() == Some(target))
            })
        })
        .await
    }

    /// The data of the first `event` of the connection whose data matches `pred`.
    pub async fn event_data(
        &self,
        conn: &str,
        event: &str,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        eventually(&format!("a {event} event"), LINK_TIMEOUT, || async {
            self.events(conn)
                .await
                .into_iter()
                .find(|e| e.event == event && pred(&e.data))
                .map(|e| e.data)
        })
        .await
    }

    /// Waits until the gateway tracks the message `id` (it is then in WhatsApp Web too).
    pub async fn tracked(&self, id: &str) -> Value {
        let path = format!("/wa/messages/{id}");
        eventually("the gateway tracks the message", LINK_TIMEOUT, || async {
            let r = self.api.get(&path).await;
            (r.status == 200).then_some(r.body)
        })
        .await
    }

    /// Sends `body` (a JSON send request without `to`) to `to`; asserts success, returns the id.
    pub async fn send_json(&self, conn: &str, to: &str, mut body: Value) -> String {
        body["to"] = json!(to);
        let r = self.api.post(&format!("/wa/send/{conn}"), body).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["success"], true);
        assert!(r.body["timestamp"].is_string(), "{}", r.body);
        r.body["messageId"].as_str().unwrap().to_owned()
    }
}
