//! [`TokenCache`]: token counts of texts already encoded, so counting a thread that grew by one
//! message costs about that message.
//!
//! The host asks for the count of the same growing thread before every turn; each ask
//! re-sends every message. Encoding is the expensive part (BPE over every byte), hashing is
//! not (xxh3 runs at several GB/s), so each text's count is kept under its 128-bit xxh3 hash
//! and its length. A 128-bit key makes an accidental collision (the only way a cached count
//! could differ from a fresh one) vanishingly unlikely (about 2⁻⁶⁴ for a billion texts).
//!
//! Memory is bounded: at most [`CACHED_TEXTS`] entries of 32 bytes plus the LRU's links,
//! whatever the size of the texts, and the least recently used text is evicted first, so the
//! thread being worked on stays cached while old threads age out. Only the shortest texts (a
//! word or two) are encoded directly: even a tool name costs the BPE's regex split a few
//! microseconds, many times a hash lookup.

use lru::LruCache;
use parking_lot::Mutex;
use std::num::NonZeroUsize;
use std::sync::OnceLock;
use tiktoken_rs::CoreBPE;

/// How many texts' counts are kept (about 1 MiB with the LRU's bookkeeping): a 150-turn agent
/// thread has about 800 texts, so several long threads fit.
pub(crate) const CACHED_TEXTS: usize = 16 * 1024;
/// Texts shorter than this many bytes are encoded without the cache.
pub(crate) const MIN_CACHED_BYTES: usize = 8;

/// A text's identity in the cache: its xxh3-128 hash and its length.
type TextKey = (u128, usize);

/// The `o200k_base` encoder, built on first use, and the token counts of recently counted texts,
/// least recently used evicted first.
pub struct TokenCache {
    encoder: OnceLock<Result<CoreBPE, String>>,
    counts: Mutex<LruCache<TextKey, u64>>,
}

impl Default for TokenCache {
    /// An empty cache of `CACHED_TEXTS` texts.
    fn default() -> Self {
        Self::new(NonZeroUsize::new(CACHED_TEXTS).unwrap_or(NonZeroUsize::MIN))
    }
}

impl TokenCache {
    /// An empty cache holding up to `capacity` texts' counts.
    pub fn new(capacity: NonZeroUsize) -> Self {
        Self {
            encoder: OnceLock::new(),
            counts: Mutex::new(LruCache::new(capacity)),
        }
    }

    /// The `o200k_base` encoder, built on the first call (tens of milliseconds: call it off the
    /// UI thread).
    pub fn encoder(&self) -> anyhow::Result<&CoreBPE> {
        self.encoder
            .get_or_init(|| tiktoken_rs::o200k_base().map_err(|error| format!("{error:#}")))
            .as_ref()
            .map_err(|error| anyhow::anyhow!("could not build the o200k_base tokenizer: {error}"))
    }

    /// Builds the encoder now (from a background task at start-up), so the first count is fast.
    pub fn warm_up(&self) -> anyhow::Result<()> {
        self.encoder().map(|_| ())
    }

    /// The number of tokens `bpe` encodes `text` into, from the cache when it was counted before.
    pub fn count(&self, bpe: &CoreBPE, text: &str) -> u64 {
        if text.len() < MIN_CACHED_BYTES {
            return bpe.encode_ordinary(text).len() as u64;
        }
        let key = (xxhash_rust::xxh3::xxh3_128(text.as_bytes()), text.len());
        if let Some(count) = self.counts.lock().get(&key) {
            return *count;
        }
        // Encoded outside the lock: other threads keep counting meanwhile.
        let count = bpe.encode_ordinary(text).len() as u64;
        self.counts.lock().put(key, count);
        count
    }

    /// How many texts' counts are held.
    pub fn len(&self) -> usize {
        self.counts.lock().len()
    }

    /// Whether no count is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every count (for benchmarks of a cold count).
    pub fn clear(&self) {
        self.counts.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_the_encoder_and_memory_stays_bounded() {
        let bpe = tiktoken_rs::o200k_base().unwrap();
        let cache = TokenCache::new(NonZeroUsize::new(4).unwrap());
        let texts: Vec<String> = (0..10)
            .map(|index| {
                format!(
                    "fn item_{index}() -> u32 {{ {index} }} // {}",
                    "x".repeat(64)
                )
            })
            .collect();
        for text in texts.iter().chain(texts.iter()) {
            assert_eq!(
                cache.count(&bpe, text),
                bpe.encode_ordinary(text).len() as u64
            );
        }
        assert_eq!(cache.len(), 4);
        // The shortest texts are not cached.
        assert_eq!(cache.count(&bpe, "hello"), 1);
        assert_eq!(cache.len(), 4);
    }

    #[test]
    fn the_most_recently_used_texts_survive() {
        let bpe = tiktoken_rs::o200k_base().unwrap();
        let cache = TokenCache::new(NonZeroUsize::new(2).unwrap());
        let [a, b, c] = ["a", "b", "c"].map(|letter| letter.repeat(MIN_CACHED_BYTES));
        cache.count(&bpe, &a);
        cache.count(&bpe, &b);
        cache.count(&bpe, &a); // a is now the most recent
        cache.count(&bpe, &c); // evicts b
        let held = |text: &str| {
            let key = (xxhash_rust::xxh3::xxh3_128(text.as_bytes()), text.len());
            cache.counts.lock().contains(&key)
        };
        assert!(held(&a) && held(&c) && !held(&b));
    }
}
