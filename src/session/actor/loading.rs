//! Loading WhatsApp Web in a running browser. A page that does not load (DNS, a refused
//! connection, TLS, no answer, an HTTP error status) is `WA_WEB_UNAVAILABLE`, not a browser
//! failure: it is loaded again with backoff in the same browser, by a new connection until its
//! QR wait is over, by a linked one for as long as it takes (its login and its `connected`
//! status stay: WhatsApp did not forget it, the network is down).

use tokio::time::{Duration, Instant};

use super::state::{Link, State, Tries};
use super::{Flow, Session};
use crate::whatsapp::public_url;

/// The reason of a connection whose page never loaded; the cause follows after `": "`.
pub(in crate::session) const UNAVAILABLE: &str = "WA_WEB_UNAVAILABLE";
const RETRY_FIRST: Duration = Duration::from_secs(1);
/// A linked connection retries forever; a page back online is found within this.
const RETRY_MAX: Duration = Duration::from_secs(30);

impl Session {
    /// Starts loading WhatsApp Web in the state's browser; the outcome comes as a signal.
    pub(super) fn open_page(&self) {
        if let Some(browser) = self.state.browser() {
            browser.open();
        }
    }

    pub(super) fn on_loaded(&mut self) {
        let State::Opening { tries, .. } = self.state else {
            return;
        };
        if tries.loads > 0 {
            tracing::info!(url = self.shown_url(), "WhatsApp Web loaded again");
        }
        self.remake(|browser, link, tries| {
            State::loaded(browser, link, Tries { loads: 0, ..tries })
        });
    }

    /// The page did not load for `error`: loaded again later, unless a new connection's QR wait
    /// would be over by then.
    pub(super) async fn on_load_failed(&mut self, error: String) -> Flow {
        let State::Opening { link, tries, .. } = self.state else {
            return Flow::Continue;
        };
        let cause = format!("{error} at {}", self.shown_url());
        let retry_in = backoff(tries.loads);
        let too_late = self
            .qr_wait_ends
            .is_none_or(|end| Instant::now() + retry_in >= end);
        if matches!(link, Link::Pending { .. }) && too_late {
            return self.end(&unavailable(&cause), true).await;
        }
        self.unreachable(cause, retry_in);
        Flow::Continue
    }

    /// Keeps the browser and loads the page again in `retry_in`.
    pub(super) fn unreachable(&mut self, cause: String, retry_in: Duration) {
        tracing::warn!(
            cause,
            ?retry_in,
            "WhatsApp Web did not load; trying again in the same browser \
             (check WA_WEB_URL, the proxy and DNS)"
        );
        let at = Instant::now() + retry_in;
        self.remake(|browser, link, tries| State::Unreachable {
            browser,
            link,
            tries: Tries {
                loads: tries.loads + 1,
                ..tries
            },
            cause,
            at,
        });
    }

    /// The time for another load has come.
    pub(super) fn reopen(&mut self) {
        let failed = match &self.state {
            State::Unreachable { cause, .. } => Some(cause.clone()),
            _ => None,
        };
        self.remake(|browser, link, tries| State::Opening {
            browser,
            link,
            tries,
            failed,
        });
        self.open_page();
    }

    /// A new connection's first QR code did not come in time. One whose page never loaded ends
    /// as `WA_WEB_UNAVAILABLE` with the cause (the last failure's, while a retry is under way);
    /// `None` when the page did load (and the caller decides).
    pub(super) async fn qr_wait_over(&mut self) -> Option<Flow> {
        self.qr_wait_ends = None;
        let cause = match &self.state {
            State::Unreachable {
                link: Link::Pending { qr_shown: 0 },
                cause,
                ..
            }
            | State::Opening {
                link: Link::Pending { qr_shown: 0 },
                failed: Some(cause),
                ..
            } => cause.clone(),
            State::Opening {
                link: Link::Pending { qr_shown: 0 },
                ..
            } => format!(
                "no answer within {} s at {}",
                self.deps.config.qr_wait_timeout.as_secs(),
                self.shown_url()
            ),
            _ => return None,
        };
        Some(self.end(&unavailable(&cause), true).await)
    }

    pub(super) fn shown_url(&self) -> String {
        public_url(&self.deps.config.wa_web_url)
    }
}

/// One second, doubling with each failed load, at most [`RETRY_MAX`].
pub(super) fn backoff(failed_loads: u32) -> Duration {
    let factor = 2u32.saturating_pow(failed_loads);
    RETRY_FIRST.saturating_mul(factor).min(RETRY_MAX)
}

pub(super) fn unavailable(cause: &str) -> String {
    format!("{UNAVAILABLE}: {cause}")
}
