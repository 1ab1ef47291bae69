//! The reader behind every table of `migrate.toml`. A table is declared once,
//! as data: a [`Table`] names itself, says whether it is one table
//! (`[migrate]`) or one table per name (`[targets.NAME]`), and lists its
//! [`Key`]s, each with what it takes ([`Take`]: its type, how it is checked,
//! and where the value goes). [`read`] walks the parsed TOML against the
//! declarations: an unknown table or key, a value of the wrong type or a bad
//! value is a [`ConfigError`] with the file, line and column, the known names
//! and a "did you mean". A table may be declared in several parts (each with
//! its own keys and its own place for their values), so a feature can declare
//! its keys in `[migrate]` beside its own code.
//!
//! Pure: it takes the file's text, its path (for messages), its folder (for
//! relative paths) and the environment as a closure. It uses `toml`,
//! `crate::text` (the edit distance behind suggestions) and `crate::url`
//! (redaction).

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::clean;
use super::error::{ConfigError, Hint, Invalid};
use super::interpolate::{interpolate, InterpolateError};
use super::timezone::{parse_timezone, Timezone};
use crate::text::edit_distance;

/// One key of a table: its name, and what it takes with where the value goes.
pub(crate) struct Key<S: 'static> {
    /// The key as written in the file.
    pub name: &'static str,
    /// Its type, how it is checked, and the setter that stores it in `S`.
    pub take: Take<S>,
}

/// What a key takes (every string may use `${VAR}`), and the setter that
/// stores the checked value in the table's section `S`.
pub(crate) enum Take<S: 'static> {
    /// A string, not empty once expanded.
    Text(fn(&mut S, String)),
    /// A string; empty (once expanded) means unset.
    OptionalText(fn(&mut S, Option<String>)),
    /// A path relative to the config file's folder, made absolute.
    Path(fn(&mut S, PathBuf)),
    /// Paths relative to the config file's folder, made absolute.
    Paths(List, fn(&mut S, Vec<PathBuf>)),
    /// A URL: type-checked now, expanded only where it is used (and never
    /// shown with its password).
    Url(fn(&mut S, Unexpanded)),
    /// URLs, each as [`Take::Url`].
    Urls(List, fn(&mut S, Vec<Unexpanded>)),
    /// Strings, each not empty once expanded.
    Texts(List, fn(&mut S, Vec<String>)),
    /// One of a few words (`off`, `on`, `error`; `lock`'s modes).
    Word(&'static [&'static str], fn(&mut S, &'static str)),
    /// A whole number in a range.
    Count(Count, fn(&mut S, u64)),
    /// `true` or `false`.
    Bool(fn(&mut S, bool)),
    /// `UTC`, `local` or `±HH:MM`.
    Timezone(fn(&mut S, Timezone)),
}

/// The range of a [`Take::Count`] and how messages speak of it.
pub(crate) struct Count {
    /// What the key takes ("a whole number of seconds, e.g. 60").
    pub expected: &'static str,
    /// The smallest value allowed.
    pub min: u64,
    /// The largest value allowed.
    pub max: u64,
    /// What to give instead of a value out of range.
    pub give: &'static str,
}

/// How a list key ([`Take::Paths`], …) is written and spoken of.
pub(crate) struct List {
    /// What the key takes ("an array of folder paths").
    pub expected: &'static str,
    /// What each item takes ("a string (a folder path)").
    pub item: &'static str,
    /// What each item names ("folder").
    pub noun: &'static str,
    /// What leaving the key out means ("<script_location>/versions").
    pub default: &'static str,
    /// One string is a list of one (`schema = "schema.sql"`).
    pub one_allowed: bool,
}

/// One table of the file, declared once.
pub(crate) struct Table<R: 'static, S: 'static> {
    /// Its name: `[name]`, or `[name.NAME]` per entry.
    pub name: &'static str,
    /// One table, or one per name, and where its values go in the root `R`.
    pub shape: Shape<R, S>,
    /// Its keys, in the order messages list them.
    pub keys: &'static [Key<S>],
}

/// Whether a table is one table or one per name, and where its section is.
pub(crate) enum Shape<R: 'static, S: 'static> {
    /// `[name]`: the section its values go into.
    One(fn(&mut R) -> &mut S),
    /// `[name.NAME]`: the section of the entry `NAME`, made on first use.
    Named(for<'r> fn(&'r mut R, &str) -> &'r mut S),
}

