//! The last usage-limit snapshot of each account, kept on disk so that the configuration view
//! and `openai-subscribed usage` can show the plan's limits before the next request.
//!
//! The backend reports limits only in the headers of `/responses` answers, so the snapshot is as
//! old as the last answer; it carries its `observed_at` time and the UI says so.

use crate::models::CacheLocation;
use crate::models::cache::{read_cache_bytes, write_cache_bytes};
use crate::usage::UsageLimits;
use gpui::{App, AppContext as _, Task};
use std::path::PathBuf;

/// Reads and writes `usage-<account>.json` beside the model cache.
#[derive(Clone, Debug)]
pub(crate) struct UsageCache {
    location: CacheLocation,
}

impl UsageCache {
    /// A cache in `location` (nothing is written for [`CacheLocation::MemoryOnly`]).
    pub fn new(location: CacheLocation) -> Self {
        Self { location }
    }

    /// Where the files go.
    pub fn location(&self) -> &CacheLocation {
        &self.location
    }

    fn path(&self, account_id: &str) -> Option<PathBuf> {
        self.location.account_file("usage", account_id)
    }

    /// The snapshot last saved for `account_id`; a missing or unreadable file is `None`.
    pub fn load(&self, account_id: &str) -> Option<UsageLimits> {
        let bytes = read_cache_bytes(&self.path(account_id)?).ok()?;
        match serde_json::from_slice(&bytes) {
            Ok(usage) => Some(usage),
            Err(error) => {
                log::warn!("ignoring an unreadable usage snapshot: {error}");
                None
            }
        }
    }

    /// Saves `usage` for `account_id` in the background, atomically (temp file + rename), after
    /// `previous` (the write of an older snapshot) has finished: two writes on two background
    /// threads could otherwise land out of order and leave the older snapshot on disk. The task
    /// ends when the file is written; dropping it before it runs skips the write.
    pub fn save(
        &self,
        account_id: &str,
        usage: &UsageLimits,
        previous: Option<Task<()>>,
        cx: &App,
    ) -> Task<()> {
        let Some(path) = self.path(account_id) else {
            return previous.unwrap_or_else(|| Task::ready(()));
        };
        let Ok(bytes) = serde_json::to_vec_pretty(usage) else {
            return previous.unwrap_or_else(|| Task::ready(()));
        };
        cx.background_spawn(async move {
            if let Some(previous) = previous {
                previous.await;
            }
            if let Err(error) = write_cache_bytes(&path, &bytes) {
                log::warn!("could not cache the usage snapshot: {error}");
            }
        })
    }

    /// Deletes `account_id`'s snapshot (on sign-out).
    pub fn forget(&self, account_id: &str) {
        if let Some(path) = self.path(account_id) {
            std::fs::remove_file(path).ok();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_forgets() {
        let dir = tempfile::tempdir().unwrap();
        let cache = UsageCache::new(CacheLocation::Directory(dir.path().to_path_buf()));
        assert!(cache.load("acct/1").is_none());
        let usage = UsageLimits::default();
        let path = cache.path("acct/1").unwrap();
        assert_eq!(path.file_name().unwrap(), "usage-acct_1.json");
        write_cache_bytes(&path, &serde_json::to_vec(&usage).unwrap()).unwrap();
        assert_eq!(cache.load("acct/1"), Some(usage));
        std::fs::write(&path, b"{not json").unwrap();
        assert!(cache.load("acct/1").is_none());
        cache.forget("acct/1");
        assert!(!path.exists());
    }
}
