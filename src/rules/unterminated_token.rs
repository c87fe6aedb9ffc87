//! Findings come from the splitter's problems (see `source::split`), reported by the engine.
use super::{Rule, rule_doc};

pub struct UnterminatedToken;

impl Rule for UnterminatedToken {
    rule_doc!("MC003-unterminated-token.md");
}
