//! `migcheck.toml`: discovery (walk up from each path, stop at the repository root), parsing
//! with spans so every problem points into the file, and the validated settings.
//!
//! The file is walked by hand over `toml::de::DeTable` rather than deserialised with
//! `deny_unknown_fields`: that stops at the first unknown key, and users deserve all of them,
//! each with a label on the offending key or value.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use crate::ir::Span;
use crate::pg::PgRange;
#[cfg(test)]
use crate::pg::PgVersion;
use crate::rules::{self, Level};

pub const FILE_NAMES: [&str; 2] = [".migcheck.toml", "migcheck.toml"];

/// A per-rule setting from `[rules]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleSetting {
    Off,
    Level(Level),
}

/// Validated configuration from one file (or the defaults).
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file it came from.
    pub path: Option<PathBuf>,
    /// One version or a range of majors (`10..17`).
    pub pg_version: Option<PgRange>,
    /// Migration paths to lint when none are given on the command line (relative to the file).
    pub paths: Vec<PathBuf>,
    pub exclude: Vec<String>,
    /// Keyed by rule id (`MC010`).
    pub rules: BTreeMap<&'static str, RuleSetting>,
    pub require_down: Option<bool>,
    /// The migration tool, when auto-detection should not decide.
    pub layout: Option<crate::source::layout::Layout>,
    /// How plain `.sql` files are run (and golang-migrate's multi-statement mode).
    pub transaction: Option<crate::source::layout::TxMode>,
    /// The role running migrations has a lock_timeout (turns missing-lock-timeout off).
    pub lock_timeout_on_role: Option<bool>,
    /// The role running migrations has a statement_timeout (turns missing-statement-timeout off).
    pub statement_timeout_on_role: Option<bool>,
    /// The TimeZone of the migration session (decides timestamp ↔ timestamptz rewrites).
    pub session_timezone: Option<String>,
    /// The sign-off ledger (relative to this file); default `migcheck.signoffs.toml` beside it.
    pub signoffs: Option<PathBuf>,
    /// Who may sign off danger findings (empty: anyone named; the report says so).
    pub approvers: Vec<String>,
    /// `[transactions]`: glob → transaction mode, in file order.
    pub transactions: Vec<(String, crate::source::layout::TxMode)>,
}

/// One problem in a config file, with the span of the offending key or value.
#[derive(Debug, Clone)]
pub struct ConfigProblem {
    pub message: String,
    pub label: String,
    pub span: Span,
}

#[derive(Debug)]
pub struct ConfigError {
    pub path: PathBuf,
    pub source_text: String,
    pub problems: Vec<ConfigProblem>,
}

/// The transaction modes, as a label (`TxMode::parse` reads them).
const MODES: &str =
    "expected \"transaction\", \"implicit\", \"autocommit\", \"script\" or \"pipeline\"";

const KEYS: &[&str] = &[
    "pg-version",
    "paths",
    "exclude",
    "rules",
    "require-down",
    "layout",
    "transaction",
    "transactions",
    "session-timezone",
    "lock-timeout-on-role",
    "statement-timeout-on-role",
    "signoffs",
    "approvers",
];

/// Finds the config for `start` (a file or directory): the nearest `.migcheck.toml` or
/// `migcheck.toml` walking up, stopping after the directory that holds `.git`.
pub fn discover(start: &Path) -> Option<PathBuf> {
    let abs = std::fs::canonicalize(start).ok()?;
    let mut dir = if abs.is_dir() {
        abs
    } else {
        abs.parent()?.to_path_buf()
    };
    loop {
        for name in FILE_NAMES {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
        if dir.join(".git").exists() {
            return None;
        }
        dir = dir.parent()?.to_path_buf();
    }
}

pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = match std::fs::read(path).map(String::from_utf8) {
        Ok(Ok(t)) => t,
        Ok(Err(e)) => {
            // point at the first bad byte, in a lossy copy (its valid prefix is the same)
            let at = e.utf8_error().valid_up_to();
            return Err(ConfigError {
                path: path.to_path_buf(),
                source_text: String::from_utf8_lossy(e.as_bytes()).into_owned(),
                problems: vec![ConfigProblem {
                    message: "not valid UTF-8".to_string(),
                    label: "first bad byte".to_string(),
                    span: Span::new(at, at + '\u{fffd}'.len_utf8()),
                }],
            });
        }
        Err(e) => {
            return Err(ConfigError {
                path: path.to_path_buf(),
                source_text: String::new(),
                problems: vec![ConfigProblem {
                    message: format!("cannot read `{}`: {e}", path.display()),
                    label: String::new(),
                    span: Span::default(),
                }],
            });
        }
    };
    parse(&text, path).map_err(|problems| ConfigError {
        path: path.to_path_buf(),
        source_text: text,
        problems,
    })
}

