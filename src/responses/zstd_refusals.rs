//! Which backends refused zstd request bodies, remembered on disk for a while.
//!
//! A backend that does not take `Content-Encoding: zstd` answers `415`, and the request is sent
//! again uncompressed (see [`body_encoding`](super::body_encoding)). Remembering that only in
//! memory would make every new process (each `chat` command, each Zed start) pay one refused
//! request first. So the refusal is kept in the cache directory, in `zstd-refusals.json`, per
//! `/responses` URL with the time it happened, and trusted for [`DEFAULT_REFUSAL_TTL`]: after
//! that zstd is tried again, in case the backend has learnt it.
//!
//! The record is a cache: a missing, unreadable or corrupt file only means zstd is tried once
//! more. Each [`ZstdRefusals`] (one per provider) keeps what it has read and learnt in memory, so
//! the file is read once per process and written once per refusal.

use crate::models::CacheLocation;
use crate::models::cache::{read_cache_bytes, write_cache_bytes};
use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How long a refusal is trusted before zstd is tried again.
pub(crate) const DEFAULT_REFUSAL_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// The file's name in the cache directory.
pub(crate) const FILE_NAME: &str = "zstd-refusals.json";

/// The layout version of the file; a file with another version is ignored.
const FILE_FORMAT_VERSION: u32 = 1;

/// The file as stored.
#[derive(Debug, Default, Serialize, Deserialize)]
struct RefusalsFile {
    #[serde(default)]
    format: u32,
    /// When each `/responses` URL last answered 415 to a zstd body.
    refused: BTreeMap<String, DateTime<Utc>>,
}

/// The backends that refused zstd, shared by the clones of one provider's handle.
#[derive(Clone, Debug)]
pub struct ZstdRefusals {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// `None`: remembered in memory only.
    file: Option<PathBuf>,
    ttl: Duration,
    /// What is known, loaded from the file on first use.
    known: Mutex<Option<BTreeMap<String, DateTime<Utc>>>>,
}

impl Default for ZstdRefusals {
    /// Remembered in memory only, for `DEFAULT_REFUSAL_TTL`.
    fn default() -> Self {
        Self::new(&CacheLocation::MemoryOnly, DEFAULT_REFUSAL_TTL)
    }
}

impl ZstdRefusals {
    /// Refusals kept in `location` (in memory only for [`CacheLocation::MemoryOnly`]) and trusted
    /// for `ttl`.
    pub fn new(location: &CacheLocation, ttl: Duration) -> Self {
        Self::in_file(location, FILE_NAME, ttl)
    }

    /// The same record kept in another file of `location` (the WebSocket refusals reuse it).
    pub(crate) fn in_file(location: &CacheLocation, file_name: &str, ttl: Duration) -> Self {
        let file = match location {
            CacheLocation::Directory(directory) => Some(directory.join(file_name)),
            CacheLocation::MemoryOnly => None,
        };
        Self {
            inner: Arc::new(Inner {
                file,
                ttl,
                known: Mutex::new(None),
            }),
        }
    }

    /// Whether `responses_url` refused zstd within the time limit.
    pub(crate) fn is_refused(&self, responses_url: &str) -> bool {
        let now = Utc::now();
        let mut known = self.inner.known.lock();
        let known = known.get_or_insert_with(|| self.read_file());
        known
            .get(responses_url)
            .is_some_and(|at| self.still_trusted(*at, now))
    }

    /// Records that `responses_url` refused zstd just now, in memory and on disk.
    pub fn remember(&self, responses_url: &str) {
        let now = Utc::now();
        let mut known = self.inner.known.lock();
        // Re-read: another process may have recorded another backend since.
        let mut merged = self.read_file();
        if let Some(known) = known.as_ref() {
            for (url, at) in known {
                merged.entry(url.clone()).or_insert(*at);
            }
        }
        merged.insert(responses_url.to_owned(), now);
        merged.retain(|_, at| self.still_trusted(*at, now));
        if let Some(path) = &self.inner.file {
            let file = RefusalsFile {
                format: FILE_FORMAT_VERSION,
                refused: merged.clone(),
            };
            let written = serde_json::to_vec_pretty(&file)
                .map_err(std::io::Error::from)
                .and_then(|bytes| write_cache_bytes(path, &bytes));
            if let Err(error) = written {
                log::warn!(
                    "could not remember in {} that the backend refused zstd: {error}",
                    path.display()
                );
            }
        }
        *known = Some(merged);
    }

    /// A refusal at `at` still holds at `now` (one dated in the future does not: the clock moved).
    fn still_trusted(&self, at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now.signed_duration_since(at)
            .to_std()
            .is_ok_and(|age| age < self.inner.ttl)
    }

    fn read_file(&self) -> BTreeMap<String, DateTime<Utc>> {
        let Some(path) = &self.inner.file else {
            return BTreeMap::new();
        };
        let Ok(bytes) = read_cache_bytes(path) else {
            return BTreeMap::new();
        };
        match serde_json::from_slice::<RefusalsFile>(&bytes) {
            Ok(file) if file.format == FILE_FORMAT_VERSION => file.refused,
            Ok(_) => BTreeMap::new(),
            Err(error) => {
                log::warn!("ignoring the unreadable {}: {error}", path.display());
                BTreeMap::new()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_remembered_per_backend_across_handles_until_it_expires() {
        let dir = tempfile::tempdir().unwrap();
        let location = CacheLocation::Directory(dir.path().to_owned());
        let refusals = ZstdRefusals::new(&location, DEFAULT_REFUSAL_TTL);
        assert!(!refusals.is_refused("http://a/responses"));
        refusals.remember("http://a/responses");
        assert!(refusals.is_refused("http://a/responses"));
        assert!(!refusals.is_refused("http://b/responses"));

        // A later process reads it from the file.
        let later = ZstdRefusals::new(&location, DEFAULT_REFUSAL_TTL);
        assert!(later.is_refused("http://a/responses"));
        // With a time limit already passed, zstd is tried again.
        let expired = ZstdRefusals::new(&location, Duration::ZERO);
        assert!(!expired.is_refused("http://a/responses"));

        // In memory only: nothing is written.
        let memory = ZstdRefusals::default();
        memory.remember("http://c/responses");
        assert!(memory.is_refused("http://c/responses"));
        assert!(!later.is_refused("http://c/responses"));
    }

    #[test]
    fn a_corrupt_file_means_zstd_is_tried() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), b"{ not json").unwrap();
        let location = CacheLocation::Directory(dir.path().to_owned());
        let refusals = ZstdRefusals::new(&location, DEFAULT_REFUSAL_TTL);
        assert!(!refusals.is_refused("http://a/responses"));
        refusals.remember("http://a/responses");
        assert!(ZstdRefusals::new(&location, DEFAULT_REFUSAL_TTL).is_refused("http://a/responses"));
    }
}
