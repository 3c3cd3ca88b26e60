//! Every setting in one typed struct, read once from the environment (and `.env`), validated at start.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// A value that must never reach a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

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
    /// `CHROME_FLAGS`: `tuned` (default) or `plain`.
    pub chrome_flags: ChromeFlags,
    pub max_sessions: usize,
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
}

/// Who may call the API, from where, and how often.
#[derive(Debug, Clone)]
pub struct SecuritySettings {
    /// `API_KEY`: the admin key. Unset means no key is asked for, which is allowed only when the
    /// gateway listens on loopback.
    pub admin_key: Option<Secret>,
    /// `CORS_ORIGINS`: browser origins allowed to call the API; none by default.
    pub cors_origins: Vec<String>,
    /// `TRUSTED_PROXIES`: peers whose `X-Forwarded-For` names the real client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `IP_ALLOWLIST`: when set, only these networks may call the API.
    pub ip_allowlist: Vec<ipnet::IpNet>,
    /// Requests per minute per key; 0 turns the limit off.
    pub rate_limit_per_minute: u32,
    /// Least time between two sends of one connection (a random 0-30 % is added).
    pub send_min_interval: Duration,
    /// Sends one connection may hold waiting; more are refused with `RATE_LIMITED`.
    pub send_queue_max: usize,
    /// `SESSION_ENCRYPTION_KEY`: 32 bytes (64 hex digits or base64) sealing login archives.
    pub session_encryption_key: Option<Secret>,
}
/// The global webhook and how every webhook is delivered.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// `WEBHOOK_URL`: receives every connection's events (filtered by `events`).
    pub url: Option<String>,
    /// `WEBHOOK_EVENTS`: comma-separated event names; empty means all.
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
}

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
        let get = |k: &str| vars.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        let chrome_path = match get("CHROME_PATH") {
            Some(p) => PathBuf::from(p),
            None => detect_chrome()?,
        };
        Ok(Self {
            host: parse(get("HOST"), "HOST", IpAddr::from([127, 0, 0, 1]))?,
            port: parse(get("PORT"), "PORT", 5000)?,
            session_dir: PathBuf::from(get("SESSION_DIR").unwrap_or("./sessions")),
            data_dir: PathBuf::from(get("DATA_DIR").unwrap_or("./data")),
            mongo_uri: get("MONGO_URI").map(|s| Secret(s.to_owned())),
            mongo_db: get("MONGO_DB").map(str::to_owned),
            wa_web_url: get("WA_WEB_URL")
                .unwrap_or("https://web.whatsapp.com/")
                .to_owned(),
            chrome_path,
            chrome_flags: match get("CHROME_FLAGS").unwrap_or("tuned") {
                "tuned" => ChromeFlags::Tuned,
                "plain" => ChromeFlags::Plain,
                other => {
                    return Err(ConfigError::Invalid {
                        name: "CHROME_FLAGS",
                        problem: format!("'{other}' is not tuned or plain"),
                    })
                }
            },
            max_sessions: parse(get("MAX_SESSIONS"), "MAX_SESSIONS", 50)?,
            qr_max_retries: parse(get("QR_MAX_RETRIES"), "QR_MAX_RETRIES", 10)?,
            qr_wait_timeout: secs(get("QR_WAIT_TIMEOUT_SECS"), "QR_WAIT_TIMEOUT_SECS", 45)?,
            send_ready_timeout: secs(
                get("SEND_READY_TIMEOUT_SECS"),
                "SEND_READY_TIMEOUT_SECS",
                60,
            )?,
            session_backup_interval: duration(
                get("SESSION_BACKUP_INTERVAL"),
                "SESSION_BACKUP_INTERVAL",
                Duration::from_secs(300),
            )?,
            session_settle: secs(get("SESSION_SETTLE_SECS"), "SESSION_SETTLE_SECS", 10)?,
            restore_concurrency: parse(get("RESTORE_CONCURRENCY"), "RESTORE_CONCURRENCY", 2)?,
            store_connect_attempts: parse(
                get("STORE_CONNECT_ATTEMPTS"),
                "STORE_CONNECT_ATTEMPTS",
                6,
            )?,
            webhooks: WebhookSettings {
                url: get("WEBHOOK_URL").map(str::to_owned),
                events: list(get("WEBHOOK_EVENTS")),
                secret: get("WEBHOOK_SECRET").map(|s| Secret(s.to_owned())),
                max_attempts: parse(get("WEBHOOK_MAX_ATTEMPTS"), "WEBHOOK_MAX_ATTEMPTS", 10)?,
                retry_base: Duration::from_millis(parse(
                    get("WEBHOOK_RETRY_BASE_MS"),
                    "WEBHOOK_RETRY_BASE_MS",
                    1000,
                )?),
                retry_max: duration(
                    get("WEBHOOK_RETRY_MAX"),
                    "WEBHOOK_RETRY_MAX",
                    Duration::from_secs(600),
                )?,
                timeout: secs(get("WEBHOOK_TIMEOUT_SECS"), "WEBHOOK_TIMEOUT_SECS", 10)?,
                concurrency: parse(get("WEBHOOK_CONCURRENCY"), "WEBHOOK_CONCURRENCY", 16)?,
            },
            security: SecuritySettings {
                admin_key: get("API_KEY").map(|s| Secret(s.to_owned())),
                cors_origins: list(get("CORS_ORIGINS")),
                trusted_proxies: networks(get("TRUSTED_PROXIES"), "TRUSTED_PROXIES")?,
                ip_allowlist: networks(get("IP_ALLOWLIST"), "IP_ALLOWLIST")?,
                rate_limit_per_minute: parse(
                    get("RATE_LIMIT_PER_MINUTE"),
                    "RATE_LIMIT_PER_MINUTE",
                    600,
                )?,
                send_min_interval: Duration::from_millis(parse(
                    get("SEND_MIN_INTERVAL_MS"),
                    "SEND_MIN_INTERVAL_MS",
                    1000,
                )?),
                send_queue_max: parse(get("SEND_QUEUE_MAX"), "SEND_QUEUE_MAX", 100)?,
                session_encryption_key: get("SESSION_ENCRYPTION_KEY").map(|s| Secret(s.to_owned())),
            },
            log_format: match get("LOG_FORMAT").unwrap_or("text") {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                other => {
                    return Err(ConfigError::Invalid {
                        name: "LOG_FORMAT",
                        problem: format!("'{other}' is not text or json"),
                    })
                }
            },
        })
    }

    /// Checks what can only be checked on this machine: the browser exists, the session folder is
    /// writable. Creates `session_dir` if needed.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.security.admin_key.is_none() && !self.host.is_loopback() {
            return Err(ConfigError::Invalid {
                name: "API_KEY",
                problem: format!(
                    "is unset, so the API has no keys; listening on {} would open it to the network. \
                     Set API_KEY, or HOST=127.0.0.1",
                    self.host
                ),
            });
        }
        if let Some(key) = &self.security.session_encryption_key {
            crate::crypto::ArchiveKey::parse(key.expose()).map_err(|problem| {
                ConfigError::Invalid {
                    name: "SESSION_ENCRYPTION_KEY",
                    problem,
                }
            })?;
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

fn parse<T: FromStr>(raw: Option<&str>, name: &'static str, default: T) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    raw.map_or(Ok(default), |v| {
        v.parse().map_err(|e| ConfigError::Invalid {
            name,
            problem: format!("'{v}': {e}"),
        })
    })
}

