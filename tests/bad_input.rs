//! Bad input, one case at a time, through the built binary: each case puts the bad input in a
//! directory next to a known-bad migration and asserts the exact exit code, that the output names
//! where the problem is (the file, and line:column where there is one, in the text output and
//! in JSON), and that the known-bad migration is still linted.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// A migration every case expects to see flagged (MC014, danger: exit 1) at 1:1.
const KNOWN_BAD: (&str, &str) = (
    "999_known_bad.sql",
    "CREATE INDEX idx_known ON known (a);\n",
);

/// One run: exit code, the text output (stdout), stderr, and the JSON written alongside.
struct Run {
    code: Option<i32>,
    text: String,
    stderr: String,
    json: Value,
}

impl Run {
    fn findings(&self) -> Vec<&Value> {
        self.json["findings"]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    }

    /// Findings of `rule` in `file` (the path as shown, relative to the working directory).
    fn of(&self, rule: &str, file: &str) -> Vec<&Value> {
        self.findings()
            .into_iter()
            .filter(|f| f["rule"] == rule && f["file"] == file)
            .collect()
    }

    /// The one finding of `rule` in `file`; the text output must name it at `line:column`.
    fn at(&self, rule: &str, file: &str, line: u64, column: u64) -> &Value {
        let found = self.of(rule, file);
        assert_eq!(found.len(), 1, "one {rule} in {file}: {}", self.text);
        let f = found[0];
        assert_eq!(
            (f["line"].as_u64(), f["column"].as_u64()),
            (Some(line), Some(column)),
            "{rule} in {file}: {f}"
        );
        let shown = format!("{file}:{line}:{column}");
        assert!(
            self.text.contains(&shown),
            "the text output names {shown}:\n{}",
            self.text
        );
        f
    }

    /// The known-bad migration next to the bad input was linted.
    fn still_lints_the_rest(&self) {
        self.at("MC014", KNOWN_BAD.0, 1, 1);
    }
}

fn run(cwd: &Path, args: &[&str]) -> Run {
    let out = tempfile::tempdir().expect("tempdir");
    let json = out.path().join("out.json");
    let json_arg = format!("json={}", json.display());
    let o = Command::new(env!("CARGO_BIN_EXE_migcheck"))
        .args(args)
        .args([
            "--color", "never", "--format", "text", "--format", &json_arg,
        ])
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .expect("migcheck runs");
    let json = std::fs::read(&json)
        .ok()
        .map(|b| serde_json::from_slice(&b).expect("the JSON output parses"))
        .unwrap_or(Value::Null);
    let r = Run {
        code: o.status.code(),
        text: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        json,
    };
    assert!(
        !r.stderr.contains("panicked"),
        "migcheck panicked:\n{}",
        r.stderr
    );
    r
}

/// `migcheck check . --no-config --pg-version 16` in `dir`.
fn check(dir: &Path) -> Run {
    run(dir, &["check", ".", "--no-config", "--pg-version", "16"])
}

/// A temporary directory with the known-bad migration and `files`.
fn dir_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(KNOWN_BAD.0), KNOWN_BAD.1).expect("write");
    for (name, bytes) in files {
        let p = dir.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, bytes).expect("write");
    }
    dir
}

fn message(f: &Value) -> &str {
    f["message"].as_str().unwrap_or_default()
}

#[test]
fn binary_file_is_an_error_naming_the_file_and_the_nul_byte() {
    let dir = dir_with(&[("001_binary.sql", b"SELECT 1;\n\x00\x01\x02\xffbinary")]);
    let r = check(dir.path());
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    // a binary file has no line to point at: the finding is on the file, the message gives the
    // byte offset of the first NUL
    let f = r.of("MC002", "001_binary.sql");
    assert_eq!(f.len(), 1, "{}", r.text);
    assert_eq!(f[0]["level"], "error");
    assert!(
        message(f[0]).contains("binary file (NUL byte at offset 10)"),
        "{}",
        f[0]
    );
    assert!(r.text.contains("in: 001_binary.sql"), "{}", r.text);
    r.still_lints_the_rest();
}

