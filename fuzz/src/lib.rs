//! Fuzz targets for migcheck. The checks live in `checks.rs`, which `tests/fuzz_regressions.rs`
//! in the main crate also includes, so every saved crash input replays under plain `cargo test`.

pub mod checks;