fn span_of(r: std::ops::Range<usize>) -> Span {
    Span::new(r.start, r.end)
}

pub fn parse(text: &str, path: &Path) -> Result<Config, Vec<ConfigProblem>> {
    let text_body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let offset = text.len() - text_body.len();
    let table = match DeTable::parse(text_body) {
        Ok(t) => t,
        Err(e) => {
            let span = e.span().map_or(Span::default(), |r| {
                Span::new(r.start + offset, r.end + offset)
            });
            return Err(vec![ConfigProblem {
                message: format!("invalid TOML: {}", e.message().trim()),
                label: "here".into(),
                span,
            }]);
        }
    };
    let shift = |r: std::ops::Range<usize>| {
        let s = span_of(r);
        Span::new(s.start + offset, s.end + offset)
    };
    let mut problems = Vec::new();
    let mut cfg = Config {
        path: Some(path.to_path_buf()),
        ..Config::default()
    };
    let base = path.parent().unwrap_or(Path::new("."));
    for (key, value) in table.get_ref().iter() {
        let k = key.get_ref().as_ref();
        let kspan = shift(key.span());
        let vspan = shift(value.span());
        match k {
            "pg-version" => match value.get_ref() {
                DeValue::String(s) => match s.parse::<PgRange>() {
                    Ok(v) => cfg.pg_version = Some(v),
                    Err(e) => problems.push(ConfigProblem {
                        message: e.to_string(),
                        label: "not a supported PostgreSQL version".into(),
                        span: vspan,
                    }),
                },
                DeValue::Integer(i) => match i.to_string().parse::<PgRange>() {
                    Ok(v) => cfg.pg_version = Some(v),
                    Err(e) => problems.push(ConfigProblem {
                        message: e.to_string(),
                        label: "not a supported PostgreSQL version".into(),
                        span: vspan,
                    }),
                },
                _ => problems.push(ConfigProblem {
                    message: "`pg-version` must be a string such as \"16\" or \"14.4\"".into(),
                    label: "expected a string".into(),
                    span: vspan,
                }),
            },
            "paths" | "exclude" => match string_list(value.get_ref()) {
                Some(list) => {
                    if k == "paths" {
                        cfg.paths = list.into_iter().map(|p| base.join(p)).collect();
                    } else {
                        for pat in &list {
                            if let Err(e) = globset::Glob::new(pat) {
                                problems.push(ConfigProblem {
                                    message: format!("invalid glob `{pat}`: {e}"),
                                    label: "invalid glob".into(),
                                    span: vspan,
                                });
                            }
                        }
                        cfg.exclude = list;
                    }
                }
                None => problems.push(ConfigProblem {
                    message: format!("`{k}` must be a list of strings"),
                    label: "expected a list of strings".into(),
                    span: vspan,
                }),
            },
            "layout" => match value.get_ref() {
                DeValue::String(s) => match crate::source::layout::Layout::parse(s) {
                    Some(l) => cfg.layout = Some(l),
                    None => problems.push(ConfigProblem {
                        message: format!("unknown layout `{s}`"),
                        label: format!(
                            "expected one of {}",
                            crate::source::layout::Layout::ALL
                                .iter()
                                .map(|l| format!("`{}`", l.name()))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        span: vspan,
                    }),
                },
                _ => problems.push(ConfigProblem {
                    message: "`layout` must be a string".into(),
                    label: "expected a string".into(),
                    span: vspan,
                }),
            },
            "signoffs" => match value.get_ref() {
                DeValue::String(f) => cfg.signoffs = Some(base.join(f.as_ref() as &str)),
                _ => problems.push(ConfigProblem {
                    message: "`signoffs` must be a file name".into(),
                    label: "expected a string".into(),
                    span: vspan,
                }),
            },
            "approvers" => match string_list(value.get_ref()) {
                Some(list) => cfg.approvers = list,
                None => problems.push(ConfigProblem {
                    message: "`approvers` must be a list of names".into(),
                    label: "expected a list of strings".into(),
                    span: vspan,
                }),
            },
            "statement-timeout-on-role" => match value.get_ref() {
                DeValue::Boolean(b) => cfg.statement_timeout_on_role = Some(*b),
                _ => problems.push(ConfigProblem {
                    message: "`statement-timeout-on-role` must be `true` or `false`".into(),
                    label: "expected a boolean".into(),
                    span: vspan,
                }),
            },
            "lock-timeout-on-role" => match value.get_ref() {
                DeValue::Boolean(b) => cfg.lock_timeout_on_role = Some(*b),
                _ => problems.push(ConfigProblem {
                    message: "`lock-timeout-on-role` must be `true` or `false`".into(),
                    label: "expected a boolean".into(),
                    span: vspan,
                }),
            },
            "session-timezone" => match value.get_ref() {
                DeValue::String(z) => cfg.session_timezone = Some(z.to_string()),
                _ => problems.push(ConfigProblem {
                    message: "`session-timezone` must be a string such as \"UTC\"".into(),
                    label: "expected a string".into(),
                    span: vspan,
                }),
            },
            "transactions" => match value.get_ref() {
                DeValue::Table(t) => {
                    let mut entries: Vec<_> = t.iter().collect();
                    entries.sort_by_key(|(k, _)| k.span().start);
                    for (gk, gv) in entries {
                        let glob = gk.get_ref().as_ref();
                        let gspan = shift(gk.span());
                        let mode = match gv.get_ref() {
                            DeValue::String(m) => crate::source::layout::TxMode::parse(m),
                            _ => None,
                        };
                        if let Err(e) = globset::Glob::new(glob) {
                            problems.push(ConfigProblem {
                                message: format!("invalid glob `{glob}`: {e}"),
                                label: "invalid glob".into(),
                                span: gspan,
                            });
                        } else if let Some(m) = mode {
                            cfg.transactions.push((glob.to_string(), m));
                        } else {
                            problems.push(ConfigProblem {
                                message: format!("invalid transaction mode for `{glob}`"),
                                label: MODES.into(),
                                span: shift(gv.span()),
                            });
                        }
                    }
                }
                _ => problems.push(ConfigProblem {
                    message: "`transactions` must be a table of glob = mode".into(),
                    label: "expected a table".into(),
                    span: vspan,
                }),
            },
            "transaction" => match value.get_ref() {
                DeValue::String(s) => match crate::source::layout::TxMode::parse(s) {
                    Some(m) => cfg.transaction = Some(m),
                    None => problems.push(ConfigProblem {
                        message: format!("unknown transaction mode `{s}`"),
                        label: MODES.into(),
                        span: vspan,
                    }),
                },
                _ => problems.push(ConfigProblem {
                    message: "`transaction` must be a string".into(),
                    label: "expected a string".into(),
                    span: vspan,
                }),
            },
            "require-down" => match value.get_ref() {
                DeValue::Boolean(b) => cfg.require_down = Some(*b),
                _ => problems.push(ConfigProblem {
                    message: "`require-down` must be `true` or `false`".into(),
                    label: "expected a boolean".into(),
                    span: vspan,
                }),
            },
            "rules" => match value.get_ref() {
                DeValue::Table(t) => {
                    for (rk, rv) in t.iter() {
                        let rname = rk.get_ref().as_ref();
                        let rkspan = shift(rk.span());
                        let rvspan = shift(rv.span());
                        let Some(rule) = rules::find(rname) else {
                            let hint = rules::suggest(rname)
                                .map(|s| format!("; did you mean `{s}`?"))
                                .unwrap_or_default();
                            problems.push(ConfigProblem {
                                message: format!("unknown rule `{rname}`{hint}"),
                                label: "no rule has this id or name (see `migcheck rules`)".into(),
                                span: rkspan,
                            });
                            continue;
                        };
                        let setting = match rv.get_ref() {
                            DeValue::String(s) if s.as_ref() == "off" => Some(RuleSetting::Off),
                            DeValue::String(s) => s.parse::<Level>().ok().map(RuleSetting::Level),
                            DeValue::Boolean(false) => Some(RuleSetting::Off),
                            DeValue::Boolean(true) => Some(RuleSetting::Level(rule.level)),
                            _ => None,
                        };
                        match setting {
                            Some(s) => {
                                cfg.rules.insert(rule.id, s);
                            }
                            None => problems.push(ConfigProblem {
                                message: format!("invalid setting for rule `{rname}`"),
                                label: "expected \"off\", \"info\", \"warning\", \"danger\", \"error\", true or false".into(),
                                span: rvspan,
                            }),
                        }
                    }
                }
                _ => problems.push(ConfigProblem {
                    message: "`rules` must be a table".into(),
                    label: "expected a table".into(),
                    span: vspan,
                }),
            },
            _ => {
                let hint = KEYS
                    .iter()
                    .find(|c| rules::edit_distance(c, k) <= 2)
                    .map(|c| format!("; did you mean `{c}`?"))
                    .unwrap_or_default();
                problems.push(ConfigProblem {
                    message: format!("unknown key `{k}`{hint}"),
                    label: format!(
                        "expected one of {}",
                        KEYS.iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    span: kspan,
                });
            }
        }
    }
    problems.sort_by_key(|p| p.span.start);
    if problems.is_empty() {
        Ok(cfg)
    } else {
        Err(problems)
    }
}

fn string_list(v: &DeValue<'_>) -> Option<Vec<String>> {
    match v {
        DeValue::Array(items) => items
            .iter()
            .map(|i| match i.get_ref() {
                DeValue::String(s) => Some(s.to_string()),
                _ => None,
            })
            .collect(),
        DeValue::String(s) => Some(vec![s.to_string()]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_valid_config() {
        let cfg = parse(
            "pg-version = \"11.4\"\npaths = [\"db\"]\nexclude = [\"**/seed/*.sql\"]\nrequire-down = false\n[rules]\ncreate-index-non-concurrently = \"warning\"\nMC020 = \"off\"\n",
            Path::new("/x/migcheck.toml"),
        )
        .expect("valid");
        assert_eq!(
            cfg.pg_version,
            Some(PgRange::single(PgVersion::with_minor(11, 4)))
        );
        assert_eq!(cfg.paths, vec![PathBuf::from("/x/db")]);
        assert_eq!(cfg.require_down, Some(false));
        assert_eq!(
            cfg.rules.get("MC014"),
            Some(&RuleSetting::Level(Level::Warning))
        );
        assert_eq!(cfg.rules.get("MC020"), Some(&RuleSetting::Off));
    }

    #[test]
    fn reports_every_problem_with_a_span() {
        let text = "pg-versoin = \"16\"\npg-version = \"9.4\"\n[rules]\nno-such-rule = \"off\"\nMC010 = \"loud\"\n";
        let problems = parse(text, Path::new("migcheck.toml")).expect_err("invalid");
        let msgs: Vec<_> = problems
            .iter()
            .map(|p| (p.message.clone(), &text[p.span.start..p.span.end]))
            .collect();
        assert_eq!(msgs.len(), 4, "{msgs:?}");
        assert_eq!(
            msgs[0],
            (
                "unknown key `pg-versoin`; did you mean `pg-version`?".to_string(),
                "pg-versoin"
            )
        );
        assert!(msgs[1].0.contains("older than 10"), "{msgs:?}");
        assert_eq!(msgs[1].1, "\"9.4\"");
        assert_eq!(msgs[2].1, "no-such-rule");
        assert_eq!(msgs[3].1, "\"loud\"");
    }

    #[test]
    fn every_transaction_mode_is_read_and_listed() {
        for m in [
            "transaction",
            "implicit",
            "autocommit",
            "script",
            "pipeline",
        ] {
            let cfg = parse(&format!("transaction = \"{m}\"\n"), Path::new("m.toml"))
                .unwrap_or_else(|e| panic!("{m}: {e:?}"));
            assert_eq!(cfg.transaction.map(|t| t.name()), Some(m));
            assert!(MODES.contains(&format!("\"{m}\"")), "{m}");
        }
        let problems =
            parse("transaction = \"pipelined\"\n", Path::new("m.toml")).expect_err("invalid");
        assert_eq!(problems[0].label, MODES);
    }

    #[test]
    fn invalid_toml_points_at_the_error() {
        let problems = parse("pg-version = \n", Path::new("m.toml")).expect_err("invalid");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.starts_with("invalid TOML"));
    }
}
