//! Findings for invalid and unused inline suppressions are produced by the engine (see
//! `suppress`); these rules carry the ids, levels and documentation.
use super::{Rule, rule_doc};

pub struct InvalidSuppression;

impl Rule for InvalidSuppression {
    rule_doc!("MC006-invalid-suppression.md");
}

pub struct UnusedSuppression;

impl Rule for UnusedSuppression {
    rule_doc!("MC007-unused-suppression.md");
}
