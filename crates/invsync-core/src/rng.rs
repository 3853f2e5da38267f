//! Seeded, portable random streams: one per item.
//!
//! Every random draw in invsync comes from a ChaCha8 generator (`rand_chacha::ChaCha8Rng`)
//! whose 32-byte seed is derived from the caller's master seed and a stable key (the item
//! x location, as text). The derivation is fixed and documented so results can be
//! reproduced in any language:
//!
//! ```text
//! h      = FNV-1a 64 of the key's UTF-8 bytes
//!          (offset 0xcbf29ce484222325, prime 0x100000001b3)
//! state  = master_seed XOR h
//! w_i    = SplitMix64(state) for i = 0..4, each call advancing state by
//!          0x9e3779b97f4a7c15 and returning the finalised value
//! seed   = w_0 ‖ w_1 ‖ w_2 ‖ w_3, each little-endian
//! ```
//!
//! An item's stream therefore depends only on (master seed, item key): not on which other
//! items run, in what order, on how many threads or machines.
//!
//! The stream is an [`ItemStream`]: no type of `rand` appears in invsync's API, so
//! upgrading `rand` is not a breaking change of invsync (a change of the words drawn
//! would be a value-breaking one, and the CHANGELOG would say so).
//!
//! ```
//! use invsync_core::rng::stream;
//! let mut a = stream(42, "S1/SKU-1");
//! let mut b = stream(42, "S1/SKU-1");
//! assert_eq!(a.bounded(10), b.bounded(10));
//! ```

use std::convert::Infallible;

use rand::{Rng, RngExt, SeedableRng, TryRng};
use rand_chacha::ChaCha8Rng;

/// FNV-1a, 64 bits.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// One SplitMix64 step: advances `state` and returns the next output.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The 32-byte ChaCha8 seed for `key` under `master_seed` (see the module docs).
pub fn seed_for(master_seed: u64, key: &str) -> [u8; 32] {
    let mut state = master_seed ^ fnv1a64(key.as_bytes());
    let mut seed = [0u8; 32];
    for chunk in seed.chunks_exact_mut(8) {
        chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
    }
    seed
}

/// The random stream of `key` under `master_seed`.
pub fn stream(master_seed: u64, key: &str) -> ItemStream {
    ItemStream::from_seed(seed_for(master_seed, key))
}

/// One item's random stream: a ChaCha8 generator (20 rounds reduced to 8, the portable
/// generator of `rand_chacha`) from a 32-byte seed, usually [`seed_for`]`(master_seed,
/// key)` through [`stream`]. Its words are fixed by the seed (value-stability tests pin
/// them); the generator type itself stays private.
///
/// ```
/// use invsync_core::rng::{ItemStream, seed_for, stream};
/// let mut s = stream(7, "S1/SKU-1");
/// assert_eq!(s, ItemStream::from_seed(seed_for(7, "S1/SKU-1")));
/// let (word, x, k) = (s.next_u32(), s.unit_f64(), s.bounded(6));
/// assert!((0.0..1.0).contains(&x) && k < 6);
/// assert_eq!(s.word_pos(), 4); // one word, two for the float, one for the integer
/// # let _ = word;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemStream(ChaCha8Rng);

impl ItemStream {
    /// The stream of a 32-byte seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        ItemStream(ChaCha8Rng::from_seed(seed))
    }

    /// The next 32-bit word.
    #[inline]
    pub fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    /// The next 64 bits: two words, the first one low.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A uniform integer in `0..n` from one or more 32-bit words: Lemire's multiply-shift
    /// with rejection, unbiased and fixed by the words (no dependence on `rand`'s own
    /// range sampling). 0 when `n` is 0.
    #[inline]
    pub fn bounded(&mut self, n: u32) -> u32 {
        bounded(&mut self.0, n)
    }

    /// A uniform `f64` in `[0, 1)` from the top 53 bits of the next 64 (two words).
    #[inline]
    pub fn unit_f64(&mut self) -> f64 {
        unit_f64(&mut self.0)
    }

    /// How many 32-bit words were drawn since the seed.
    pub fn word_pos(&self) -> u128 {
        self.0.get_word_pos()
    }

    /// The generator, for the engine's samplers.
    #[inline]
    pub(crate) fn rng(&mut self) -> &mut ChaCha8Rng {
        &mut self.0
    }
}

/// A uniform integer in `0..n` (`n >= 1`) from one or more 32-bit draws: Lemire's
/// multiply-shift with rejection, so it is unbiased and its output is fixed by the
/// generator's output (no dependence on `rand`'s own range sampling, which may change).
/// Returns 0 when `n == 0`.
#[inline]
pub(crate) fn bounded<R: Rng + ?Sized>(rng: &mut R, n: u32) -> u32 {
    if n == 0 {
        return 0;
    }
    let mut m = u64::from(rng.next_u32()) * u64::from(n);
    if (m as u32) < n {
        let threshold = n.wrapping_neg() % n;
        while (m as u32) < threshold {
            m = u64::from(rng.next_u32()) * u64::from(n);
        }
    }
    (m >> 32) as u32
}

