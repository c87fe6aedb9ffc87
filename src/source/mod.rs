//! From paths on disk to statements: discovery, migration layouts, text decoding, splitting.

pub mod discover;
pub mod layout;
pub mod split;
pub mod text;
