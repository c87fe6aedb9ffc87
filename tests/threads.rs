//! The replay is sequential (each migration sees the schema the ones before it left) while
//! parsing runs ahead on the pool's other threads (`ordered::in_order`): a directory linted on
//! one thread, on two and on four gives the same findings, in the same words.

mod common;

use std::fmt::Write as _;

/// A golang-migrate tree of `n` migrations whose findings depend on the schema replayed before
/// them: tables created early and altered later (new, then existing), views over them, a
/// function body, statements of uneven size.
fn tree(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for i in 1..=n {
        let t = format!("t{}", i % 40);
        let mut up = String::new();
        match i % 6 {
            0 => {
                let _ = writeln!(
                    up,
                    "CREATE TABLE IF NOT EXISTS {t} (id bigint PRIMARY KEY, v text);"
                );
            }
            1 => {
                let _ = writeln!(
                    up,
                    "ALTER TABLE {t} ADD COLUMN c{i} integer NOT NULL DEFAULT 0;\nCREATE INDEX {t}_c{i} ON {t} (c{i});"
                );
            }
            2 => {
                let _ = write!(up, "CREATE OR REPLACE VIEW v{i} AS SELECT a.id");
                // a large query: this migration takes far longer to parse than its neighbours
                for k in 0..(i % 23) {
                    let _ = write!(
                        up,
                        ", (SELECT count(*) FROM {t} b{k} WHERE b{k}.id = a.id) AS n{k}"
                    );
                }
                let _ = writeln!(up, " FROM {t} a;");
            }
            3 => {
                let _ = writeln!(
                    up,
                    "ALTER TABLE {t} ALTER COLUMN v TYPE varchar(20);\nUPDATE {t} SET v = 'x' WHERE id > {i};"
                );
            }
            4 => {
                let _ = writeln!(
                    up,
                    "CREATE FUNCTION f{i}() RETURNS void LANGUAGE plpgsql AS $$ BEGIN CREATE TABLE inner{i} (a int); ALTER TABLE inner{i} ADD COLUMN b int NOT NULL; END $$;"
                );
            }
            _ => {
                let _ = writeln!(
                    up,
                    "DROP TABLE IF EXISTS {t};\nCREATE TABLE {t} (id int, v text);"
                );
            }
        }
        std::fs::write(dir.path().join(format!("{i:04}_m.up.sql")), up).expect("writes");
        if i % 5 != 0 {
            std::fs::write(
                dir.path().join(format!("{i:04}_m.down.sql")),
                format!("ALTER TABLE {t} DROP COLUMN IF EXISTS c{i};\n"),
            )
            .expect("writes");
        }
    }
    dir
}

#[test]
fn one_two_and_four_threads_give_the_same_findings() {
    let dir = tree(300);
    let settings = common::settings(None);
    let on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool");
        let result = pool.install(|| common::run(dir.path(), &settings));
        common::render(&result, &settings)
    };
    let one = on(1);
    assert!(
        one.matches("MC0").count() > 100,
        "the tree has findings to compare:\n{one}"
    );
    for threads in [2, 4] {
        let many = on(threads);
        assert!(one == many, "{threads} threads differ from one");
    }
}
