//! [`QuitJournal`]: where a renewal's answer is kept when the app quits before it could be
//! stored, and how the next start (or the next renewal) moves it into the store.
//!
//! The issuer spends the stored refresh token the moment it reads a refresh request; the rotated
//! one exists only in the answer. The command line waits for that answer and its store write
//! before it quits. An editor cannot: gpui runs its quit hooks with the application borrowed
//! (no credential-store call can start: the keychain goes through `AsyncApp`) and gives them
//! 100 ms. So the quit hook ([`super::in_flight::keep_answers_at_quit`]) blocks the UI thread,
//! bounded by [`QUIT_WAIT`], until the issuer's answer arrives (it is read off the UI thread), and
//! writes it here: one small file beside the store's refresh lock, owner-only, replaced
//! atomically.
//!
//! The entry names the refresh token it was renewed from by its SHA-256 (never the token). The
//! next time this store is read under its cross-process lock ([`recover`]: when a state loads, and
//! at the start of every renewal), the entry is moved into the store if the store still holds
//! the sign-in it was renewed from, and deleted otherwise (the user signed out, signed in anew,
//! or another process already stored a later renewal). Either way the file is gone afterwards: it
//! holds tokens only between a quit and the next start.

use crate::atomic_file::{self, TempPattern};
use crate::credentials::{CredentialStore, RefreshLock, StoredCredentials};
use crate::secret::RefreshToken;
use gpui::AsyncApp;
use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The longest the quit hook blocks (the UI thread, at quit) for the answers of renewals still
/// waiting for the issuer: enough for a slow issuer, short enough that quitting never hangs.
pub const QUIT_WAIT: Duration = Duration::from_secs(10);

/// The journal's temporary files, recognisable when a writer died mid-write.
const TEMP_PATTERN: TempPattern = TempPattern {
    prefix: ".chatgpt-renewal-answer",
    suffix: ".tmp",
};

/// The entry's format.
const FORMAT: u32 = 1;

/// The file that keeps a renewal's answer across a quit, for one credential store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuitJournal {
    path: PathBuf,
}

/// What the file holds.
#[derive(Serialize, Deserialize)]
struct Entry {
    format: u32,
    /// SHA-256 (hex) of the refresh token the renewal spent.
    renewed_from: String,
    /// The new record, as the store would keep it ([`StoredCredentials::encode`]).
    record: serde_json::Value,
}

impl QuitJournal {
    /// The journal of the store whose cross-process lock is `lock` (a store without a lock has
    /// nothing to recover across processes, and no journal).
    pub fn beside(lock: &RefreshLock) -> Self {
        let mut name = lock.path().as_os_str().to_owned();
        name.push(".answer");
        Self {
            path: PathBuf::from(name),
        }
    }

    /// Where the entry is written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Keeps `record`, renewed from `spent`. Synchronous: it runs in the quit hook.
    pub fn keep(&self, spent: &RefreshToken, record: &StoredCredentials) -> std::io::Result<()> {
        let entry = Entry {
            format: FORMAT,
            renewed_from: fingerprint(spent),
            record: serde_json::from_slice(&record.encode()).map_err(std::io::Error::other)?,
        };
        let bytes = serde_json::to_vec(&entry).map_err(std::io::Error::other)?;
        atomic_file::write_atomically(&self.path, TEMP_PATTERN, &bytes)
    }

    /// The kept entry, if there is a readable one; an unreadable one is removed.
    fn take(&self) -> Option<(String, StoredCredentials)> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
            Err(error) => {
                log::warn!("could not read {}: {error}", self.path.display());
                return None;
            }
        };
        let entry = serde_json::from_slice::<Entry>(&bytes)
            .ok()
            .filter(|entry| entry.format == FORMAT)
            .and_then(|entry| {
                let record = serde_json::to_vec(&entry.record).ok()?;
                Some((entry.renewed_from, StoredCredentials::decode(&record).ok()?))
            });
        if entry.is_none() {
            log::warn!(
                "removing {}: not a renewal answer this version reads",
                self.path.display()
            );
            self.remove();
        }
        entry
    }

    fn remove(&self) {
        match std::fs::remove_file(&self.path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => log::warn!("could not remove {}: {error}", self.path.display()),
        }
        if let Some(directory) = self.path.parent() {
            atomic_file::remove_abandoned(directory, TEMP_PATTERN);
        }
    }
}

