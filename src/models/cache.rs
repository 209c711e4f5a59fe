//! The per-account model cache: in memory, and on disk as one JSON file per account.
//!
//! A cached list remembers when it was fetched, with which `client_version`, and its `ETag`
//! (spec §5). It is fresh for a TTL of minutes; after that, or once marked stale (an
//! `x-models-etag` on a `/responses` answer that differs from the cached `ETag`), the catalog
//! revalidates it with `If-None-Match`, and a `304` renews it. On start-up the disk copy fills
//! the picker at once, before any network round trip.
//!
//! Files live in `<cache dir>/openai-subscribed/models-<account>.json` and are written
//! atomically (a temporary file in the same directory, then a rename) so that a crash or a
//! concurrent writer never leaves half a file. A file that cannot be read is ignored (and
//! replaced by the next fetch): a cache is never a reason to fail.
//!
//! Every file of the cache directory (model lists, usage snapshots, and anything else kept
//! there) is written with `write_cache_bytes`, whose temporary files are named after
//! [`CACHE_TEMP_FILES`]. A writer killed before its rename leaves its temporary file behind; the
//! next read or write of the cache removes it (see `crate::atomic_file` for how a dead writer's
//! file is told from a live one's).

use super::ModelInfo;
use crate::atomic_file::{self, TempPattern};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a fetched list is trusted before it is revalidated.
pub(crate) const DEFAULT_TTL: Duration = Duration::from_secs(15 * 60);

/// The layout version of the cache file; a file with another version is ignored.
const FILE_FORMAT_VERSION: u32 = 1;

/// The temporary files of every write to the cache directory.
pub const CACHE_TEMP_FILES: TempPattern = TempPattern {
    prefix: ".openai-subscribed-cache-",
    suffix: ".tmp",
};

/// Where cache files go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheLocation {
    /// Files in this directory.
    Directory(PathBuf),
    /// No files: the cache lives only as long as the process (no cache directory exists).
    MemoryOnly,
}

impl CacheLocation {
    /// `<user cache dir>/openai-subscribed` (e.g. `~/.cache/openai-subscribed` on Linux), or
    /// memory only on a system without a cache directory.
    pub(crate) fn user_default() -> Self {
        match dirs::cache_dir() {
            Some(dir) => Self::Directory(dir.join("openai-subscribed")),
            None => Self::MemoryOnly,
        }
    }

    /// The file holding `account_id`'s list, if the cache has files.
    pub fn file_for(&self, account_id: &str) -> Option<PathBuf> {
        self.account_file("models", account_id)
    }

    /// The file `<kind>-<account>.json` in the cache directory (`kind` is what it holds, e.g.
    /// `models` or `usage`), if the cache has files.
    pub(crate) fn account_file(&self, kind: &str, account_id: &str) -> Option<PathBuf> {
        match self {
            Self::Directory(dir) => Some(dir.join(file_name(kind, account_id))),
            Self::MemoryOnly => None,
        }
    }
}

/// `<kind>-<account>.json`, with any character that is not safe in a file name replaced. The
/// file also records the account id itself, so two ids that map to one name never mix.
fn file_name(kind: &str, account_id: &str) -> String {
    let safe: String = account_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{kind}-{safe}.json")
}

/// One account's cached list, as stored on disk.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CachedModels {
    /// The file layout version.
    #[serde(default)]
    pub format: u32,
    /// The ChatGPT account the list belongs to (plans differ: lists are never shared).
    pub account_id: String,
    /// The `client_version` the list was fetched with: the backend filters by it, so a list
    /// fetched with another version is revalidated.
    pub client_version: String,
    /// When the backend last confirmed the list (a `200`, or a `304` that renewed it).
    pub fetched_at: DateTime<Utc>,
    /// The `ETag` to revalidate with.
    pub etag: Option<String>,
    /// The listed models, sorted by priority.
    pub models: Vec<ModelInfo>,
}

impl CachedModels {
    /// A list fetched now.
    pub fn new(
        account_id: impl Into<String>,
        client_version: impl Into<String>,
        fetched_at: DateTime<Utc>,
        etag: Option<String>,
        models: Vec<ModelInfo>,
    ) -> Self {
        Self {
            format: FILE_FORMAT_VERSION,
            account_id: account_id.into(),
            client_version: client_version.into(),
            fetched_at,
            etag,
            models,
        }
    }
}

/// Whether a cached list can be used without asking the backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Freshness {
    /// Within its TTL and not marked stale: no request needed.
    Fresh,
    /// Older than the TTL (or dated in the future: the clock moved): revalidate.
    Expired,
    /// Marked stale by a differing `x-models-etag`: revalidate.
    MarkedStale,
    /// Fetched with another `client_version`: revalidate, the backend may show other models.
    OtherClientVersion,
    /// Nothing cached for the account: fetch.
    Missing,
}

impl Freshness {
    /// Whether the backend should be asked.
    pub(crate) fn needs_fetch(self) -> bool {
        self != Self::Fresh
    }
}

/// An in-memory entry: the list plus what only this process knows about it.
#[derive(Clone, Debug)]
struct Entry {
    cached: CachedModels,
    marked_stale: bool,
}

