//! Findings come from layout detection (see `source::layout::detect`), reported by the engine.
use super::{Rule, rule_doc};

pub struct LayoutAmbiguous;

impl Rule for LayoutAmbiguous {
    rule_doc!("MC004-layout-ambiguous.md");
}
