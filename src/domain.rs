//! Values parsed once at the edge: a message recipient as WhatsApp addresses it.

use std::fmt;

/// A chat WhatsApp can deliver to: a user (`<digits>@c.us`) or a group (`<digits>[-<digits>]@g.us`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatId(String);

/// E.164 allows at most 15 digits; shorter than 6 is never a routable number.
const MIN_DIGITS: usize = 6;
const MAX_DIGITS: usize = 15;

impl ChatId {
    /// Accepts `+92 300-1234567`, `923001234567`, `923001234567@c.us` or `1203...@g.us`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if let Some(user) = raw.strip_suffix("@c.us") {
            return phone_digits(user).map(|d| Self(format!("{d}@c.us")));
        }
        if let Some(group) = raw.strip_suffix("@g.us") {
            return group_id(group).map(|g| Self(format!("{g}@g.us")));
        }
        if raw.contains('@') {
            return Err(format!(
                "'{raw}' is not a phone number or a @c.us / @g.us id"
            ));
        }
        let without_plus = raw.strip_prefix('+').unwrap_or(raw);
        let digits: String = without_plus
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
            .collect();
        phone_digits(&digits).map(|d| Self(format!("{d}@c.us")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ChatId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn phone_digits(s: &str) -> Result<&str, String> {
    let ok = s.chars().all(|c| c.is_ascii_digit())
        && (MIN_DIGITS..=MAX_DIGITS).contains(&s.len())
        && !s.starts_with('0');
    if ok {
        Ok(s)
    } else {
        Err(format!(
            "'{s}' is not a valid phone number: use the international format, {MIN_DIGITS}-{MAX_DIGITS} digits with the country code"
        ))
    }
}

fn group_id(s: &str) -> Result<&str, String> {
    let valid_part = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit());
    let ok = match s.split_once('-') {
        Some((a, b)) => valid_part(a) && valid_part(b),
        None => valid_part(s),
    };
    if ok {
        Ok(s)
    } else {
        Err(format!("'{s}@g.us' is not a valid group id"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_common_way_of_writing_a_number() {
        for raw in [
            "923001234567",
            "+923001234567",
            "+92 300-1234567",
            "+92 (300) 123.4567",
            "923001234567@c.us",
        ] {
            assert_eq!(ChatId::parse(raw).unwrap().as_str(), "923001234567@c.us");
        }
    }

    #[test]
    fn accepts_group_ids() {
        let id = ChatId::parse("120363012345678901@g.us").unwrap();
        assert_eq!(id.as_str(), "120363012345678901@g.us");
        assert!(ChatId::parse("923001234567-1612345678@g.us").is_ok());
    }

    #[test]
    fn rejects_what_is_not_a_number() {
        for raw in [
            "",
            "abc",
            "12345",
            "1234567890123456",
            "0300123456",
            "92300x1234567",
            "x@g.us",
            "1@lid",
            "1-@g.us",
        ] {
            assert!(ChatId::parse(raw).is_err(), "{raw} should be rejected");
        }
    }
}
