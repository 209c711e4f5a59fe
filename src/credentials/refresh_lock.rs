//! [`RefreshLock`]: one refresher at a time across processes, whatever the store.
//!
//! Refresh tokens are single use. Two processes (two Zed windows, Zed and the command line, five
//! `chat` commands started at once) that renew with the same refresh token race: the issuer
//! answers one and refuses the others with `refresh_token_reused`. So the renewal takes this lock
//! around "re-read the store → refresh if still needed → write": whoever waits re-reads the store
//! once the lock is free and adopts the tokens the holder wrote, without asking the issuer.
//!
//! The lock is an advisory `flock(2)` (`LockFileEx` on Windows) on a small file beside the
//! credentials file, or in the config directory for the keychain (through [`fs4`]). The operating
//! system releases it when its holder exits or dies, so a lock left by a killed process never
//! needs cleaning up: the next taker simply gets it. The holder writes its process id into the
//! file, only so that "who holds it" can be said in an error. Taking it is bounded
//! ([`RefreshLock::acquire`]); a lock that cannot be taken is a [`LockError`] in plain words.

use gpui::BackgroundExecutor;
use std::fs::File;
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How often a waiter tries again.
const RETRY_INTERVAL: Duration = Duration::from_millis(25);

/// The cross-process lock that serialises refreshes of one stored sign-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshLock {
    path: PathBuf,
}

/// The lock, held until dropped (closing the file releases it).
#[derive(Debug)]
pub struct RefreshLockGuard {
    _file: File,
}

/// Why the refresh lock could not be taken.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LockError {
    /// Another process held it for the whole wait.
    #[error(
        "another process ({holder}) has been renewing the ChatGPT session for {waited_secs} s and \
         still holds {path}; try again shortly"
    )]
    Busy {
        /// The lock file.
        path: PathBuf,
        /// "process 1234", or "unknown process".
        holder: String,
        /// How long we waited.
        waited_secs: u64,
    },
    /// The lock file could not be created or locked at all.
    #[error("cannot take the ChatGPT refresh lock {path}: {detail}")]
    Unavailable {
        /// The lock file.
        path: PathBuf,
        /// What the file system said.
        detail: String,
    },
}

impl RefreshLock {
    /// A lock kept in the file `path` (created, with its directory, when first taken).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The lock beside a credentials file: `chatgpt-credentials.json.lock`.
    pub(crate) fn beside(store_file: &Path) -> Self {
        let mut name = store_file
            .file_name()
            .map(|name| name.to_os_string())
            .unwrap_or_else(|| "chatgpt-credentials".into());
        name.push(".lock");
        Self::new(store_file.with_file_name(name))
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes the lock, trying again every few milliseconds for at most `wait`.
    pub async fn acquire(
        &self,
        executor: &BackgroundExecutor,
        wait: Duration,
    ) -> Result<RefreshLockGuard, LockError> {
        let started = Instant::now();
        loop {
            let path = self.path.clone();
            let attempt = executor.spawn(async move { try_lock(&path) }).await?;
            match attempt {
                Some(guard) => return Ok(guard),
                None if started.elapsed() >= wait => {
                    return Err(LockError::Busy {
                        path: self.path.clone(),
                        holder: holder(&self.path),
                        waited_secs: started.elapsed().as_secs(),
                    });
                }
                None => executor.timer(RETRY_INTERVAL).await,
            }
        }
    }

    /// Takes the lock if it is free right now (blocking file I/O; for tests and tools).
    pub fn try_acquire(&self) -> Result<Option<RefreshLockGuard>, LockError> {
        try_lock(&self.path)
    }
}

/// One attempt: `Some` when taken, `None` when another process holds it.
fn try_lock(path: &Path) -> Result<Option<RefreshLockGuard>, LockError> {
    let unavailable = |error: std::io::Error| LockError::Unavailable {
        path: path.to_owned(),
        detail: error.to_string(),
    };
    if let Some(directory) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        super::file::create_private_dir(directory).map_err(unavailable)?;
    }
    let mut file = open_owner_only(path).map_err(unavailable)?;
    if !fs4::fs_std::FileExt::try_lock_exclusive(&file).map_err(unavailable)? {
        return Ok(None);
    }
    // Ours now: say who holds it (best effort, only for the message of someone who waits).
    let _ = file
        .set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| write!(file, "{}", std::process::id()));
    Ok(Some(RefreshLockGuard { _file: file }))
}

#[cfg(unix)]
fn open_owner_only(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_owner_only(path: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

/// "process 1234" from the lock file, for messages.
fn holder(path: &Path) -> String {
    let mut text = String::new();
    let read = File::open(path).and_then(|mut file| file.read_to_string(&mut text));
    match read.ok().and_then(|_| text.trim().parse::<u32>().ok()) {
        Some(pid) => format!("process {pid}"),
        None => "unknown process".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let lock = RefreshLock::beside(&dir.path().join("store/creds.json"));
        assert_eq!(lock.path(), dir.path().join("store/creds.json.lock"));
        let held = lock.try_acquire().unwrap().expect("free at first");
        // flock locks belong to the open file: a second open (as another process would) waits.
        assert!(lock.try_acquire().unwrap().is_none());
        assert_eq!(
            holder(lock.path()),
            format!("process {}", std::process::id())
        );
        drop(held);
        assert!(lock.try_acquire().unwrap().is_some());
    }

    #[test]
    fn a_lock_that_cannot_be_created_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let not_a_dir = dir.path().join("file");
        std::fs::write(&not_a_dir, b"x").unwrap();
        let lock = RefreshLock::beside(&not_a_dir.join("creds.json"));
        let error = lock.try_acquire().unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("cannot take the ChatGPT refresh lock"),
            "{error}"
        );
    }
}
