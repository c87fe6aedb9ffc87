//! Findings come from the layouts (`source::layout::goose::refused`,
//! `source::layout::dbmate::near_miss`), reported by the engine for each migration; this rule
//! carries the id, level and documentation.
use super::{Rule, rule_doc};

pub struct InvalidMigrationMarker;

impl Rule for InvalidMigrationMarker {
    rule_doc!("MC008-invalid-migration-marker.md");
}