#[test]
fn invalid_utf8_points_at_the_first_bad_byte() {
    let dir = dir_with(&[("002_latin1.sql", b"SELECT 1;\nSELECT 'caf\xe9';\n")]);
    let r = check(dir.path());
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let f = r.at("MC002", "002_latin1.sql", 2, 12);
    assert!(
        message(f).contains("not valid UTF-8 (first bad byte at line 2, column 12)"),
        "{f}"
    );
    r.still_lints_the_rest();
}

#[test]
fn empty_and_comment_only_files_are_clean() {
    let dir = dir_with(&[
        ("003_empty.sql", b""),
        ("004_comments.sql", b"-- nothing to do\n\n/* really */\n"),
        ("005_blank.sql", b"\n\n   \r\n\t\n"),
    ]);
    let r = check(dir.path());
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    for file in ["003_empty.sql", "004_comments.sql", "005_blank.sql"] {
        assert!(
            r.findings().iter().all(|f| f["file"] != file),
            "no finding in {file}: {}",
            r.text
        );
    }
    assert_eq!(r.json["summary"]["files"], 4);
    assert_eq!(r.json["summary"]["statements"], 1);
    r.still_lints_the_rest();
}

#[test]
fn a_13_mb_file_is_linted_to_its_last_line() {
    // a pg_dump-like data migration: a COPY block of 420,000 rows, 20,000 INSERTs, then an index
    // on a table that already exists
    let mut sql = String::from("CREATE TABLE big (id int, name text, d date);\n");
    sql.push_str("COPY big (id, name, d) FROM stdin;\n");
    for i in 0..420_000 {
        sql.push_str(&format!("{i}\tname {i}\t2024-01-01\n"));
    }
    sql.push_str("\\.\n");
    for i in 0..20_000 {
        sql.push_str(&format!("INSERT INTO big VALUES ({i}, 'x');\n"));
    }
    sql.push_str("CREATE INDEX idx_other ON other (a);\n");
    assert!(sql.len() > 10_000_000);
    let last_line = sql.lines().count() as u64;
    let dir = dir_with(&[("001_huge.sql", sql.as_bytes())]);
    let start = std::time::Instant::now();
    let r = check(dir.path());
    let took = start.elapsed();
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    r.at("MC014", "001_huge.sql", last_line, 1);
    assert_eq!(r.json["summary"]["statements"], 20_000 + 4);
    // a debug build takes about 2 s on 2 cores; a quadratic step would take minutes
    assert!(took.as_secs() < 60, "took {took:?}");
    r.still_lints_the_rest();
}

#[test]
fn unterminated_quotes_comments_and_dollar_quotes_point_where_they_open() {
    let dir = dir_with(&[
        ("005_quote.sql", b"SELECT 1;\nSELECT 'oops;\nSELECT 2;\n"),
        (
            "006_dollar.sql",
            b"SELECT 1;\nDO $fn$ BEGIN\n  PERFORM 1;\n",
        ),
        ("007_ident.sql", b"SELECT \"abc;\n"),
        ("008_comment.sql", b"SELECT 1; /* open\n"),
        ("009_estring.sql", b"SELECT 1;\n  SELECT E'it\\'s;\n"),
        (
            "010_plain_dollar.sql",
            b"CREATE FUNCTION f() RETURNS int AS $$\n",
        ),
    ]);
    let r = check(dir.path());
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let cases = [
        ("005_quote.sql", 2, 8, "unterminated string literal"),
        (
            "006_dollar.sql",
            2,
            4,
            "unterminated dollar-quoted string `$fn$`",
        ),
        ("007_ident.sql", 1, 8, "unterminated quoted identifier"),
        ("008_comment.sql", 1, 11, "unterminated `/*` comment"),
        ("009_estring.sql", 2, 10, "unterminated string literal"),
        (
            "010_plain_dollar.sql",
            1,
            36,
            "unterminated dollar-quoted string `$$`",
        ),
    ];
    for (file, line, column, what) in cases {
        let f = r.at("MC003", file, line, column);
        assert_eq!(f["level"], "error");
        assert!(message(f).contains(what), "{f}");
    }
    r.still_lints_the_rest();
}