/// A [`Table`] with its section type hidden, so that one list holds tables
/// whose values go to different places of the root `R`.
pub(crate) trait Section<R> {
    /// The table's name.
    fn name(&self) -> &'static str;
    /// Whether it holds one table per name.
    fn named(&self) -> bool;
    /// Its keys' names, in declaration order.
    fn keys(&self) -> Vec<&'static str>;
    /// Checks and stores `entries` (each a key this table declares) in `root`;
    /// `entry` is the name of a named table's entry.
    fn read(
        &self,
        cx: &Cx<'_>,
        entry: Option<&str>,
        entries: &[Entry<'_, '_>],
        root: &mut R,
    ) -> Result<(), ConfigError>;
}

impl<R, S> Section<R> for Table<R, S> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn named(&self) -> bool {
        matches!(self.shape, Shape::Named(_))
    }

    fn keys(&self) -> Vec<&'static str> {
        self.keys.iter().map(|k| k.name).collect()
    }

    fn read(
        &self,
        cx: &Cx<'_>,
        entry: Option<&str>,
        entries: &[Entry<'_, '_>],
        root: &mut R,
    ) -> Result<(), ConfigError> {
        let section = match self.shape {
            Shape::One(place) => place(root),
            Shape::Named(entry_of) => entry_of(root, entry.unwrap_or_default()),
        };
        for (k, v) in entries {
            if let Some(key) = self.keys.iter().find(|d| d.name == k.get_ref().as_ref()) {
                key.take.apply(cx, key.name, v, section)?;
            }
        }
        Ok(())
    }
}

impl<S> Take<S> {
    fn apply(&self, cx: &Cx<'_>, key: &str, v: &Value<'_>, s: &mut S) -> Result<(), ConfigError> {
        match self {
            Take::Text(set) => set(s, cx.required_string(key, v)?),
            Take::OptionalText(set) => set(s, cx.optional_string(key, v)?),
            Take::Path(set) => set(s, cx.dir_join(&cx.required_string(key, v)?)),
            Take::Paths(list, set) => set(s, cx.list(key, v, list, Cx::path_item)?),
            Take::Url(set) => {
                let raw = cx.raw_string(key, v)?;
                set(s, cx.unexpanded(v, raw));
            }
            Take::Urls(list, set) => set(s, cx.list(key, v, list, Cx::url_item)?),
            Take::Texts(list, set) => set(s, cx.list(key, v, list, Cx::text_item)?),
            Take::Word(choices, set) => set(s, cx.word(key, v, choices)?),
            Take::Count(count, set) => set(s, cx.count(key, v, count)?),
            Take::Bool(set) => set(s, cx.boolean(key, v)?),
            Take::Timezone(set) => set(s, cx.timezone(key, v)?),
        }
        Ok(())
    }
}

/// A string value kept as written, with its place, for `${VAR}`s expanded
/// only where it is used (a `url` is not expanded under `--url`). `Debug`
/// hides a password in it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Unexpanded {
    /// The value as written.
    pub raw: String,
    /// 1-based line of the value.
    pub line: usize,
    /// 1-based column of the value.
    pub column: usize,
}

impl Unexpanded {
    /// The value with its `${VAR}`s expanded from `env`.
    pub(crate) fn expand(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<String, InterpolateError> {
        interpolate(&self.raw, env)
    }
}

impl fmt::Debug for Unexpanded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unexpanded")
            .field("raw", &crate::url::redact(&self.raw))
            .field("line", &self.line)
            .field("column", &self.column)
            .finish()
    }
}

/// A TOML value with its byte span.
pub(crate) type Value<'i> = Spanned<DeValue<'i>>;
/// A key of a table with its value.
pub(crate) type Entry<'a, 'i> = (&'a Spanned<Cow<'i, str>>, &'a Value<'i>);

/// A table of the file matched to its declaration: the parts declaring it,
/// the entry's name for a named table, and the keys found.
struct Found<'t, 'a, 'i, R> {
    parts: Vec<&'t dyn Section<R>>,
    entry: Option<&'a str>,
    entries: Vec<Entry<'a, 'i>>,
}

