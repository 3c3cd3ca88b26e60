//! The one duration format: a whole number with an optional unit, `300ms`, `300s`, `5m`, `1h`, `30d`.
//! A bare number counts in the setting's own unit (seconds, or milliseconds for `_MS` names), so
//! every value written before this format existed still means what it meant.

use std::time::Duration;

/// Parses `raw`; a bare number is passed to `bare` (`Duration::from_secs` or `from_millis`).
/// `None` when it is not a duration or does not fit.
pub fn parse(raw: &str, bare: fn(u64) -> Duration) -> Option<Duration> {
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (digits, suffix) = raw.split_at(split);
    let count: u64 = digits.parse().ok()?;
    match suffix {
        "" => Some(bare(count)),
        "ms" => Some(Duration::from_millis(count)),
        "s" => Some(Duration::from_secs(count)),
        "m" => count.checked_mul(60).map(Duration::from_secs),
        "h" => count.checked_mul(3600).map(Duration::from_secs),
        "d" => count.checked_mul(86_400).map(Duration::from_secs),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: fn(u64) -> Duration = Duration::from_secs;
    const MILLI: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn a_bare_number_counts_the_settings_unit() {
        assert_eq!(parse("300", SECOND), Some(Duration::from_secs(300)));
        assert_eq!(parse("300", MILLI), Some(Duration::from_millis(300)));
        assert_eq!(parse("0", SECOND), Some(Duration::ZERO));
    }

    #[test]
    fn suffixes_name_their_unit_whatever_the_setting() {
        for bare in [SECOND, MILLI] {
            assert_eq!(parse("300ms", bare), Some(Duration::from_millis(300)));
            assert_eq!(parse("300s", bare), Some(Duration::from_secs(300)));
            assert_eq!(parse("5m", bare), Some(Duration::from_secs(300)));
            assert_eq!(parse("1h", bare), Some(Duration::from_secs(3600)));
        }
    }

    #[test]
    fn anything_else_is_refused() {
        for raw in [
            "",
            "m",
            "5x",
            "5 m",
            "5M",
            "-5",
            "1.5s",
            "5mm",
            "s5",
            "99999999999999999999",
            "9999999999999999999h",
        ] {
            assert_eq!(parse(raw, SECOND), None, "{raw:?}");
        }
    }
}