#[test]
fn templates_are_masked_and_positions_stay_exact() {
    let jinja = "ALTER TABLE {{ schema }}.users ADD COLUMN c int DEFAULT random();\n";
    let flyway =
        "SELECT 1;\nALTER TABLE ${flyway:defaultSchema}.t ADD COLUMN c int DEFAULT random();\n";
    let psql = "ALTER TABLE :\"schema\".t ADD COLUMN c int DEFAULT random();\n";
    let dir = dir_with(&[
        ("010_jinja.sql", jinja.as_bytes()),
        ("011_flyway.sql", flyway.as_bytes()),
        ("012_psql.sql", psql.as_bytes()),
        ("013_open.sql", b"SELECT 1;\nSELECT {{ x;\n"),
    ]);
    let r = check(dir.path());
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    // the volatile default is found at its own column, after the masked template
    let col = |s: &str| (s.lines().last().unwrap_or("").find("DEFAULT").unwrap_or(0) + 1) as u64;
    r.at("MC011", "010_jinja.sql", 1, col(jinja));
    r.at("MC011", "011_flyway.sql", 2, col(flyway));
    r.at("MC011", "012_psql.sql", 1, col(psql));
    let f = r.at("MC003", "013_open.sql", 2, 8);
    assert!(message(f).contains("unterminated template `{{`"), "{f}");
    assert!(r.json["summary"]["parse"]["templated"].as_u64() >= Some(3));
    r.still_lints_the_rest();
}

#[test]
fn a_bom_and_crlf_line_ends_do_not_shift_positions() {
    let dir = dir_with(&[(
        "014_bom_crlf.sql",
        b"\xef\xbb\xbfSELECT 1;\r\n\r\n  CREATE INDEX i2 ON t2 (a);\r\n",
    )]);
    let r = check(dir.path());
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let f = r.at("MC014", "014_bom_crlf.sql", 3, 3);
    assert_eq!(
        (f["end_line"].as_u64(), f["end_column"].as_u64()),
        (Some(3), Some(15))
    );
    r.still_lints_the_rest();
}

#[test]
fn non_ascii_and_non_utf8_file_names() {
    // found by fuzzing: these names panicked in the layout code
    let dir = dir_with(&[("0001_données.sql", b"CREATE INDEX i6 ON t6 (a);\n")]);
    let r = check(dir.path());
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    r.at("MC014", "0001_données.sql", 1, 1);
    r.still_lints_the_rest();
    // a Flyway directory with a file whose name starts with a multi-byte character
    let dir = dir_with(&[
        ("V1__init.sql", b"CREATE INDEX i7 ON t7 (a);\n"),
        ("ärger.sql", b"SELECT 1;\n"),
    ]);
    let r = check(dir.path());
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    r.at("MC014", "V1__init.sql", 1, 1);
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let dir = dir_with(&[]);
        let name = std::ffi::OsStr::from_bytes(b"0002_\xff\xfe.sql");
        std::fs::write(dir.path().join(name), "CREATE INDEX i8 ON t8 (a);\n").expect("write");
        let r = check(dir.path());
        assert_eq!(r.code, Some(1), "{}", r.stderr);
        // shown with replacement characters
        r.at("MC014", "0002_\u{fffd}\u{fffd}.sql", 1, 1);
        r.still_lints_the_rest();
    }
}

#[cfg(unix)]
#[test]
fn symlink_loops_dangling_links_and_fifos_are_errors_on_their_path() {
    let dir = dir_with(&[]);
    let d = dir.path();
    std::fs::create_dir(d.join("loop")).expect("mkdir");
    std::os::unix::fs::symlink("..", d.join("loop").join("back")).expect("symlink");
    std::os::unix::fs::symlink("nowhere.sql", d.join("015_dangling.sql")).expect("symlink");
    let fifo = Command::new("mkfifo").arg(d.join("016_fifo.sql")).status();
    let have_fifo = fifo.is_ok_and(|s| s.success());
    let r = check(d);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let f = r.of("MC002", "loop/back");
    assert_eq!(f.len(), 1, "{}", r.text);
    assert!(message(f[0]).contains("symbolic link loop"), "{}", f[0]);
    assert!(r.text.contains("in: loop/back"), "{}", r.text);
    let f = r.of("MC002", "015_dangling.sql");
    assert_eq!(f.len(), 1, "{}", r.text);
    assert!(
        message(f[0]).contains("no such file or directory"),
        "{}",
        f[0]
    );
    if have_fifo {
        // not read (it would block), but said
        let f = r.of("MC002", "016_fifo.sql");
        assert_eq!(f.len(), 1, "{}", r.text);
        assert!(message(f[0]).contains("not a regular file"), "{}", f[0]);
        // named on the command line: the run cannot be done
        let r = run(d, &["check", "016_fifo.sql", "--no-config"]);
        assert_eq!(r.code, Some(2));
        assert!(
            r.stderr
                .contains("`016_fifo.sql`: not a regular file or directory"),
            "{}",
            r.stderr
        );
    }
    // the loop is not followed into the known-bad migration a second time
    assert_eq!(r.of("MC014", KNOWN_BAD.0).len(), 1);
    r.still_lints_the_rest();
}

