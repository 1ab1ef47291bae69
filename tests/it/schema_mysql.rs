//! Schema cases on MySQL/MariaDB (see schema_support): each a round trip on
//! the real server, by object kind, with the SQL's shape and the warnings
//! asserted where they matter.

use crate::schema_support::*;
use crate::support::{Db, TestDb};
use migrate::schema::Migration;

const MY: Db = Db::MySql;

/// True when a statement of `m` contains `text`.
fn has(m: &Migration, text: &str) -> bool {
    m.statements.iter().any(|s| s.contains(text))
}

/// True when a warning of `m` contains `text`.
fn warns(m: &Migration, text: &str) -> bool {
    m.warnings.iter().any(|w| w.contains(text))
}

fn show(m: &Migration) -> String {
    format!("{}\n--- warnings\n{}", script(m), m.warnings.join("\n"))
}

/// The rows of `sql` on a database that went through the upgrade of a case.
fn rows_after_upgrade(before: &str, after: &str, rows: &str, sql: &str) -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let current = TestDb::new(MY, dir.path());
    let desired = TestDb::new(MY, dir.path());
    apply(&current, before);
    apply(&desired, after);
    apply(&current, rows);
    let renames = migrate::schema::renames::parse(after, migrate::Kind::MySql, None).unwrap();
    let up = migration(MY, &catalog(&current), &catalog(&desired), &renames);
    apply(&current, &script(&up));
    current.query(sql)
}

// ---- tables ----

#[test]
fn a_table_with_every_kind_of_column_is_created_and_dropped() {
    crate::require!(Db::MySql);
    let after = "CREATE TABLE items (
        id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        code VARCHAR(20) CHARACTER SET latin1 COLLATE latin1_bin NOT NULL DEFAULT 'it''s',
        price DECIMAL(10,2) NOT NULL DEFAULT 1.50 COMMENT 'in euros',
        kind ENUM('a','b') DEFAULT 'a',
        flags SET('x','y') NOT NULL DEFAULT '',
        bits BIT(3) DEFAULT b'101',
        body TEXT,
        doc JSON,
        created TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
        at DATETIME(3) DEFAULT '2020-01-01 00:00:00.000',
        twice INT AS (id * 2) VIRTUAL,
        label VARCHAR(30) AS (CONCAT(code, '-', kind)) STORED,
        secret INT INVISIBLE DEFAULT 3,
        uid UUID DEFAULT uuid(),
        positive INT CHECK (positive > 0)
    ) ENGINE=InnoDB COMMENT='things for sale'";
    let r = roundtrip(MY, "", after);
    assert!(has(&r.up, "CREATE TABLE `items`"), "{}", show(&r.up));
    assert!(warns(&r.down, "drops table items"), "{}", show(&r.down));
}

#[test]
fn engine_charset_collation_and_comment_of_a_table_change_in_place() {
    crate::require!(Db::MySql);
    let r = roundtrip(
        MY,
        "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(10)) ENGINE=InnoDB DEFAULT CHARSET=latin1 COMMENT='old';",
        "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(10)) ENGINE=MyISAM DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin COMMENT='new';",
    );
    assert!(has(&r.up, "ENGINE = MyISAM"), "{}", show(&r.up));
    assert!(has(&r.up, "COMMENT = 'new'"), "{}", show(&r.up));
    // The column's own collation follows, written out.
    assert!(
        has(
            &r.up,
            "MODIFY COLUMN `name` varchar(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
        ),
        "{}",
        show(&r.up)
    );
}

#[test]
fn a_renamed_table_is_renamed_with_its_rows() {
    crate::require!(Db::MySql);
    let before = "CREATE TABLE accounts (id INT PRIMARY KEY, mail VARCHAR(50));";
    let after = "CREATE TABLE users ( -- migrate:renamed-from accounts
        id INT PRIMARY KEY,
        email VARCHAR(50) -- migrate:renamed-from mail
    );";
    let rows = "INSERT INTO accounts VALUES (1, 'a@example.com');";
    let r = roundtrip_with(MY, before, after, rows);
    assert_eq!(
        r.up.statements,
        [
            "RENAME TABLE `accounts` TO `users`",
            "ALTER TABLE `users` RENAME COLUMN `mail` TO `email`"
        ]
    );
    assert!(r.up.warnings.is_empty(), "{}", show(&r.up));
    assert_eq!(
        rows_after_upgrade(before, after, rows, "SELECT id, email FROM users"),
        [["1", "a@example.com"]]
    );
}

#[test]
fn a_table_dropped_is_a_warning() {
    crate::require!(Db::MySql);
    let r = roundtrip(MY, "CREATE TABLE old (id INT);", "");
    assert_eq!(r.up.statements, ["DROP TABLE `old`"]);
    assert!(
        warns(&r.up, "drops table old and all its rows"),
        "{}",
        show(&r.up)
    );
}

#[test]
fn migrate_own_tables_are_left_out() {
    crate::require!(Db::MySql);
    let own = "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
               CREATE TABLE alembic_version_log (id INT PRIMARY KEY);
               CREATE TABLE alembic_version_lock (lock_id INT PRIMARY KEY);";
    let r = roundtrip(MY, own, "CREATE TABLE t (id INT);");
    assert_eq!(r.up.statements.len(), 1, "{}", show(&r.up));
    assert!(!has(&r.up, "alembic") && !has(&r.down, "alembic"));
}

// ---- columns ----

#[test]
fn a_new_column_goes_where_the_schema_puts_it() {
    crate::require!(Db::MySql);
    let r = roundtrip(
        MY,
        "CREATE TABLE t (id INT, b INT);",
        "CREATE TABLE t (a0 INT, id INT, a INT NOT NULL DEFAULT 0, b INT, z INT);",
    );
    assert_eq!(
        r.up.statements,
        [
            "ALTER TABLE `t` ADD COLUMN `a0` int(11) NULL FIRST",
            "ALTER TABLE `t` ADD COLUMN `a` int(11) NOT NULL DEFAULT 0 AFTER `id`",
            "ALTER TABLE `t` ADD COLUMN `z` int(11) NULL AFTER `b`"
        ]
    );
    assert!(r.up.warnings.is_empty(), "{}", show(&r.up));
    assert_eq!(r.down.warnings.len(), 3, "{}", show(&r.down));
}

