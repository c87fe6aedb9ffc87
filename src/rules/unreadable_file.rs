//! Findings are produced by the engine when a file or directory cannot be read; this rule
//! carries the id, level and documentation.
use super::{Rule, rule_doc};

pub struct UnreadableFile;

impl Rule for UnreadableFile {
    rule_doc!("MC002-unreadable-file.md");
}
