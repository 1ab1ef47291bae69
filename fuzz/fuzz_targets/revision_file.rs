//! Parses arbitrary UTF-8 as a revision file: no panic; when it parses, both
//! sections split with every dialect without breaking the splitter's promises.
#![no_main]

use libfuzzer_sys::fuzz_target;
use migrate::script::file::parse;
use migrate::sql::check_split_invariants;
use migrate::Kind;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(file) = parse(text) else {
        return;
    };
    for section in [&file.upgrade, &file.downgrade] {
        for dialect in [Kind::Postgres, Kind::MySql, Kind::Sqlite] {
            if let Err(broken) = check_split_invariants(&section.text, dialect) {
                panic!("{dialect:?} {:?}: {broken}", section.text);
            }
        }
    }
});