#[test]
fn columns_that_move_keep_their_rows() {
    crate::require!(Db::MySql);
    let before = "CREATE TABLE t (a INT, b VARCHAR(5), c INT);";
    let after = "CREATE TABLE t (c INT, a INT, b VARCHAR(5));";
    let rows = "INSERT INTO t VALUES (1, 'x', 3);";
    let r = roundtrip_with(MY, before, after, rows);
    assert!(
        has(&r.up, "MODIFY COLUMN `c` int(11) NULL FIRST"),
        "{}",
        show(&r.up)
    );
    assert!(r.up.warnings.is_empty(), "{}", show(&r.up));
    assert_eq!(
        rows_after_upgrade(before, after, rows, "SELECT * FROM t"),
        [["3", "1", "x"]]
    );
}

#[test]
fn a_dropped_column_is_a_warning() {
    crate::require!(Db::MySql);
    let r = roundtrip(
        MY,
        "CREATE TABLE t (id INT, gone TEXT);",
        "CREATE TABLE t (id INT);",
    );
    assert_eq!(r.up.statements, ["ALTER TABLE `t` DROP COLUMN `gone`"]);
    assert!(
        warns(&r.up, "drops column t.gone and its data"),
        "{}",
        show(&r.up)
    );
    assert!(has(&r.down, "ADD COLUMN `gone` text"), "{}", show(&r.down));
}

#[test]
fn type_nullability_default_comment_and_collation_changes_modify_the_column() {
    crate::require!(Db::MySql);
    let before = "CREATE TABLE t (
        id INT PRIMARY KEY,
        n INT,
        s VARCHAR(50) DEFAULT 'a',
        c VARCHAR(10) COLLATE utf8mb4_general_ci,
        m INT COMMENT 'old',
        ts TIMESTAMP NULL DEFAULT NULL
    );";
    let after = "CREATE TABLE t (
        id INT PRIMARY KEY,
        n BIGINT NOT NULL,
        s VARCHAR(10) DEFAULT 'b',
        c VARCHAR(10) COLLATE utf8mb4_bin,
        m INT COMMENT 'new',
        ts TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
    );";
    let rows =
        "INSERT INTO t (id, n, s, c, m, ts) VALUES (1, 5, 'abc', 'x', 1, '2020-01-01 00:00:00');";
    let r = roundtrip_with(MY, before, after, rows);
    assert!(
        warns(&r.up, "changes the type of t.n from int(11) to bigint(20)"),
        "{}",
        show(&r.up)
    );
    assert!(
        warns(
            &r.up,
            "changes the type of t.s from varchar(50) to varchar(10)"
        ),
        "{}",
        show(&r.up)
    );
    assert!(
        has(&r.up, "MODIFY COLUMN `ts` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp()"),
        "{}",
        show(&r.up)
    );
    assert!(!has(&r.up, "DROP COLUMN"), "{}", show(&r.up));
    assert_eq!(
        rows_after_upgrade(before, after, rows, "SELECT n, s, c, m FROM t"),
        [["5", "abc", "x", "1"]]
    );
}

#[test]
fn not_null_without_a_default_is_a_warning() {
    crate::require!(Db::MySql);
    let r = roundtrip(
        MY,
        "CREATE TABLE t (a INT);",
        "CREATE TABLE t (a INT NOT NULL);",
    );
    assert!(
        warns(&r.up, "makes t.a NOT NULL without a default"),
        "{}",
        show(&r.up)
    );
    assert!(r.down.warnings.is_empty(), "{}", show(&r.down));
}

#[test]
fn generated_columns_are_added_changed_and_dropped() {
    crate::require!(Db::MySql);
    let r = roundtrip(
        MY,
        "CREATE TABLE t (a INT, v INT AS (a + 1) VIRTUAL, s INT AS (a * 2) STORED, KEY s_a (s, a));",
        "CREATE TABLE t (a INT, v INT AS (a + 2) VIRTUAL, s INT AS (a * 2) VIRTUAL, w VARCHAR(20) AS (CONCAT('n', a)) STORED, KEY s_a (s, a));",
    );
    // Neither server MODIFYs a column from STORED to VIRTUAL: it is made
    // again, with the index over it.
    assert!(
        has(&r.up, "DROP INDEX `s_a`, DROP COLUMN `s`, ADD COLUMN `s` int(11) GENERATED ALWAYS AS (`a` * 2) VIRTUAL AFTER `v`, ADD KEY `s_a` (`s`, `a`)"),
        "{}",
        show(&r.up)
    );
    assert!(
        has(&r.up, "GENERATED ALWAYS AS (`a` + 2) VIRTUAL"),
        "{}",
        show(&r.up)
    );
    // A generated column's type is not what changes: no type warning.
    assert!(!warns(&r.up, "changes the type"), "{}", show(&r.up));
}

#[test]
fn auto_increment_and_invisible_are_compared() {
    crate::require!(Db::MySql);
    roundtrip(
        MY,
        "CREATE TABLE t (id INT NOT NULL PRIMARY KEY, h INT);",
        "CREATE TABLE t (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, h INT INVISIBLE);",
    );
}

// ---- primary keys, unique keys, indexes ----

