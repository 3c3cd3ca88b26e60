//! The handle tests and `main` hold: start, control, shut down.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::{AckBehaviour, SimConfig};
use crate::core::Core;
use crate::error::SimError;
use crate::http::{router, AppState};
use crate::types::{parse_number, Counters, DeviceInfo, InboundMessage, ScanResult, SentMessage};

/// A running simulator. Share it by reference (or in an `Arc`); dropping it stops the server.
pub struct Simulator {
    pub(crate) core: Arc<Core>,
    port: u16,
    stop: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Binds `config.host`:`config.port`, loads the state folder and starts serving.
    pub async fn start(config: SimConfig) -> Result<Simulator, SimError> {
        let port = config.port;
        let core = Core::new(config)?;
        let addr = SocketAddr::from((core.config.host, port));
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| SimError::Bind { port, source })?;
        let port = listener
            .local_addr()
            .map_err(|source| SimError::Bind { port, source })?
            .port();
        let (stop, stop_rx) = watch::channel(false);
        let app = router(AppState {
            core: core.clone(),
            stop: stop_rx.clone(),
        });
        let mut until_stop = stop_rx;
        let server = tokio::spawn(async move {
            let stopped = async move {
                let _ = until_stop.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(stopped)
                .await
            {
                tracing::error!(error = %e, "simulator server failed");
            }
        });
        tracing::info!(port, "wa-sim listening");
        Ok(Simulator {
            core,
            port,
            stop,
            server: Some(server),
        })
    }

    /// The servers' shared state, for the feature files' own `impl Simulator` blocks.
    pub(crate) fn core(&self) -> &Arc<Core> {
        &self.core
    }

    /// The WhatsApp Web URL to open, `http://127.0.0.1:<port>/`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The phone scans `qr` as `number` with `push_name`. Fails if the QR is unknown, stale or malformed.
    pub async fn scan(
        &self,
        qr: &str,
        number: &str,
        push_name: &str,
    ) -> Result<ScanResult, SimError> {
        self.core.scan(qr, number, push_name)
    }

    /// The phone types the 8-character code a page got from `startAltLinkingFlow`.
    pub async fn enter_link_code(
        &self,
        code: &str,
        push_name: &str,
    ) -> Result<ScanResult, SimError> {
        self.core.enter_link_code(code, push_name)
    }

    /// QR strings of pages currently waiting for a scan, as the pages built them.
    pub fn current_qrs(&self) -> Vec<String> {
        self.core.current_qrs()
    }

    /// A message from a phone to an account; returns its serialized id.
    pub async fn send_inbound(&self, msg: InboundMessage) -> Result<String, SimError> {
        self.core.send_inbound(msg)
    }

    /// A media message from a phone (encrypted and put on the CDN first); answers
    /// `{id, directPath, sha256}`.
    pub async fn send_inbound_media(
        &self,
        media: crate::media::InboundMedia,
    ) -> Result<serde_json::Value, SimError> {
        self.core.send_inbound_media(media)
    }

    /// The media at `direct_path` expires on the CDN (downloads get 404).
    pub fn expire_media(&self, direct_path: &str) -> bool {
        self.core.media.expire(direct_path)
    }

    /// Serves `bytes` at `/__sim/files/{name}` with `content_type`; answers the URL.
    pub fn serve_file(&self, name: &str, content_type: &str, bytes: Vec<u8>) -> String {
        self.core.files.put(name, content_type, bytes.into());
        format!("{}__sim/files/{name}", self.base_url())
    }

    /// Upload size limits of the media servers.
    pub fn set_media_limits(&self, limits: crate::media::MediaLimits) {
        self.core.media.set_limits(limits);
    }

    /// What the account's linked devices sent, oldest first.
    pub fn sent_messages(&self, number: &str) -> Vec<SentMessage> {
        self.core.sent_messages(number)
    }

    /// Every message linked pages send from now on, at the moment the servers record it.
    pub fn subscribe_sent(&self) -> tokio::sync::broadcast::Receiver<SentMessage> {
        self.core.sent_feed.subscribe()
    }

    /// How the next sends are acknowledged.
    pub fn set_ack_behaviour(&self, b: AckBehaviour) {
        self.core.mutate(|w| w.acks = Some(b));
    }

    /// Sets the ack of one sent message by hand (e.g. 3 after `up_to(2)`). False if unknown.
    pub fn set_ack(&self, number: &str, message_id: &str, ack: i8) -> bool {
        self.core.apply_ack(number, message_id, ack)
    }

    /// Unlinks every device of the account, as from the phone's "Linked devices" screen.
    pub async fn unlink(&self, number: &str) -> Result<(), SimError> {
        self.core.unlink(number)
    }

    /// Forces a socket state (`CONFLICT`, `TIMEOUT`, `TOS_BLOCK`, `UNPAIRED`, ...) on the account's pages.
    pub async fn force_state(&self, number: &str, state: &str) -> Result<(), SimError> {
        self.core.force_state(number, state)
    }

    /// From the next page load, the module `from` is only found as `to`.
    pub fn rename_module(&self, from: &str, to: &str) {
        self.core.rename_module(from, to);
    }

    /// From the next page load, `window.require(name)` throws.
    pub fn remove_module(&self, name: &str) {
        self.core.remove_module(name);
    }

    /// Undoes every rename and removal (from the next page load).
    pub fn reset_modules(&self) {
        self.core.mutate(|w| w.modules = Default::default());
    }

