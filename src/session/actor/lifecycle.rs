//! The browser's life: launch, loss and relaunch with backoff, logout, and stopping.

use tokio::time::{Duration, Instant};

use super::state::{Link, State, Tries};
use super::{profile, Flow, Session, LOGOUT_GRACE, MAX_RELAUNCHES};
use crate::whatsapp::{LaunchSpec, PageEvent, SignalKind};

/// What a stopped session shows: the actor is gone, the record keeps its status for the next start.
const STOPPED: &str = "GATEWAY_SHUTDOWN";

impl Session {
    /// Starts the browser a `Launching` state asks for.
    pub(super) async fn launch(&mut self) -> Flow {
        let State::Launching { link, tries } = self.state else {
            return Flow::Continue;
        };
        self.generation += 1;
        let spec = LaunchSpec {
            chrome_path: self.deps.config.chrome_path.clone(),
            profile_dir: profile::dir(&self.deps, &self.id),
            url: self.deps.config.wa_web_url.clone(),
            flags: self.deps.config.chrome_flags,
        };
        let signals = self.signals_tx.clone();
        match self
            .deps
            .launcher
            .start(&spec, self.generation, signals)
            .await
        {
            Ok(browser) => {
                tracing::info!(pid = ?browser.pid(), generation = self.generation, "browser started");
                self.set(State::Opening {
                    browser,
                    link,
                    tries,
                    failed: None,
                });
                self.open_page();
                Flow::Continue
            }
            Err(e) => {
                tracing::warn!(error = %e, "browser failed to start");
                self.browser_lost(link, tries).await
            }
        }
    }

    /// The running browser died (or was found dead): close what is left of it and recover.
    pub(super) async fn lose_browser(&mut self) -> Flow {
        match self.take_state().detach() {
            Ok((browser, link, tries)) => {
                browser.close().await;
                self.browser_lost(link, tries).await
            }
            Err(state) => {
                // A late report about a browser already given up.
                self.state = state;
                Flow::Continue
            }
        }
    }

    /// Relaunches with backoff (a pending connection then shows a new QR code). A linked one whose
    /// browser keeps dying waits for the next send to try again; a pending one ends.
    async fn browser_lost(&mut self, link: Link, tries: Tries) -> Flow {
        if tries.relaunches >= MAX_RELAUNCHES {
            if let Link::Pending { .. } = link {
                return self.end("BROWSER_FAILED", true).await;
            }
            tracing::error!("browser keeps dying; waiting for the next send to try again");
            self.set(State::Dormant {
                synced: link == Link::Synced,
            });
            self.fail_waiting("the browser could not be restarted");
            return Flow::Continue;
        }
        let backoff = Duration::from_millis(500 * 2u64.pow(tries.relaunches));
        self.set(State::Restarting {
            link,
            tries: Tries {
                relaunches: tries.relaunches + 1,
                ..tries
            },
            at: Instant::now() + backoff,
        });
        Flow::Continue
    }

    /// "Keeps connections alive on message send": a send revives a dormant browser, or loads
    /// an unreachable page again, at once.
    pub(super) fn revive(&mut self) {
        match &mut self.state {
            State::Dormant { synced } => {
                let link = if *synced {
                    Link::Synced
                } else {
                    Link::Restored
                };
                let tries = Tries::default();
                let at = Instant::now();
                self.set(State::Restarting { link, tries, at });
            }
            State::Unreachable { at, .. } => *at = Instant::now(),
            _ => {}
        }
    }

    /// Asks WhatsApp to forget this device and waits (briefly) until the page confirms it.
    pub(super) async fn logout(&mut self) {
        let Some(browser) = self.state.browser() else {
            return;
        };
        if let Err(e) = browser.logout().await {
            tracing::warn!(error = %e, "logout call failed; closing anyway");
            return;
        }
        let deadline = Instant::now() + LOGOUT_GRACE;
        while let Ok(Some(signal)) = tokio::time::timeout_at(deadline, self.signals.recv()).await {
            if confirms_logout(&signal.kind) {
                return;
            }
        }
        tracing::warn!("logout not confirmed by the page in time");
    }

    /// Closes the browser and stops the actor; the record stays as it is for the next start.
    /// `archive`: on a gateway shutdown a linked login is archived once more.
    pub(super) async fn stop(&mut self, archive: bool) -> Flow {
        let synced = self.state.link() == Some(Link::Synced);
        self.close_browser().await;
        if archive && synced {
            // A cleanly closed browser has flushed everything: the best moment to archive.
            let _next = self.backup().await;
        }
        self.fail_waiting("the gateway is shutting down");
        self.set(State::Ended {
            reason: STOPPED.into(),
        });
        Flow::Stop
    }
}

fn confirms_logout(kind: &SignalKind) -> bool {
    match kind {
        SignalKind::BrowserGone => true,
        SignalKind::Page(event) => match event.as_ref() {
            PageEvent::Logout { .. } => true,
            PageEvent::ChangeState { state } => state.starts_with("UNPAIRED"),
            _ => false,
        },
        SignalKind::Crashed | SignalKind::Loaded | SignalKind::LoadFailed(_) => false,
    }
}
