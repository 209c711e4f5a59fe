//! [`FileStore`]: the sign-in as a JSON file, readable by its owner only.
//!
//! For machines with no keychain service (headless Linux, WSL, containers, CI), and for people who
//! choose it. The file is created with mode 0600 inside a 0700 directory, and every write goes to
//! a temporary file in the same directory that is flushed to disk and then renamed over the old
//! one (`rename(2)` is atomic within a file system): a crash or a full disk leaves the old record
//! or the new one, never half of either. Operations of one store run one at a time, so a write that
//! has started is finished before a later delete runs (sign-out after a refresh stays signed out).
//!
//! A process killed between writing its temporary file and renaming it leaves the new record in
//! that temporary file. Each writer holds an advisory lock on its temporary file until the rename,
//! so the next read can tell an abandoned one (unlocked) from one being written: an abandoned
//! temporary file holding a valid record newer than the store's file is renamed into place (it
//! may hold the only copy of a rotated refresh token); any other abandoned one is removed.

use super::{CredentialStore, RefreshLock, StoredCredentials};
use crate::accounts::{IndexLocation, Slot};
use crate::atomic_file::{self, TempPattern};
use anyhow::{Context as _, Result};
use futures::FutureExt as _;
use futures::future::LocalBoxFuture;
use gpui::{AppContext as _, AsyncApp};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The file's name inside the default directory.
const FILE_NAME: &str = "chatgpt-credentials.json";
/// Temporary files are named `{TEMP_PREFIX}…{TEMP_SUFFIX}` beside the store's file.
const TEMP_PREFIX: &str = ".chatgpt-credentials";
const TEMP_SUFFIX: &str = ".tmp";
/// The store's temporary files, locked by their writer until the rename (see [`atomic_file`]).
const TEMP_PATTERN: TempPattern = TempPattern {
    prefix: TEMP_PREFIX,
    suffix: TEMP_SUFFIX,
};

/// A credential store backed by one JSON file.
#[derive(Clone)]
pub struct FileStore {
    path: Arc<PathBuf>,
    /// Serialises this store's file operations (they run on background threads).
    io: Arc<std::sync::Mutex<()>>,
}

impl FileStore {
    /// A store keeping its record at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: Arc::new(path.into()),
            io: Arc::default(),
        }
    }

    /// `$XDG_CONFIG_HOME/openai_subscribed/chatgpt-credentials.json` (or the platform's config
    /// directory), when the platform has one.
    pub(crate) fn default_path() -> Option<PathBuf> {
        Some(
            dirs::config_dir()?
                .join("openai_subscribed")
                .join(FILE_NAME),
        )
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory where further accounts and their list are kept: `<file>.accounts/`.
    fn accounts_directory(&self) -> PathBuf {
        let mut name = self
            .path
            .file_name()
            .map(|name| name.to_os_string())
            .unwrap_or_else(|| FILE_NAME.into());
        name.push(".accounts");
        self.path.with_file_name(name)
    }

    /// The store of the account in `slot`: this file for the primary slot, else
    /// `<file>.accounts/<slot>/<file name>` (a directory of its own, so that each store's
    /// temporary files, lock and journal are its own).
    pub fn for_slot(&self, slot: &Slot) -> Self {
        match slot {
            Slot::Primary => self.clone(),
            Slot::Extra(name) => Self::new(
                self.accounts_directory().join(name).join(
                    self.path
                        .file_name()
                        .map(|name| name.to_os_string())
                        .unwrap_or_else(|| FILE_NAME.into()),
                ),
            ),
        }
    }

    /// Where the list of accounts is kept: `<file>.accounts/index.json`.
    pub(crate) fn index_location(&self) -> IndexLocation {
        IndexLocation::File(self.accounts_directory().join("index.json"))
    }

    /// Reads the record (blocking).
    fn read_blocking(&self) -> Result<Option<StoredCredentials>> {
        let _serial = self.io.lock().unwrap_or_else(|poison| poison.into_inner());
        self.recover_leftovers();
        let bytes = match std::fs::read(&*self.path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => {
                return Err(error).with_context(|| format!("cannot read {}", self.path.display()));
            }
        };
        tighten_loose_permissions(&self.path);
        Ok(StoredCredentials::decode_or_warn(&bytes, &self.name()))
    }

    /// Replaces the record atomically (blocking).
    fn write_blocking(&self, credentials: &StoredCredentials) -> Result<()> {
        let _serial = self.io.lock().unwrap_or_else(|poison| poison.into_inner());
        let directory = self
            .path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        create_private_dir(directory)
            .with_context(|| format!("cannot create {}", directory.display()))?;
        // The temporary file is created 0600 (tempfile's default on Unix) in the same directory,
        // so the rename below never crosses file systems.
        // Locked until the rename (the file stays open through `persist`): readers leave a
        // locked temporary file alone.
        let mut temp = TEMP_PATTERN
            .create_in(directory)
            .with_context(|| format!("cannot create a file in {}", directory.display()))?;
        set_owner_only(temp.as_file())?;
        temp.write_all(&credentials.encode())
            .and_then(|()| temp.as_file().sync_all())
            .with_context(|| format!("cannot write to {}", directory.display()))?;
        temp.persist(&*self.path)
            .map_err(|error| error.error)
            .with_context(|| format!("cannot replace {}", self.path.display()))?;
        Ok(())
    }

    /// Deals with temporary files left by a writer that died before its rename (see the module
    /// docs). Best effort: a failure here only leaves a file behind.
    fn recover_leftovers(&self) {
        let Some(directory) = self.path.parent() else {
            return;
        };
        let directory = if directory.as_os_str().is_empty() {
            Path::new(".")
        } else {
            directory
        };
        let store_modified = std::fs::metadata(&*self.path)
            .and_then(|metadata| metadata.modified())
            .ok();
        for leftover in atomic_file::abandoned(directory, TEMP_PATTERN) {
            let path = &leftover.path;
            let record = std::fs::read(path)
                .ok()
                .and_then(|bytes| StoredCredentials::decode(&bytes).ok());
            let newer = match (leftover.modified, store_modified) {
                (Some(temp), Some(store)) => temp > store,
                _ => false,
            };
            match record {
                // Only over an existing file: no file means a sign-out since, which wins.
                Some(_) if newer => match std::fs::rename(path, &*self.path) {
                    Ok(()) => log::warn!(
                        "recovered the ChatGPT sign-in from {} (its write was interrupted)",
                        path.display()
                    ),
                    Err(error) => log::warn!("could not recover {}: {error}", path.display()),
                },
                None if leftover.is_young() => {}
                _ => {
                    log::debug!("removing the abandoned {}", path.display());
                    let _ = std::fs::remove_file(path);
                }
            }
        }
    }

    /// Removes the file (blocking); an absent file is fine.
    fn delete_blocking(&self) -> Result<()> {
        let _serial = self.io.lock().unwrap_or_else(|poison| poison.into_inner());
        match std::fs::remove_file(&*self.path) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(error) => {
                Err(error).with_context(|| format!("cannot delete {}", self.path.display()))
            }
        }
    }
}