/// The per-account cache (memory, backed by files).
#[derive(Debug)]
pub(crate) struct ModelCache {
    location: CacheLocation,
    ttl: Duration,
    entries: HashMap<String, Entry>,
}

impl ModelCache {
    /// An empty cache over `location`, trusting lists for `ttl`.
    pub fn new(location: CacheLocation, ttl: Duration) -> Self {
        Self {
            location,
            ttl,
            entries: HashMap::new(),
        }
    }

    /// The account's list in memory, loading it from its file the first time.
    ///
    /// Reads one small file synchronously: that is what lets the picker show the cached list
    /// at start-up before any network round trip.
    pub fn load(&mut self, account_id: &str) -> Option<&CachedModels> {
        if !self.entries.contains_key(account_id) {
            let path = self.location.file_for(account_id)?;
            let cached = read_cache_file(&path, account_id)?;
            self.entries.insert(
                account_id.to_owned(),
                Entry {
                    cached,
                    marked_stale: false,
                },
            );
        }
        self.get(account_id)
    }

    /// The account's list if it is in memory.
    pub fn get(&self, account_id: &str) -> Option<&CachedModels> {
        self.entries.get(account_id).map(|entry| &entry.cached)
    }

    /// Whether the account's in-memory list can be used as is.
    pub(crate) fn freshness(
        &self,
        account_id: &str,
        client_version: &str,
        now: DateTime<Utc>,
    ) -> Freshness {
        let Some(entry) = self.entries.get(account_id) else {
            return Freshness::Missing;
        };
        if entry.cached.client_version != client_version {
            return Freshness::OtherClientVersion;
        }
        if entry.marked_stale {
            return Freshness::MarkedStale;
        }
        let age = now.signed_duration_since(entry.cached.fetched_at);
        match age.to_std() {
            Ok(age) if age < self.ttl => Freshness::Fresh,
            // Older than the TTL, or negative (fetched "in the future": the clock was moved).
            _ => Freshness::Expired,
        }
    }

    /// Marks the account's list stale: the next refresh revalidates it even within the TTL.
    pub fn mark_stale(&mut self, account_id: &str) {
        if let Some(entry) = self.entries.get_mut(account_id) {
            entry.marked_stale = true;
        }
    }

    /// Keeps a newly fetched list in memory. Returns the file to write it to, if any: the
    /// caller writes it (with [`write_cache_file`]) off the UI thread.
    pub fn insert(&mut self, cached: CachedModels) -> Option<PathBuf> {
        let path = self.location.file_for(&cached.account_id);
        self.entries.insert(
            cached.account_id.clone(),
            Entry {
                cached,
                marked_stale: false,
            },
        );
        path
    }

    /// A `304` confirmed the account's list at `now`: it is fresh again. Returns the renewed
    /// list and its file, for the caller to persist.
    pub fn renew(
        &mut self,
        account_id: &str,
        now: DateTime<Utc>,
    ) -> Option<(CachedModels, PathBuf)> {
        let entry = self.entries.get_mut(account_id)?;
        entry.cached.fetched_at = now;
        entry.marked_stale = false;
        let path = self.location.file_for(account_id)?;
        Some((entry.cached.clone(), path))
    }
}

/// Reads a cache file. A missing, unreadable, corrupt, other-version or other-account file is
/// `None` (logged unless simply missing): the caller fetches instead.
pub fn read_cache_file(path: &Path, account_id: &str) -> Option<CachedModels> {
    let bytes = match read_cache_bytes(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
        Err(error) => {
            log::warn!("ignoring the model cache {}: {error}", path.display());
            return None;
        }
    };
    let cached: CachedModels = match serde_json::from_slice(&bytes) {
        Ok(cached) => cached,
        Err(error) => {
            log::warn!(
                "ignoring the unreadable model cache {}: {error}",
                path.display()
            );
            return None;
        }
    };
    if cached.format != FILE_FORMAT_VERSION || cached.account_id != account_id {
        log::info!(
            "ignoring the model cache {}: other format or account",
            path.display()
        );
        return None;
    }
    Some(cached)
}

/// Writes a cache file atomically: a temporary file in the same directory, flushed, then renamed
/// over the old one, so a reader sees either the old list or the new one, never half of one.
pub(crate) fn write_cache_file(path: &Path, cached: &CachedModels) -> std::io::Result<()> {
    let mut bytes = serde_json::to_vec_pretty(cached)?;
    bytes.push(b'\n');
    write_cache_bytes(path, &bytes)
}

/// Reads a file of the cache directory, first removing the temporary files that killed writers
/// left there.
pub(crate) fn read_cache_bytes(path: &Path) -> std::io::Result<Vec<u8>> {
    remove_abandoned_beside(path);
    std::fs::read(path)
}

/// Replaces a file of the cache directory atomically (through a temporary file named after
/// [`CACHE_TEMP_FILES`]), first removing the temporary files that killed writers left there.
pub(crate) fn write_cache_bytes(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    remove_abandoned_beside(path);
    atomic_file::write_atomically(path, CACHE_TEMP_FILES, bytes)
}

