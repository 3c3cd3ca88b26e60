//! Every setting in one typed struct, read once from the environment (and `.env`), validated at
//! start. The variables themselves (names, defaults, units, help) are listed once, in [`table`].

#[cfg(test)]
mod docs_tests;
mod duration;
mod hibernation;
mod media;
mod parse;
pub mod table;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use self::hibernation::HibernationSettings;
pub use self::media::{AutoDownload, MediaSettings};
use self::parse::Env;
use self::table as t;
use crate::crypto::ArchiveKey;
use crate::net::AddressPolicy;

/// Where Chromium usually lives; the real binary first because Debian's `/usr/bin/chromium` is a
/// shell wrapper that adds flags of its own.
const CHROME_CANDIDATES: &[&str] = &[
    "/usr/lib/chromium/chromium",
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
    "/opt/google/chrome/chrome",
];

/// Which Chromium flags a connection's browser gets (see CHROMIUM_NOTES.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChromeFlags {
    /// The measured set: quiet, unthrottled, no omnibox renderers, the new-tab page closed.
    #[default]
    Tuned,
    /// Only what the machine needs; for measuring what the tuning saves.
    Plain,
}

/// `LOG_FORMAT`: text for people, JSON for log pipelines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// A value that must never reach a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The value itself, for the one place that must use it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The whole configuration; each field's variable is in [`table`].
#[derive(Debug, Clone)]
pub struct Config {
    pub host: IpAddr,
    pub port: u16,
    /// Per-connection Chromium profiles; a cache that the store can always rebuild.
    pub session_dir: PathBuf,
    /// Embedded store location when `mongo_uri` is unset.
    pub data_dir: PathBuf,
    pub mongo_uri: Option<Secret>,
    pub mongo_db: Option<String>,
    pub wa_web_url: String,
    pub chrome_path: PathBuf,
    /// Which Chromium flag set each browser gets.
    pub chrome_flags: ChromeFlags,
    pub max_sessions: usize,
    /// Warm spare browsers kept ready for add-number (`whatsapp::spare`).
    pub spare_browsers: usize,
    /// QR codes shown to one pending connection before it ends with `QR_TIMEOUT`.
    pub qr_max_retries: u32,
    /// How long `add-number` waits for the first QR code.
    pub qr_wait_timeout: Duration,
    /// How long a send waits for a linked connection whose browser is (re)starting.
    pub send_ready_timeout: Duration,
    pub log_format: LogFormat,
    /// How often a connected session's login is archived to the store.
    pub session_backup_interval: Duration,
    /// Wait after `ready` before the first archive: Chromium writes Local Storage lazily.
    pub session_settle: Duration,
    /// Connections restored at once at boot (each starts a browser).
    pub restore_concurrency: usize,
    /// Tries to reach the store at start before giving up (with doubling pauses between).
    pub store_connect_attempts: u32,
    pub webhooks: WebhookSettings,
    pub security: SecuritySettings,
    pub media: MediaSettings,
    /// How long a number check's answer is reused.
    pub number_check_ttl: Duration,
    pub calls: CallSettings,
    /// Idle numbers sleeping and waking (`HIBERNATE_AFTER`, `WAKE_INTERVAL`, …).
    pub hibernation: HibernationSettings,
}

/// What happens to incoming WhatsApp calls.
#[derive(Debug, Clone, Default)]
pub struct CallSettings {
    /// Reject every incoming call.
    pub reject: bool,
    /// Text sent to a caller after a rejected call.
    pub reply: Option<String>,
}

