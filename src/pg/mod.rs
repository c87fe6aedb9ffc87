//! Everything migcheck knows about PostgreSQL lives here: versions, lock modes and their
//! conflicts, and per-operation behaviour by version (measured on real servers).

pub mod classify;
pub mod facts;
pub mod functions;
pub mod lock;
pub mod txn;
pub mod types;
pub mod version;

pub use facts::{Fact, FactRow, InTxn, lookup};
pub use lock::LockMode;
pub use version::{PgRange, PgVersion};
