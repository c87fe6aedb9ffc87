//! migcheck: a PostgreSQL migration safety linter.
//!
//! Pipeline: discover → layout → split & mask → parse → operations → replay → rules → findings
//! → reporters. See DESIGN.md in the shared folder and README.md.

pub mod catalog;
pub mod cli;
pub mod config;
pub mod engine;
pub mod fasthash;
pub mod ir;
pub mod ordered;
pub mod parse;
pub mod pg;
pub mod report;
pub mod rules;
pub mod signoff;
pub mod source;
pub mod stats;
pub mod stats_db;
pub mod suppress;
pub mod tls;
pub mod trace;