/// A generator's next `n` words taken in bulk, a chunk at a time, then served one by one:
/// the same words in the same order as drawing them from `rng` (a block generator's bulk
/// fill copies its buffer instead of returning word by word). Never more than `n` words
/// are taken ahead, so a caller that needs at least `n` leaves the generator exactly where
/// drawing one by one would; past them, words come from `rng` directly. The buffer holds
/// one chunk, whatever `n`. Only `next_u32` is served from the buffer word for word; the
/// other methods draw through it.
pub(crate) struct Prefetched<'a, R: ?Sized> {
    buffer: &'a mut Vec<u32>,
    next: usize,
    /// Words still to take ahead.
    ahead: usize,
    chunk: usize,
    rng: &'a mut R,
}

/// Words taken ahead at a time by [`Prefetched`] (16 KiB).
pub(crate) const PREFETCH_CHUNK: usize = 4096;

impl<'a, R: Rng + ?Sized> Prefetched<'a, R> {
    /// Serves `rng`'s next `n` words through `buffer`, `chunk` (>= 1) at a time.
    pub(crate) fn new(buffer: &'a mut Vec<u32>, n: usize, chunk: usize, rng: &'a mut R) -> Self {
        buffer.clear();
        Prefetched { buffer, next: 0, ahead: n, chunk: chunk.max(1), rng }
    }

    /// The next word once the buffer is spent: a new chunk if words are still to be taken
    /// ahead, else straight from the generator.
    #[cold]
    fn refill(&mut self) -> u32 {
        if self.ahead == 0 {
            return self.rng.next_u32();
        }
        let take = self.ahead.min(self.chunk);
        self.ahead -= take;
        self.buffer.resize(take, 0);
        self.rng.fill(&mut self.buffer[..]);
        self.next = 1;
        self.buffer[0]
    }
}

impl<R: Rng + ?Sized> TryRng for Prefetched<'_, R> {
    type Error = Infallible;

    #[inline(always)]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(match self.buffer.get(self.next) {
            Some(&w) => {
                self.next += 1;
                w
            }
            None => self.refill(),
        })
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        // Low word first, as a 32-bit block generator composes them.
        let lo = u64::from(self.next_u32());
        Ok(lo | (u64::from(self.next_u32()) << 32))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(4) {
            chunk.copy_from_slice(&self.next_u32().to_le_bytes()[..chunk.len()]);
        }
        Ok(())
    }
}

/// A uniform `f64` in `[0, 1)` from the top 53 bits of one 64-bit draw.
#[inline]
pub(crate) fn unit_f64<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_fixed() {
        // Value-stability: a change here is value-breaking and needs a CHANGELOG line.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        let mut r = stream(7, "S1/SKU-1");
        let first: Vec<u32> = (0..4).map(|_| r.bounded(1000)).collect();
        let mut again = stream(7, "S1/SKU-1");
        assert_eq!(first, (0..4).map(|_| again.bounded(1000)).collect::<Vec<_>>());
        assert_ne!(seed_for(7, "S1/SKU-1"), seed_for(7, "S1/SKU-2"));
        assert_ne!(seed_for(7, "S1/SKU-1"), seed_for(8, "S1/SKU-1"));
    }

    #[test]
    fn bounded_is_in_range_and_roughly_uniform() {
        let mut r = stream(1, "x").0;
        let mut counts = [0u32; 7];
        for _ in 0..70_000 {
            counts[bounded(&mut r, 7) as usize] += 1;
        }
        // Each count ~ Binomial(70000, 1/7): sd ~ 92; 6 sd bands.
        for c in counts {
            assert!((c as i64 - 10_000).abs() < 552, "{counts:?}");
        }
        assert_eq!(bounded(&mut r, 1), 0);
        assert_eq!(bounded(&mut r, 0), 0);
    }

    proptest::proptest! {
        /// Prefetched words are the generator's own, in order, and the generator goes on
        /// where they stop: exactly after the last word drawn once at least `n` are drawn
        /// (the bootstraps' case), at any starting offset in its block and for any chunk
        /// size.
        #[test]
        fn prefetched_words_are_the_stream(
            skip in 0usize..70, n in 0usize..200, k in 0usize..300, tail in 0usize..3, chunk in 1usize..80,
        ) {
            let mut direct = stream(5, "prefetch").0;
            let mut inner = stream(5, "prefetch").0;
            for _ in 0..skip {
                direct.next_u32();
                inner.next_u32();
            }
            let want: Vec<u32> = (0..n.max(k) + 8).map(|_| direct.next_u32()).collect();
            let mut buffer = vec![7; tail];
            {
                let mut p = Prefetched::new(&mut buffer, n, chunk, &mut inner);
                let got: Vec<u32> = (0..k).map(|_| p.next_u32()).collect();
                proptest::prop_assert_eq!(&got[..], &want[..k]);
                proptest::prop_assert_eq!(p.next_u64(), u64::from(want[k]) | (u64::from(want[k + 1]) << 32));
            }
            // The generator advanced by the words drawn, or by the chunks taken ahead
            // (never past `n`) when fewer than `n` were drawn.
            let drawn = k + 2;
            let at = if drawn >= n { drawn } else { n.min(drawn.div_ceil(chunk) * chunk) };
            proptest::prop_assert_eq!(inner.next_u32(), want[at]);
        }
    }
}
