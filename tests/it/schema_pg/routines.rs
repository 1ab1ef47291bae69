//! Functions, procedures and triggers.

use super::*;

const FN_V1: &str =
    "CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql AS $$ SELECT a + b $$;";

#[test]
fn functions_and_procedures_created_and_dropped() {
    crate::require!(Db::Postgres);
    let r = roundtrip(
        PG,
        "",
        &format!(
            "SET check_function_bodies = false;
             {FN_V1}
             CREATE PROCEDURE note(msg text) LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE '%', msg; END $$;
             COMMENT ON FUNCTION add(int, int) IS 'sums';
             CREATE FUNCTION count_t() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM later $$;
             CREATE TABLE later (id int);"
        ),
    );
    let s = &r.up.statements;
    assert_has(
        s,
        "CREATE OR REPLACE FUNCTION public.add(a integer, b integer)",
    );
    assert_has(
        s,
        "COMMENT ON FUNCTION public.add(integer, integer) IS 'sums'",
    );
    // Bodies are not checked while routines are made (one reads a table made after it).
    let off = s
        .iter()
        .position(|x| x == "SET check_function_bodies = false")
        .unwrap();
    let reset = s
        .iter()
        .position(|x| x == "RESET check_function_bodies")
        .unwrap();
    assert!(off < reset);
    assert_has(&r.down.statements, "DROP PROCEDURE public.note(text)");
}

#[test]
fn function_body_replaced_in_place() {
    crate::require!(Db::Postgres);
    let r = roundtrip(
        PG,
        FN_V1,
        "CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql AS $$ SELECT a + b + 0 $$;",
    );
    assert_lacks(&r.up.statements, "DROP FUNCTION");
    assert_has(&r.up.statements, "CREATE OR REPLACE FUNCTION public.add");
}

#[test]
fn function_result_or_argument_names_changed_is_dropped_and_made_again() {
    crate::require!(Db::Postgres);
    let r = roundtrip(
        PG,
        FN_V1,
        "CREATE FUNCTION add(x int, y int) RETURNS bigint LANGUAGE sql AS $$ SELECT (x + y)::bigint $$;",
    );
    assert_eq!(
        r.up.statements[0],
        "DROP FUNCTION public.add(integer, integer)"
    );
    // Overloads are told apart by their arguments.
    roundtrip(
        PG,
        FN_V1,
        &format!("{FN_V1} CREATE FUNCTION add(a text, b text) RETURNS text LANGUAGE sql AS $$ SELECT a || b $$;"),
    );
}

#[test]
fn triggers_created_changed_and_dropped() {
    crate::require!(Db::Postgres);
    let base = "CREATE TABLE t (id int, at timestamptz);
        CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.at := now(); RETURN NEW; END $$;";
    let r = roundtrip(
        PG,
        base,
        &format!("{base} CREATE TRIGGER t_touch BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION touch();"),
    );
    assert_eq!(
        r.up.statements,
        ["CREATE TRIGGER t_touch BEFORE INSERT ON public.t FOR EACH ROW EXECUTE FUNCTION public.touch()"]
    );
    assert_eq!(r.down.statements, ["DROP TRIGGER t_touch ON public.t"]);
    roundtrip(
        PG,
        &format!("{base} CREATE TRIGGER t_touch BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION touch();"),
        &format!("{base} CREATE TRIGGER t_touch BEFORE INSERT OR UPDATE ON t FOR EACH ROW WHEN (NEW.id > 0) EXECUTE FUNCTION touch();"),
    );
    // A constraint trigger, deferred.
    roundtrip(
        PG,
        base,
        &format!("{base} CREATE CONSTRAINT TRIGGER t_c AFTER INSERT ON t DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION touch();"),
    );
}

#[test]
fn trigger_on_a_view_made_again_comes_back() {
    crate::require!(Db::Postgres);
    let fun = "CREATE FUNCTION ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO t VALUES (NEW.id, 0); RETURN NEW; END $$;";
    let r = roundtrip(
        PG,
        &format!("CREATE TABLE t (id int, v int); CREATE VIEW tv AS SELECT id FROM t; {fun}
                  CREATE TRIGGER tv_ins INSTEAD OF INSERT ON tv FOR EACH ROW EXECUTE FUNCTION ins();"),
        &format!("CREATE TABLE t (id int, v bigint); CREATE VIEW tv AS SELECT id FROM t; {fun}
                  CREATE TRIGGER tv_ins INSTEAD OF INSERT ON tv FOR EACH ROW EXECUTE FUNCTION ins();"),
    );
    // Put back with its view (it has not changed, so the diff does not make it).
    assert_has(
        &r.up.statements,
        "CREATE TRIGGER tv_ins INSTEAD OF INSERT ON public.tv",
    );
}

#[test]
fn procedure_body_and_function_comment_change() {
    crate::require!(Db::Postgres);
    let p = |body: &str| {
        format!("CREATE PROCEDURE p(a int) LANGUAGE plpgsql AS $$ BEGIN {body} END $$;")
    };
    let r = roundtrip(PG, &p("PERFORM 1;"), &p("PERFORM 2;"));
    assert_lacks(&r.up.statements, "DROP");
    let r = roundtrip(
        PG,
        FN_V1,
        &format!("{FN_V1} COMMENT ON FUNCTION add(int, int) IS 'sums two';"),
    );
    assert_eq!(
        r.up.statements,
        ["COMMENT ON FUNCTION public.add(integer, integer) IS 'sums two'"]
    );
}
