//! The splitter's tests: a table of cases per construct and dialect, the
//! errors and positions it reports, and property tests of its promises
//! (`invariants`) on arbitrary and SQL-like text.

use super::*;
use Kind::{MySql, Postgres, Sqlite};

fn texts(sql: &str, dialect: Kind) -> Vec<String> {
    match split(sql, dialect) {
        Ok(statements) => statements.into_iter().map(|s| s.text).collect(),
        Err(error) => panic!("{dialect:?} {sql:?}: {error}"),
    }
}

/// (name, dialect, input, expected statement texts)
const CASES: &[(&str, Kind, &str, &[&str])] = &[
    // Plain splitting, shared by all dialects.
    ("two statements", Postgres, "SELECT 1; SELECT 2;", &["SELECT 1", "SELECT 2"]),
    ("no final semicolon", Sqlite, "SELECT 1;\nSELECT 2", &["SELECT 1", "SELECT 2"]),
    ("empty statements", MySql, ";;SELECT 1;;; ;\n;", &["SELECT 1"]),
    ("empty input", Postgres, "", &[]),
    ("only whitespace", Sqlite, " \n\t\r\n ", &[]),
    ("only comments", Postgres, "-- a\n/* b */\n-- c", &[]),
    ("comment-only tail", Sqlite, "SELECT 1; -- done\n/* bye */", &["SELECT 1"]),
    ("leading comment lines dropped", Postgres, "-- one\n-- two\nSELECT 1;", &["SELECT 1"]),
    ("inner comments kept", Postgres, "SELECT /* a; */ 1 -- b;\n + 2;", &["SELECT /* a; */ 1 -- b;\n + 2"]),
    ("trailing comment before ; dropped", Sqlite, "SELECT 1 -- note\n;", &["SELECT 1"]),
    ("multi-line statement", Postgres, "CREATE TABLE t (\n  id int\n);\n", &["CREATE TABLE t (\n  id int\n)"]),
    ("crlf", Sqlite, "SELECT 1;\r\nSELECT 2;\r\n", &["SELECT 1", "SELECT 2"]),
    ("bom", Postgres, "\u{feff}SELECT 1;", &["SELECT 1"]),
    ("utf8 text", Postgres, "INSERT INTO t VALUES ('héllo; wörld'); SELECT 'ü';", &["INSERT INTO t VALUES ('héllo; wörld')", "SELECT 'ü'"]),
    ("utf8 identifier", Sqlite, "SELECT ünïcode;SELECT 2", &["SELECT ünïcode", "SELECT 2"]),
    // Single-quoted strings.
    ("semicolons in string pg", Postgres, "SELECT ';;;'; SELECT 2;", &["SELECT ';;;'", "SELECT 2"]),
    ("semicolons in string my", MySql, "SELECT ';;;'; SELECT 2;", &["SELECT ';;;'", "SELECT 2"]),
    ("semicolons in string lite", Sqlite, "SELECT ';;;'; SELECT 2;", &["SELECT ';;;'", "SELECT 2"]),
    ("doubled quote", Sqlite, "SELECT 'it''s; ok'; SELECT 2", &["SELECT 'it''s; ok'", "SELECT 2"]),
    ("doubled quote pg", Postgres, "SELECT 'a'';'; SELECT 2", &["SELECT 'a'';'", "SELECT 2"]),
    ("doubled quote my", MySql, "SELECT 'a'';'; SELECT 2", &["SELECT 'a'';'", "SELECT 2"]),
    ("backslash escapes quote in mysql", MySql, r"SELECT 'a\';b'; SELECT 2", &[r"SELECT 'a\';b'", "SELECT 2"]),
    ("escaped backslash in mysql", MySql, r"SELECT 'a\\'; SELECT 2", &[r"SELECT 'a\\'", "SELECT 2"]),
    ("backslash is plain in pg", Postgres, r"SELECT 'a\'; SELECT 2", &[r"SELECT 'a\'", "SELECT 2"]),
    ("backslash is plain in sqlite", Sqlite, r"SELECT 'a\'; SELECT 2", &[r"SELECT 'a\'", "SELECT 2"]),
    ("mysql charset introducer", MySql, r"SELECT _utf8mb4'a\';'; SELECT 2", &[r"SELECT _utf8mb4'a\';'", "SELECT 2"]),
    // E'' strings.
    ("E string escaped quote", Postgres, r"SELECT E'\''; SELECT 2", &[r"SELECT E'\''", "SELECT 2"]),
    ("lone $ then E string", Postgres, r"SELECT $E'\''; SELECT 2", &[r"SELECT $E'\''", "SELECT 2"]),
    ("e string lower case", Postgres, r"SELECT e'a\';b'; SELECT 2", &[r"SELECT e'a\';b'", "SELECT 2"]),
    ("E string doubled quote", Postgres, r"SELECT E'x''\\'; SELECT 2", &[r"SELECT E'x''\\'", "SELECT 2"]),
    ("word ending in E is no E string", Postgres, r"SELECT some'a\'; SELECT 2", &[r"SELECT some'a\'", "SELECT 2"]),
    // Double quotes and backticks.
    ("double-quoted identifier pg", Postgres, r#"SELECT "a;""b"; SELECT 2"#, &[r#"SELECT "a;""b""#, "SELECT 2"]),
    ("double quote no backslash pg", Postgres, r#"SELECT "a\"; SELECT 2"#, &[r#"SELECT "a\""#, "SELECT 2"]),
    ("double-quoted identifier sqlite", Sqlite, r#"SELECT "a;""b"; SELECT 2"#, &[r#"SELECT "a;""b""#, "SELECT 2"]),
    ("double-quoted string mysql", MySql, r#"SELECT "a\";b"; SELECT 2"#, &[r#"SELECT "a\";b""#, "SELECT 2"]),
    ("backticks mysql", MySql, "SELECT `a;``b`; SELECT 2", &["SELECT `a;``b`", "SELECT 2"]),
    ("backticks no backslash mysql", MySql, r"SELECT `a\`; SELECT 2", &[r"SELECT `a\`", "SELECT 2"]),
    ("backticks sqlite", Sqlite, "SELECT `a;b`; SELECT 2", &["SELECT `a;b`", "SELECT 2"]),
    ("brackets sqlite", Sqlite, "SELECT [a;b]; SELECT 2", &["SELECT [a;b]", "SELECT 2"]),
    ("brackets are arrays in pg", Postgres, "SELECT a[1]; SELECT 2", &["SELECT a[1]", "SELECT 2"]),
    // Dollar quotes.
    ("dollar quote", Postgres, "SELECT $$a;b$$; SELECT 2", &["SELECT $$a;b$$", "SELECT 2"]),
    ("tagged dollar quote", Postgres, "SELECT $x$a;$$;b$x$; SELECT 2", &["SELECT $x$a;$$;b$x$", "SELECT 2"]),
    ("dollar quote with quotes inside", Postgres, "SELECT $$ it's \"; $$; SELECT 2", &["SELECT $$ it's \"; $$", "SELECT 2"]),
    ("parameter is no dollar quote", Postgres, "PREPARE p AS SELECT $1; SELECT $2;", &["PREPARE p AS SELECT $1", "SELECT $2"]),
    ("parameter then identifier with dollars", Postgres, "SELECT $3g$$; SELECT 2", &["SELECT $3g$$", "SELECT 2"]),
    ("dollar inside identifier", Postgres, "SELECT a$$b; SELECT 2", &["SELECT a$$b", "SELECT 2"]),
    ("number then dollar quote", Postgres, "SELECT 1$$;$$; SELECT 2", &["SELECT 1$$;$$", "SELECT 2"]),
    ("lone dollar name", Postgres, "SELECT $a b$; SELECT 2", &["SELECT $a b$", "SELECT 2"]),
    ("dollars mean nothing in mysql", MySql, "SELECT $$a;b$$", &["SELECT $$a", "b$$"]),
    ("DO block", Postgres, "DO $$\nBEGIN\n  RAISE NOTICE 'x;';\nEND\n$$;\nSELECT 1;", &["DO $$\nBEGIN\n  RAISE NOTICE 'x;';\nEND\n$$", "SELECT 1"]),
    (
        "plpgsql function with $$",
        Postgres,
        "CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  NEW.a := 1;\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\nCREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW EXECUTE FUNCTION f();",
        &[
            "CREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  NEW.a := 1;\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql",
            "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW EXECUTE FUNCTION f()",
        ],
    ),
    (
        "plpgsql function with $body$ holding $$",
        Postgres,
        "CREATE OR REPLACE FUNCTION g() RETURNS text LANGUAGE plpgsql AS $body$\nDECLARE s text := $$;$$;\nBEGIN RETURN s; END;\n$body$;\nSELECT g();",
        &[
            "CREATE OR REPLACE FUNCTION g() RETURNS text LANGUAGE plpgsql AS $body$\nDECLARE s text := $$;$$;\nBEGIN RETURN s; END;\n$body$",
            "SELECT g()",
        ],
    ),
    // Comments.
    ("nested comment pg", Postgres, "SELECT /* a /* b; */ c; */ 1; SELECT 2", &["SELECT /* a /* b; */ c; */ 1", "SELECT 2"]),
    ("comments do not nest in sqlite", Sqlite, "SELECT /* a /* b */ 1; SELECT 2", &["SELECT /* a /* b */ 1", "SELECT 2"]),
    ("comments do not nest in mysql", MySql, "SELECT /* a /* b */ 1; SELECT 2", &["SELECT /* a /* b */ 1", "SELECT 2"]),
    ("dash comment hides semicolon", Sqlite, "SELECT 1 -- ; x\n, 2; SELECT 3", &["SELECT 1 -- ; x\n, 2", "SELECT 3"]),
    ("dash comment without space pg", Postgres, "SELECT 1 --;x\n; SELECT 2", &["SELECT 1", "SELECT 2"]),
    ("mysql --x is no comment", MySql, "SELECT 1 --1;\nSELECT 2;", &["SELECT 1 --1", "SELECT 2"]),
    ("mysql -- comment", MySql, "SELECT 1 -- x;\n;SELECT 2", &["SELECT 1", "SELECT 2"]),
    ("mysql --tab comment", MySql, "SELECT 1 --\tx;\n;SELECT 2", &["SELECT 1", "SELECT 2"]),
    ("mysql -- at end", MySql, "SELECT 1; --", &["SELECT 1"]),
    ("mysql hash comment", MySql, "SELECT 1 # a;b\n;SELECT 2", &["SELECT 1", "SELECT 2"]),
    ("hash is no comment in pg", Postgres, "SELECT 1 # 2; SELECT 3", &["SELECT 1 # 2", "SELECT 3"]),
    ("mysql executable comment kept", MySql, "/*!40101 SET NAMES utf8mb4 */;\n/* plain */ SELECT 1;", &["/*!40101 SET NAMES utf8mb4 */", "SELECT 1"]),
    ("mysql executable comment is read as SQL", MySql, "SELECT 1 /*!50001 , ';*/' */; SELECT 2", &["SELECT 1 /*!50001 , ';*/' */", "SELECT 2"]),
    ("mysql semicolon in executable comment ends the statement", MySql, "SELECT 1 /*!50001 ; */; SELECT 2", &["SELECT 1 /*!50001", "*/", "SELECT 2"]),
    ("mysql optimizer hint is a comment", MySql, "SELECT /*+ BKA(t) ; */ 1; SELECT 2", &["SELECT /*+ BKA(t) ; */ 1", "SELECT 2"]),
    ("mariadb executable comment", MySql, "/*M!100100 SET x=1 */; SELECT 2", &["/*M!100100 SET x=1 */", "SELECT 2"]),
    ("a dollar sign after a number's dot continues an identifier", Postgres, "SELECT 2a.b$$ FROM t; SELECT 1", &["SELECT 2a.b$$ FROM t", "SELECT 1"]),
    ("a delimiter never ends a statement inside an executable comment's opener", MySql, "DELIMITER M!C\nA/*M!C SELECT 0 */M!C\nDELIMITER ;\n", &["A/*M!C SELECT 0 */"]),
    ("bang comment is a comment in pg", Postgres, "/*! x */ SELECT 1", &["SELECT 1"]),
    // MySQL DELIMITER.
    (
        "procedure between DELIMITER //",
        MySql,
        "DELIMITER //\nCREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND//\nDELIMITER ;\nCALL p();",
        &["CREATE PROCEDURE p()\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND", "CALL p()"],
    ),
    (
        "procedure between DELIMITER $$",
        MySql,
        "DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; END $$\nCREATE FUNCTION f() RETURNS INT RETURN 1$$\nDELIMITER ;\nSELECT f();",
        &["CREATE PROCEDURE p() BEGIN SELECT 1; END", "CREATE FUNCTION f() RETURNS INT RETURN 1", "SELECT f()"],
    ),
    ("delimiter lower case with comment", MySql, "delimiter ;; # comment\nSELECT 1;;\ndelimiter ; -- back\nSELECT 2;", &["SELECT 1", "SELECT 2"]),
    ("delimiter in string is text", MySql, "DELIMITER //\nSELECT '//';//\nDELIMITER ;", &["SELECT '//';"]),
    ("delimiter quoted argument", MySql, "DELIMITER '//'\nSELECT 1//", &["SELECT 1"]),
    ("delimiter ends open statement", MySql, "DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END\nDELIMITER ;\nSELECT 2;", &["CREATE PROCEDURE p() BEGIN SELECT 1; END", "SELECT 2"]),
    ("delimiter after statement on a line", MySql, "SELECT 1; DELIMITER //\nSELECT 2//", &["SELECT 1", "SELECT 2"]),
    ("delimiter word inside a line is a name", MySql, "SELECT a, delimiter FROM t;", &["SELECT a, delimiter FROM t"]),
    ("delimiter at line start without argument is a name", MySql, "SELECT a,\ndelimiter\nFROM t;", &["SELECT a,\ndelimiter\nFROM t"]),
    ("delimiter inside a word", MySql, "DELIMITER //\nSELECT 1 AS x//SELECT 2//", &["SELECT 1 AS x", "SELECT 2"]),
    ("dollar delimiter after word", MySql, "DELIMITER $$\nBEGIN NOT ATOMIC SELECT 1; END$$\nDELIMITER ;", &["BEGIN NOT ATOMIC SELECT 1; END"]),
    ("delimiter is text in pg", Postgres, "DELIMITER //\nSELECT 1;", &["DELIMITER //\nSELECT 1"]),
    // MySQL compound bodies without DELIMITER.
    (
        "mysql trigger without DELIMITER",
        MySql,
        "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW\nBEGIN\n  IF NEW.a < 0 THEN\n    SET NEW.a = 0;\n  END IF;\n  SET NEW.b = 1;\nEND;\nINSERT INTO t VALUES (1);",
        &[
            "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW\nBEGIN\n  IF NEW.a < 0 THEN\n    SET NEW.a = 0;\n  END IF;\n  SET NEW.b = 1;\nEND",
            "INSERT INTO t VALUES (1)",
        ],
    ),
    ("mysql single-statement trigger", MySql, "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1; SELECT 2;", &["CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 1", "SELECT 2"]),
    ("mysql trigger with bare IF", MySql, "CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW IF NEW.a < 0 THEN SET NEW.a = 0; END IF; SELECT 2;", &["CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW IF NEW.a < 0 THEN SET NEW.a = 0; END IF", "SELECT 2"]),
    (
        "mysql procedure with loops",
        MySql,
        "CREATE DEFINER=`root`@`%` PROCEDURE p(IN n INT)\nBEGIN\n  DECLARE i INT DEFAULT 0;\n  l1: LOOP\n    SET i = i + 1;\n    IF i > n THEN LEAVE l1; END IF;\n  END LOOP l1;\n  WHILE i > 0 DO SET i = i - 1; END WHILE;\n  REPEAT SET i = i + 1; UNTIL i > 3 END REPEAT;\n  CASE i WHEN 4 THEN SELECT 1; ELSE SELECT 2; END CASE;\nEND;\nCALL p(3);",
        &[
            "CREATE DEFINER=`root`@`%` PROCEDURE p(IN n INT)\nBEGIN\n  DECLARE i INT DEFAULT 0;\n  l1: LOOP\n    SET i = i + 1;\n    IF i > n THEN LEAVE l1; END IF;\n  END LOOP l1;\n  WHILE i > 0 DO SET i = i - 1; END WHILE;\n  REPEAT SET i = i + 1; UNTIL i > 3 END REPEAT;\n  CASE i WHEN 4 THEN SELECT 1; ELSE SELECT 2; END CASE;\nEND",
            "CALL p(3)",
        ],
    ),
    (
        "mysql function with IF() and CASE expressions",
        MySql,
        "CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC\nBEGIN\n  DECLARE y INT;\n  SET y = IF(x > 0, 1, 2);\n  SET y = CASE WHEN x THEN IF(x, 1, 0) ELSE REPEAT('a', 2) END;\n  IF (x > 1) THEN IF x > 2 THEN SET y = 3; END IF; ELSE IF x < 0 THEN SET y = 0; END IF; END IF;\n  RETURN y;\nEND;\nSELECT f(1);",
        &[
            "CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC\nBEGIN\n  DECLARE y INT;\n  SET y = IF(x > 0, 1, 2);\n  SET y = CASE WHEN x THEN IF(x, 1, 0) ELSE REPEAT('a', 2) END;\n  IF (x > 1) THEN IF x > 2 THEN SET y = 3; END IF; ELSE IF x < 0 THEN SET y = 0; END IF; END IF;\n  RETURN y;\nEND",
            "SELECT f(1)",
        ],
    ),
    ("mysql function without body block", MySql, "CREATE FUNCTION f() RETURNS INT RETURN IF(1, 2, 3); SELECT f();", &["CREATE FUNCTION f() RETURNS INT RETURN IF(1, 2, 3)", "SELECT f()"]),
    ("mysql event", MySql, "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; DELETE FROM u; END; SELECT 1;", &["CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; DELETE FROM u; END", "SELECT 1"]),
    ("mysql definer user@host", MySql, "CREATE DEFINER = root@localhost PROCEDURE p() SQL SECURITY INVOKER BEGIN SELECT 1; END; SELECT 2", &["CREATE DEFINER = root@localhost PROCEDURE p() SQL SECURITY INVOKER BEGIN SELECT 1; END", "SELECT 2"]),
    ("mysql definer quoted user@host", MySql, "CREATE DEFINER='root'@'%' FUNCTION f() RETURNS INT BEGIN RETURN 1; END; SELECT 2", &["CREATE DEFINER='root'@'%' FUNCTION f() RETURNS INT BEGIN RETURN 1; END", "SELECT 2"]),
    ("mysql definer ip host", MySql, "CREATE DEFINER=admin@127.0.0.1 TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; END; SELECT 2", &["CREATE DEFINER=admin@127.0.0.1 TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; END", "SELECT 2"]),
    ("mysqldump trigger in executable comments", MySql, "DELIMITER ;;\n/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER t AFTER INSERT ON x FOR EACH ROW BEGIN SET @a = 1; SET @b = 2; END */;;\nDELIMITER ;\n", &["/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER t AFTER INSERT ON x FOR EACH ROW BEGIN SET @a = 1; SET @b = 2; END */"]),
    ("mysql definer current_user()", MySql, "CREATE OR REPLACE DEFINER=CURRENT_USER() PROCEDURE p() BEGIN SELECT 1; END; SELECT 2", &["CREATE OR REPLACE DEFINER=CURRENT_USER() PROCEDURE p() BEGIN SELECT 1; END", "SELECT 2"]),
    ("mysql handler block", MySql, "CREATE PROCEDURE p() BEGIN DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN SET @e = 1; END; SELECT 1; END; SELECT 2", &["CREATE PROCEDURE p() BEGIN DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN SET @e = 1; END; SELECT 1; END", "SELECT 2"]),
    ("mariadb FOR loop", MySql, "CREATE PROCEDURE p() BEGIN FOR i IN 1..3 DO SELECT i; END FOR; END; SELECT 2", &["CREATE PROCEDURE p() BEGIN FOR i IN 1..3 DO SELECT i; END FOR; END", "SELECT 2"]),
    ("mariadb BEGIN NOT ATOMIC", MySql, "BEGIN NOT ATOMIC IF 1 THEN SELECT 1; END IF; END; SELECT 2", &["BEGIN NOT ATOMIC IF 1 THEN SELECT 1; END IF; END", "SELECT 2"]),
    ("mysql BEGIN transaction", MySql, "BEGIN; SELECT 1; COMMIT;", &["BEGIN", "SELECT 1", "COMMIT"]),
    ("mysql table named like keywords", MySql, "CREATE TABLE event (begin INT, end INT); SELECT 2;", &["CREATE TABLE event (begin INT, end INT)", "SELECT 2"]),
    ("mysql view", MySql, "CREATE DEFINER=root@localhost VIEW v AS SELECT CASE WHEN a THEN 1 END FROM t; SELECT 2;", &["CREATE DEFINER=root@localhost VIEW v AS SELECT CASE WHEN a THEN 1 END FROM t", "SELECT 2"]),
    ("mysql drop if exists in body", MySql, "CREATE PROCEDURE p() BEGIN DROP TABLE IF EXISTS t; CREATE TABLE IF NOT EXISTS t (a INT); END; SELECT 2", &["CREATE PROCEDURE p() BEGIN DROP TABLE IF EXISTS t; CREATE TABLE IF NOT EXISTS t (a INT); END", "SELECT 2"]),
    ("mysql begin parameter in parentheses", MySql, "CREATE PROCEDURE p(begin INT, `end` INT) SELECT 1; SELECT 2", &["CREATE PROCEDURE p(begin INT, `end` INT) SELECT 1", "SELECT 2"]),
    // SQLite triggers.
    (
        "sqlite trigger with several statements and CASE",
        Sqlite,
        "CREATE TRIGGER trg AFTER INSERT ON t\nBEGIN\n  UPDATE t SET a = CASE WHEN NEW.a > 0 THEN 1 ELSE 0 END WHERE id = NEW.id;\n  INSERT INTO log VALUES ('x;y');\n  SELECT CASE WHEN 1 THEN 2 END;\nEND;\nSELECT 1;",
        &[
            "CREATE TRIGGER trg AFTER INSERT ON t\nBEGIN\n  UPDATE t SET a = CASE WHEN NEW.a > 0 THEN 1 ELSE 0 END WHERE id = NEW.id;\n  INSERT INTO log VALUES ('x;y');\n  SELECT CASE WHEN 1 THEN 2 END;\nEND",
            "SELECT 1",
        ],
    ),
    ("sqlite temp trigger", Sqlite, "CREATE TEMP TRIGGER IF NOT EXISTS x BEFORE DELETE ON t BEGIN SELECT 1; SELECT 2; END; SELECT 3", &["CREATE TEMP TRIGGER IF NOT EXISTS x BEFORE DELETE ON t BEGIN SELECT 1; SELECT 2; END", "SELECT 3"]),
    ("sqlite temporary trigger at end of input", Sqlite, "CREATE TEMPORARY TRIGGER x AFTER UPDATE ON t BEGIN DELETE FROM u; END", &["CREATE TEMPORARY TRIGGER x AFTER UPDATE ON t BEGIN DELETE FROM u; END"]),
    ("sqlite trigger comment before END", Sqlite, "CREATE TRIGGER x AFTER UPDATE ON t BEGIN DELETE FROM u; /* c */ -- d\n END /* e */; SELECT 1", &["CREATE TRIGGER x AFTER UPDATE ON t BEGIN DELETE FROM u; /* c */ -- d\n END", "SELECT 1"]),
    ("sqlite transaction", Sqlite, "BEGIN; SELECT 1; END;", &["BEGIN", "SELECT 1", "END"]),
    ("sqlite explain create trigger", Sqlite, "EXPLAIN CREATE TRIGGER x AFTER UPDATE ON t BEGIN SELECT 1; END; SELECT 2", &["EXPLAIN CREATE TRIGGER x AFTER UPDATE ON t BEGIN SELECT 1; END", "SELECT 2"]),
    ("create trigger in pg is plain", Postgres, "CREATE TRIGGER t AFTER INSERT ON x EXECUTE FUNCTION f(); SELECT 2", &["CREATE TRIGGER t AFTER INSERT ON x EXECUTE FUNCTION f()", "SELECT 2"]),
    // PostgreSQL BEGIN ATOMIC and parentheses.
    (
        "begin atomic",
        Postgres,
        "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  INSERT INTO t VALUES (a);\n  SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;\nEND;\nSELECT f(1);",
        &[
            "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  INSERT INTO t VALUES (a);\n  SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;\nEND",
            "SELECT f(1)",
        ],
    ),
    ("begin atomic procedure or replace", Postgres, "CREATE OR REPLACE PROCEDURE p() BEGIN ATOMIC SELECT 1; SELECT 2; END; CALL p();", &["CREATE OR REPLACE PROCEDURE p() BEGIN ATOMIC SELECT 1; SELECT 2; END", "CALL p()"]),
    ("pg transaction begin", Postgres, "BEGIN; SELECT 1; END;", &["BEGIN", "SELECT 1", "END"]),
    ("pg case outside function", Postgres, "SELECT CASE WHEN true THEN 1 END; SELECT 2", &["SELECT CASE WHEN true THEN 1 END", "SELECT 2"]),
    ("pg rule with parenthesised actions", Postgres, "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2)); SELECT 2", &["CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))", "SELECT 2"]),
    ("pg stray close parenthesis", Postgres, "SELECT 1); SELECT 2", &["SELECT 1)", "SELECT 2"]),
];

#[test]
fn splits_each_construct() {
    for (name, dialect, sql, expected) in CASES {
        let got = texts(sql, *dialect);
        assert_eq!(got, *expected, "case {name:?} ({dialect:?})");
        assert_eq!(
            check_split_invariants(sql, *dialect),
            Ok(()),
            "case {name:?}"
        );
    }
}

#[test]
fn reports_line_and_column_of_each_statement() {
    let sql = "-- header\nSELECT 1;  SELECT 2;\n\n  /* c */ SELECT\n  3;\r\n\tSELECT 'é'; SELECT 4";
    let got: Vec<_> = split(sql, Postgres)
        .unwrap()
        .into_iter()
        .map(|s| (s.text, s.line, s.column))
        .collect();
    let want = [
        ("SELECT 1", 2, 1),
        ("SELECT 2", 2, 12),
        ("SELECT\n  3", 4, 11),
        ("SELECT 'é'", 6, 2),
        ("SELECT 4", 6, 14),
    ];
    let want: Vec<_> = want.iter().map(|&(t, l, c)| (t.to_owned(), l, c)).collect();
    assert_eq!(got, want);
}

#[test]
fn columns_count_characters_and_ignore_the_bom() {
    let got = split("\u{feff}SELECT 'ä'; SELECT 2", Sqlite).unwrap();
    assert_eq!((got[0].line, got[0].column), (1, 1));
    assert_eq!((got[1].line, got[1].column), (1, 13));
}

#[test]
fn marks_compound_statements() {
    let sql = "DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END//\nSELECT ';'//\nDELIMITER ;\nSELECT 1;";
    let flags: Vec<_> = split(sql, MySql)
        .unwrap()
        .into_iter()
        .map(|s| s.compound)
        .collect();
    assert_eq!(flags, [true, false, false]);
    let sql = "CREATE PROCEDURE p() BEGIN SELECT 1; END; SELECT 2;";
    let flags: Vec<_> = split(sql, MySql)
        .unwrap()
        .into_iter()
        .map(|s| s.compound)
        .collect();
    assert_eq!(flags, [true, false]);
    let sql = "CREATE TRIGGER x AFTER UPDATE ON t BEGIN SELECT 1; END;";
    assert!(split(sql, Sqlite).unwrap()[0].compound);
    let sql = "CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; END; SELECT $$;$$";
    let flags: Vec<_> = split(sql, Postgres)
        .unwrap()
        .into_iter()
        .map(|s| s.compound)
        .collect();
    assert_eq!(flags, [true, false]);
}

fn error(sql: &str, dialect: Kind) -> SplitError {
    match split(sql, dialect) {
        Ok(statements) => panic!("{sql:?} split into {statements:?}"),
        Err(error) => error,
    }
}

#[test]
fn unterminated_constructs_name_where_they_start() {
    let quote = |quote, line, column| SplitError::UnterminatedQuote {
        quote,
        line,
        column,
    };
    let comment = |line, column| SplitError::UnterminatedComment { line, column };
    let block = |block, line, column| SplitError::UnterminatedBlock {
        block,
        line,
        column,
    };
    let cases = [
        ("SELECT 1;\nSELECT 'abc;", Postgres, quote('\'', 2, 8)),
        ("SELECT 'it''s", Sqlite, quote('\'', 1, 8)),
        (r"SELECT 'a\'", MySql, quote('\'', 1, 8)),
        (r"SELECT E'a\'", Postgres, quote('\'', 1, 8)),
        (r"SELECT '' $E'\'", Postgres, quote('\'', 1, 12)),
        ("SELECT \"a", Postgres, quote('"', 1, 8)),
        ("SELECT `a", MySql, quote('`', 1, 8)),
        ("SELECT [a", Sqlite, quote('[', 1, 8)),
        ("SELECT 1;\n  /* x", Sqlite, comment(2, 3)),
        ("/* a /* b */", Postgres, comment(1, 1)),
        ("SELECT /* 1", MySql, comment(1, 8)),
        ("SELECT /*! ';", MySql, quote('\'', 1, 12)),
        (
            "SELECT 1;\nDO $body$ x $$",
            Postgres,
            SplitError::UnterminatedDollarQuote {
                tag: "$body$".into(),
                line: 2,
                column: 4,
            },
        ),
        (
            "é $$",
            Postgres,
            SplitError::UnterminatedDollarQuote {
                tag: "$$".into(),
                line: 1,
                column: 3,
            },
        ),
        (
            "CREATE FUNCTION f() BEGIN ATOMIC\n SELECT 1;",
            Postgres,
            block(Block::BeginAtomic, 1, 21),
        ),
        (
            "SELECT 1;\nINSERT INTO t VALUES (1;\nSELECT 2;",
            Postgres,
            block(Block::Parenthesis, 2, 22),
        ),
        (
            "SELECT 1;\n CREATE TRIGGER x AFTER UPDATE ON t BEGIN SELECT 1;",
            Sqlite,
            block(Block::Trigger, 2, 2),
        ),
        (
            "CREATE TRIGGER x AFTER UPDATE ON t BEGIN SELECT 1 END",
            Sqlite,
            block(Block::Trigger, 1, 1),
        ),
        (
            "CREATE PROCEDURE p()\nBEGIN\n  IF 1 THEN SELECT 1;\nEND;",
            MySql,
            block(Block::Compound("BEGIN"), 2, 1),
        ),
        (
            "DELIMITER\nSELECT 1;",
            MySql,
            SplitError::InvalidDelimiter {
                reason: "DELIMITER must be followed by the new delimiter, as in `DELIMITER //`",
                line: 1,
                column: 1,
            },
        ),
        (
            r"DELIMITER \\",
            MySql,
            SplitError::InvalidDelimiter {
                reason: "a DELIMITER cannot contain a backslash",
                line: 1,
                column: 11,
            },
        ),
    ];
    for (sql, dialect, want) in cases {
        assert_eq!(error(sql, dialect), want, "{sql:?} ({dialect:?})");
        assert_eq!(check_split_invariants(sql, dialect), Ok(()), "{sql:?}");
    }
}

#[test]
fn unterminated_delimiter_block_at_end_is_one_statement() {
    // A custom delimiter is authoritative: the tail is the last statement.
    let got = texts("DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1;", MySql);
    assert_eq!(got, ["CREATE PROCEDURE p() BEGIN SELECT 1;"]);
}

#[test]
fn errors_read_as_sentences() {
    let message = error("SELECT 'x", Sqlite).to_string();
    assert_eq!(
        message,
        "line 1, column 8: the string ' opened here is never closed; add the closing '"
    );
    let message = error("CREATE PROCEDURE p() BEGIN SELECT 1;", MySql).to_string();
    assert!(
        message.starts_with("line 1, column 22: `BEGIN` has no matching `END`"),
        "{message}"
    );
}

#[test]
fn shifted_errors_count_the_lines_above() {
    let shifted = error("\n SELECT 'x", Sqlite).shifted(10);
    assert_eq!(shifted.position(), (12, 9));
}

#[test]
fn maps_offsets_in_a_statement_to_the_file() {
    let stmts = split("SELECT 1;\n  SELECT\n  é + x;", Postgres).unwrap();
    let stmt = &stmts[1];
    assert_eq!((stmt.line, stmt.column), (2, 3));
    assert_eq!(position_in_file(stmt, 0), (2, 3));
    assert_eq!(position_in_file(stmt, 5), (2, 8));
    assert_eq!(position_in_file(stmt, 6), (2, 9)); // the newline itself
    assert_eq!(position_in_file(stmt, 7), (3, 1));
    assert_eq!(position_in_file(stmt, 9), (3, 3)); // é
    assert_eq!(position_in_file(stmt, 11), (3, 5)); // +
    assert_eq!(position_in_file(stmt, 1000), (3, 8));
    assert_eq!(byte_position_in_file(stmt, 9), (3, 3)); // é
    assert_eq!(byte_position_in_file(stmt, 10), (3, 3)); // inside é
    assert_eq!(byte_position_in_file(stmt, 12), (3, 5)); // +
}

#[test]
fn picks_a_mysql_delimiter_absent_from_the_text() {
    assert_eq!(mysql_delimiter_for("BEGIN SELECT 1; END"), "//");
    assert_eq!(mysql_delimiter_for("SELECT '//'"), "$$");
    assert_eq!(mysql_delimiter_for("SELECT x /"), "$$");
    assert_eq!(mysql_delimiter_for("SELECT '// $$ ;;'"), "//1//");
    assert_eq!(mysql_delimiter_for("SELECT '// $$ ;; //1//' //1"), "//2//");
}

#[test]
fn long_inputs_split_in_linear_time() {
    // Quadratic behaviour would take minutes at this size.
    let n = 200_000;
    let sql = "SELECT 1;".repeat(n);
    assert_eq!(split(&sql, MySql).unwrap().len(), n);
    let sql = format!(
        "SELECT ${}$ {} ${}$",
        "a".repeat(n),
        "$a".repeat(n),
        "a".repeat(n)
    );
    assert_eq!(split(&sql, Postgres).unwrap().len(), 1);
    let sql = format!("DELIMITER {}b\n{}", "a".repeat(15), "a".repeat(n));
    assert_eq!(split(&sql, MySql).unwrap().len(), 1);
    let sql = format!(
        "CREATE PROCEDURE p() {} {}",
        "BEGIN ".repeat(n),
        "END; ".repeat(n)
    );
    assert_eq!(split(&sql, MySql).unwrap().len(), 1);
}

mod properties {
    use super::super::*;
    use proptest::prelude::*;

    const FRAGMENTS: &[&str] = &[
        " ",
        "\n",
        "\r\n",
        "\t",
        ";",
        ";;",
        "'",
        "''",
        "'a;b'",
        "\"",
        "\"x;\"",
        "`",
        "`t;`",
        "[",
        "]",
        "[c;]",
        "\\",
        "\\'",
        "$",
        "$$",
        "$a$",
        "$1",
        "$$ ; $$",
        "$a$;$a$",
        "E'",
        "e'\\';'",
        "--",
        "-- ",
        "--x",
        "-- c;\n",
        "#",
        "# c;\n",
        "/*",
        "*/",
        "/* ; */",
        "/*!",
        "/*! ; */",
        "/*M!",
        "(",
        ")",
        ":",
        "=",
        "@",
        "é",
        "\u{feff}",
        "\0",
        "SELECT 1",
        "CREATE",
        "OR",
        "REPLACE",
        "TEMP",
        "TRIGGER",
        "PROCEDURE",
        "FUNCTION",
        "EVENT",
        "DEFINER",
        "BEGIN",
        "ATOMIC",
        "NOT",
        "END",
        "CASE",
        "IF",
        "THEN",
        "ELSE",
        "LOOP",
        "WHILE",
        "REPEAT",
        "FOR",
        "DO",
        "ROW",
        "EXPLAIN",
        "DELIMITER //\n",
        "DELIMITER ;\n",
        "DELIMITER $$\n",
        "delimiter ;;\n",
        "DELIMITER",
        "//",
        "x",
        "1",
    ];

    fn sqlish() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(FRAGMENTS), 0..48).prop_map(|v| v.concat())
    }

    fn dialect() -> impl Strategy<Value = Kind> {
        prop::sample::select(&[Kind::Postgres, Kind::MySql, Kind::Sqlite][..])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn arbitrary_text_keeps_every_significant_character(sql in any::<String>(), dialect in dialect()) {
            prop_assert_eq!(check_split_invariants(&sql, dialect), Ok(()));
        }

        #[test]
        fn ascii_text_keeps_every_significant_character(sql in "[ -~\n\t]{0,120}", dialect in dialect()) {
            prop_assert_eq!(check_split_invariants(&sql, dialect), Ok(()));
        }

        #[test]
        fn sqlish_text_keeps_every_significant_character(sql in sqlish(), dialect in dialect()) {
            prop_assert_eq!(check_split_invariants(&sql, dialect), Ok(()));
        }

        #[test]
        fn a_statement_splits_into_itself(sql in sqlish(), dialect in prop::sample::select(&[Kind::Postgres, Kind::Sqlite][..])) {
            // Re-splitting a statement without a top-level `;` gives it
            // back whole (not for MySQL, whose DELIMITER blocks may hold
            // a BEGIN that only the custom delimiter ends).
            if let Ok(statements) = split(&sql, dialect) {
                for stmt in statements.iter().filter(|s| !s.compound && !s.text.starts_with('\u{feff}')) {
                    let again = split(&stmt.text, dialect);
                    prop_assert!(again.is_ok(), "{:?} -> {:?}", stmt.text, again);
                    let again = again.unwrap_or_default();
                    prop_assert_eq!(again.len(), 1, "{:?}", stmt.text);
                    prop_assert_eq!(&again[0].text, &stmt.text);
                }
            }
        }
    }
}
