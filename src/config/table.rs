//! Every environment variable, named once: its type, default, unit and help line. `Config` reads
//! through these keys; the README's configuration table and `.env.example` are checked against
//! [`ALL`] by a test.

use std::marker::PhantomData;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::media::AutoDownload;
use super::{ChromeFlags, LogFormat, Secret};
use crate::crypto::ArchiveKey;

/// What a setting is when its variable is unset or empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// This text, parsed as if it had been set.
    Value(&'static str),
    /// No value (an absent option, an empty list, auto-detection); the docs show this word.
    Unset(&'static str),
}

/// What a bare number means; durations also take `ms`, `s`, `m` and `h` suffixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Not a duration.
    Plain,
    /// A duration; a bare number counts seconds.
    Seconds,
    /// A duration; a bare number counts milliseconds (the `_MS` variables).
    Millis,
}

/// One environment variable as the docs describe it.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub name: &'static str,
    pub fallback: Fallback,
    pub unit: Unit,
    /// The README's "meaning" column.
    pub help: &'static str,
    /// Zero is refused: a backup interval or retry cap of zero is a mistake, not a setting.
    pub nonzero: bool,
}

/// Marks a key whose fallback is a value: reading it always gives one.
#[derive(Debug)]
pub enum Always {}

/// Marks a key that may be unset.
#[derive(Debug)]
pub enum Maybe {}

/// A [`Setting`] that parses to `T`; `M` ([`Always`] or [`Maybe`]) says whether it can be unset.
#[derive(Debug)]
pub struct Key<T, M> {
    pub setting: Setting,
    ty: PhantomData<fn() -> (T, M)>,
}

macro_rules! table {
    ($($key:ident: $ty:ty = $fallback:ident($text:literal), $unit:ident, $help:literal
       $(, $nonzero:ident)?;)*) => {
        $(
            #[doc = $help]
            pub const $key: Key<$ty, table!(@mode $fallback)> = Key {
                setting: Setting {
                    name: stringify!($key),
                    fallback: Fallback::$fallback($text),
                    unit: Unit::$unit,
                    help: $help,
                    nonzero: table!(@nonzero $($nonzero)?),
                },
                ty: PhantomData,
            };
        )*
        /// Every setting, in the order of the README's table and `.env.example`.
        pub const ALL: &[Setting] = &[$($key.setting),*];
    };
    (@mode Value) => { Always };
    (@mode Unset) => { Maybe };
    (@nonzero) => { false };
    (@nonzero nonzero) => { true };
}

use Fallback::{Unset, Value};