/// Who may call the API, from where, and how often.
#[derive(Debug, Clone)]
pub struct SecuritySettings {
    /// The admin key. Unset means no key is asked for, which is allowed only when the
    /// gateway listens on loopback.
    pub admin_key: Option<Secret>,
    /// Browser origins allowed to call the API; none by default.
    pub cors_origins: Vec<String>,
    /// Peers whose `X-Forwarded-For` names the real client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// When set, only these networks may call the API.
    pub ip_allowlist: Vec<ipnet::IpNet>,
    /// Requests per minute per key; 0 turns the limit off.
    pub rate_limit_per_minute: u32,
    /// Least time between two sends of one connection (a random 0-30 % is added).
    pub send_min_interval: Duration,
    /// Sends one connection may hold waiting; more are refused with `RATE_LIMITED`.
    pub send_queue_max: usize,
    /// Seals login archives; parsed once, here, so a bad key stops the start.
    pub session_encryption_key: Option<ArchiveKey>,
    /// Where media URLs may lead.
    pub media_sources: AddressPolicy,
}

/// The global webhook and how every webhook is delivered.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Receives every connection's events (filtered by `events`).
    pub url: Option<String>,
    /// Event names the global webhook gets; empty means all.
    pub events: Vec<String>,
    pub secret: Option<Secret>,
    /// Attempts before a delivery becomes a dead letter.
    pub max_attempts: u32,
    /// First retry pause; it doubles with each attempt (with jitter), up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    pub timeout: Duration,
    /// Deliveries in flight at once (each connection's are still sent in order, one at a time).
    pub concurrency: usize,
    /// Where tenant keys' webhooks may go (the admin's and `WEBHOOK_URL` go anywhere).
    pub targets: AddressPolicy,
    /// `message` media up to this many bytes rides inline in the webhook (0 = never).
    pub inline_media_max: u64,
    /// What is stored on arrival (`MEDIA_AUTO_DOWNLOAD`): only that can be inlined.
    pub auto_download: AutoDownload,
}

/// Why the gateway cannot start with these settings; each names the variable to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}: {problem}")]
    Invalid { name: &'static str, problem: String },
    #[error("Chromium not found: set CHROME_PATH or install Debian's `chromium` package (looked in {0})")]
    ChromeNotFound(String),
    #[error("SESSION_DIR {path} is not writable: {cause}")]
    SessionDirNotWritable { path: String, cause: String },
}

impl Config {
    /// Reads the process environment (after `.env`, which `main` loads).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_map(&std::env::vars().collect())
    }

    /// Reads settings from `vars`, applying the documented defaults; does not touch the disk.
    pub fn from_map(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let env = Env(vars);
        let chrome_path = match env.opt(&t::CHROME_PATH)? {
            Some(path) => path,
            None => detect_chrome()?,
        };
        Ok(Self {
            host: env.get(&t::HOST)?,
            port: env.get(&t::PORT)?,
            session_dir: env.get(&t::SESSION_DIR)?,
            data_dir: env.get(&t::DATA_DIR)?,
            mongo_uri: env.opt(&t::MONGO_URI)?,
            mongo_db: env.opt(&t::MONGO_DB)?,
            wa_web_url: env.get(&t::WA_WEB_URL)?,
            chrome_path,
            chrome_flags: env.get(&t::CHROME_FLAGS)?,
            max_sessions: env.get(&t::MAX_SESSIONS)?,
            spare_browsers: env.get(&t::SPARE_BROWSERS)?,
            qr_max_retries: env.get(&t::QR_MAX_RETRIES)?,
            qr_wait_timeout: env.get(&t::QR_WAIT_TIMEOUT_SECS)?,
            send_ready_timeout: env.get(&t::SEND_READY_TIMEOUT_SECS)?,
            log_format: env.get(&t::LOG_FORMAT)?,
            session_backup_interval: env.get(&t::SESSION_BACKUP_INTERVAL)?,
            session_settle: env.get(&t::SESSION_SETTLE_SECS)?,
            restore_concurrency: env.get(&t::RESTORE_CONCURRENCY)?,
            store_connect_attempts: env.get(&t::STORE_CONNECT_ATTEMPTS)?,
            webhooks: WebhookSettings::read(&env)?,
            security: SecuritySettings::read(&env)?,
            media: MediaSettings::read(&env)?,
            number_check_ttl: env.get(&t::NUMBER_CHECK_TTL)?,
            calls: CallSettings {
                reject: env.get(&t::REJECT_CALLS)?,
                reply: env.opt(&t::REJECT_CALLS_REPLY)?,
            },
            hibernation: HibernationSettings::read(&env)?,
        })
    }

    /// Checks what can only be checked on this machine: the browser exists, the session folder is
    /// writable. Creates `session_dir` if needed.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.security.admin_key.is_none() && !self.host.is_loopback() {
            return Err(ConfigError::Invalid {
                name: t::API_KEY.setting.name,
                problem: format!(
                    "is unset, so the API has no keys; listening on {} would open it to the network. \
                     Set API_KEY, or HOST=127.0.0.1",
                    self.host
                ),
            });
        }
        if !is_executable(&self.chrome_path) {
            return Err(ConfigError::ChromeNotFound(
                self.chrome_path.display().to_string(),
            ));
        }
        let not_writable = |cause: std::io::Error| ConfigError::SessionDirNotWritable {
            path: self.session_dir.display().to_string(),
            cause: cause.to_string(),
        };
        std::fs::create_dir_all(&self.session_dir).map_err(not_writable)?;
        let probe = self.session_dir.join(".write-test");
        std::fs::write(&probe, b"ok").map_err(not_writable)?;
        std::fs::remove_file(probe).map_err(not_writable)
    }
}