#[cfg(unix)]
pub(super) fn create_private_dir(directory: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(directory)
}

#[cfg(not(unix))]
pub(super) fn create_private_dir(directory: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(directory)
}

#[cfg(unix)]
fn set_owner_only(file: &std::fs::File) -> Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .context("cannot restrict the credentials file to its owner")
}

#[cfg(not(unix))]
fn set_owner_only(_file: &std::fs::File) -> Result<()> {
    // On Windows the file inherits the user profile's ACL, which is already private.
    Ok(())
}

/// A record others can read (say 0644, after a copy or a restore) is made 0600, with a note:
/// the tokens in it are as good as a password.
#[cfg(unix)]
fn tighten_loose_permissions(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let Ok(mode) = std::fs::metadata(path).map(|metadata| metadata.permissions().mode()) else {
        return;
    };
    if mode & 0o077 == 0 {
        return;
    }
    match std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
        Ok(()) => log::warn!(
            "{} could be read by other users (mode {:o}); it is now private to you (0600)",
            path.display(),
            mode & 0o777
        ),
        Err(error) => log::warn!(
            "{} can be read by other users (mode {:o}) and could not be made private ({error}); \
             run `chmod 600 {}`",
            path.display(),
            mode & 0o777,
            path.display()
        ),
    }
}

#[cfg(not(unix))]
fn tighten_loose_permissions(_path: &Path) {}

impl CredentialStore for FileStore {
    fn name(&self) -> String {
        format!("credentials file {}", self.path.display())
    }

    fn read(&self, cx: &AsyncApp) -> LocalBoxFuture<'static, Result<Option<StoredCredentials>>> {
        let this = self.clone();
        cx.background_spawn(async move { this.read_blocking() })
            .boxed_local()
    }

    fn write(
        &self,
        credentials: StoredCredentials,
        cx: &AsyncApp,
    ) -> LocalBoxFuture<'static, Result<()>> {
        let this = self.clone();
        cx.background_spawn(async move { this.write_blocking(&credentials) })
            .boxed_local()
    }

    fn delete(&self, cx: &AsyncApp) -> LocalBoxFuture<'static, Result<()>> {
        let this = self.clone();
        cx.background_spawn(async move { this.delete_blocking() })
            .boxed_local()
    }

    fn refresh_lock(&self) -> Option<RefreshLock> {
        Some(RefreshLock::beside(&self.path))
    }

    fn account_store(&self, slot: &Slot) -> Option<Arc<dyn CredentialStore>> {
        Some(Arc::new(self.for_slot(slot)))
    }

    fn account_index(&self) -> Option<IndexLocation> {
        Some(self.index_location())
    }
}

