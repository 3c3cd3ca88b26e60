//! The session's one state. Each variant carries what holds in it and nothing else, so that a
//! ready connection without a browser, a QR code on a linked one or a relaunch timer on an ended
//! one cannot be written down. The public [`Phase`] is a projection of it.

use tokio::time::Instant;

use crate::session::Phase;
use crate::whatsapp::Driver;

/// A running browser, owned by the state that needs it.
pub(super) type Browser = Box<dyn Driver>;

pub(super) enum State {
    /// Chromium is being started.
    Launching { link: Link, tries: Tries },
    /// The browser runs; WhatsApp Web's document is being fetched. `failed` is why the last
    /// load failed, when this is a retry.
    Opening {
        browser: Browser,
        link: Link,
        tries: Tries,
        failed: Option<String>,
    },
    /// The browser runs but WhatsApp Web did not load, for `cause` (a network error, an HTTP
    /// status); the page is opened again at `at`, in the same browser.
    Unreachable {
        browser: Browser,
        link: Link,
        tries: Tries,
        cause: String,
        at: Instant,
    },
    /// A new connection's browser runs; WhatsApp Web is loading.
    Loading {
        browser: Browser,
        qr_shown: u32,
        tries: Tries,
    },
    /// A new connection shows a QR code.
    AwaitingScan {
        browser: Browser,
        qr: String,
        qr_shown: u32,
        tries: Tries,
    },
    /// A new connection linking by phone number shows a pairing code to type on the phone.
    AwaitingCode {
        browser: Browser,
        code: String,
        qr_shown: u32,
        tries: Tries,
    },
    /// Scanned or linked: WhatsApp Web is connecting and syncing.
    Syncing {
        browser: Browser,
        link: Link,
        tries: Tries,
    },
    /// Sends go out; the login is archived at `backup_at`. `me` is the own number.
    Ready {
        browser: Browser,
        me: Option<String>,
        backup_at: Instant,
    },
    /// The browser died; it is started again at `at`.
    Restarting {
        link: Link,
        tries: Tries,
        at: Instant,
    },
    /// Linked, but the browser could not be kept alive; the next send tries again.
    Dormant { synced: bool },
    /// For good; `reason` is the connection's disconnect reason.
    Ended { reason: String },
}

/// How far the connection got with WhatsApp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Link {
    /// Not linked yet; `qr_shown` counts the codes shown so far (QR or pairing codes: both run
    /// out at `QR_MAX_RETRIES`).
    Pending { qr_shown: u32 },
    /// Linked in an earlier run and not ready yet in this one: the stored login is the best there is.
    Restored,
    /// Ready at least once in this run: the profile on disk is worth archiving.
    Synced,
}

/// Recovery attempts since the connection was last ready.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Tries {
    pub relaunches: u32,
    pub boot_reloads: u32,
    /// Page loads that failed since the page last loaded.
    pub loads: u32,
}

impl State {
    /// The state a page that loaded puts the connection in.
    pub fn loaded(browser: Browser, link: Link, tries: Tries) -> Self {
        match link {
            Link::Pending { qr_shown } => Self::Loading {
                browser,
                qr_shown,
                tries,
            },
            link => Self::Syncing {
                browser,
                link,
                tries,
            },
        }
    }

    pub fn phase(&self) -> Phase {
        match self {
            Self::Launching {
                link: Link::Pending { .. },
                ..
            }
            | Self::Opening {
                link: Link::Pending { .. },
                ..
            }
            | Self::Loading { .. } => Phase::Starting,
            Self::Launching { .. } | Self::Opening { .. } | Self::Syncing { .. } => Phase::Syncing,
            Self::Unreachable { cause, .. } => Phase::Unreachable {
                cause: cause.clone(),
            },
            Self::AwaitingScan { qr, .. } => Phase::AwaitingScan { qr: qr.clone() },
            Self::AwaitingCode { code, .. } => Phase::AwaitingCode { code: code.clone() },
            Self::Ready { .. } => Phase::Ready,
            Self::Restarting { .. } => Phase::Restarting,
            Self::Dormant { .. } => Phase::Dormant,
            Self::Ended { reason } => Phase::Ended {
                reason: reason.clone(),
            },
        }
    }

    pub fn browser(&self) -> Option<&dyn Driver> {
        match self {
            Self::Opening { browser, .. }
            | Self::Unreachable { browser, .. }
            | Self::Loading { browser, .. }
            | Self::AwaitingScan { browser, .. }
            | Self::AwaitingCode { browser, .. }
            | Self::Syncing { browser, .. }
            | Self::Ready { browser, .. } => Some(browser.as_ref()),
            _ => None,
        }
    }