/// Reads `text`, the config file at `path` (whose folder is `dir`), against
/// `tables` into `root`. The structure is checked first (every top-level
/// name a declared table of its shape), then every key of every table, then
/// the values, each in file order: a typo says the most, so it is reported
/// before a value that may be wrong only because of it.
pub(crate) fn read<R>(
    text: &str,
    path: &Path,
    dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    tables: &[&dyn Section<R>],
    root: &mut R,
) -> Result<(), ConfigError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let doc = parse(text, path)?;
    let cx = Cx {
        text,
        path,
        dir,
        env,
    };

    let mut found: Vec<Found<'_, '_, '_, R>> = Vec::new();
    for (k, v) in sorted(doc.get_ref()) {
        let name: &str = k.get_ref();
        let parts: Vec<&dyn Section<R>> = tables
            .iter()
            .copied()
            .filter(|t| t.name() == name)
            .collect();
        let Some(first) = parts.first() else {
            return Err(match v.get_ref() {
                DeValue::Table(_) => cx.unknown_table(k, tables),
                _ => cx.outside_table(k, tables),
            });
        };
        let DeValue::Table(table) = v.get_ref() else {
            let (line, column) = cx.pos(k);
            return Err(ConfigError::NotATable {
                path: path.to_path_buf(),
                line,
                column,
                table: first.name(),
                named: first.named(),
            });
        };
        if !first.named() {
            found.push(Found {
                parts,
                entry: None,
                entries: sorted(table),
            });
            continue;
        }
        for (ek, ev) in sorted(table) {
            let DeValue::Table(entry) = ev.get_ref() else {
                let (line, column) = cx.pos(ek);
                return Err(ConfigError::NotNamed {
                    path: path.to_path_buf(),
                    line,
                    column,
                    table: first.name(),
                    key: ek.get_ref().to_string(),
                });
            };
            found.push(Found {
                parts: parts.clone(),
                entry: Some(ek.get_ref()),
                entries: sorted(entry),
            });
        }
    }

    for f in &found {
        let known: Vec<&'static str> = f.parts.iter().flat_map(|p| p.keys()).collect();
        for (k, _) in &f.entries {
            let key: &str = k.get_ref();
            if !known.contains(&key) {
                let (line, column) = cx.pos(k);
                let table = match f.entry {
                    Some(entry) => format!("{}.{entry}", f.parts[0].name()),
                    None => f.parts[0].name().to_string(),
                };
                return Err(ConfigError::UnknownKey {
                    path: path.to_path_buf(),
                    line,
                    column,
                    table,
                    key: key.to_string(),
                    suggestion: suggest(key, &known),
                    known: known.into(),
                });
            }
        }
    }

    for f in &found {
        for part in &f.parts {
            let keys = part.keys();
            let mine: Vec<Entry<'_, '_>> = f
                .entries
                .iter()
                .filter(|(k, _)| keys.contains(&k.get_ref().as_ref()))
                .copied()
                .collect();
            part.read(&cx, f.entry, &mine, root)?;
        }
    }
    Ok(())
}

/// The TOML document, or where and why it is not TOML.
fn parse<'i>(text: &'i str, path: &Path) -> Result<Spanned<DeTable<'i>>, ConfigError> {
    DeTable::parse(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let (line, column) = line_col(text, span.start);
        let message = tidy_toml_message(e.message());
        // The parser does not say which key; the span does (a key is no secret).
        if message == "duplicate key" {
            if let Some(key) = text
                .get(span)
                .map(str::trim)
                .filter(|k| !k.is_empty() && k.len() <= 80)
            {
                return ConfigError::DuplicateKey {
                    path: path.to_path_buf(),
                    line,
                    column,
                    key: crate::url::redact(key),
                };
            }
        }
        ConfigError::Toml {
            path: path.to_path_buf(),
            line,
            column,
            message: crate::url::redact(&message),
        }
    })
}

/// A table's entries in file order.
fn sorted<'a, 'i>(table: &'a DeTable<'i>) -> Vec<Entry<'a, 'i>> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    entries
}