/// chmod 000 on a file and on a directory. Tests run as root in CI, where permissions do not
/// stop reading: then both are linted like any file, and (when `setpriv` can drop to `nobody`)
/// the same run as `nobody` must report them as unreadable. As another user they are unreadable.
#[cfg(unix)]
#[test]
fn unreadable_files_and_directories() {
    use std::os::unix::fs::PermissionsExt;
    let dir = dir_with(&[
        ("016_secret.sql", b"CREATE INDEX i3 ON t3 (a);\n"),
        ("sub/017_hidden.sql", b"CREATE INDEX i4 ON t4 (a);\n"),
    ]);
    let d = dir.path();
    let mode = |p: PathBuf, m: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).expect("chmod")
    };
    mode(d.join("016_secret.sql"), 0o000);
    mode(d.join("sub"), 0o000);
    let can_read = std::fs::read(d.join("016_secret.sql")).is_ok();
    let unreadable_reported = |r: &Run| {
        assert_eq!(r.code, Some(1), "{}", r.stderr);
        let f = r.of("MC002", "016_secret.sql");
        assert_eq!(f.len(), 1, "{}", r.text);
        assert!(
            message(f[0]).contains("cannot read `016_secret.sql`: permission denied"),
            "{}",
            f[0]
        );
        let f = r.of("MC002", "sub");
        assert_eq!(f.len(), 1, "{}", r.text);
        assert!(
            message(f[0]).contains("cannot read `sub`: permission denied"),
            "{}",
            f[0]
        );
        assert!(r.text.contains("in: 016_secret.sql"), "{}", r.text);
        r.still_lints_the_rest();
    };
    let r = check(d);
    if can_read {
        eprintln!("running as root: chmod 000 does not stop reading; both are linted");
        assert_eq!(r.code, Some(1), "{}", r.stderr);
        r.at("MC014", "016_secret.sql", 1, 1);
        r.at("MC014", "sub/017_hidden.sql", 1, 1);
        r.still_lints_the_rest();
        // the same run as `nobody`, for whom they are unreadable
        mode(d.to_path_buf(), 0o755);
        let out = tempfile::tempdir().expect("tempdir");
        mode(out.path().to_path_buf(), 0o777);
        let json = out.path().join("out.json");
        let json_arg = format!("json={}", json.display());
        let o = Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_migcheck"))
            .args(["check", ".", "--no-config", "--pg-version", "16", "--color"])
            .args(["never", "--format", "text", "--format", &json_arg])
            .current_dir(d)
            .output();
        match o {
            Ok(o) if matches!(o.status.code(), Some(0..=2)) => {
                let json = std::fs::read(&json).expect("nobody wrote the JSON");
                unreadable_reported(&Run {
                    code: o.status.code(),
                    text: String::from_utf8_lossy(&o.stdout).into_owned(),
                    stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
                    json: serde_json::from_slice(&json).expect("JSON"),
                });
            }
            other => eprintln!("could not run as nobody with setpriv ({other:?}); not checked"),
        }
    } else {
        unreadable_reported(&r);
    }
    mode(d.join("sub"), 0o755);
    mode(d.join("016_secret.sql"), 0o644);
}

#[test]
fn a_directory_without_migrations() {
    let empty = tempfile::tempdir().expect("tempdir");
    std::fs::write(empty.path().join("README.md"), "# no migrations here\n").expect("write");
    std::fs::write(empty.path().join("schema.json"), "{}\n").expect("write");
    let r = check(empty.path());
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.json["summary"]["files"], 0);
    assert!(r.findings().is_empty(), "{}", r.text);
    assert!(r.text.contains("checked 0 files"), "{}", r.text);
    // next to a directory with migrations, in the same run
    let other = dir_with(&[]);
    let root = common::root();
    let r = run(
        &root,
        &[
            "check",
            &empty.path().display().to_string(),
            &other.path().display().to_string(),
            "--no-config",
        ],
    );
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let known = other.path().join(KNOWN_BAD.0).display().to_string();
    assert_eq!(r.of("MC014", &known).len(), 1, "{}", r.text);
}

