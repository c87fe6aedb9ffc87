//! Every input a fuzz target failed on (`fuzz/regressions/<target>/`), replayed through the same
//! checks as the target itself (`fuzz/src/checks.rs`), under plain `cargo test` on stable. Add a
//! crash input by copying the artifact into the target's directory under a descriptive name.

#[path = "../fuzz/src/checks.rs"]
mod checks;

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A regression input must not take longer than this even in a debug build (hangs and
/// quadratic blowups found by the fuzzers took seconds to minutes before their fixes).
const LIMIT: Duration = Duration::from_secs(20);

fn replay(target: &str) {
    let (_, check) = checks::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .expect("a known fuzz target");
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut inputs: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect(),
        Err(_) => return,
    };
    inputs.sort();
    for input in inputs {
        let data = std::fs::read(&input).expect("readable regression input");
        eprintln!("replaying {}", input.display());
        let start = Instant::now();
        check(&data);
        let took = start.elapsed();
        assert!(
            took < LIMIT,
            "{} took {took:?} (limit {LIMIT:?})",
            input.display()
        );
    }
}

#[test]
fn split_regressions() {
    replay("split");
}

#[test]
fn fallback_regressions() {
    replay("fallback");
}

#[test]
fn layout_regressions() {
    replay("layout");
}

#[test]
fn pipeline_regressions() {
    replay("pipeline");
}
