//! Linking by phone number: where a QR connection shows QR codes, the page is asked for pairing
//! codes that the phone's user types in. They rotate and run out like QR codes (`QR_MAX_RETRIES`,
//! then `QR_TIMEOUT`), and the link that follows is the same as after a scan.

use super::state::{Link, State};
use super::{Flow, Session};
use crate::events::event::{Event, PairingCodeData};

/// Why a connection linking by phone ends when the page cannot give it a code.
const NO_CODE: &str = "PAIRING_CODE_FAILED";

impl Session {
    /// The page shows its linking screen: a connection linking by phone asks it for a code.
    pub(super) async fn link_by_phone(&mut self) -> Flow {
        let (Some(phone), Some(browser)) = (self.phone.clone(), self.state.browser()) else {
            return Flow::Continue;
        };
        match browser.request_pairing_code(phone.as_str()).await {
            Ok(code) => self.on_pairing_code(code).await,
            Err(e) if e.is_browser_lost() => self.lose_browser().await,
            Err(e) => {
                tracing::warn!(error = %e, "WhatsApp Web gave no pairing code");
                self.end(NO_CODE, true).await
            }
        }
    }

    /// A new pairing code (the first, or one WhatsApp asked for): shown until the next one, and
    /// counted like a QR code.
    pub(super) async fn on_pairing_code(&mut self, code: String) -> Flow {
        let Some(phone) = self.phone.clone() else {
            return Flow::Continue;
        };
        let Some(Link::Pending { qr_shown }) = self.state.link() else {
            return Flow::Continue;
        };
        if self.state.browser().is_none() {
            return Flow::Continue;
        }
        let qr_shown = qr_shown + 1;
        if qr_shown > self.deps.config.qr_max_retries {
            return self.end("QR_TIMEOUT", true).await;
        }
        let code = display(&code);
        self.remake(|browser, _, tries| State::AwaitingCode {
            browser,
            code: code.clone(),
            qr_shown,
            tries,
        });
        let data = PairingCodeData {
            pairing_code: code,
            phone: phone.as_str().to_owned(),
        };
        self.emit(Event::PairingCode(data)).await;
        Flow::Continue
    }
}

/// The code as the phone asks for it: `ABCD-EFGH` (the page gives the eight characters bare).
fn display(code: &str) -> String {
    let code = code.trim().to_ascii_uppercase();
    if code.len() == 8 && code.is_ascii() {
        format!("{}-{}", &code[..4], &code[4..])
    } else {
        code
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_bare_code_is_shown_in_two_halves() {
        assert_eq!(super::display("abcd1234"), "ABCD-1234");
        assert_eq!(super::display("ABCD-1234"), "ABCD-1234");
    }
}
