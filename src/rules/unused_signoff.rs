//! Findings are produced when the ledger is applied (see `signoff`); this rule carries the id,
//! level and documentation.
use super::{Rule, rule_doc};

pub struct UnusedSignoff;

impl Rule for UnusedSignoff {
    rule_doc!("MC005-unused-signoff.md");
}
