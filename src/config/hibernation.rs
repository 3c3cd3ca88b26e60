//! Hibernation settings: when an idle linked number sleeps, how often a sleeping one wakes, and
//! how many browsers may run at once.

use std::time::Duration;

use super::parse::Env;
use super::table as t;
use super::ConfigError;

/// WhatsApp unlinks a companion device that stayed offline about 14 days; a sleeping number
/// must never come near that, so `MAX_OFFLINE` is refused above this.
pub const MAX_OFFLINE_CAP: Duration = Duration::from_secs(13 * 24 * 3600);

#[derive(Debug, Clone)]
pub struct HibernationSettings {
    /// Idle time before a linked number sleeps; `None`: numbers never sleep.
    pub after: Option<Duration>,
    /// A sleeping number wakes at least this often (to take the messages WhatsApp held).
    pub wake_interval: Duration,
    /// Scheduled wakes running at once.
    pub wake_concurrency: usize,
    /// Longest time a sleeping number may stay offline; wakes come at the latest then.
    pub max_offline: Duration,
    /// Browsers of linked numbers at once; `None`: no budget.
    pub max_awake: Option<usize>,
}

impl HibernationSettings {
    pub(super) fn read(env: &Env) -> Result<Self, ConfigError> {
        let max_offline = env.get(&t::MAX_OFFLINE)?;
        if max_offline > MAX_OFFLINE_CAP {
            return Err(ConfigError::Invalid {
                name: t::MAX_OFFLINE.setting.name,
                problem: "must be at most 13d: WhatsApp unlinks a device offline for about 14 days"
                    .into(),
            });
        }
        let max_awake = env.opt(&t::MAX_AWAKE)?;
        if max_awake == Some(0) {
            return Err(ConfigError::Invalid {
                name: t::MAX_AWAKE.setting.name,
                problem: "must be above zero (unset it for no budget)".into(),
            });
        }
        Ok(Self {
            after: env.opt(&t::HIBERNATE_AFTER)?,
            wake_interval: env.get(&t::WAKE_INTERVAL)?,
            wake_concurrency: env.get(&t::WAKE_CONCURRENCY)?.max(1),
            max_offline,
            max_awake,
        })
    }

    /// Whether numbers sleep at all: when idle, or to keep within the budget.
    pub fn enabled(&self) -> bool {
        self.after.is_some() || self.max_awake.is_some()
    }

    /// The longest a sleeping number goes without a wake.
    pub fn longest_sleep(&self) -> Duration {
        self.wake_interval.min(self.max_offline)
    }
}