    /// A group with these members (numbers); returns its id, `1203...@g.us`.
    pub fn create_group(&self, name: &str, members: &[&str]) -> String {
        let members: Vec<String> = members
            .iter()
            .filter_map(|m| parse_number(m).ok())
            .collect();
        self.core.create_group(name, &members)
    }

    /// The `@lid` of `number`; `WAWebApiContact.getPhoneNumber` resolves it to `number@c.us`.
    pub fn add_lid_contact(&self, number: &str) -> String {
        self.core.add_lid_contact(number)
    }

    /// Messages in `chat` (`…@c.us`, `…@g.us`, `…@lid`) disappear after `seconds` (0 = off).
    pub fn set_disappearing(&self, chat: &str, seconds: u32) {
        self.core.set_disappearing(chat, seconds);
    }

    /// Puts a group in LID addressing mode: it refuses messages sent from a phone-number id.
    pub fn set_group_lid_mode(&self, group: &str, lid_mode: bool) -> Result<(), SimError> {
        self.core.set_group_lid_mode(group, lid_mode)
    }

    /// `queryWidExists(typed)` answers `canonical` (e.g. Brazil's ninth digit); a send to the
    /// typed number is accepted (ack 1) but never delivered.
    pub fn set_alias(&self, typed: &str, canonical: &str) -> Result<(), SimError> {
        self.core
            .set_alias(&parse_number(typed)?, &parse_number(canonical)?);
        Ok(())
    }

    /// Drill: renames `member` of `module` (e.g. `WAWebUpdateUnreadChatAction.sendSeen`).
    pub fn rename_member(&self, module: &str, member: &str, to: &str) {
        self.core.rename_member(module, member, to);
    }

    /// Drill: an older argument form or home, `"sendSeen"` (`sendSeen(chat)`) or `"advSecret"`
    /// (`getADVSecretKey` on `WAWebAdvSignatureApi`, not `WAWebUserPrefsMultiDevice`).
    pub fn old_form(&self, which: &str) -> Result<(), SimError> {
        self.core.old_form(which)
    }

    /// Drill: message keys without their own `_serialized`.
    pub fn drop_key_serialized(&self, drop: bool) {
        self.core.drop_key_serialized(drop);
    }

    /// Whether `queryWidExists` finds the number (every number is on WhatsApp by default).
    pub fn set_registered(&self, number: &str, registered: bool) {
        self.core.set_registered(number, registered);
    }

    /// What the account's linked devices did besides sending (reactions, votes, edits, revokes,
    /// deletes for me, reads, typing, presence), oldest first.
    pub fn device_actions(&self, number: &str) -> Vec<crate::DeviceAction> {
        self.core.device_actions(number)
    }

    /// The phone `from` reacts to the account's message (`""` removes).
    pub fn react(
        &self,
        to: &str,
        from: &str,
        message_id: &str,
        emoji: &str,
    ) -> Result<String, SimError> {
        let mut a = phone_action(to, from, message_id);
        a.emoji = Some(emoji.to_string());
        self.core.phone_reaction(&a)
    }

    /// The phone `from` votes on a poll in the account's chat.
    pub fn vote(
        &self,
        to: &str,
        from: &str,
        poll_id: &str,
        options: &[&str],
    ) -> Result<String, SimError> {
        let mut a = phone_action(to, from, poll_id);
        a.options = Some(options.iter().map(|o| o.to_string()).collect());
        self.core.phone_vote(&a)
    }

    /// The phone `from` edits a message it sent to the account.
    pub fn edit(&self, to: &str, from: &str, message_id: &str, body: &str) -> Result<(), SimError> {
        let mut a = phone_action(to, from, message_id);
        a.body = Some(body.to_string());
        self.core.phone_edit(&a)
    }

    /// The phone `from` deletes a message it sent to the account, for everyone.
    pub fn revoke(&self, to: &str, from: &str, message_id: &str) -> Result<(), SimError> {
        self.core.phone_revoke(&phone_action(to, from, message_id))
    }

    /// A recipient's receipt for an own message: 2 delivered, 3 read, 4 played.
    pub fn set_receipt(
        &self,
        number: &str,
        message_id: &str,
        member: &str,
        ack: i8,
    ) -> Result<(), SimError> {
        self.core.set_receipt(number, message_id, member, ack)
    }

    /// Makes a sent message `seconds` older (WhatsApp's edit and revoke windows).
    pub fn age_sent(&self, number: &str, message_id: &str, seconds: i64) -> Result<i64, SimError> {
        self.core.age_sent(number, message_id, seconds)
    }

    /// The preview `getLinkPreview` answers for `url`.
    pub fn set_link_preview(&self, url: &str, title: &str, description: &str) {
        let data = serde_json::json!({"title": title, "description": description});
        self.core.set_link_preview(url, data);
    }

    pub fn counters(&self) -> Counters {
        self.core.counters()
    }

    pub fn linked_devices(&self, number: &str) -> Vec<DeviceInfo> {
        self.core.linked_devices(number)
    }

    /// Stops serving and closes every page socket.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(mut server) = self.server.take() {
            if tokio::time::timeout(Duration::from_secs(3), &mut server)
                .await
                .is_err()
            {
                server.abort();
            }
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

fn phone_action(to: &str, from: &str, message_id: &str) -> crate::PhoneAction {
    crate::PhoneAction {
        to: to.to_string(),
        from: from.to_string(),
        message_id: message_id.to_string(),
        emoji: None,
        body: None,
        options: None,
    }
}
