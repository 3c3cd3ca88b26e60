//! `Config::from_map` and `validate`: defaults, units, and errors that name the variable.

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

fn error(pairs: &[(&str, &str)]) -> String {
    Config::from_map(&vars(pairs)).unwrap_err().to_string()
}

#[test]
fn every_duration_takes_the_one_format() {
    let c = Config::from_map(&vars(&[
        ("SESSION_BACKUP_INTERVAL", "5m"),
        ("QR_WAIT_TIMEOUT_SECS", "2m"),
        ("SESSION_SETTLE_SECS", "1500ms"),
        ("WEBHOOK_RETRY_MAX", "1h"),
        ("WEBHOOK_RETRY_BASE_MS", "2s"),
    ]))
    .unwrap();
    assert_eq!(c.session_backup_interval, Duration::from_secs(300));
    assert_eq!(c.qr_wait_timeout, Duration::from_secs(120));
    assert_eq!(c.session_settle, Duration::from_millis(1500));
    assert_eq!(c.webhooks.retry_max, Duration::from_secs(3600));
    assert_eq!(c.webhooks.retry_base, Duration::from_secs(2));
}

#[test]
fn a_bare_number_keeps_the_unit_its_name_says() {
    let c = Config::from_map(&vars(&[
        ("SESSION_BACKUP_INTERVAL", "90"),
        ("SEND_READY_TIMEOUT_SECS", "7"),
        ("WEBHOOK_RETRY_BASE_MS", "50"),
        ("SEND_MIN_INTERVAL_MS", "0"),
    ]))
    .unwrap();
    assert_eq!(c.session_backup_interval, Duration::from_secs(90));
    assert_eq!(c.send_ready_timeout, Duration::from_secs(7));
    assert_eq!(c.webhooks.retry_base, Duration::from_millis(50));
    assert_eq!(c.security.send_min_interval, Duration::ZERO);
}

#[test]
fn a_bad_value_names_the_variable_the_value_and_what_was_expected() {
    assert_eq!(
        error(&[("PORT", "http")]),
        "PORT: 'http' is not a whole number from 0 to 65535"
    );
    assert_eq!(
        error(&[("QR_WAIT_TIMEOUT_SECS", "5x")]),
        "QR_WAIT_TIMEOUT_SECS: '5x' is not a duration like 300 (seconds), 300ms, 300s, 5m or 1h"
    );
    assert_eq!(
        error(&[("WEBHOOK_RETRY_BASE_MS", "1.5s")]),
        "WEBHOOK_RETRY_BASE_MS: '1.5s' is not a duration like 300 (milliseconds), 300ms, 300s, 5m or 1h"
    );
    assert_eq!(
        error(&[("SESSION_BACKUP_INTERVAL", "0")]),
        "SESSION_BACKUP_INTERVAL: '0' must be above zero"
    );
    assert_eq!(
        error(&[("LOG_FORMAT", "xml")]),
        "LOG_FORMAT: 'xml' is not text or json"
    );
    assert_eq!(
        error(&[("TRUSTED_PROXIES", "10.0.0.0/8,nope")]),
        "TRUSTED_PROXIES: '10.0.0.0/8,nope' lists 'nope', which is not an IP address or CIDR network"
    );
}

#[test]
fn blank_values_count_as_unset() {
    let c = Config::from_map(&vars(&[("PORT", "  "), ("API_KEY", "")])).unwrap();
    assert_eq!(c.port, 5000);
    assert!(c.security.admin_key.is_none());
}

#[test]
fn the_encryption_key_is_parsed_once_here_and_never_echoed() {
    let hex = "ab".repeat(32);
    let c = Config::from_map(&vars(&[("SESSION_ENCRYPTION_KEY", &hex)])).unwrap();
    let key = c.security.session_encryption_key.expect("parsed key");
    assert_eq!(key.open(&key.seal(b"x")).unwrap(), b"x");
    let err = error(&[("SESSION_ENCRYPTION_KEY", "hunter2")]);
    assert!(
        err.starts_with("SESSION_ENCRYPTION_KEY: must be 32 bytes"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
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

#[test]
fn an_unwritable_session_dir_is_reported_clearly() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let inside_a_file = file.path().join("sessions");
    let inside = inside_a_file.to_str().unwrap();
    let c = Config::from_map(&vars(&[("SESSION_DIR", inside)])).unwrap();
    let err = c.validate().unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("SESSION_DIR {inside} is not writable")),
        "{err}"
    );
}

#[test]
fn hibernation_is_off_by_default_and_max_offline_stays_below_whatsapps_unlink() {
    let c = Config::from_map(&vars(&[])).unwrap();
    let h = &c.hibernation;
    assert!(!h.enabled());
    assert_eq!(h.after, None);
    assert_eq!(h.wake_interval, Duration::from_secs(1800));
    assert_eq!(h.max_offline, Duration::from_secs(86_400));
    assert_eq!(h.max_awake, None);
    let c = Config::from_map(&vars(&[
        ("HIBERNATE_AFTER", "15m"),
        ("WAKE_INTERVAL", "2h"),
        ("MAX_OFFLINE", "1h"),
        ("MAX_AWAKE", "40"),
    ]))
    .unwrap();
    let h = &c.hibernation;
    assert!(h.enabled());
    assert_eq!(h.after, Some(Duration::from_secs(900)));
    assert_eq!(
        h.longest_sleep(),
        Duration::from_secs(3600),
        "MAX_OFFLINE wins"
    );
    assert_eq!(h.max_awake, Some(40));
    assert!(error(&[("MAX_OFFLINE", "14d")]).starts_with("MAX_OFFLINE:"));
    assert!(Config::from_map(&vars(&[("MAX_OFFLINE", "13d")])).is_ok());
    assert!(error(&[("MAX_AWAKE", "0")]).starts_with("MAX_AWAKE:"));
    assert!(error(&[("HIBERNATE_AFTER", "0")]).starts_with("HIBERNATE_AFTER:"));
}