/// What [`recover`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// No entry was kept.
    Nothing,
    /// The entry was the answer to the stored sign-in's last renewal: it is stored now.
    Stored,
    /// The entry no longer applied (signed out, signed in anew, or already stored): removed.
    Dropped,
    /// The store could not be read or written: the entry stays for the next attempt.
    Kept,
}

/// Moves a kept answer into `store` when the store still holds the sign-in it was renewed from.
/// Call it holding the store's cross-process refresh lock (no other process renews meanwhile).
pub async fn recover(
    journal: &QuitJournal,
    store: &dyn CredentialStore,
    cx: &AsyncApp,
) -> Recovery {
    let Some((renewed_from, record)) = journal.take() else {
        return Recovery::Nothing;
    };
    let stored = match store.read(cx).await {
        Ok(stored) => stored,
        Err(error) => {
            log::warn!("could not read the {}: {error:#}", store.name());
            return Recovery::Kept;
        }
    };
    let applies = stored.is_some_and(|stored| fingerprint(&stored.refresh_token) == renewed_from);
    if !applies {
        log::debug!("dropping a renewal answer kept at quit: the stored sign-in changed since");
        journal.remove();
        return Recovery::Dropped;
    }
    match store.write(record, cx).await {
        Ok(()) => {
            log::info!("stored the ChatGPT session renewal that finished as the app quit");
            journal.remove();
            Recovery::Stored
        }
        Err(error) => {
            log::warn!(
                "could not store the renewal kept at quit in the {}: {error:#}",
                store.name()
            );
            Recovery::Kept
        }
    }
}

/// SHA-256 of a refresh token, hex: names it without keeping it.
fn fingerprint(token: &RefreshToken) -> String {
    sha2::Sha256::digest(token.secret().as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::{CREDENTIALS_FORMAT_VERSION, MemoryStore};
    use crate::secret::AccessToken;

    fn record(refresh: &str) -> StoredCredentials {
        StoredCredentials {
            version: CREDENTIALS_FORMAT_VERSION,
            access_token: AccessToken::new(format!("access-for-{refresh}")),
            refresh_token: RefreshToken::new(refresh),
            expires_at: chrono::DateTime::from_timestamp(1_900_000_000, 0).unwrap(),
            account_id: Some("acct".into()),
            email: None,
            plan: None,
            route: Default::default(),
            official: None,
            format: Default::default(),
        }
    }

    fn journal(dir: &Path) -> QuitJournal {
        QuitJournal::beside(&RefreshLock::new(dir.join("store.refresh.lock")))
    }

    #[gpui::test]
    async fn an_answer_kept_at_quit_is_stored_only_over_the_sign_in_it_renewed(
        cx: &mut gpui::TestAppContext,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let journal = journal(dir.path());
        let cx = cx.to_async();

        // The store still holds the renewed-from sign-in: the answer replaces it.
        let store = MemoryStore::with(&record("old"));
        journal
            .keep(&RefreshToken::new("old"), &record("new"))
            .unwrap();
        let text = std::fs::read_to_string(journal.path()).unwrap();
        assert!(
            !text.contains("\"old\""),
            "names the spent token only by hash"
        );
        assert_eq!(recover(&journal, &store, &cx).await, Recovery::Stored);
        let stored = store.read(&cx).await.unwrap().unwrap();
        assert_eq!(stored.refresh_token.secret(), "new");
        assert!(!journal.path().exists());
        assert_eq!(recover(&journal, &store, &cx).await, Recovery::Nothing);

        // Signed out (or signed in anew) since: the answer is dropped, the store untouched.
        let store = MemoryStore::with(&record("another"));
        journal
            .keep(&RefreshToken::new("old"), &record("new"))
            .unwrap();
        assert_eq!(recover(&journal, &store, &cx).await, Recovery::Dropped);
        let stored = store.read(&cx).await.unwrap().unwrap();
        assert_eq!(stored.refresh_token.secret(), "another");
        assert!(!journal.path().exists());

        // An unreadable entry is removed.
        std::fs::write(journal.path(), b"not json").unwrap();
        assert_eq!(recover(&journal, &store, &cx).await, Recovery::Nothing);
        assert!(!journal.path().exists());
    }

    #[cfg(unix)]
    #[test]
    fn the_entry_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let journal = journal(dir.path());
        journal
            .keep(&RefreshToken::new("old"), &record("new"))
            .unwrap();
        let mode = std::fs::metadata(journal.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }
}