#[cfg(test)]
#[allow(
    clippy::arithmetic_side_effects,
    reason = "tests compute expected values; clippy.toml exempts tests from the other lints only"
)]
mod tests {
    use super::*;
    use crate::credentials::CREDENTIALS_FORMAT_VERSION;
    use crate::secret::{AccessToken, RefreshToken};

    fn record(access: &str) -> StoredCredentials {
        StoredCredentials {
            version: CREDENTIALS_FORMAT_VERSION,
            access_token: AccessToken::new(access),
            refresh_token: RefreshToken::new("r"),
            expires_at: chrono::DateTime::from_timestamp(1_900_000_000, 0).unwrap(),
            account_id: Some("acct".into()),
            email: None,
            plan: None,
            route: Default::default(),
            official: None,
            format: Default::default(),
        }
    }

    #[test]
    fn writes_owner_only_replaces_atomically_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("nested/creds.json"));
        assert_eq!(store.read_blocking().unwrap(), None);
        store.write_blocking(&record("one")).unwrap();
        store.write_blocking(&record("two")).unwrap();
        assert_eq!(store.read_blocking().unwrap(), Some(record("two")));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(store.path())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
            let dir_mode = std::fs::metadata(store.path().parent().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(dir_mode & 0o777, 0o700);
        }
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(store.path().parent().unwrap())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("creds.json")]);
        store.delete_blocking().unwrap();
        store.delete_blocking().unwrap();
        assert_eq!(store.read_blocking().unwrap(), None);
    }

    #[test]
    fn an_unusable_file_is_signed_out_and_left_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("creds.json");
        std::fs::write(&path, br#"{"version":0,"token":"old"}"#).unwrap();
        let store = FileStore::new(&path);
        assert_eq!(store.read_blocking().unwrap(), None);
        assert!(path.exists(), "an old record is not wiped by reading");
    }

    #[test]
    fn an_impossible_path_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let not_a_dir = dir.path().join("file");
        std::fs::write(&not_a_dir, b"x").unwrap();
        let store = FileStore::new(not_a_dir.join("creds.json"));
        assert!(store.write_blocking(&record("x")).is_err());
        assert_eq!(std::fs::read(&not_a_dir).unwrap(), b"x");
    }

    /// A temporary file next to the store, as a writer killed before its rename leaves it.
    fn leftover(dir: &Path, name: &str, record: &StoredCredentials, age_secs: u64) -> PathBuf {
        let path = dir.join(format!("{TEMP_PREFIX}{name}{TEMP_SUFFIX}"));
        std::fs::write(&path, record.encode()).unwrap();
        let when = std::time::SystemTime::now() - std::time::Duration::from_secs(age_secs);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(when)
            .unwrap();
        path
    }

    #[test]
    fn an_interrupted_write_is_recovered_if_newer_and_removed_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("creds.json"));
        store.write_blocking(&record("stored")).unwrap();
        let backdate = |secs: u64| {
            let when = std::time::SystemTime::now() - std::time::Duration::from_secs(secs);
            std::fs::File::options()
                .write(true)
                .open(store.path())
                .unwrap()
                .set_modified(when)
                .unwrap();
        };
        backdate(60);

        // Older than the store's file: removed, the store's record stays.
        let old = leftover(dir.path(), "old", &record("older"), 120);
        assert_eq!(store.read_blocking().unwrap(), Some(record("stored")));
        assert!(!old.exists());

        // Newer and valid: it becomes the store's record.
        let new = leftover(dir.path(), "new", &record("renewed"), 10);
        assert_eq!(store.read_blocking().unwrap(), Some(record("renewed")));
        assert!(!new.exists());

        // Garbage past the grace period: removed. A locked one (a live writer): left alone.
        backdate(60);
        let junk = dir.path().join(format!("{TEMP_PREFIX}junk{TEMP_SUFFIX}"));
        std::fs::write(&junk, b"{").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&junk)
            .unwrap()
            .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(60))
            .unwrap();
        let live = leftover(dir.path(), "live", &record("writing"), 0);
        let writer = std::fs::File::open(&live).unwrap();
        assert!(fs4::fs_std::FileExt::try_lock_exclusive(&writer).unwrap());
        assert_eq!(store.read_blocking().unwrap(), Some(record("renewed")));
        assert!(!junk.exists());
        assert!(live.exists());
    }

    #[test]
    fn a_leftover_does_not_undo_a_sign_out() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("creds.json"));
        let left = leftover(dir.path(), "x", &record("renewed"), 1);
        // No store file (signed out): the leftover is not brought back, and is removed.
        assert_eq!(store.read_blocking().unwrap(), None);
        assert!(!left.exists());
    }
}