impl WebhookSettings {
    fn read(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            url: env.opt(&t::WEBHOOK_URL)?,
            events: env.opt(&t::WEBHOOK_EVENTS)?.unwrap_or_default(),
            secret: env.opt(&t::WEBHOOK_SECRET)?,
            max_attempts: env.get(&t::WEBHOOK_MAX_ATTEMPTS)?,
            retry_base: env.get(&t::WEBHOOK_RETRY_BASE_MS)?,
            retry_max: env.get(&t::WEBHOOK_RETRY_MAX)?,
            timeout: env.get(&t::WEBHOOK_TIMEOUT_SECS)?,
            concurrency: env.get(&t::WEBHOOK_CONCURRENCY)?,
            targets: AddressPolicy {
                allow_private: env.get(&t::WEBHOOK_ALLOW_PRIVATE)?,
                allowed: env
                    .opt(&t::WEBHOOK_ALLOW_NETWORKS)?
                    .unwrap_or_default()
                    .into(),
            },
            inline_media_max: env.get(&t::WEBHOOK_INLINE_MEDIA_MAX)? as u64,
            auto_download: env.get(&t::MEDIA_AUTO_DOWNLOAD)?,
        })
    }
}

impl SecuritySettings {
    fn read(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            admin_key: env.opt(&t::API_KEY)?,
            cors_origins: env.opt(&t::CORS_ORIGINS)?.unwrap_or_default(),
            trusted_proxies: env.opt(&t::TRUSTED_PROXIES)?.unwrap_or_default(),
            ip_allowlist: env.opt(&t::IP_ALLOWLIST)?.unwrap_or_default(),
            rate_limit_per_minute: env.get(&t::RATE_LIMIT_PER_MINUTE)?,
            send_min_interval: env.get(&t::SEND_MIN_INTERVAL_MS)?,
            send_queue_max: env.get(&t::SEND_QUEUE_MAX)?,
            session_encryption_key: env.opt(&t::SESSION_ENCRYPTION_KEY)?,
            media_sources: AddressPolicy {
                allow_private: env.get(&t::MEDIA_FETCH_ALLOW_PRIVATE)?,
                allowed: env
                    .opt(&t::MEDIA_FETCH_ALLOW_NETWORKS)?
                    .unwrap_or_default()
                    .into(),
            },
        })
    }
}

fn detect_chrome() -> Result<PathBuf, ConfigError> {
    CHROME_CANDIDATES
        .iter()
        .map(PathBuf::from)
        .find(|p| is_executable(p))
        .ok_or_else(|| ConfigError::ChromeNotFound(CHROME_CANDIDATES.join(", ")))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}
