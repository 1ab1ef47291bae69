//! Splits arbitrary UTF-8 with every dialect: no panic, and when it splits,
//! the statements are the input's own text at the line and column they
//! report, with nothing but whitespace, comments, delimiters and DELIMITER
//! lines between them (`migrate::sql::check_split_invariants`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use migrate::sql::check_split_invariants;
use migrate::Kind;

fuzz_target!(|data: &[u8]| {
    let Ok(sql) = std::str::from_utf8(data) else {
        return;
    };
    for dialect in [Kind::Postgres, Kind::MySql, Kind::Sqlite] {
        if let Err(broken) = check_split_invariants(sql, dialect) {
            panic!("{dialect:?} {sql:?}: {broken}");
        }
    }
});