fn secs(raw: Option<&str>, name: &'static str, default: u64) -> Result<Duration, ConfigError> {
    parse(raw, name, default).map(Duration::from_secs)
}

/// Comma-separated CIDRs (`10.0.0.0/8`) or single addresses (`127.0.0.1`).
fn networks(raw: Option<&str>, name: &'static str) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    list(raw)
        .into_iter()
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| ConfigError::Invalid {
                    name,
                    problem: format!("'{item}' is not an IP address or CIDR network"),
                })
        })
        .collect()
}

fn list(raw: Option<&str>) -> Vec<String> {
    raw.map(|r| {
        r.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

/// `300`, `300s`, `5m` or `1h`.
fn duration(
    raw: Option<&str>,
    name: &'static str,
    default: Duration,
) -> Result<Duration, ConfigError> {
    let Some(raw) = raw else { return Ok(default) };
    let (digits, unit) = match raw.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => raw.split_at(i),
        None => (raw, "s"),
    };
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => 0,
    };
    match digits.parse::<u64>() {
        Ok(n) if scale > 0 && n > 0 => Ok(Duration::from_secs(n * scale)),
        _ => Err(ConfigError::Invalid {
            name,
            problem: format!("'{raw}' is not a duration like 300, 300s, 5m or 1h"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        let mut map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        map.entry("CHROME_PATH".into()).or_insert("/bin/sh".into());
        map
    }

    #[test]
    fn defaults_match_the_documentation() {
        let c = Config::from_map(&vars(&[])).unwrap();
        assert_eq!(c.port, 5000);
        assert_eq!(c.session_dir, PathBuf::from("./sessions"));
        assert_eq!(c.wa_web_url, "https://web.whatsapp.com/");
        assert!(c.mongo_uri.is_none());
        assert_eq!(c.log_format, LogFormat::Text);
        assert_eq!(c.chrome_flags, ChromeFlags::Tuned);
    }

    #[test]
    fn chrome_flags_are_tuned_or_plain() {
        let c = Config::from_map(&vars(&[("CHROME_FLAGS", "plain")])).unwrap();
        assert_eq!(c.chrome_flags, ChromeFlags::Plain);
        let err = Config::from_map(&vars(&[("CHROME_FLAGS", "fast")])).unwrap_err();
        assert!(err.to_string().starts_with("CHROME_FLAGS:"), "{err}");
    }

    #[test]
    fn durations_take_units() {
        let c = Config::from_map(&vars(&[("SESSION_BACKUP_INTERVAL", "5m")])).unwrap();
        assert_eq!(c.session_backup_interval, Duration::from_secs(300));
        let c = Config::from_map(&vars(&[("SESSION_BACKUP_INTERVAL", "90")])).unwrap();
        assert_eq!(c.session_backup_interval, Duration::from_secs(90));
        assert!(Config::from_map(&vars(&[("SESSION_BACKUP_INTERVAL", "5x")])).is_err());
        assert!(Config::from_map(&vars(&[("SESSION_BACKUP_INTERVAL", "0")])).is_err());
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = Config::from_map(&vars(&[("PORT", "http")])).unwrap_err();
        assert!(err.to_string().starts_with("PORT:"), "{err}");
        let err = Config::from_map(&vars(&[("LOG_FORMAT", "xml")])).unwrap_err();
        assert!(err.to_string().contains("LOG_FORMAT"), "{err}");
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let c = Config::from_map(&vars(&[("MONGO_URI", "mongodb://u:hunter2@h/db")])).unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn without_an_api_key_only_loopback_is_allowed() {
        let open = Config::from_map(&vars(&[("HOST", "0.0.0.0")])).unwrap();
        let err = open.validate().unwrap_err();
        assert!(err.to_string().contains("API_KEY"), "{err}");
        let keyed = Config::from_map(&vars(&[("HOST", "0.0.0.0"), ("API_KEY", "k")])).unwrap();
        assert!(!matches!(
            keyed.validate(),
            Err(ConfigError::Invalid {
                name: "API_KEY",
                ..
            })
        ));
    }

    #[test]
    fn networks_take_cidrs_and_addresses() {
        let c = Config::from_map(&vars(&[("IP_ALLOWLIST", "10.0.0.0/8, 127.0.0.1")])).unwrap();
        assert_eq!(c.security.ip_allowlist.len(), 2);
        assert!(Config::from_map(&vars(&[("TRUSTED_PROXIES", "nope")])).is_err());
    }

    #[test]
    fn a_missing_browser_is_reported_clearly() {
        let c = Config::from_map(&vars(&[("CHROME_PATH", "/nonexistent/chrome")])).unwrap();
        let err = c.validate().unwrap_err();
        assert!(err.to_string().contains("Chromium not found"), "{err}");
    }
}
