//! The README's configuration table and `.env.example` list exactly the settings of [`ALL`], in
//! its order, with its defaults: the docs cannot drift from what the gateway reads.

use super::table::{Fallback, ALL};

fn read(file: &str) -> String {
    let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The rows of the table under `## Configuration` (its header and rule left out).
fn readme_rows() -> Vec<String> {
    let readme = read("README.md");
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("Configuration\n"))
        .expect("README.md has a Configuration section");
    section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(str::to_owned)
        .collect()
}

/// `NAME=value` and `# NAME=value` lines: (name, value, commented out).
fn env_example_lines() -> Vec<(String, String, bool)> {
    read(".env.example")
        .lines()
        .filter_map(|line| {
            let (commented, line) = match line.strip_prefix("# ") {
                Some(rest) => (true, rest),
                None => (false, line),
            };
            let (name, value) = line.split_once('=')?;
            let is_name = name.starts_with(|c: char| c.is_ascii_uppercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            is_name.then(|| (name.to_owned(), value.to_owned(), commented))
        })
        .collect()
}

#[test]
fn the_readme_table_is_the_settings_table() {
    let expected: Vec<String> = ALL.iter().map(|s| s.markdown_row()).collect();
    assert!(
        readme_rows() == expected,
        "README.md's configuration rows should read (from src/config/table.rs):\n{}",
        expected.join("\n")
    );
}

#[test]
fn env_example_lists_every_setting_once_with_its_default() {
    let lines = env_example_lines();
    let names: Vec<&str> = lines.iter().map(|(name, ..)| name.as_str()).collect();
    let expected: Vec<&str> = ALL.iter().map(|s| s.name).collect();
    assert_eq!(names, expected, ".env.example: variables or their order");
    for (setting, (name, value, commented)) in ALL.iter().zip(&lines) {
        match setting.fallback {
            Fallback::Value(default) => assert_eq!(value, default, ".env.example: {name}"),
            // Copying the file must not set what is unset by default.
            Fallback::Unset(_) => assert!(commented, ".env.example: {name} must be commented out"),
        }
    }
}

#[test]
fn every_default_parses_and_every_name_says_its_unit() {
    let mut vars = std::collections::HashMap::new();
    vars.insert("CHROME_PATH".to_owned(), "/bin/sh".to_owned());
    super::Config::from_map(&vars).expect("the defaults parse");
    for setting in ALL {
        let millis = setting.name.ends_with("_MS");
        assert_eq!(
            millis,
            setting.unit == super::table::Unit::Millis,
            "{}",
            setting.name
        );
        if setting.name.ends_with("_SECS") {
            assert_eq!(
                setting.unit,
                super::table::Unit::Seconds,
                "{}",
                setting.name
            );
        }
    }
}
