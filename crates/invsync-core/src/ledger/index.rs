//! A hash index from keys the ledger already stores (event ids in the log, item x
//! location pairs in the key table) to their positions.
//!
//! The table holds only `(position, hash)` pairs, 8 bytes each: the keys stay where they
//! are, nothing is cloned into the index (no reference-count traffic on the hot path), and
//! equality is decided by the caller looking at its own storage. The stored 32-bit hash
//! lets the table grow without touching the keys, and filters almost every false match
//! before the caller is asked.
//!
//! Hashing is foldhash, seeded per process: fast on the short texts ids are, and not
//! predictable from outside the process. The index is never iterated, so the seed cannot
//! change any output.

use std::hash::{BuildHasher, Hash};

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;

#[derive(Clone, Debug, Default)]
pub(crate) struct Index {
    table: HashTable<(u32, u32)>,
    state: foldhash::fast::RandomState,
}

/// Widens a stored 32-bit hash for the table: the low bits (the bucket) are those of the
/// hash, the top bits (the table's tag) mix all 32.
fn spread(h: u32) -> u64 {
    u64::from(h).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(h)
}

impl Index {
    /// The hash `find`, `claim`, `insert` and `remove` expect for `key`.
    pub(crate) fn hash<K: Hash + ?Sized>(&self, key: &K) -> u32 {
        // Truncation intended: 32 bits are stored beside each position.
        self.state.hash_one(key) as u32
    }

    /// The position whose key hashes to `h` and satisfies `is_key`.
    pub(crate) fn find(&self, h: u32, mut is_key: impl FnMut(u32) -> bool) -> Option<u32> {
        self.table.find(spread(h), |&(p, ph)| ph == h && is_key(p)).map(|&(p, _)| p)
    }

    /// Records `pos` for a key hashing to `h`, unless `is_key` finds the key already
    /// there: then its position is returned and nothing changes. One probe either way.
    pub(crate) fn claim(&mut self, h: u32, pos: u32, mut is_key: impl FnMut(u32) -> bool) -> Result<(), u32> {
        match self.table.entry(spread(h), |&(p, ph)| ph == h && is_key(p), |&(_, ph)| spread(ph)) {
            Entry::Occupied(o) => Err(o.get().0),
            Entry::Vacant(v) => {
                v.insert((pos, h));
                Ok(())
            }
        }
    }

    /// Records `pos` for a key hashing to `h` that is known not to be in the index.
    pub(crate) fn insert(&mut self, h: u32, pos: u32) {
        self.table.insert_unique(spread(h), (pos, h), |&(_, ph)| spread(ph));
    }

    /// Forgets position `pos` (recorded with hash `h`).
    pub(crate) fn remove(&mut self, h: u32, pos: u32) {
        if let Ok(e) = self.table.find_entry(spread(h), |&e| e == (pos, h)) {
            e.remove();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_claims_and_forgets() {
        let keys = ["a", "b", "c"];
        let mut ix = Index::default();
        for (p, k) in keys.iter().enumerate() {
            assert_eq!(ix.claim(ix.hash(k), p as u32, |q| keys[q as usize] == *k), Ok(()));
        }
        assert_eq!(ix.claim(ix.hash("b"), 9, |q| keys[q as usize] == "b"), Err(1));
        assert_eq!(ix.find(ix.hash("c"), |q| keys[q as usize] == "c"), Some(2));
        ix.remove(ix.hash("c"), 2);
        assert_eq!(ix.find(ix.hash("c"), |q| keys[q as usize] == "c"), None);
        ix.insert(ix.hash("c"), 2);
        assert_eq!(ix.find(ix.hash("c"), |q| keys[q as usize] == "c"), Some(2));
    }

    #[test]
    fn grows_past_many_keys() {
        let keys: Vec<String> = (0..100_000).map(|i| format!("id-{i}")).collect();
        let mut ix = Index::default();
        for (p, k) in keys.iter().enumerate() {
            ix.insert(ix.hash(k.as_str()), p as u32);
        }
        for (p, k) in keys.iter().enumerate() {
            assert_eq!(ix.find(ix.hash(k.as_str()), |q| keys[q as usize] == *k), Some(p as u32));
        }
    }
}
