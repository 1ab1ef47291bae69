//! The target grammar as text: what a target, a `FROM:TO` range or a
//! `history -r` range says before it is resolved against a graph (a range,
//! a relative step, the word `current`), and Alembic's relative form
//! `[label@][symbol](+|-)N`. Pure; it uses nothing but `std`.

/// The relative form `[label@][symbol](+|-)digits` (Alembic's
/// `_relative_destination`, matched at the start of the text).
#[derive(Debug, Clone)]
pub(super) struct Relative {
    pub(super) label: Option<String>,
    pub(super) symbol: Option<String>,
    /// The sign and digits as written.
    pub(super) text: String,
    /// The value, saturated.
    pub(super) value: i64,
}

impl Relative {
    /// Python's `abs(int(text))`.
    pub(super) fn count(&self) -> String {
        let t = self
            .text
            .trim_start_matches(['+', '-'])
            .trim_start_matches('0');
        if t.is_empty() {
            "0".to_string()
        } else {
            t.to_string()
        }
    }
    /// Python's `"%s" % int(text)`.
    pub(super) fn int_text(&self) -> String {
        let c = self.count();
        if self.value < 0 && c != "0" {
            format!("-{c}")
        } else {
            c
        }
    }
}

pub(super) fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Matches `(\w+)?([+-]\d+)` at the start of `s`.
pub(super) fn match_rel_tail(s: &str) -> Option<(Option<String>, String)> {
    let end_word = s
        .char_indices()
        .find(|&(_, c)| !is_word(c))
        .map_or(s.len(), |(i, _)| i);
    let try_at = |pos: usize| -> Option<String> {
        let rest = &s[pos..];
        let mut chars = rest.chars();
        let sign = chars.next()?;
        if sign != '+' && sign != '-' {
            return None;
        }
        let digits: String = chars.take_while(|c| c.is_ascii_digit()).collect();
        if digits.is_empty() {
            return None;
        }
        Some(format!("{sign}{digits}"))
    };
    if end_word > 0 {
        if let Some(rel) = try_at(end_word) {
            return Some((Some(s[..end_word].to_string()), rel));
        }
    }
    try_at(0).map(|rel| (None, rel))
}

pub(super) fn parse_relative(s: &str) -> Option<Relative> {
    // `(?:(.+?)@)?`: the shortest label before an '@' whose remainder matches.
    let mut found = None;
    for (i, c) in s.char_indices() {
        if c == '@' && i > 0 {
            if let Some((sym, rel)) = match_rel_tail(&s[i + 1..]) {
                found = Some((Some(s[..i].to_string()), sym, rel));
                break;
            }
        }
    }
    if found.is_none() {
        if let Some((sym, rel)) = match_rel_tail(s) {
            found = Some((None, sym, rel));
        }
    }
    let (label, symbol, text) = found?;
    let digits = &text[1..];
    let mag: i64 = digits.parse().unwrap_or(i64::MAX);
    let value = if text.starts_with('-') { -mag } else { mag };
    Some(Relative {
        label,
        symbol,
        text,
        value,
    })
}

/// Python's `int(text)` for a plain id: `Some(n)` when the whole text is an
/// optionally signed decimal integer.
pub(super) fn python_int(s: &str) -> Option<i64> {
    let t = s.trim();
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    if body.is_empty()
        || !body.chars().all(|c| c.is_ascii_digit() || c == '_')
        || body.starts_with('_')
        || body.ends_with('_')
        || body.contains("__")
    {
        return None;
    }
    let digits: String = body.chars().filter(|c| *c != '_').collect();
    let mag: i64 = digits.parse().unwrap_or(i64::MAX);
    Some(if t.starts_with('-') { -mag } else { mag })
}