#[test]
fn an_auto_increment_primary_key_is_added_with_its_column() {
    crate::require!(Db::MySql);
    let r = roundtrip_with(
        MY,
        "CREATE TABLE t (name VARCHAR(10));",
        "CREATE TABLE t (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, name VARCHAR(10));",
        "INSERT INTO t VALUES ('a'), ('b');",
    );
    assert_eq!(
        r.up.statements,
        ["ALTER TABLE `t` ADD COLUMN `id` int(11) NOT NULL AUTO_INCREMENT FIRST, ADD PRIMARY KEY (`id`)"]
    );
    assert!(
        has(
            &r.down,
            "MODIFY COLUMN `id` int(11) NOT NULL, DROP PRIMARY KEY"
        ),
        "{}",
        show(&r.down)
    );
}

#[test]
fn a_primary_key_with_an_auto_increment_column_changes_in_one_statement() {
    crate::require!(Db::MySql);
    let r = roundtrip_with(
        MY,
        "CREATE TABLE t (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, tenant INT NOT NULL);",
        "CREATE TABLE t (id INT NOT NULL AUTO_INCREMENT, tenant INT NOT NULL, PRIMARY KEY (id, tenant));",
        "INSERT INTO t (tenant) VALUES (1), (2);",
    );
    assert_eq!(
        r.up.statements,
        ["ALTER TABLE `t` DROP PRIMARY KEY, ADD PRIMARY KEY (`id`, `tenant`)"]
    );
}

#[test]
fn a_primary_key_is_added_and_dropped() {
    crate::require!(Db::MySql);
    let r = roundtrip(
        MY,
        "CREATE TABLE t (a INT NOT NULL, b INT NOT NULL);",
        "CREATE TABLE t (a INT NOT NULL, b INT NOT NULL, PRIMARY KEY (a, b));",
    );
    assert_eq!(
        r.up.statements,
        ["ALTER TABLE `t` ADD PRIMARY KEY (`a`, `b`)"]
    );
    assert!(
        warns(&r.up, "adds a primary key on t (a, b)"),
        "{}",
        show(&r.up)
    );
    assert_eq!(r.down.statements, ["ALTER TABLE `t` DROP PRIMARY KEY"]);
}

#[test]
fn indexes_of_every_kind_are_created_and_dropped() {
    crate::require!(Db::MySql);
    let r = roundtrip(
        MY,
        "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(100), body TEXT, b BLOB, d DATE, g POINT NOT NULL) ENGINE=InnoDB;",
        "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(100), body TEXT, b BLOB, d DATE, g POINT NOT NULL,
            KEY prefix (name(10)),
            KEY mixed (d DESC, name) COMMENT 'recent first',
            UNIQUE KEY long_unique (b),
            FULLTEXT KEY words (body),
            SPATIAL KEY place (g),
            KEY ignored_one (d) IGNORED
        ) ENGINE=InnoDB;",
    );
    for clause in [
        "ADD KEY `prefix` (`name`(10))",
        "ADD KEY `mixed` (`d` DESC, `name`) COMMENT 'recent first'",
        "ADD UNIQUE KEY `long_unique` (`b`) USING HASH",
        "ADD FULLTEXT KEY `words` (`body`)",
        "ADD SPATIAL KEY `place` (`g`)",
        "ADD KEY `ignored_one` (`d`) IGNORED",
    ] {
        assert!(has(&r.up, clause), "{clause}\n{}", show(&r.up));
    }
    assert!(
        warns(&r.up, "adds the unique index long_unique on t"),
        "{}",
        show(&r.up)
    );
}

#[test]
fn an_index_over_a_dropped_column_is_made_again_around_it() {
    crate::require!(Db::MySql);
    let r = roundtrip(
        MY,
        "CREATE TABLE t (a INT, b INT, KEY i (a, b));",
        "CREATE TABLE t (a INT, c INT, KEY i (a, c));",
    );
    assert_eq!(
        r.up.statements,
        [
            "ALTER TABLE `t` DROP INDEX `i`",
            "ALTER TABLE `t` DROP COLUMN `b`",
            "ALTER TABLE `t` ADD COLUMN `c` int(11) NULL AFTER `a`",
            "ALTER TABLE `t` ADD KEY `i` (`a`, `c`)"
        ]
    );
}

#[test]
fn a_memory_table_keeps_its_btree_index() {
    crate::require!(Db::MySql);
    roundtrip(
        MY,
        "CREATE TABLE m (a INT, KEY h (a)) ENGINE=MEMORY;",
        "CREATE TABLE m (a INT, KEY h (a) USING BTREE) ENGINE=MEMORY;",
    );
}

// ---- checks ----

#[test]
fn table_checks_are_added_changed_and_dropped() {
    crate::require!(Db::MySql);
    let r = roundtrip(
        MY,
        "CREATE TABLE t (a INT, b INT, CONSTRAINT a_pos CHECK (a > 0), CONSTRAINT gone CHECK (b < 10));",
        "CREATE TABLE t (a INT, b INT, CONSTRAINT a_pos CHECK (a >= 0), CONSTRAINT b_new CHECK (b <> a));",
    );
    assert!(has(&r.up, "DROP CONSTRAINT `a_pos`"), "{}", show(&r.up));
    assert!(
        has(&r.up, "ADD CONSTRAINT `a_pos` CHECK (`a` >= 0)"),
        "{}",
        show(&r.up)
    );
    assert!(
        warns(&r.up, "adds the check CHECK (`b` <> `a`) on t"),
        "{}",
        show(&r.up)
    );
}

#[test]
fn a_column_check_goes_with_a_modify_of_its_column() {
    crate::require!(Db::MySql);
    // MariaDB names a column's check after the column and drops it only with
    // a MODIFY of the column; a MODIFY for another reason keeps it.
    let r = roundtrip(
        MY,
        "CREATE TABLE t (a INT CHECK (a > 0), b INT CHECK (b > 0), doc JSON);",
        "CREATE TABLE t (a INT, b BIGINT CHECK (b > 0), doc JSON NOT NULL);",
    );
    assert!(
        has(&r.up, "MODIFY COLUMN `a` int(11) NULL"),
        "{}",
        show(&r.up)
    );
    assert!(
        has(&r.up, "MODIFY COLUMN `b` bigint(20) NULL CHECK (`b` > 0)"),
        "{}",
        show(&r.up)
    );
    assert!(
        has(&r.up, "MODIFY COLUMN `doc` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL CHECK (json_valid(`doc`))"),
        "{}",
        show(&r.up)
    );
}