#[test]
fn a_broken_config_stops_the_run_and_points_into_the_toml() {
    // (toml text, line:column shown, what the message says); nothing is checked: exit 2
    let cases: [(&[u8], &str, &str); 4] = [
        (
            b"pg-version = \"16\"\npaths = [\"db\"\nlayout = \"plain\"\n",
            "migcheck.toml:3:1",
            "invalid TOML",
        ),
        (b"pg-verison = \"16\"\n", "migcheck.toml:1:1", "unknown key"),
        (b"pg-version = \"sixteen\"\n", "migcheck.toml:1:14", ""),
        (
            b"pg-version = \"16\xff\"\n",
            "migcheck.toml:1:17",
            "not valid UTF-8",
        ),
    ];
    for (toml, at, what) in cases {
        let dir = dir_with(&[("migcheck.toml", toml)]);
        let r = run(dir.path(), &["check", "."]);
        assert_eq!(
            r.code,
            Some(2),
            "{}: {}",
            String::from_utf8_lossy(toml),
            r.stderr
        );
        assert!(r.stderr.contains(at), "{at} in:\n{}", r.stderr);
        assert!(r.stderr.contains(what), "{what} in:\n{}", r.stderr);
        assert!(r.stderr.contains("nothing was checked"), "{}", r.stderr);
        assert!(r.text.is_empty(), "{}", r.text);
    }
    // an empty config is a valid one
    let dir = dir_with(&[("migcheck.toml", b"")]);
    let r = run(dir.path(), &["check", "."]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    r.still_lints_the_rest();
}

#[test]
fn a_nonexistent_path_stops_the_run() {
    let dir = dir_with(&[]);
    for args in [
        &["check", "nope", "--no-config"][..],
        &["check", ".", "nope", "--no-config"][..],
    ] {
        let r = run(dir.path(), args);
        assert_eq!(r.code, Some(2), "{args:?}");
        assert!(
            r.stderr.contains("`nope`: no such file or directory"),
            "{}",
            r.stderr
        );
        assert!(r.text.is_empty(), "{}", r.text);
    }
}

#[test]
fn ten_thousand_nested_parentheses() {
    let deep = |inner: &str| format!("{}{inner}{}", "(".repeat(10_000), ")".repeat(10_000));
    let select = format!("SELECT {};\nCREATE INDEX i5 ON t5 (a);\n", deep("1"));
    let default = format!(
        "ALTER TABLE t ADD COLUMN c int DEFAULT {};\nCREATE INDEX i6 ON t6 (a);\n",
        deep("random()")
    );
    let check_ = format!(
        "ALTER TABLE t ADD CONSTRAINT k CHECK {};\nCREATE INDEX i7 ON t7 (a);\n",
        deep("c > 1")
    );
    let dir = dir_with(&[
        ("018_select.sql", select.as_bytes()),
        ("019_default.sql", default.as_bytes()),
        ("020_check.sql", check_.as_bytes()),
    ]);
    let r = check(dir.path());
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    // the statement after the deep one is linted, on its own line
    for file in ["018_select.sql", "019_default.sql", "020_check.sql"] {
        r.at("MC014", file, 2, 1);
    }
    // what is understood of the deep statements keeps its position
    r.at("MC041", "020_check.sql", 1, 19);
    r.still_lints_the_rest();
}

#[test]
fn a_one_megabyte_line() {
    // one line of 1 MB with multi-byte characters, a statement at its very end
    let rows: Vec<String> = (0..110_000).map(|i| format!("({i},'é')")).collect();
    let head = format!("INSERT INTO t VALUES {}; ", rows.join(","));
    let line = format!("{head}CREATE INDEX i9 ON t9 (a);\n");
    assert!(line.len() > 1_000_000);
    let column = head.chars().count() as u64 + 1;
    let dir = dir_with(&[("021_long_line.sql", line.as_bytes())]);
    let r = check(dir.path());
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    r.at("MC014", "021_long_line.sql", 1, column);
    // the text output does not print the megabyte line: it gives the location
    assert!(
        r.text.contains(&format!(
            "at: 021_long_line.sql:1:{column} (the line is too long to show)"
        )),
        "{}",
        &r.text[..r.text.len().min(2000)]
    );
    assert!(r.text.len() < 100_000, "{} bytes of output", r.text.len());
    r.still_lints_the_rest();
}

#[test]
fn many_bad_inputs_in_one_directory_text_output() {
    let dir = dir_with(&[
        ("001_binary.sql", b"\x00\x01binary"),
        ("002_latin1.sql", b"SELECT 1;\nSELECT 'caf\xe9';\n"),
        ("003_empty.sql", b""),
        ("004_quote.sql", b"SELECT 1;\nSELECT 'oops;\n"),
        ("005_template.sql", b"SELECT {{ x;\n"),
        (
            "006_bom_crlf.sql",
            b"\xef\xbb\xbfSELECT 1;\r\nCREATE INDEX i2 ON t2 (a);\r\n",
        ),
    ]);
    let r = run(
        dir.path(),
        &[
            "check",
            ".",
            "--no-config",
            "--pg-version",
            "16",
            "--layout",
            "plain",
        ],
    );
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    insta::assert_snapshot!("bad_input_text", r.text);
}

/// Repetitive files, each of which took from seconds to minutes before the quadratic steps they
/// exposed were removed (release build, 1 MB: `{{ ` x 350k over 100 s, 13.5k Liquibase
/// changesets 49 s; 4,000 golang-migrate pairs 3.2 s). Sizes are small enough for a debug build
/// (seconds each) and large enough that the quadratic versions took far longer.
#[test]
fn repetitive_inputs_take_linear_time() {
    let repeat = |size: usize, unit: &dyn Fn(usize) -> String| {
        let mut s = String::new();
        let mut i = 0;
        while s.len() < size {
            s.push_str(&unit(i));
            i += 1;
        }
        s
    };
    let cases: Vec<(&str, String, u8)> = vec![
        (
            "unterminated_templates.sql",
            repeat(96 << 10, &|_| "{{ ".into()),
            1,
        ),
        (
            "unterminated_placeholders.sql",
            repeat(96 << 10, &|_| "${ ".into()),
            1,
        ),
        (
            "changesets.sql",
            format!(
                "-- liquibase formatted sql\n{}",
                repeat(192 << 10, &|i| format!(
                    "--changeset a:{i}\nCREATE TABLE t{i} (id int);\n--rollback DROP TABLE t{i};\n"
                ))
            ),
            0,
        ),
        (
            "locks.sql",
            repeat(192 << 10, &|_| "BEGIN;\nLOCK TABLE t;\nCOMMIT;\n".into()),
            0,
        ),
        (
            "ignored.sql",
            repeat(192 << 10, &|_| {
                "CREATE INDEX i ON t (a); -- migcheck:ignore MC080 -- reviewed by the dba\n".into()
            }),
            1,
        ),
        (
            "foreign_keys.sql",
            repeat(192 << 10, &|i| {
                format!("ALTER TABLE t{i} ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id);\n")
            }),
            1,
        ),
    ];
    for (name, sql, code) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(name), &sql).expect("write");
        let start = std::time::Instant::now();
        let r = check(dir.path());
        let took = start.elapsed();
        assert_eq!(r.code, Some(i32::from(code)), "{name}: {}", r.stderr);
        assert!(took.as_secs() < 30, "{name} took {took:?}");
    }
    // 2,000 golang-migrate migrations, each creating a table its down part drops
    let dir = tempfile::tempdir().expect("tempdir");
    for i in 0..2000 {
        let d = dir.path();
        std::fs::write(
            d.join(format!("{i:05}_t.up.sql")),
            format!("CREATE TABLE t{i} (id bigint PRIMARY KEY);\n"),
        )
        .expect("write");
        std::fs::write(
            d.join(format!("{i:05}_t.down.sql")),
            format!("DROP TABLE t{i};\n"),
        )
        .expect("write");
    }
    let start = std::time::Instant::now();
    let r = check(dir.path());
    let took = start.elapsed();
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.json["summary"]["migrations"], 2000);
    assert!(took.as_secs() < 30, "2,000 migrations took {took:?}");
}
