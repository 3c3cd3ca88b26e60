//! Configuration: where the simulator listens, where it keeps its state and how fast it behaves.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How the simulator is started.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// TCP port; 0 picks a free one.
    pub port: u16,
    /// Address to listen on: 127.0.0.1 unless the sandbox must be reached from elsewhere.
    pub host: IpAddr,
    /// Folder for `state.json` (accounts, linked devices, messages). `None` keeps state in memory.
    pub state_dir: Option<PathBuf>,
    /// Every delay the simulator imitates.
    pub timing: SimTiming,
    /// How outbound messages are acknowledged until changed with `set_ack_behaviour`.
    pub acks: AckBehaviour,
    /// The value of `window.Debug.VERSION`.
    pub version: String,
    /// A linked device offline (no page holding its credentials) longer than this is unlinked,
    /// as WhatsApp does after about 14 days; it finds out at its next connect.
    pub unlink_offline_after: Duration,
    /// MiB the page holds once loaded (JS heap and DOM, `assets/weight.js`), so that memory
    /// figures are taken against a page as heavy as the real one; 0 = the bare page.
    pub page_weight_mib: u32,
}

/// WhatsApp's limit for a companion device offline, as its help pages give it.
pub const UNLINK_OFFLINE_AFTER: Duration = Duration::from_secs(14 * 24 * 3600);

/// Delays of the page and the servers.
#[derive(Debug, Clone)]
pub struct SimTiming {
    /// From `load` until the module system is usable and `window.Debug.VERSION` exists.
    pub bundle_load: Duration,
    /// Lifetime of the first QR ref of a batch.
    pub first_ref_ttl: Duration,
    /// Lifetime of every later ref of a batch.
    pub ref_ttl: Duration,
    /// Refs per batch; after the last one the page goes `UNPAIRED_IDLE` until `Cmd.refreshQR()`.
    pub refs_per_batch: u32,
    /// A ref that was replaced less than this long ago is still accepted by `scan`.
    pub ref_grace: Duration,
    /// From a scan until the page stores its credentials and reloads.
    pub pairing: Duration,
    /// From `CONNECTED` until `hasSynced` (the offline progress climbs 0 -> 100 meanwhile).
    pub sync: Duration,
}

/// How the servers acknowledge what a linked device sends.
///
/// Acks climb 1 (server) -> 2 (delivered) -> 3 (read), each after its delay, and stop at `up_to`.
/// With `fail`, the message gets ack -1 after `server_ms` instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AckBehaviour {
    /// Delay before ack 1 (or -1 when failing).
    pub server_ms: u64,
    /// Delay between ack 1 and ack 2.
    pub delivered_ms: u64,
    /// Delay between ack 2 and ack 3.
    pub read_ms: u64,
    /// Highest ack reached on its own (0..=3).
    pub up_to: i8,
    /// Fail every send with ack -1.
    pub fail: bool,
}

impl AckBehaviour {
    /// Acks 1, 2, 3 after the given delays in milliseconds.
    pub fn auto(server_ms: u64, delivered_ms: u64, read_ms: u64) -> Self {
        AckBehaviour {
            server_ms,
            delivered_ms,
            read_ms,
            up_to: 3,
            fail: false,
        }
    }

    /// Every send fails with ack -1 after `server_ms`.
    pub fn fail(server_ms: u64) -> Self {
        AckBehaviour {
            fail: true,
            ..AckBehaviour::auto(server_ms, 0, 0)
        }
    }

    /// Same delays, but acks stop at `ack` (0 = the clock never goes away).
    pub fn up_to(self, ack: i8) -> Self {
        AckBehaviour { up_to: ack, ..self }
    }
}

impl Default for AckBehaviour {
    fn default() -> Self {
        AckBehaviour::auto(400, 1500, 4000)
    }
}

impl Default for SimTiming {
    /// Roughly what real WhatsApp Web does.
    fn default() -> Self {
        SimTiming {
            bundle_load: Duration::from_millis(1000),
            first_ref_ttl: Duration::from_secs(60),
            ref_ttl: Duration::from_secs(20),
            refs_per_batch: 6,
            ref_grace: Duration::from_secs(1),
            pairing: Duration::from_millis(800),
            sync: Duration::from_millis(2500),
        }
    }
}

impl SimTiming {
    /// Fast enough for tests, slow enough that every transition is observable.
    pub fn fast() -> Self {
        SimTiming {
            bundle_load: Duration::from_millis(300),
            first_ref_ttl: Duration::from_millis(3000),
            ref_ttl: Duration::from_millis(2000),
            refs_per_batch: 4,
            ref_grace: Duration::from_millis(1000),
            pairing: Duration::from_millis(200),
            sync: Duration::from_millis(300),
        }
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            port: 0,
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            state_dir: None,
            timing: SimTiming::default(),
            acks: AckBehaviour::default(),
            version: "2.3000.1017054665".to_string(),
            unlink_offline_after: UNLINK_OFFLINE_AFTER,
            page_weight_mib: 0,
        }
    }
}

impl SimConfig {
    /// Test timings: bundle ~300 ms, refs every 2-3 s, acks 50-150 ms apart, sync ~300 ms.
    pub fn fast() -> Self {
        SimConfig {
            timing: SimTiming::fast(),
            acks: AckBehaviour::auto(50, 100, 150),
            ..SimConfig::default()
        }
    }

    /// The same config with another state folder.
    pub fn with_state_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.state_dir = Some(dir.into());
        self
    }

    /// The same config with another limit for a device offline (short ones for tests).
    pub fn with_unlink_offline_after(mut self, limit: Duration) -> Self {
        self.unlink_offline_after = limit;
        self
    }

    /// The same config with another port.
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }
}
