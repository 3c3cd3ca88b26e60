//! The WebSocket a page talks to (`/ws/chat`): one task per page, frames in JSON.

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket};
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};

use crate::core::{Core, PAGE_QUEUE};
use crate::session::Creds;

/// Frames a page sends.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
enum PageFrame {
    /// Opening: with stored credentials, or none.
    Hello { creds: Option<Creds> },
    /// Needs QR refs; `keys` = noise, identity, adv secret, platform.
    PairRequest { keys: [String; 4] },
    /// This QR string is on screen now (an empty ref clears it).
    Qr { qr: String },
    /// Out of refs (`UNPAIRED_IDLE`).
    Idle,
    /// A message to send.
    Send { msg: Value },
    /// `sendSeen` on a chat.
    Seen { chat: String },
    /// A question for the servers; answered by `iq-result` with the same `iq`.
    Query { iq: u64, query: String, wid: String },
    /// A group operation (`group_iq.rs`); answered by `iq-result` with the same `iq`.
    GroupIq {
        iq: u64,
        op: String,
        #[serde(default)]
        args: Value,
    },
    /// A request beyond messages (history, pictures, blocks…); answered by `iq-result`.
    Act {
        iq: u64,
        act: String,
        #[serde(default)]
        args: Value,
    },
    /// `Socket.logout()`.
    Logout,
    /// `takeover()` / `reconnect()` after a forced state.
    Resume,
    /// Anything else a device does (reactions, votes, edits, revokes, typing, presence).
    Action { action: Value },
    /// `Stream.markAvailable()` / `markUnavailable()`.
    Presence {
        #[allow(dead_code)]
        available: bool,
    },
}

/// Runs one page connection until it closes or the simulator stops.
pub async fn run(core: Arc<Core>, socket: WebSocket, mut stop: watch::Receiver<bool>) {
    let (tx, mut rx) = mpsc::channel::<Value>(PAGE_QUEUE);
    let page = core.open_page(tx);
    let (mut sink, mut stream) = socket.split();
    loop {
        tokio::select! {
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(text))) => handle(&core, page, &text),
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            outgoing = rx.recv() => match outgoing {
                Some(frame) => {
                    if sink.send(Message::Text(frame.to_string().into())).await.is_err() {
                        break;
                    }
                }
                None => break,
            },
            _ = stop.changed() => break,
        }
    }
    core.close_page(page);
    let _ = sink.close().await;
}

fn handle(core: &Arc<Core>, page: u64, text: &str) {
    let frame = match serde_json::from_str::<PageFrame>(text) {
        Ok(frame) => frame,
        Err(e) => {
            tracing::warn!(error = %e, "unreadable frame from a page");
            return;
        }
    };
    match frame {
        PageFrame::Hello { creds: Some(creds) } => core.hello(page, creds),
        PageFrame::Hello { creds: None } => {}
        PageFrame::PairRequest { keys } => core.pair_request(page, keys),
        PageFrame::Qr { qr } => core.qr_shown(page, &qr),
        PageFrame::Idle => core.pairing_idle(page),
        PageFrame::Send { msg } => core.page_send(page, msg),
        PageFrame::Seen { chat } => {
            core.seen(page, &chat);
            core.record_read(page, &chat);
        }
        PageFrame::Action { action } => core.page_action(page, action),
        PageFrame::Query { iq, query, wid } => {
            let result = core.query(page, &query, &wid);
            core.send_to(
                page,
                json!({"type": "iq-result", "iq": iq, "result": result}),
            );
        }
        PageFrame::GroupIq { iq, op, args } => {
            let result = core.group_iq(page, &op, &args);
            core.send_to(
                page,
                json!({"type": "iq-result", "iq": iq, "result": result}),
            );
        }
        PageFrame::Act { iq, act, args } => {
            let result = core.act(page, &act, &args);
            core.send_to(
                page,
                json!({"type": "iq-result", "iq": iq, "result": result}),
            );
        }
        PageFrame::Logout => core.page_logout(page),
        PageFrame::Resume => core.resume(page),
        PageFrame::Presence { .. } => {}
    }
}
