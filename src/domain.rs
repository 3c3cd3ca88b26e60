//! Values parsed once at the edge: a message recipient as WhatsApp addresses it, and the phone
//! number a connection links by.

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

/// The phone number of the account a connection links to with a pairing code: E.164 digits
/// (country code first, no leading 0), 8 to 15 of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

/// The shortest international numbers (country code and subscriber) have 8 digits.
const MIN_PHONE_DIGITS: usize = 8;

impl PhoneNumber {
    /// Accepts `923001234567`, `+923001234567` and `+92 300-1234567` (spaces and dashes).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        let without_plus = trimmed.strip_prefix('+').unwrap_or(trimmed);
        let digits: String = without_plus
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect();
        let ok = digits.chars().all(|c| c.is_ascii_digit())
            && (MIN_PHONE_DIGITS..=MAX_DIGITS).contains(&digits.len())
            && !digits.starts_with('0');
        if ok {
            Ok(Self(digits))
        } else {
            Err(format!(
                "'{trimmed}' is not a valid international phone number: {MIN_PHONE_DIGITS}-{MAX_DIGITS} digits starting with the country code (an optional leading +, spaces and dashes are allowed)"
            ))
        }
    }

    /// The digits only.
    pub fn as_str(&self) -> &str {
        &self.0
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

    #[test]
    fn a_linking_phone_is_international_digits_with_optional_plus_spaces_and_dashes() {
        for raw in [
            "923001234567",
            "+923001234567",
            " +92 300-123-4567 ",
            "12025550108",
        ] {
            let phone = PhoneNumber::parse(raw).unwrap();
            assert!(phone.as_str().chars().all(|c| c.is_ascii_digit()), "{raw}");
        }
        assert_eq!(
            PhoneNumber::parse("+92 300-1234567").unwrap().as_str(),
            "923001234567"
        );
        assert_eq!(PhoneNumber::parse("49301234").unwrap().as_str(), "49301234");
        for raw in [
            "",
            "+",
            "1234567",
            "1234567890123456",
            "03001234567",
            "+0300123456",
            "92300x1234567",
            "92 (300) 1234567",
            "923001234567@c.us",
            "++923001234567",
        ] {
            assert!(PhoneNumber::parse(raw).is_err(), "{raw} should be rejected");
        }
    }
}
