//! A fast non-cryptographic hasher for migcheck's in-memory maps (paths, table names, the
//! catalog's candidate lookups). std's SipHash resists hash flooding, which does not matter for
//! keys taken from the user's own migration files, and cost a tenth of a run's instructions.
//! Output order never depends on a map's iteration order, so the hasher is free to change.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// Multiply-rotate hashing, a word at a time.
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

const K: u64 = 0xf135_7aea_2e62_a9c5;

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // the product's high bits are the well-mixed ones; hash tables index by the low bits
        self.0.rotate_left(26)
    }
}

pub type FastBuild = BuildHasherDefault<FastHasher>;
pub type FastMap<K, V> = HashMap<K, V, FastBuild>;
pub type FastSet<K> = HashSet<K, FastBuild>;

/// The set's copy of `text`, added when missing: equal texts then share one allocation.
pub fn intern(set: &mut FastSet<std::sync::Arc<str>>, text: &str) -> std::sync::Arc<str> {
    if let Some(a) = set.get(text) {
        return std::sync::Arc::clone(a);
    }
    let a: std::sync::Arc<str> = text.into();
    set.insert(std::sync::Arc::clone(&a));
    a
}

/// A path as a map key: its bytes. `Path`'s own `Hash` and `Eq` go component by component
/// (some 1,200 instructions to hash a migration's path, 3.5 % of a run over real folders);
/// the paths of a run come from one directory walk and are spelled alike, so their bytes
/// identify them. Maps keyed by `Vec<u8>` are looked up with `path_key(p)`.
pub fn path_key(p: &std::path::Path) -> &[u8] {
    p.as_os_str().as_encoded_bytes()
}

/// A path's bytes hashed (sets of many paths held as hashes: a collision can only make a
/// membership test say yes, so users confirm a yes).
pub fn path_hash(p: &std::path::Path) -> u64 {
    use std::hash::BuildHasher;
    FastBuild::default().hash_one(path_key(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    fn h<T: Hash>(t: T) -> u64 {
        FastBuild::default().hash_one(t)
    }

    #[test]
    fn distinguishes_near_keys() {
        let keys = [
            "",
            "a",
            "b",
            "ab",
            "ba",
            "a\0",
            "users",
            "users_",
            "public.users",
        ];
        let mut seen = FastSet::default();
        for k in keys {
            assert!(seen.insert(h(k)), "collision on {k:?}");
        }
        assert_ne!(h(("a", "bc")), h(("ab", "c")));
        // buckets are chosen by the low bits: sequential integers spread over them
        let low: FastSet<u64> = (0u64..1024).map(|i| h(i) & 1023).collect();
        assert!(
            low.len() > 600,
            "{} distinct low-bit buckets of 1024",
            low.len()
        );
    }
}