table! {
    HOST: IpAddr = Value("127.0.0.1"), Plain, "listen address (`0.0.0.0` in containers)";
    PORT: u16 = Value("5000"), Plain, "listen port";
    SESSION_DIR: PathBuf = Value("./sessions"), Plain, "per-connection Chromium profiles";
    DATA_DIR: PathBuf = Value("./data"), Plain,
        "embedded SQLite store, used when `MONGO_URI` is unset";
    MONGO_URI: Secret = Unset("unset"), Plain,
        "MongoDB connection string; database from its path, else `MONGO_DB`";
    MONGO_DB: String = Unset("`wa_gateway`"), Plain,
        "MongoDB database name when the URI names none";
    WA_WEB_URL: String = Value("https://web.whatsapp.com/"), Plain,
        "the WhatsApp Web page (point it at wa-sim for the sandbox)";
    CHROME_PATH: PathBuf = Unset("auto"), Plain,
        "Chromium binary; tries `/usr/lib/chromium/chromium`, `/usr/bin/chromium`, `google-chrome`…";
    CHROME_FLAGS: ChromeFlags = Value("tuned"), Plain,
        "`tuned` (the measured flag set, new-tab page closed) or `plain` (base flags only, for comparison)";
    MAX_SESSIONS: usize = Value("50"), Plain, "connections pending or connected at once";
    SPARE_BROWSERS: usize = Value("1"), Plain,
        "warm browsers kept ready for add-number (its QR comes without a browser launch); `0` = none";
    QR_MAX_RETRIES: u32 = Value("10"), Plain,
        "QR (or pairing) codes per pending connection before `QR_TIMEOUT`";
    QR_WAIT_TIMEOUT_SECS: Duration = Value("45"), Seconds,
        "how long add-number waits for the first QR";
    SEND_READY_TIMEOUT_SECS: Duration = Value("60"), Seconds,
        "how long a send waits for a restarting connection";
    LOG_FORMAT: LogFormat = Value("text"), Plain, "`text` or `json`";
    // Read by the logger (tracing's `EnvFilter`), not by `Config`; listed here to be documented.
    RUST_LOG: String = Unset("`info`"), Plain, "log filter, e.g. `info,wa_gateway=debug`";
    SESSION_SETTLE_SECS: Duration = Value("10"), Seconds,
        "wait after `ready` before the first login archive";
    SESSION_BACKUP_INTERVAL: Duration = Value("5m"), Seconds,
        "how often a connected login is archived (above zero)", nonzero;
    RESTORE_CONCURRENCY: usize = Value("2"), Plain, "connections restored at once at start";
    STORE_CONNECT_ATTEMPTS: u32 = Value("6"), Plain,
        "tries to reach the store at start (pauses double from 1 s)";
    WEBHOOK_URL: String = Unset("unset"), Plain, "global webhook for every connection's events";
    WEBHOOK_EVENTS: Vec<String> = Unset("all"), Plain,
        "comma-separated event names for the global webhook";
    WEBHOOK_SECRET: Secret = Unset("unset"), Plain,
        "HMAC key for the global webhook's `X-Hub-Signature-256`";
    WEBHOOK_MAX_ATTEMPTS: u32 = Value("10"), Plain,
        "attempts before a delivery becomes a dead letter";
    WEBHOOK_RETRY_BASE_MS: Duration = Value("1000"), Millis,
        "first retry pause (doubles each attempt, ±20 % jitter)";
    WEBHOOK_RETRY_MAX: Duration = Value("10m"), Seconds,
        "longest retry pause (above zero)", nonzero;
    WEBHOOK_TIMEOUT_SECS: Duration = Value("10"), Seconds, "webhook request timeout";
    WEBHOOK_CONCURRENCY: usize = Value("16"), Plain, "webhook requests in flight at once";
    API_KEY: Secret = Unset("unset"), Plain, "the admin key; unset = no keys, loopback only";
    CORS_ORIGINS: Vec<String> = Unset("none"), Plain,
        "comma-separated browser origins allowed to call the API";
    TRUSTED_PROXIES: Vec<ipnet::IpNet> = Unset("none"), Plain,
        "proxies (CIDRs or addresses) whose `X-Forwarded-For` is believed";
    IP_ALLOWLIST: Vec<ipnet::IpNet> = Unset("any"), Plain,
        "networks (CIDRs or addresses) allowed to call the API";
    RATE_LIMIT_PER_MINUTE: u32 = Value("600"), Plain,
        "requests per minute per key (0 = unlimited)";
    SEND_MIN_INTERVAL_MS: Duration = Value("1000"), Millis,
        "least time between two sends of one connection (plus 0-30 % at random)";
    SEND_QUEUE_MAX: usize = Value("100"), Plain, "sends one connection may hold waiting";
    SESSION_ENCRYPTION_KEY: ArchiveKey = Unset("unset"), Plain,
        "32-byte key (64 hex digits or base64) sealing login archives";
    WEBHOOK_ALLOW_PRIVATE: bool = Value("false"), Plain,
        "let tenant keys point webhooks at private, loopback and link-local addresses";
    WEBHOOK_ALLOW_NETWORKS: Vec<ipnet::IpNet> = Unset("none"), Plain,
        "private networks (CIDRs) tenant keys' webhooks may reach all the same";
    MEDIA_FETCH_ALLOW_PRIVATE: bool = Value("false"), Plain,
        "let media URLs reach private, loopback and link-local addresses";
    MEDIA_FETCH_ALLOW_NETWORKS: Vec<ipnet::IpNet> = Unset("none"), Plain,
        "private networks (CIDRs) media URLs may reach all the same";
    NUMBER_CHECK_TTL: Duration = Value("24h"), Seconds,
        "how long a number check's answer is reused from the store";
    REJECT_CALLS: bool = Value("false"), Plain, "`true` rejects every incoming WhatsApp call";
    REJECT_CALLS_REPLY: String = Unset("unset"), Plain,
        "text sent to a caller whose call was rejected";
    MEDIA_MAX_BYTES: usize = Value("67108864"), Plain,
        "largest media file a send accepts (64 MiB; `413 MEDIA_TOO_LARGE` above)", nonzero;
    MEDIA_RETENTION: Duration = Value("30d"), Seconds,
        "how long inbound media stays in the media store before it is swept", nonzero;
    MEDIA_AUTO_DOWNLOAD: AutoDownload = Value("all"), Plain,
        "inbound media fetched and stored on arrival: `all`, `none`, or types (`image,audio,ptt`)";
    HIBERNATE_AFTER: Duration = Unset("off"), Seconds,
        "a linked number idle this long sleeps: login archived, browser closed, still `connected`", nonzero;
    WAKE_INTERVAL: Duration = Value("30m"), Seconds,
        "a sleeping number wakes at least this often to take its offline messages", nonzero;
    WAKE_CONCURRENCY: usize = Value("2"), Plain, "scheduled wakes running at once";
    MAX_OFFLINE: Duration = Value("24h"), Seconds,
        "longest a sleeping number stays offline (below WhatsApp's ~14-day unlink; at most 13d)", nonzero;
    MAX_AWAKE: usize = Unset("unlimited"), Plain,
        "browsers of linked numbers at once; the least recently active awake number sleeps to make room";
    WEBHOOK_INLINE_MEDIA_MAX: usize = Value("0"), Plain,
        "`message` webhooks carry media up to this many bytes inline, base64 (`media.data`; 0 = never)";
}

impl Setting {
    /// The default as the docs show it: a value in backticks, or the word for "unset".
    pub fn shown_default(&self) -> String {
        match self.fallback {
            Value(v) => format!("`{v}`"),
            Unset(word) => word.to_owned(),
        }
    }

    /// The unit as the docs show it (empty when not a duration).
    pub fn shown_unit(&self) -> &'static str {
        match self.unit {
            Unit::Plain => "",
            Unit::Seconds => "s",
            Unit::Millis => "ms",
        }
    }

    /// This setting's row in the README's configuration table.
    pub fn markdown_row(&self) -> String {
        let unit = match self.shown_unit() {
            "" => " ".to_owned(),
            unit => format!(" {unit} "),
        };
        let (name, default, help) = (self.name, self.shown_default(), self.help);
        format!("| `{name}` | {default} |{unit}| {help} |")
    }
}
