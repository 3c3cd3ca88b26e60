//! Reading one [`Key`] from the environment: the value or its fallback, parsed to the key's type,
//! or an error naming the variable.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::table::{Always, Fallback, Key, Maybe, Setting, Unit};
use super::{duration, ChromeFlags, ConfigError, LogFormat, Secret};
use crate::crypto::ArchiveKey;

/// A type a setting's text parses into.
pub trait FromSetting: Sized {
    /// Whether a bad value may be quoted back in the error; never for secrets.
    const QUOTE: bool = true;

    /// Parses `raw` (trimmed, not empty); the error says what is wrong with it.
    fn from_setting(raw: &str, setting: &Setting) -> Result<Self, String>;
}

/// The environment as settings see it: an empty or blank variable counts as unset.
pub struct Env<'a>(pub &'a HashMap<String, String>);

impl Env<'_> {
    /// A setting with a default: its value, else the default.
    pub fn get<T: FromSetting>(&self, key: &Key<T, Always>) -> Result<T, ConfigError> {
        let setting = &key.setting;
        let raw = match (self.raw(setting), setting.fallback) {
            (Some(raw), _) | (None, Fallback::Value(raw)) => raw,
            (None, Fallback::Unset(_)) => unreachable!("an `Always` key's fallback is a value"),
        };
        parse(raw, setting)
    }

    /// A setting that may be unset: its value, or `None`.
    pub fn opt<T: FromSetting>(&self, key: &Key<T, Maybe>) -> Result<Option<T>, ConfigError> {
        self.raw(&key.setting)
            .map(|raw| parse(raw, &key.setting))
            .transpose()
    }

    fn raw(&self, setting: &Setting) -> Option<&str> {
        let raw = self.0.get(setting.name)?.trim();
        (!raw.is_empty()).then_some(raw)
    }
}

fn parse<T: FromSetting>(raw: &str, setting: &Setting) -> Result<T, ConfigError> {
    T::from_setting(raw, setting).map_err(|why| ConfigError::Invalid {
        name: setting.name,
        problem: if T::QUOTE {
            format!("'{raw}' {why}")
        } else {
            why
        },
    })
}

macro_rules! whole_numbers {
    ($($t:ty),*) => {$(
        impl FromSetting for $t {
            fn from_setting(raw: &str, _: &Setting) -> Result<Self, String> {
                raw.parse()
                    .map_err(|_| format!("is not a whole number from 0 to {}", <$t>::MAX))
            }
        }
    )*};
}
whole_numbers!(u16, u32, usize);

impl FromSetting for bool {
    fn from_setting(raw: &str, _: &Setting) -> Result<Self, String> {
        match raw.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err("is not true or false".into()),
        }
    }
}

impl FromSetting for Duration {
    fn from_setting(raw: &str, setting: &Setting) -> Result<Self, String> {
        let (bare, unit): (fn(u64) -> Duration, _) = match setting.unit {
            Unit::Millis => (Duration::from_millis, "milliseconds"),
            Unit::Seconds | Unit::Plain => (Duration::from_secs, "seconds"),
        };
        match duration::parse(raw, bare) {
            Some(Duration::ZERO) if setting.nonzero => Err("must be above zero".into()),
            Some(d) => Ok(d),
            None => Err(format!(
                "is not a duration like 300 ({unit}), 300ms, 300s, 5m or 1h"
            )),
        }
    }
}

impl FromSetting for IpAddr {
    fn from_setting(raw: &str, _: &Setting) -> Result<Self, String> {
        raw.parse().map_err(|_| "is not an IP address".into())
    }
}

impl FromSetting for String {
    fn from_setting(raw: &str, _: &Setting) -> Result<Self, String> {
        Ok(raw.to_owned())
    }
}

impl FromSetting for PathBuf {
    fn from_setting(raw: &str, _: &Setting) -> Result<Self, String> {
        Ok(PathBuf::from(raw))
    }
}

impl FromSetting for Secret {
    const QUOTE: bool = false;
    fn from_setting(raw: &str, _: &Setting) -> Result<Self, String> {
        Ok(Secret(raw.to_owned()))
    }
}

impl FromSetting for ArchiveKey {
    const QUOTE: bool = false;
    fn from_setting(raw: &str, _: &Setting) -> Result<Self, String> {
        ArchiveKey::parse(raw)
    }
}

/// Comma-separated; blank items are skipped.
impl FromSetting for Vec<String> {
    fn from_setting(raw: &str, _: &Setting) -> Result<Self, String> {
        Ok(items(raw).map(str::to_owned).collect())
    }
}

/// Comma-separated CIDRs (`10.0.0.0/8`) or single addresses (`127.0.0.1`).
impl FromSetting for Vec<ipnet::IpNet> {
    fn from_setting(raw: &str, _: &Setting) -> Result<Self, String> {
        items(raw)
            .map(|item| {
                item.parse::<ipnet::IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        format!("lists '{item}', which is not an IP address or CIDR network")
                    })
            })
            .collect()
    }
}

impl FromSetting for ChromeFlags {
    fn from_setting(raw: &str, _: &Setting) -> Result<Self, String> {
        match raw {
            "tuned" => Ok(Self::Tuned),
            "plain" => Ok(Self::Plain),
            _ => Err("is not tuned or plain".into()),
        }
    }
}

impl FromSetting for LogFormat {
    fn from_setting(raw: &str, _: &Setting) -> Result<Self, String> {
        match raw {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            _ => Err("is not text or json".into()),
        }
    }
}

fn items(raw: &str) -> impl Iterator<Item = &str> {
    raw.split(',').map(str::trim).filter(|s| !s.is_empty())
}