// ---- foreign keys ----

#[test]
fn tables_referencing_each_other_are_created_and_dropped_together() {
    crate::require!(Db::MySql);
    let r = roundtrip(
        MY,
        "",
        "SET FOREIGN_KEY_CHECKS = 0;
         CREATE TABLE a_child (id INT PRIMARY KEY, parent_id INT, CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES z_parent (id) ON DELETE CASCADE);
         CREATE TABLE z_parent (id INT PRIMARY KEY, first_child INT, CONSTRAINT parent_child FOREIGN KEY (first_child) REFERENCES a_child (id) ON DELETE SET NULL);",
    );
    assert!(has(&r.up, "SET FOREIGN_KEY_CHECKS = 0"), "{}", show(&r.up));
    assert!(
        has(&r.down, "SET FOREIGN_KEY_CHECKS = 0"),
        "{}",
        show(&r.down)
    );
}

#[test]
fn foreign_keys_are_added_changed_and_dropped() {
    crate::require!(Db::MySql);
    let before = "CREATE TABLE p (id INT PRIMARY KEY);
                  CREATE TABLE c (id INT PRIMARY KEY, p_id INT, q_id INT, CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p (id));";
    let after = "CREATE TABLE p (id INT PRIMARY KEY);
                 CREATE TABLE c (id INT PRIMARY KEY, p_id INT, q_id INT,
                    CONSTRAINT c_p FOREIGN KEY (p_id) REFERENCES p (id) ON DELETE CASCADE ON UPDATE SET NULL,
                    CONSTRAINT c_q FOREIGN KEY (q_id) REFERENCES p (id));";
    let r = roundtrip_with(
        MY,
        before,
        after,
        "INSERT INTO p VALUES (1); INSERT INTO c VALUES (1, 1, 1);",
    );
    assert!(has(&r.up, "DROP FOREIGN KEY `c_p`"), "{}", show(&r.up));
    assert!(
        has(&r.up, "ADD CONSTRAINT `c_p` FOREIGN KEY (`p_id`) REFERENCES `p` (`id`) ON DELETE CASCADE ON UPDATE SET NULL"),
        "{}",
        show(&r.up)
    );
    // The index the server made for the new foreign key is created before it.
    let index =
        r.up.statements
            .iter()
            .position(|s| s.contains("ADD KEY `c_q`"));
    let fk =
        r.up.statements
            .iter()
            .position(|s| s.contains("ADD CONSTRAINT `c_q`"));
    assert!(index.is_some() && index < fk, "{}", show(&r.up));
}

#[test]
fn a_renamed_table_changes_its_foreign_key_by_its_old_name_first() {
    crate::require!(Db::MySql);
    roundtrip(
        MY,
        "CREATE TABLE p (id INT PRIMARY KEY);
         CREATE TABLE orders (id INT PRIMARY KEY, p_id INT, CONSTRAINT o_p FOREIGN KEY (p_id) REFERENCES p (id));",
        "CREATE TABLE p (id INT PRIMARY KEY);
         CREATE TABLE purchases ( -- migrate:renamed-from orders
            id INT PRIMARY KEY, p_id INT, CONSTRAINT o_p FOREIGN KEY (p_id) REFERENCES p (id) ON DELETE CASCADE);",
    );
}

#[test]
fn a_parent_table_dropped_with_its_child_goes_in_any_order() {
    crate::require!(Db::MySql);
    let r = roundtrip(
        MY,
        "CREATE TABLE a_parent (id INT PRIMARY KEY);
         CREATE TABLE b_child (id INT PRIMARY KEY, p INT, FOREIGN KEY (p) REFERENCES a_parent (id));",
        "",
    );
    assert_eq!(r.up.warnings.len(), 2, "{}", show(&r.up));
    assert_eq!(
        r.up.statements,
        [
            "SET FOREIGN_KEY_CHECKS = 0",
            "DROP TABLE `a_parent`",
            "SET FOREIGN_KEY_CHECKS = 1",
            "DROP TABLE `b_child`"
        ]
    );
}

// ---- views ----

#[test]
fn views_are_created_changed_and_dropped_in_dependency_order() {
    crate::require!(Db::MySql);
    let r = roundtrip(
        MY,
        "CREATE TABLE t (a INT, b INT);
         CREATE VIEW v AS SELECT a FROM t;
         CREATE VIEW gone AS SELECT 1 AS one;",
        "CREATE TABLE t (a INT, b INT);
         CREATE VIEW v AS SELECT a, b FROM t WHERE a > 0;
         CREATE VIEW a_top AS SELECT a FROM v;",
    );
    assert!(has(&r.up, "DROP VIEW `v`"), "{}", show(&r.up));
    let v =
        r.up.statements
            .iter()
            .position(|s| s.contains("VIEW `v` AS"));
    let top =
        r.up.statements
            .iter()
            .position(|s| s.contains("VIEW `a_top` AS"));
    assert!(v.is_some() && v < top, "{}", show(&r.up));
    // The definition is the server's, without the database's name.
    assert!(
        has(
            &r.up,
            "AS select `t`.`a` AS `a`,`t`.`b` AS `b` from `t` where `t`.`a` > 0"
        ),
        "{}",
        show(&r.up)
    );
}

#[test]
fn view_security_algorithm_and_check_option_are_compared() {
    crate::require!(Db::MySql);
    let r = roundtrip(
        MY,
        "CREATE TABLE t (a INT);
         CREATE VIEW v AS SELECT a FROM t;",
        "CREATE TABLE t (a INT);
         CREATE ALGORITHM=MERGE SQL SECURITY INVOKER VIEW v AS SELECT a FROM t WHERE a > 0 WITH CASCADED CHECK OPTION;",
    );
    assert!(
        has(
            &r.up,
            "CREATE ALGORITHM=MERGE SQL SECURITY INVOKER VIEW `v` AS"
        ),
        "{}",
        show(&r.up)
    );
    assert!(has(&r.up, "WITH CASCADED CHECK OPTION"), "{}", show(&r.up));
}

