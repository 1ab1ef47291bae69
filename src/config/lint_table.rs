//! `[lint]`: one key per lint rule (its stable id), each `off`, `on` (the
//! rule's own severity), `warning` or `error`. The keys are the rules of
//! `lint::rules`, so a new rule is a new key with no edit here.

use super::reader::{Key, Take};
use crate::lint::rules::{CONFIGURABLE, RULES};
use crate::lint::Level;

/// Where `[lint]`'s values go: (rule, level), in file order.
pub(super) type Levels = Vec<(String, String)>;

/// The words a rule takes.
const LEVELS: &[&str] = Level::WORDS;

macro_rules! lint_keys {
    ($($i:literal)*) => {
        &[$(Key {
            name: RULES[$i].name,
            take: Take::Word(LEVELS, |levels: &mut Levels, v| {
                levels.push((RULES[$i].name.to_string(), v.to_string()))
            }),
        },)*]
    };
}

/// One key per rule `[lint]` may set, in the rules' order.
pub(super) const LINT_KEYS: &[Key<Levels>] =
    lint_keys!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23);

const _: () = assert!(LINT_KEYS.len() == CONFIGURABLE, "one [lint] key per rule");
