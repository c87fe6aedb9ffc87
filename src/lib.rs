//! migcheck: a PostgreSQL migration safety linter.

pub mod ir;
pub mod parse;
pub mod pg;
pub mod source;