#[test]
fn views_reading_a_table_whose_columns_change_are_made_again_around_it() {
    crate::require!(Db::MySql);
    let r = roundtrip_with(
        MY,
        "CREATE TABLE t (id INT, name VARCHAR(10));
         CREATE VIEW names AS SELECT name FROM t;
         CREATE VIEW upper_names AS SELECT UPPER(name) AS n FROM names;",
        "CREATE TABLE t (
            id INT,
            full_name VARCHAR(20) -- migrate:renamed-from name
         );
         CREATE VIEW names AS SELECT full_name FROM t;
         CREATE VIEW upper_names AS SELECT UPPER(full_name) AS n FROM names;",
        "INSERT INTO t VALUES (1, 'ann');",
    );
    let at = |text: &str| {
        r.up.statements
            .iter()
            .position(|s| s.contains(text))
            .unwrap_or_else(|| panic!("{text}\n{}", show(&r.up)))
    };
    assert!(at("DROP VIEW `upper_names`") < at("DROP VIEW `names`"));
    assert!(at("DROP VIEW `names`") < at("RENAME COLUMN `name` TO `full_name`"));
    assert!(at("RENAME COLUMN") < at("VIEW `names` AS"));
    assert!(at("VIEW `names` AS") < at("VIEW `upper_names` AS"));
}

#[test]
fn a_view_over_a_renamed_table_is_made_again() {
    crate::require!(Db::MySql);
    roundtrip(
        MY,
        "CREATE TABLE a (id INT); CREATE VIEW v AS SELECT id FROM a;",
        "CREATE TABLE b (id INT); -- migrate:renamed-from a
         CREATE VIEW v AS SELECT id FROM b;",
    );
}

// ---- routines ----

#[test]
fn functions_and_procedures_are_created_replaced_and_dropped() {
    crate::require!(Db::MySql);
    let r = roundtrip(
        MY,
        "CREATE FUNCTION add_one(x INT) RETURNS INT DETERMINISTIC RETURN x + 1;
         CREATE PROCEDURE gone() SELECT 1;
         CREATE FUNCTION same_name() RETURNS INT RETURN 1;",
        "CREATE FUNCTION add_one(x INT) RETURNS INT DETERMINISTIC COMMENT 'adds' RETURN x + 2;
         CREATE PROCEDURE fill(IN n INT, OUT total INT)
         SQL SECURITY INVOKER
         BEGIN
           DECLARE i INT DEFAULT 0;
           SET total = 0;
           WHILE i < n DO
             SET i = i + 1;
             SET total = total + i;
           END WHILE;
         END;
         CREATE FUNCTION same_name() RETURNS INT RETURN 1;
         CREATE PROCEDURE same_name() SELECT 2;",
    );
    assert!(has(&r.up, "DROP FUNCTION `add_one`"), "{}", show(&r.up));
    assert!(has(&r.up, "DROP PROCEDURE `gone`"), "{}", show(&r.up));
    assert!(
        has(&r.up, "CREATE PROCEDURE `same_name`()"),
        "{}",
        show(&r.up)
    );
    // No DEFINER: it is not compared, and the user may not exist elsewhere.
    assert!(!has(&r.up, "DEFINER"), "{}", show(&r.up));
}

// ---- triggers ----

#[test]
fn triggers_are_created_changed_and_dropped() {
    crate::require!(Db::MySql);
    let r = roundtrip(
        MY,
        "CREATE TABLE t (a INT, b INT);
         CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW SET NEW.b = NEW.a;
         CREATE TRIGGER gone AFTER DELETE ON t FOR EACH ROW SET @x = 1;",
        "CREATE TABLE t (a INT, b INT);
         CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW
         BEGIN
           IF NEW.a IS NULL THEN
             SET NEW.a = 0;
           END IF;
           SET NEW.b = NEW.a * 2;
         END;
         CREATE TRIGGER t_bu BEFORE UPDATE ON t FOR EACH ROW SET NEW.b = NEW.a;",
    );
    assert!(has(&r.up, "DROP TRIGGER `t_bi`"), "{}", show(&r.up));
    assert!(
        has(
            &r.up,
            "CREATE TRIGGER `t_bi` BEFORE INSERT ON `t` FOR EACH ROW BEGIN"
        ),
        "{}",
        show(&r.up)
    );
    assert!(!has(&r.up, "DEFINER"), "{}", show(&r.up));
}

#[test]
fn a_trigger_follows_its_renamed_table() {
    crate::require!(Db::MySql);
    roundtrip(
        MY,
        "CREATE TABLE a (x INT); CREATE TRIGGER trg BEFORE INSERT ON a FOR EACH ROW SET NEW.x = 1;",
        "CREATE TABLE b (x INT); -- migrate:renamed-from a
         CREATE TRIGGER trg BEFORE INSERT ON b FOR EACH ROW SET NEW.x = 1;",
    );
}

// ---- events ----