fn remove_abandoned_beside(path: &Path) {
    if let Some(directory) = path.parent() {
        atomic_file::remove_abandoned(directory, CACHE_TEMP_FILES);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn model(slug: &str) -> ModelInfo {
        serde_json::from_value(serde_json::json!({
            "slug": slug, "display_name": slug, "visibility": "list", "context_window": 1000,
            "supported_reasoning_levels": [{"effort": "low", "description": "fast"}],
        }))
        .unwrap()
    }

    fn cached(account: &str, at: DateTime<Utc>) -> CachedModels {
        CachedModels::new(
            account,
            "1.0.0",
            at,
            Some("\"e1\"".into()),
            vec![model("m1"), model("m2")],
        )
    }

    #[test]
    fn a_cache_file_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let location = CacheLocation::Directory(dir.path().join("nested"));
        let path = location.file_for("acct_1").unwrap();
        let original = cached("acct_1", Utc::now());
        write_cache_file(&path, &original).unwrap();
        assert_eq!(read_cache_file(&path, "acct_1"), Some(original.clone()));

        // A rewrite replaces it whole and leaves no temporary file behind.
        let mut newer = original.clone();
        newer.models.truncate(1);
        write_cache_file(&path, &newer).unwrap();
        assert_eq!(read_cache_file(&path, "acct_1"), Some(newer));
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1
        );
    }

    #[test]
    fn bad_files_are_ignored_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("models-acct_1.json");
        assert_eq!(read_cache_file(&path, "acct_1"), None);
        std::fs::write(&path, b"{ not json").unwrap();
        assert_eq!(read_cache_file(&path, "acct_1"), None);
        write_cache_file(&path, &cached("acct_other", Utc::now())).unwrap();
        assert_eq!(read_cache_file(&path, "acct_1"), None);
        let mut future_format = cached("acct_1", Utc::now());
        future_format.format = FILE_FORMAT_VERSION + 1;
        write_cache_file(&path, &future_format).unwrap();
        assert_eq!(read_cache_file(&path, "acct_1"), None);
    }

    #[test]
    fn account_ids_make_safe_file_names() {
        let location = CacheLocation::Directory(PathBuf::from("/c"));
        assert_eq!(
            location.file_for("acct_1-x").unwrap(),
            PathBuf::from("/c/models-acct_1-x.json")
        );
        assert_eq!(
            location.file_for("../../etc/passwd").unwrap(),
            PathBuf::from("/c/models-______etc_passwd.json")
        );
        assert_eq!(CacheLocation::MemoryOnly.file_for("a"), None);
    }

    #[test]
    fn a_list_is_fresh_for_the_ttl_then_expires() {
        let now = Utc::now();
        let mut cache = ModelCache::new(CacheLocation::MemoryOnly, Duration::from_secs(600));
        assert_eq!(cache.freshness("acct_1", "1.0.0", now), Freshness::Missing);
        cache.insert(cached("acct_1", now));
        assert_eq!(cache.freshness("acct_1", "1.0.0", now), Freshness::Fresh);
        let later = now + TimeDelta::seconds(599);
        assert_eq!(cache.freshness("acct_1", "1.0.0", later), Freshness::Fresh);
        let expired = now + TimeDelta::seconds(600);
        assert_eq!(
            cache.freshness("acct_1", "1.0.0", expired),
            Freshness::Expired
        );
        let clock_moved_back = now - TimeDelta::seconds(60);
        assert_eq!(
            cache.freshness("acct_1", "1.0.0", clock_moved_back),
            Freshness::Expired
        );
        assert_eq!(
            cache.freshness("acct_1", "2.0.0", now),
            Freshness::OtherClientVersion
        );
        // A 304 renews the list.
        cache.renew("acct_1", expired);
        assert_eq!(
            cache.freshness("acct_1", "1.0.0", expired),
            Freshness::Fresh
        );
    }

    #[test]
    fn marking_stale_forces_a_revalidation_until_renewed() {
        let now = Utc::now();
        let mut cache = ModelCache::new(CacheLocation::MemoryOnly, DEFAULT_TTL);
        cache.insert(cached("acct_1", now));
        cache.mark_stale("acct_1");
        assert_eq!(
            cache.freshness("acct_1", "1.0.0", now),
            Freshness::MarkedStale
        );
        assert!(cache.freshness("acct_1", "1.0.0", now).needs_fetch());
        cache.renew("acct_1", now);
        assert_eq!(cache.freshness("acct_1", "1.0.0", now), Freshness::Fresh);
    }

    #[test]
    fn load_reads_the_file_once_per_account() {
        let dir = tempfile::tempdir().unwrap();
        let location = CacheLocation::Directory(dir.path().to_owned());
        let path = location.file_for("acct_1").unwrap();
        write_cache_file(&path, &cached("acct_1", Utc::now())).unwrap();
        let mut cache = ModelCache::new(location, DEFAULT_TTL);
        assert_eq!(cache.load("acct_1").unwrap().models.len(), 2);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(cache.load("acct_1").unwrap().models.len(), 2);
        assert!(cache.load("acct_2").is_none());
    }
}