/// The names of the tables called `name` (its parts), in declaration order.
fn keys_of<R>(tables: &[&dyn Section<R>], name: &str) -> Vec<&'static str> {
    tables
        .iter()
        .filter(|t| t.name() == name)
        .flat_map(|t| t.keys())
        .collect()
}

/// How a table's header is written: `migrate`, or `targets.NAME`.
fn header<R>(table: &dyn Section<R>) -> String {
    if table.named() {
        format!("{}.NAME", table.name())
    } else {
        table.name().to_string()
    }
}

/// The config file being read, for positions and values.
pub(crate) struct Cx<'a> {
    text: &'a str,
    path: &'a Path,
    dir: &'a Path,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Cx<'_> {
    fn pos<T>(&self, spanned: &Spanned<T>) -> (usize, usize) {
        line_col(self.text, spanned.span().start)
    }

    fn unknown_table<R>(
        &self,
        k: &Spanned<Cow<'_, str>>,
        tables: &[&dyn Section<R>],
    ) -> ConfigError {
        let name: &str = k.get_ref();
        let mut names: Vec<&'static str> = Vec::new();
        let mut known = Vec::new();
        for t in tables {
            if !names.contains(&t.name()) {
                names.push(t.name());
                known.push(header(*t));
            }
        }
        let suggestion = suggest(name, &names)
            .and_then(|s| names.iter().position(|n| *n == s))
            .map(|i| known[i].clone());
        let (line, column) = self.pos(k);
        ConfigError::UnknownTable {
            path: self.path.to_path_buf(),
            line,
            column,
            name: name.to_string(),
            suggestion,
            known: known.into(),
        }
    }

    fn outside_table<R>(
        &self,
        k: &Spanned<Cow<'_, str>>,
        tables: &[&dyn Section<R>],
    ) -> ConfigError {
        let key: &str = k.get_ref();
        let one: Vec<&dyn Section<R>> = tables.iter().copied().filter(|t| !t.named()).collect();
        let all: Vec<&'static str> = one.iter().flat_map(|t| t.keys()).collect();
        let suggestion = suggest(key, &all);
        let table = suggestion
            .and_then(|s| one.iter().find(|t| t.keys().contains(&s)))
            .or(one.first())
            .map_or(super::TABLE, |t| t.name());
        let (line, column) = self.pos(k);
        ConfigError::OutsideTable {
            path: self.path.to_path_buf(),
            line,
            column,
            key: key.to_string(),
            table,
            suggestion,
            known: keys_of(tables, table).into(),
        }
    }

    fn wrong_type(
        &self,
        key: &str,
        v: &Value<'_>,
        expected: &'static str,
        hint: Option<Hint>,
    ) -> ConfigError {
        let (line, column) = self.pos(v);
        ConfigError::WrongType {
            path: self.path.to_path_buf(),
            line,
            column,
            key: key.to_string(),
            expected,
            found: v.get_ref().type_str(),
            hint: hint.map(Box::new),
        }
    }

    fn invalid(&self, key: &str, v: &Value<'_>, problem: Invalid) -> ConfigError {
        let (line, column) = self.pos(v);
        ConfigError::InvalidValue {
            path: self.path.to_path_buf(),
            line,
            column,
            key: key.to_string(),
            problem,
        }
    }

    fn raw_string<'v>(&self, key: &str, v: &'v Value<'_>) -> Result<&'v str, ConfigError> {
        v.get_ref().as_str().ok_or_else(|| {
            let hint = match v.get_ref() {
                DeValue::Integer(_) | DeValue::Float(_) | DeValue::Boolean(_) => Some(Hint::Quote),
                _ => None,
            };
            self.wrong_type(key, v, "a string", hint)
        })
    }

    fn unexpanded(&self, v: &Value<'_>, raw: &str) -> Unexpanded {
        let (line, column) = self.pos(v);
        Unexpanded {
            raw: raw.to_string(),
            line,
            column,
        }
    }

    fn expand(&self, key: &str, v: &Value<'_>, raw: &str) -> Result<String, ConfigError> {
        interpolate(raw, self.env).map_err(|problem| {
            let (line, column) = self.pos(v);
            ConfigError::Interpolate {
                path: self.path.to_path_buf(),
                line,
                column,
                key: key.to_string(),
                problem,
            }
        })
    }

    fn dir_join(&self, path: &str) -> PathBuf {
        clean(&self.dir.join(path))
    }

    /// A string that must not be empty once expanded.
    fn required_string(&self, key: &str, v: &Value<'_>) -> Result<String, ConfigError> {
        let raw = self.raw_string(key, v)?;
        let s = self.expand(key, v, raw)?;
        if s.trim().is_empty() {
            return Err(self.invalid(key, v, Invalid::Empty));
        }
        Ok(s)
    }

    /// A string where empty (after expansion) means "not set".
    fn optional_string(&self, key: &str, v: &Value<'_>) -> Result<Option<String>, ConfigError> {
        let raw = self.raw_string(key, v)?;
        let s = self.expand(key, v, raw)?;
        Ok((!s.trim().is_empty()).then_some(s))
    }

    fn integer(
        &self,
        key: &str,
        v: &Value<'_>,
        expected: &'static str,
    ) -> Result<i64, ConfigError> {
        match v.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .map_err(|_| self.invalid(key, v, Invalid::TooLarge)),
            DeValue::String(s) if s.trim().parse::<i64>().is_ok() => {
                Err(self.wrong_type(key, v, expected, Some(Hint::Unquote(s.trim().to_string()))))
            }
            _ => Err(self.wrong_type(key, v, expected, None)),
        }
    }

    fn count(&self, key: &str, v: &Value<'_>, count: &Count) -> Result<u64, ConfigError> {
        let n = self.integer(key, v, count.expected)?;
        match u64::try_from(n) {
            Ok(u) if (count.min..=count.max).contains(&u) => Ok(u),
            Err(_) if count.min == 0 => Err(self.invalid(
                key,
                v,
                Invalid::Negative {
                    n,
                    give: count.give,
                },
            )),
            _ => Err(self.invalid(
                key,
                v,
                Invalid::OutOfRange {
                    n,
                    give: count.give,
                },
            )),
        }
    }

    fn boolean(&self, key: &str, v: &Value<'_>) -> Result<bool, ConfigError> {
        match v.get_ref() {
            DeValue::Boolean(b) => Ok(*b),
            DeValue::String(s) if matches!(s.trim(), "true" | "false") => Err(self.wrong_type(
                key,
                v,
                "true or false",
                Some(Hint::Unquote(s.trim().to_string())),
            )),
            _ => Err(self.wrong_type(key, v, "true or false", None)),
        }
    }

    fn timezone(&self, key: &str, v: &Value<'_>) -> Result<Timezone, ConfigError> {
        let text = self.required_string(key, v)?;
        parse_timezone(&text).ok_or_else(|| self.invalid(key, v, Invalid::Timezone { text }))
    }

    fn word(
        &self,
        key: &str,
        v: &Value<'_>,
        choices: &'static [&'static str],
    ) -> Result<&'static str, ConfigError> {
        let word = self.required_string(key, v)?;
        choices
            .iter()
            .copied()
            .find(|c| *c == word)
            .ok_or_else(|| self.invalid(key, v, Invalid::NotOneOf { word, choices }))
    }

    /// A list (or, where allowed, one string), each item read by `item`.
    fn list<T>(
        &self,
        key: &str,
        v: &Value<'_>,
        list: &List,
        item: fn(&Self, &str, &Value<'_>, &List) -> Result<T, ConfigError>,
    ) -> Result<Vec<T>, ConfigError> {
        let items = match v.get_ref() {
            DeValue::Array(items) => items,
            DeValue::String(_) if list.one_allowed => return Ok(vec![item(self, key, v, list)?]),
            other => {
                let hint = other.as_str().map(|s| Hint::ListOfOne {
                    noun: list.noun,
                    value: s.to_string(),
                });
                return Err(self.wrong_type(key, v, list.expected, hint));
            }
        };
        if items.is_empty() {
            return Err(self.invalid(
                key,
                v,
                Invalid::EmptyList {
                    noun: list.noun,
                    default: list.default,
                },
            ));
        }
        items
            .iter()
            .enumerate()
            .map(|(i, it)| item(self, &format!("{key}[{i}]"), it, list))
            .collect()
    }

    /// A list item that must be a string (no hint: the list says what it takes).
    fn item_string<'v>(
        &self,
        key: &str,
        v: &'v Value<'_>,
        list: &List,
    ) -> Result<&'v str, ConfigError> {
        v.get_ref()
            .as_str()
            .ok_or_else(|| self.wrong_type(key, v, list.item, None))
    }

    fn expanded_item(
        &self,
        key: &str,
        v: &Value<'_>,
        list: &List,
        kind: &'static str,
    ) -> Result<String, ConfigError> {
        let s = self.expand(key, v, self.item_string(key, v, list)?)?;
        if s.trim().is_empty() {
            return Err(self.invalid(
                key,
                v,
                Invalid::EmptyItem {
                    kind,
                    noun: list.noun,
                },
            ));
        }
        Ok(s)
    }

    fn path_item(&self, key: &str, v: &Value<'_>, list: &List) -> Result<PathBuf, ConfigError> {
        Ok(self.dir_join(&self.expanded_item(key, v, list, "path")?))
    }

    fn text_item(&self, key: &str, v: &Value<'_>, list: &List) -> Result<String, ConfigError> {
        self.expanded_item(key, v, list, "string")
    }

    fn url_item(&self, key: &str, v: &Value<'_>, list: &List) -> Result<Unexpanded, ConfigError> {
        let raw = self.item_string(key, v, list)?;
        Ok(self.unexpanded(v, raw))
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut o = offset.min(text.len());
    while !text.is_char_boundary(o) {
        o -= 1;
    }
    let before = &text[..o];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// toml's messages may span lines; ours are one line.
fn tidy_toml_message(m: &str) -> String {
    m.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The known word closest to `word`, if it is close enough to be a likely typo.
pub(super) fn suggest(word: &str, known: &[&'static str]) -> Option<&'static str> {
    let norm = |s: &str| s.to_ascii_lowercase().replace('-', "_");
    let w = norm(word);
    // Alembic's name for the URL.
    if w == "sqlalchemy.url" || w == "sqlalchemy" || w == "database_url" || w == "uri" {
        return known.iter().copied().find(|k| *k == "url");
    }
    known
        .iter()
        .filter_map(|k| Some((edit_distance(&w, &norm(k), k.chars().count() / 4 + 1)?, *k)))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tables::{read_file, Settings, MIGRATE_KEYS, TABLES};
    use crate::config::test_env::{env_of, no_env};
    use crate::config::{Config, KNOWN_KEYS};
    use std::collections::BTreeMap;

    fn read_err(text: &str) -> (String, ConfigError) {
        match read_file(
            text,
            Path::new("/p/migrate.toml"),
            Path::new("/p"),
            &no_env,
            true,
        ) {
            Ok((c, _)) => panic!("{text:?} was read: {c:?}"),
            Err(e) => (e.to_string(), e),
        }
    }

    // Tables beside [migrate], declared as the real ones are but with
    // test-only keys and sections, so that the reader's own behaviour is
    // pinned apart from the real tables' keys. Each table and each key is
    // one declaration; the reader, its errors and its suggestions are the
    // same code that reads [migrate].

    #[derive(Default, Debug, PartialEq)]
    struct Lint {
        drop_table: Option<&'static str>,
        index_not_concurrently: Option<&'static str>,
    }

    #[derive(Default, Debug, PartialEq)]
    struct Target {
        urls: Vec<Unexpanded>,
        file: Option<PathBuf>,
        command: Option<String>,
        query: Option<String>,
        schemas: Vec<String>,
    }

    struct Grown {
        settings: Settings,
        lint: Lint,
        targets: BTreeMap<String, Target>,
    }

    const LEVELS: &[&str] = &["off", "on", "error"];

    const URLS: List = List {
        expected: "an array of database URLs",
        item: "a string (a database URL)",
        noun: "database",
        default: "no URL",
        one_allowed: false,
    };

    const SCHEMAS: List = List {
        expected: "an array of schema names",
        item: "a string (a schema name)",
        noun: "schema",
        default: "the database's default schema",
        one_allowed: false,
    };

    const GROWN: &[&dyn Section<Grown>] = &[
        // [migrate] as it is, in place...
        &Table {
            name: "migrate",
            shape: Shape::One(|g: &mut Grown| &mut g.settings),
            keys: MIGRATE_KEYS,
        },
        &Table {
            name: "lint",
            shape: Shape::One(|g: &mut Grown| &mut g.lint),
            keys: &[
                Key {
                    name: "drop-table",
                    take: Take::Word(LEVELS, |l, v| l.drop_table = Some(v)),
                },
                Key {
                    name: "index-not-concurrently",
                    take: Take::Word(LEVELS, |l, v| l.index_not_concurrently = Some(v)),
                },
            ],
        },
        &Table {
            name: "targets",
            shape: Shape::Named(|g: &mut Grown, name| {
                g.targets.entry(name.to_string()).or_default()
            }),
            keys: &[
                Key {
                    name: "urls",
                    take: Take::Urls(URLS, |t, v| t.urls = v),
                },
                Key {
                    name: "file",
                    take: Take::Path(|t, v| t.file = Some(v)),
                },
                Key {
                    name: "command",
                    take: Take::Text(|t, v| t.command = Some(v)),
                },
                Key {
                    name: "query",
                    take: Take::Text(|t, v| t.query = Some(v)),
                },
                Key {
                    name: "schemas",
                    take: Take::Texts(SCHEMAS, |t, v| t.schemas = v),
                },
            ],
        },
    ];

    fn read_grown(text: &str) -> Result<Grown, ConfigError> {
        let env = env_of(&[("DEV_PASSWORD", "hunter2"), ("TENANT", "acme")]);
        let dir = Path::new("/p");
        let mut grown = Grown {
            settings: Settings {
                config: Config::defaults(dir),
                version_locations: None,
                url: None,
                dev_url: None,
                targets: Default::default(),
            },
            lint: Lint::default(),
            targets: BTreeMap::new(),
        };
        read(
            text,
            &dir.join("migrate.toml"),
            dir,
            &env,
            GROWN,
            &mut grown,
        )?;
        Ok(grown)
    }

    fn grown_err(text: &str) -> String {
        match read_grown(text) {
            Ok(_) => panic!("{text:?} was read"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_new_table_or_key_is_one_declaration() {
        let g = match read_grown(
            r#"
[migrate]
script_location = "db"
schema = "schema.sql"
dev_url = "postgresql://dev:${DEV_PASSWORD}@localhost/scratch"

[lint]
drop-table = "error"

[targets.tenants]
urls = ["postgresql://a/${TENANT}", "postgresql://b/two"]
schemas = ["${TENANT}", "globex"]

[targets.listed]
file = "tenants.txt"
command = "list-tenants --all"
query = "SELECT url FROM tenants"

[targets.empty]
"#,
        ) {
            Ok(g) => g,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(g.settings.config.script_location, Path::new("/p/db"));
        assert_eq!(
            g.settings.config.schema,
            vec![PathBuf::from("/p/schema.sql")]
        );
        let dev = g.settings.dev_url.as_ref().expect("dev_url");
        assert_eq!((dev.line, dev.column), (5, 11));
        let env = env_of(&[("DEV_PASSWORD", "hunter2")]);
        assert_eq!(
            dev.expand(&env).as_deref(),
            Ok("postgresql://dev:hunter2@localhost/scratch")
        );
        let lint = Lint {
            drop_table: Some("error"),
            index_not_concurrently: None,
        };
        assert_eq!(g.lint, lint);
        let names: Vec<&str> = g.targets.keys().map(String::as_str).collect();
        assert_eq!(names, ["empty", "listed", "tenants"]);
        let tenants = &g.targets["tenants"];
        let raw: Vec<&str> = tenants.urls.iter().map(|u| u.raw.as_str()).collect();
        assert_eq!(raw, ["postgresql://a/${TENANT}", "postgresql://b/two"]);
        assert_eq!((tenants.urls[1].line, tenants.urls[1].column), (11, 37));
        assert_eq!(tenants.schemas, ["acme", "globex"]);
        let listed = Target {
            file: Some(PathBuf::from("/p/tenants.txt")),
            command: Some("list-tenants --all".into()),
            query: Some("SELECT url FROM tenants".into()),
            ..Target::default()
        };
        assert_eq!(g.targets["listed"], listed);
        assert_eq!(g.targets["empty"], Target::default());
        // A list of schema files, each relative to the config file.
        let g = read_grown("[migrate]\nschema = [\"a.sql\", \"/abs/b\"]\n").expect("read");
        assert_eq!(
            g.settings.config.schema,
            [PathBuf::from("/p/a.sql"), PathBuf::from("/abs/b")]
        );
    }

    #[test]
    fn a_url_as_written_is_redacted_in_debug() {
        let g =
            read_grown("[migrate]\ndev_url = \"postgresql://dev:s3cret@h/db\"\n").expect("read");
        let shown = format!("{:?}", g.settings.dev_url);
        assert!(
            !shown.contains("s3cret") && shown.contains("dev:***@h"),
            "{shown}"
        );
    }

    #[test]
    fn new_tables_and_keys_get_the_same_errors() {
        let known = KNOWN_KEYS.join(", ");
        let cases = [
            (
                "[lnt]\n".to_string(),
                "/p/migrate.toml:1:2: unknown table [lnt]; did you mean [lint]? The known tables are: [migrate], [lint], [targets.NAME]".to_string(),
            ),
            (
                "[target.prod]\n".into(),
                "/p/migrate.toml:1:2: unknown table [target]; did you mean [targets.NAME]? The known tables are: [migrate], [lint], [targets.NAME]".into(),
            ),
            (
                "[migrate]\ndev_ur = \"x\"\n".into(),
                format!("/p/migrate.toml:2:1: unknown key `dev_ur` in [migrate]; did you mean `dev_url`? The known keys are: {known}"),
            ),
            (
                "[lint]\ndrop_table = \"on\"\n".into(),
                "/p/migrate.toml:2:1: unknown key `drop_table` in [lint]; did you mean `drop-table`? The known keys are: drop-table, index-not-concurrently".into(),
            ),
            (
                "[targets.prod]\nurl = \"x\"\n".into(),
                "/p/migrate.toml:2:1: unknown key `url` in [targets.prod]; did you mean `urls`? The known keys are: urls, file, command, query, schemas".into(),
            ),
            (
                "[targets]\nurls = []\n".into(),
                "/p/migrate.toml:2:1: `urls` is directly under [targets], which holds one table per name: write a `[targets.NAME]` line above it".into(),
            ),
            (
                "targets = 1\n".into(),
                "/p/migrate.toml:1:1: `targets` must be a table: write a `[targets.NAME]` line and the settings below it".into(),
            ),
            (
                "dev_url = \"x\"\n".into(),
                "/p/migrate.toml:1:1: `dev_url` is outside the [migrate] table; put a `[migrate]` line above it".into(),
            ),
            (
                "drop-table = \"on\"\n".into(),
                "/p/migrate.toml:1:1: `drop-table` is outside the [lint] table; put a `[lint]` line above it".into(),
            ),
            (
                "[lint]\ndrop-table = \"warn\"\n".into(),
                "/p/migrate.toml:2:14: `drop-table`: `warn` is not one of: off, on, error".into(),
            ),
            (
                "[migrate]\nschema = []\n".into(),
                "/p/migrate.toml:2:10: `schema`: is empty; list at least one file or folder, or remove the line to use no schema".into(),
            ),
            (
                "[migrate]\nschema = 5\n".into(),
                "/p/migrate.toml:2:10: `schema` must be a path or an array of paths, but it is an integer".into(),
            ),
            (
                "[targets.a]\nurls = \"postgresql://h/db\"\n".into(),
                "/p/migrate.toml:2:8: `urls` must be an array of database URLs, but it is a string; write a list, even of one database: urls = [\"postgresql://h/db\"]".into(),
            ),
            (
                "[targets.a]\nschemas = [\"a\", \"\"]\n".into(),
                "/p/migrate.toml:2:17: `schemas[1]`: is an empty string; remove it or name a schema".into(),
            ),
            (
                "[targets.a]\nurls = [1]\n".into(),
                "/p/migrate.toml:2:9: `urls[0]` must be a string (a database URL), but it is an integer".into(),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(grown_err(&text), want, "{text:?}");
        }
    }

    #[test]
    fn the_real_tables_are_migrate_lint_and_targets() {
        let (msg, _) = read_err("[alembic]\n");
        assert!(
            msg.ends_with("The known tables are: [migrate], [lint], [targets.NAME]"),
            "{msg}"
        );
        assert_eq!(TABLES.len(), 3);
    }
}