#[test]
fn events_are_created_changed_and_dropped() {
    crate::require!(Db::MySql);
    let r = roundtrip(
        MY,
        "CREATE TABLE t (a INT);
         CREATE EVENT cleanup ON SCHEDULE EVERY 1 HOUR DO DELETE FROM t WHERE a < 0;
         CREATE EVENT gone ON SCHEDULE AT '2035-01-01 00:00:00' DO DELETE FROM t;",
        "CREATE TABLE t (a INT);
         CREATE EVENT cleanup ON SCHEDULE EVERY '1:30' HOUR_MINUTE STARTS '2030-01-01 00:00:00'
           ON COMPLETION PRESERVE DISABLE COMMENT 'tidy'
           DO BEGIN DELETE FROM t WHERE a < 0; DELETE FROM t WHERE a > 100; END;
         CREATE EVENT later ON SCHEDULE AT '2035-06-01 00:00:00' ON COMPLETION PRESERVE DO DELETE FROM t;",
    );
    assert!(has(&r.up, "DROP EVENT `cleanup`"), "{}", show(&r.up));
    assert!(
        has(&r.up, "CREATE EVENT `cleanup` ON SCHEDULE EVERY '1:30' HOUR_MINUTE STARTS '2030-01-01 00:00:00' ON COMPLETION PRESERVE DISABLE COMMENT 'tidy' DO BEGIN"),
        "{}",
        show(&r.up)
    );
}

#[test]
fn an_event_without_starts_is_the_same_event_created_later() {
    crate::require!(Db::MySql);
    // Its STARTS is the instant it was created: no part of the schema.
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (TestDb::new(MY, dir.path()), TestDb::new(MY, dir.path()));
    let sql = "CREATE EVENT tick ON SCHEDULE EVERY 1 DAY DO SET @x = 1;";
    apply(&a, sql);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    apply(&b, sql);
    let (ca, cb) = (catalog(&a), catalog(&b));
    assert_eq!(ca, cb);
    assert_eq!(ca.events.len(), 1);
}

// ---- sequences (MariaDB) ----

#[test]
fn sequences_are_created_altered_and_dropped() {
    crate::require!(Db::MySql);
    let r = roundtrip(
        MY,
        "CREATE SEQUENCE s START WITH 10 INCREMENT BY 5;
         CREATE SEQUENCE gone;",
        "CREATE SEQUENCE s START WITH 100 INCREMENT BY 1 MINVALUE 1 MAXVALUE 1000000 CACHE 10 CYCLE;
         CREATE SEQUENCE ids;
         CREATE TABLE t (id BIGINT NOT NULL DEFAULT nextval(ids) PRIMARY KEY);",
    );
    assert!(has(&r.up, "ALTER SEQUENCE `s`"), "{}", show(&r.up));
    let seq =
        r.up.statements
            .iter()
            .position(|s| s.contains("CREATE SEQUENCE `ids`"));
    let table =
        r.up.statements
            .iter()
            .position(|s| s.contains("CREATE TABLE `t`"));
    assert!(seq.is_some() && seq < table, "{}", show(&r.up));
    // The default names the sequence without the database.
    assert!(has(&r.up, "DEFAULT nextval(`ids`)"), "{}", show(&r.up));
    assert!(warns(&r.up, "drops sequence gone"), "{}", show(&r.up));
}

// ---- scratch databases ----

fn objects_of_every_kind() -> &'static str {
    "CREATE TABLE parent (id INT PRIMARY KEY, child_id INT);
     CREATE TABLE child (id INT PRIMARY KEY, parent_id INT, CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES parent (id));
     ALTER TABLE parent ADD CONSTRAINT parent_child FOREIGN KEY (child_id) REFERENCES child (id);
     CREATE VIEW parents AS SELECT id FROM parent;
     CREATE VIEW parents_too AS SELECT id FROM parents;
     CREATE SEQUENCE seq;
     CREATE FUNCTION f() RETURNS INT RETURN 1;
     CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END;
     CREATE TRIGGER trg BEFORE INSERT ON child FOR EACH ROW SET NEW.parent_id = NEW.parent_id;
     CREATE EVENT ev ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 03:00:00' DO DELETE FROM child;"
}

#[test]
fn a_scratch_database_takes_the_character_set_of_the_database_connected_to() {
    crate::require!(Db::MySql);
    let dir = tempfile::tempdir().unwrap();
    let home = TestDb::new(MY, dir.path());
    home.exec(&format!(
        "ALTER DATABASE `{}` CHARACTER SET latin1 COLLATE latin1_bin",
        home.name
    ));
    let scratch = format!("{}_scratch", home.name);
    let mut conn = connect(&home);
    conn.create_database(&scratch).unwrap();
    let rows = home.query(&format!(
        "SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{scratch}'"
    ));
    conn.drop_database(&scratch).unwrap();
    assert_eq!(rows, [["latin1_bin"]]);
    // Dropping what is gone already is no error (a second clean-up).
    conn.drop_database(&scratch).unwrap();
}

#[test]
fn a_scratch_database_is_dropped_while_another_connection_holds_it() {
    crate::require!(Db::MySql);
    use mysql::prelude::Queryable;
    let dir = tempfile::tempdir().unwrap();
    let home = TestDb::new(MY, dir.path());
    let scratch = format!("{}_held", home.name);
    let mut conn = connect(&home);
    conn.create_database(&scratch).unwrap();
    let url = home.url.replace(&home.name, &scratch);
    let mut other = mysql::Conn::new(mysql::Opts::from_url(&url).unwrap()).unwrap();
    // An open transaction on one of its tables: DROP DATABASE would wait for it.
    other
        .query_drop("CREATE TABLE t (a INT); START TRANSACTION; INSERT INTO t VALUES (1)")
        .unwrap();
    conn.execute("SET SESSION lock_wait_timeout = 10").unwrap();
    let started = std::time::Instant::now();
    conn.drop_database(&scratch).unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let left = home.query(&format!(
        "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{scratch}'"
    ));
    assert_eq!(left, [["0"]]);
    assert!(other.query_drop("SELECT 1").is_err());
}