    /// `None` once ended.
    pub fn link(&self) -> Option<Link> {
        match self {
            Self::Launching { link, .. }
            | Self::Opening { link, .. }
            | Self::Unreachable { link, .. }
            | Self::Syncing { link, .. }
            | Self::Restarting { link, .. } => Some(*link),
            Self::Loading { qr_shown, .. }
            | Self::AwaitingScan { qr_shown, .. }
            | Self::AwaitingCode { qr_shown, .. } => Some(Link::Pending {
                qr_shown: *qr_shown,
            }),
            Self::Ready { .. } | Self::Dormant { synced: true } => Some(Link::Synced),
            Self::Dormant { synced: false } => Some(Link::Restored),
            Self::Ended { .. } => None,
        }
    }

    /// Linked to a phone: restored, or ready at least once.
    pub fn is_linked(&self) -> bool {
        matches!(self.link(), Some(Link::Restored | Link::Synced))
    }

    pub fn tries(&self) -> Tries {
        match self {
            Self::Launching { tries, .. }
            | Self::Opening { tries, .. }
            | Self::Unreachable { tries, .. }
            | Self::Loading { tries, .. }
            | Self::AwaitingScan { tries, .. }
            | Self::AwaitingCode { tries, .. }
            | Self::Syncing { tries, .. }
            | Self::Restarting { tries, .. } => *tries,
            Self::Ready { .. } | Self::Dormant { .. } | Self::Ended { .. } => Tries::default(),
        }
    }

    /// The page is loading again after a reload with `tries` counted: a ready one is syncing again.
    pub fn reloading(self, tries: Tries) -> Self {
        match self {
            Self::Ready { browser, .. } => Self::Syncing {
                browser,
                link: Link::Synced,
                tries,
            },
            Self::Loading {
                browser, qr_shown, ..
            } => Self::Loading {
                browser,
                qr_shown,
                tries,
            },
            Self::AwaitingScan {
                browser,
                qr,
                qr_shown,
                ..
            } => Self::AwaitingScan {
                browser,
                qr,
                qr_shown,
                tries,
            },
            Self::AwaitingCode {
                browser,
                code,
                qr_shown,
                ..
            } => Self::AwaitingCode {
                browser,
                code,
                qr_shown,
                tries,
            },
            Self::Syncing { browser, link, .. } => Self::Syncing {
                browser,
                link,
                tries,
            },
            other => other,
        }
    }

    /// When the state itself needs the actor: a relaunch, another page load or a backup.
    pub fn deadline(&self) -> Option<Instant> {
        match self {
            Self::Restarting { at, .. } | Self::Unreachable { at, .. } => Some(*at),
            Self::Ready { backup_at, .. } => Some(*backup_at),
            _ => None,
        }
    }

    /// Splits off the browser, with what the connection keeps without it; a state without a
    /// browser comes back as it is.
    pub fn detach(self) -> Result<(Browser, Link, Tries), Self> {
        match self {
            Self::Loading {
                browser,
                qr_shown,
                tries,
            }
            | Self::AwaitingScan {
                browser,
                qr_shown,
                tries,
                ..
            }
            | Self::AwaitingCode {
                browser,
                qr_shown,
                tries,
                ..
            } => Ok((browser, Link::Pending { qr_shown }, tries)),
            Self::Opening {
                browser,
                link,
                tries,
                ..
            }
            | Self::Unreachable {
                browser,
                link,
                tries,
                ..
            }
            | Self::Syncing {
                browser,
                link,
                tries,
            } => Ok((browser, link, tries)),
            Self::Ready { browser, .. } => Ok((browser, Link::Synced, Tries::default())),
            other => Err(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_phase_of_a_launch_depends_on_the_link() {
        let tries = Tries::default();
        let pending = State::Launching {
            link: Link::Pending { qr_shown: 0 },
            tries,
        };
        assert_eq!(pending.phase(), Phase::Starting);
        assert!(!pending.is_linked());
        let restored = State::Launching {
            link: Link::Restored,
            tries,
        };
        assert_eq!(restored.phase(), Phase::Syncing);
        assert!(restored.is_linked());
    }

    #[test]
    fn a_dormant_connection_remembers_whether_it_synced() {
        assert_eq!(State::Dormant { synced: true }.link(), Some(Link::Synced));
        assert_eq!(
            State::Dormant { synced: false }.link(),
            Some(Link::Restored)
        );
        let ended = State::Ended {
            reason: "QR_TIMEOUT".into(),
        };
        assert_eq!(ended.link(), None);
        assert_eq!(ended.deadline(), None);
    }
}
