//! The `timezone` value: `UTC`, `local` or a fixed `±HH:MM` offset, parsed
//! into a [`Timezone`] and spelled back canonically. Pure; uses only `std`.

use std::fmt;

/// A validated `timezone` setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timezone {
    /// Coordinated Universal Time.
    Utc,
    /// The machine's local time zone.
    Local,
    /// A fixed offset east of UTC, in minutes (`+02:00` → 120).
    Offset(i32),
}

impl fmt::Display for Timezone {
    /// The canonical spelling: `UTC`, `local` or `±HH:MM`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Timezone::Utc => f.write_str("UTC"),
            Timezone::Local => f.write_str("local"),
            Timezone::Offset(m) => {
                let sign = if m < 0 { '-' } else { '+' };
                write!(f, "{sign}{:02}:{:02}", m.abs() / 60, m.abs() % 60)
            }
        }
    }
}

/// Parses a `timezone` value: `UTC` (any case, also `Z`), `local`, or `±HH:MM`.
pub fn parse_timezone(s: &str) -> Option<Timezone> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("utc") || s == "Z" {
        return Some(Timezone::Utc);
    }
    if s.eq_ignore_ascii_case("local") {
        return Some(Timezone::Local);
    }
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 23 && m <= 59).then_some(Timezone::Offset(sign * (h * 60 + m)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timezone_values() {
        let cases = [
            ("UTC", Some(Timezone::Utc)),
            ("utc", Some(Timezone::Utc)),
            ("Z", Some(Timezone::Utc)),
            ("local", Some(Timezone::Local)),
            ("Local", Some(Timezone::Local)),
            ("+02:00", Some(Timezone::Offset(120))),
            ("-05:30", Some(Timezone::Offset(-330))),
            ("+00:00", Some(Timezone::Offset(0))),
            ("+2:00", None),
            ("+0200", None),
            ("+24:00", None),
            ("+01:60", None),
            ("Europe/Berlin", None),
            ("", None),
            ("+", None),
            ("+é:00", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_timezone(s), want, "{s:?}");
        }
    }
}