#[test]
fn emptying_a_database_drops_every_object_in_it() {
    crate::require!(Db::MySql);
    let dir = tempfile::tempdir().unwrap();
    let dev = TestDb::new(MY, dir.path());
    apply(&dev, objects_of_every_kind());
    apply(
        &dev,
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);",
    );
    let before = catalog(&dev);
    assert_eq!(
        (
            before.tables.len(),
            before.views.len(),
            before.sequences.len(),
            before.routines.len(),
            before.triggers.len(),
            before.events.len()
        ),
        (2, 2, 1, 2, 1, 1)
    );
    let mut conn = connect(&dev);
    conn.empty_database().unwrap();
    assert!(catalog(&dev).is_empty(), "{:?}", catalog(&dev));
    assert!(dev.tables().is_empty(), "{:?}", dev.tables());
    // The session checks foreign keys again.
    let checks = conn.query_rows("SELECT @@FOREIGN_KEY_CHECKS", &[]).unwrap();
    assert_eq!(checks, [[Some("1".to_string())]]);
    // And it can be filled again.
    apply(&dev, objects_of_every_kind());
}

// ---- what a dump creates ----

#[test]
fn a_mariadb_dump_loads_through_the_splitter_into_the_same_schema() {
    crate::require!(Db::MySql);
    let dir = tempfile::tempdir().unwrap();
    let source = TestDb::new(MY, dir.path());
    let copy = TestDb::new(MY, dir.path());
    apply(&source, objects_of_every_kind());
    apply(
        &source,
        "CREATE TABLE typed (
            id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
            code VARCHAR(20) CHARACTER SET latin1 NOT NULL DEFAULT 'x' COMMENT 'c',
            doc JSON,
            ts TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
            g VARCHAR(30) AS (CONCAT(code, 1)) STORED,
            CHECK (code <> 'bad'),
            KEY code_prefix (code(5)),
            FULLTEXT KEY words (code)
         ) ENGINE=InnoDB COMMENT='typed';
         CREATE TRIGGER typed_bu BEFORE UPDATE ON typed FOR EACH ROW
         BEGIN
           IF NEW.code = '' THEN SET NEW.code = 'x'; END IF;
         END;",
    );
    let url = migrate::url::parse(&source.url).unwrap();
    let mut cmd = std::process::Command::new("mariadb-dump");
    cmd.args(["--no-data", "--routines", "--triggers", "--events"])
        .arg(format!(
            "--host={}",
            url.host.as_deref().unwrap_or("127.0.0.1")
        ))
        .arg(format!("--port={}", url.port.unwrap_or(3306)))
        .arg(format!("--user={}", url.user.as_deref().unwrap_or("root")));
    if let Some(p) = &url.password {
        cmd.arg(format!("--password={p}"));
    }
    let out = cmd.arg(&source.name).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dump = String::from_utf8(out.stdout).unwrap();
    apply(&copy, &dump);
    let (a, b) = (catalog(&source), catalog(&copy));
    let m = migration(MY, &a, &b, &Default::default());
    assert!(m.is_empty(), "{}\n--- dump\n{dump}", script(&m));
    assert_eq!(a, b);
}

#[test]
fn an_index_a_foreign_key_needs_is_redefined_in_one_statement() {
    crate::require!(Db::MySql);
    // Dropped alone, the server refuses: the foreign key needs an index.
    let r = roundtrip(
        MY,
        "CREATE TABLE p (id INT PRIMARY KEY);
         CREATE TABLE c (a INT, b INT, KEY i (a), CONSTRAINT c_p FOREIGN KEY (a) REFERENCES p (id));",
        "CREATE TABLE p (id INT PRIMARY KEY);
         CREATE TABLE c (a INT, b INT, KEY i (a, b), CONSTRAINT c_p FOREIGN KEY (a) REFERENCES p (id));",
    );
    assert_eq!(
        r.up.statements,
        ["ALTER TABLE `c` DROP INDEX `i`, ADD KEY `i` (`a`, `b`)"]
    );
}

#[test]
fn an_index_renamed_keeps_its_definition() {
    crate::require!(Db::MySql);
    let r = roundtrip(
        MY,
        "CREATE TABLE p (id INT PRIMARY KEY);
         CREATE TABLE c (a INT, b INT, KEY old_name (a, b), CONSTRAINT c_p FOREIGN KEY (a) REFERENCES p (id));",
        "CREATE TABLE p (id INT PRIMARY KEY);
         CREATE TABLE c (a INT, b INT, KEY new_name (a, b), CONSTRAINT c_p FOREIGN KEY (a) REFERENCES p (id));",
    );
    assert_eq!(
        r.up.statements,
        ["ALTER TABLE `c` RENAME INDEX `old_name` TO `new_name`"]
    );
}

#[test]
fn a_renamed_column_keeps_its_rows_index_and_foreign_key() {
    crate::require!(Db::MySql);
    let before = "CREATE TABLE p (id INT PRIMARY KEY);
                  CREATE TABLE c (
                    id INT PRIMARY KEY,
                    pid INT,
                    UNIQUE KEY c_pid (pid),
                    CONSTRAINT c_p FOREIGN KEY (pid) REFERENCES p (id)
                  );";
    let after = "CREATE TABLE p (id INT PRIMARY KEY);
                 CREATE TABLE c (
                    id INT PRIMARY KEY,
                    parent_id INT, -- migrate:renamed-from pid
                    UNIQUE KEY c_pid (parent_id),
                    CONSTRAINT c_p FOREIGN KEY (parent_id) REFERENCES p (id)
                 );";
    let rows = "INSERT INTO p VALUES (1); INSERT INTO c VALUES (10, 1);";
    let r = roundtrip_with(MY, before, after, rows);
    assert!(
        has(&r.up, "RENAME COLUMN `pid` TO `parent_id`"),
        "{}",
        show(&r.up)
    );
    assert!(!has(&r.up, "DROP COLUMN"), "{}", show(&r.up));
    assert_eq!(
        rows_after_upgrade(before, after, rows, "SELECT id, parent_id FROM c"),
        [["10", "1"]]
    );
}

