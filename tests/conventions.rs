//! The checklist as code: rule ids and names unique and well formed, docs ↔ registry ↔ fixtures
//! one-to-one, required doc sections, each doc's Bad example triggers its rule and the Good one
//! does not, message style, and the README rules table regenerated from the docs
//! (`MIGCHECK_BLESS=1 cargo test --test conventions` rewrites it).

mod common;

use std::collections::BTreeSet;

use migcheck::config::Config;
use migcheck::engine::{self, Settings};
use migcheck::rules::{self, registry};

const HEADINGS: [&str; 6] = [
    "## What it does",
    "## Why is this bad?",
    "## Safe alternative",
    "## Example",
    "## Exceptions",
    "## References",
];

#[test]
fn ids_and_names_are_unique_and_well_formed() {
    let mut ids = BTreeSet::new();
    let mut names = BTreeSet::new();
    for r in registry() {
        let m = &r.meta;
        assert!(
            m.id.len() == 5
                && m.id.starts_with("MC")
                && m.id[2..].bytes().all(|b| b.is_ascii_digit()),
            "bad id {}",
            m.id
        );
        assert!(ids.insert(m.id), "duplicate id {}", m.id);
        assert!(names.insert(m.name), "duplicate name {}", m.name);
        assert!(
            m.name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "name must be kebab-case: {}",
            m.name
        );
        assert_eq!(
            m.doc_path,
            format!("rules/{}-{}.md", m.id, m.name),
            "doc file name must be rules/<id>-<name>.md"
        );
        for (old, _) in rules::RETIRED {
            assert_ne!(*old, m.id, "retired id {old} reused");
        }
    }
    let sorted: Vec<_> = registry().iter().map(|r| r.meta.id).collect();
    let mut expected = sorted.clone();
    expected.sort();
    assert_eq!(sorted, expected, "keep REGISTRY in id order");
}

#[test]
fn docs_registry_and_fixtures_are_one_to_one() {
    let root = common::root();
    let registered: BTreeSet<String> = registry()
        .iter()
        .map(|r| format!("{}-{}", r.meta.id, r.meta.name))
        .collect();
    let docs: BTreeSet<String> = std::fs::read_dir(root.join("rules"))
        .expect("rules/")
        .filter_map(Result::ok)
        .filter_map(|e| {
            e.file_name()
                .to_string_lossy()
                .strip_suffix(".md")
                .map(str::to_string)
        })
        .collect();
    assert_eq!(
        docs, registered,
        "every rules/*.md must be registered in src/rules/mod.rs REGISTRY and vice versa"
    );
    let fixtures: BTreeSet<String> = std::fs::read_dir(root.join("fixtures"))
        .expect("fixtures/")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("MC"))
        .collect();
    assert_eq!(
        fixtures, registered,
        "every rule needs fixtures/<id>-<name>/ and every fixture dir a rule"
    );
    for f in &fixtures {
        let entries: Vec<String> = std::fs::read_dir(root.join("fixtures").join(f))
            .expect("fixture dir")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
        assert!(
            entries.iter().any(|e| e.starts_with("bad")),
            "fixtures/{f} has no bad case"
        );
        assert!(
            entries.iter().any(|e| e.starts_with("good")),
            "fixtures/{f} has no good case"
        );
    }
}

#[test]
fn docs_have_the_required_sections() {
    for r in registry() {
        for h in HEADINGS {
            assert!(
                r.meta.doc.contains(&format!("\n{h}\n")),
                "{} lacks the heading `{h}`",
                r.meta.doc_path
            );
        }
        assert!(
            !r.meta.summary.ends_with('.'),
            "{}: summary without trailing period",
            r.meta.doc_path
        );
        assert!(
            !r.meta.help.ends_with('.'),
            "{}: help without trailing period",
            r.meta.doc_path
        );
    }
}

/// The SQL of the first ```sql block after `heading`.
fn example(doc: &str, heading: &str) -> String {
    let at = doc.find(heading).unwrap_or_else(|| panic!("no {heading}"));
    let rest = &doc[at..];
    let start = rest.find("```sql\n").expect("sql block") + 7;
    let end = rest[start..].find("```").expect("closed block");
    rest[start..start + end].to_string()
}

#[test]
fn each_docs_bad_example_triggers_its_rule_and_good_does_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    for r in registry() {
        let m = &r.meta;
        if !m.examples_lintable {
            continue;
        }
        let mut settings =
            Settings::from_config(&Config::default(), m.example_pg_version.map(Into::into));
        settings.require_down = false;
        // off-by-default rules are switched on to test their examples
        settings
            .rules
            .insert(m.id, migcheck::config::RuleSetting::Level(m.level));
        for (heading, should_fire) in [("### Bad", true), ("### Good", false)] {
            let path = dir.path().join(format!("{}-{}.sql", m.id, &heading[4..]));
            std::fs::write(&path, example(m.doc, heading)).expect("write");
            let result = engine::run_path(&path, &settings).expect("runs");
            let fired = result.findings.iter().any(|f| f.rule() == m.id);
            assert_eq!(
                fired,
                should_fire,
                "{}: the {heading} example {} the rule",
                m.doc_path,
                if fired {
                    "triggers"
                } else {
                    "does not trigger"
                }
            );
        }
    }
}

#[test]
fn messages_follow_the_house_style() {
    // every finding the fixtures produce: lowercase start, no trailing period
    for dir in std::fs::read_dir(common::root().join("fixtures"))
        .expect("fixtures")
        .filter_map(Result::ok)
    {
        let settings = Settings::from_config(
            &Config::default(),
            Some(migcheck::pg::PgVersion::new(10).into()),
        );
        let result = engine::run_path(&dir.path(), &settings).expect("runs");
        for f in &result.findings {
            let first = f.message.chars().next().unwrap_or('x');
            assert!(
                first.is_lowercase() || first == '`',
                "{}: message must start lowercase: {}",
                f.rule(),
                f.message
            );
            assert!(
                !f.message.ends_with('.'),
                "{}: no trailing period: {}",
                f.rule(),
                f.message
            );
            assert!(
                !f.help().ends_with('.'),
                "{}: no trailing period in help: {}",
                f.rule(),
                f.help()
            );
        }
    }
}

#[test]
fn readme_rules_table_is_fresh() {
    let path = common::root().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let (begin, end) = ("<!-- rules-table:begin -->\n", "<!-- rules-table:end -->");
    let b = readme
        .find(begin)
        .expect("README has the rules-table:begin marker")
        + begin.len();
    let e = readme
        .find(end)
        .expect("README has the rules-table:end marker");
    let fresh = rules::table::markdown();
    if readme[b..e] != fresh {
        if std::env::var_os("MIGCHECK_BLESS").is_some() {
            let updated = format!("{}{}{}", &readme[..b], fresh, &readme[e..]);
            std::fs::write(&path, updated).expect("write README");
        } else {
            panic!(
                "the README rules table is stale: run `MIGCHECK_BLESS=1 cargo test --test conventions`"
            );
        }
    }
}