#[test]
fn the_type_of_columns_a_foreign_key_joins_changes_on_both_sides() {
    crate::require!(Db::MySql);
    let r = roundtrip_with(
        MY,
        "CREATE TABLE p (id INT NOT NULL PRIMARY KEY);
         CREATE TABLE c (id INT PRIMARY KEY, pid INT, CONSTRAINT c_p FOREIGN KEY (pid) REFERENCES p (id));",
        "CREATE TABLE p (id BIGINT NOT NULL PRIMARY KEY);
         CREATE TABLE c (id INT PRIMARY KEY, pid BIGINT, CONSTRAINT c_p FOREIGN KEY (pid) REFERENCES p (id));",
        "INSERT INTO p VALUES (1); INSERT INTO c VALUES (1, 1);",
    );
    assert!(warns(&r.up, "changes the type of p.id"), "{}", show(&r.up));
    // Neither server changes a column's type under a foreign key.
    assert_eq!(
        r.up.statements,
        [
            "ALTER TABLE `c` DROP FOREIGN KEY `c_p`",
            "ALTER TABLE `c` MODIFY COLUMN `pid` bigint(20) NULL",
            "ALTER TABLE `p` MODIFY COLUMN `id` bigint(20) NOT NULL",
            "ALTER TABLE `c` ADD CONSTRAINT `c_p` FOREIGN KEY (`pid`) REFERENCES `p` (`id`) ON DELETE RESTRICT ON UPDATE RESTRICT"
        ]
    );
}

#[test]
fn a_column_with_its_own_check_is_renamed() {
    crate::require!(Db::MySql);
    let before = "CREATE TABLE t (
        id INT,
        a INT CHECK (a > 0)
    );";
    let after = "CREATE TABLE t (
        id INT,
        b INT CHECK (b > 0) -- migrate:renamed-from a
    );";
    let rows = "INSERT INTO t VALUES (1, 5);";
    roundtrip_with(MY, before, after, rows);
    assert_eq!(
        rows_after_upgrade(before, after, rows, "SELECT id, b FROM t"),
        [["1", "5"]]
    );
}

#[test]
fn tables_renamed_with_their_unnamed_foreign_keys() {
    crate::require!(Db::MySql);
    let r = roundtrip_with(
        MY,
        "CREATE TABLE parent (id INT PRIMARY KEY);
         CREATE TABLE child (id INT PRIMARY KEY, p INT, FOREIGN KEY (p) REFERENCES parent (id));",
        "CREATE TABLE mother (id INT PRIMARY KEY); -- migrate:renamed-from parent
         CREATE TABLE kid (id INT PRIMARY KEY, p INT, FOREIGN KEY (p) REFERENCES mother (id)); -- migrate:renamed-from child",
        "INSERT INTO parent VALUES (1); INSERT INTO child VALUES (1, 1);",
    );
    assert!(
        has(&r.up, "RENAME TABLE `child` TO `kid`"),
        "{}",
        show(&r.up)
    );
    assert!(
        has(&r.up, "RENAME TABLE `parent` TO `mother`"),
        "{}",
        show(&r.up)
    );
    assert!(r.up.warnings.is_empty(), "{}", show(&r.up));
}

#[test]
fn a_not_null_column_added_without_a_default_is_a_warning() {
    crate::require!(Db::MySql);
    let r = roundtrip(
        MY,
        "CREATE TABLE t (a INT);",
        "CREATE TABLE t (a INT, b INT NOT NULL);",
    );
    assert!(
        warns(&r.up, "adds NOT NULL column t.b without a default"),
        "{}",
        show(&r.up)
    );
}

#[test]
fn an_unnamed_foreign_key_changed_keeps_the_index_the_server_made_for_it() {
    crate::require!(Db::MySql);
    // Added again, the key would take the place of the index MariaDB made
    // for it before, under the key's name: the index is made again with it.
    let r = roundtrip(
        MY,
        "CREATE TABLE p (id INT PRIMARY KEY);
         CREATE TABLE c (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES p (id));",
        "CREATE TABLE p (id INT PRIMARY KEY);
         CREATE TABLE c (id INT PRIMARY KEY, pid INT, FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE);",
    );
    assert_eq!(
        r.up.statements,
        [
            "ALTER TABLE `c` DROP FOREIGN KEY `c_ibfk_1`",
            "ALTER TABLE `c` DROP INDEX `pid`, ADD KEY `pid` (`pid`), ADD CONSTRAINT `c_ibfk_1` FOREIGN KEY (`pid`) REFERENCES `p` (`id`) ON DELETE CASCADE ON UPDATE RESTRICT"
        ]
    );
}

#[test]
fn quotes_and_backslashes_survive_in_every_kind_of_text() {
    crate::require!(Db::MySql);
    roundtrip(
        MY,
        "",
        r"CREATE TABLE `we``ird` (
            `a b` VARCHAR(20) DEFAULT 'it''s \\ here' COMMENT 'the ''a'' \\ column',
            s VARCHAR(20) AS (CONCAT(`a b`, '\'')) VIRTUAL,
            CONSTRAINT `no 'quotes'` CHECK (`a b` <> 'don''t'),
            KEY `k``1` (`a b`) COMMENT 'key''s \\'
         ) COMMENT 'table''s \\ comment';
         CREATE VIEW `v'1` AS SELECT `a b` AS `x'y` FROM `we``ird` WHERE `a b` <> 'it''s';
         CREATE TRIGGER `t'r` BEFORE INSERT ON `we``ird` FOR EACH ROW SET NEW.`a b` = REPLACE(NEW.`a b`, '\\', '/');
         CREATE EVENT `e'v` ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' COMMENT 'ev''s \\' DO DELETE FROM `we``ird` WHERE `a b` = 'x''y\\z';",
    );
}

#[test]
fn a_comment_removed_from_a_table_and_a_column() {
    crate::require!(Db::MySql);
    let r = roundtrip(
        MY,
        "CREATE TABLE t (a INT COMMENT 'the a') COMMENT 'the t';",
        "CREATE TABLE t (a INT);",
    );
    assert!(
        has(&r.up, "ALTER TABLE `t` COMMENT = ''"),
        "{}",
        show(&r.up)
    );
}
