//! Replacing a file atomically, and finding the temporary files of writers that died.
//!
//! A write goes to a temporary file in the target's directory, is flushed to disk, then renamed
//! over the target (`rename(2)` is atomic within a file system): a reader sees the old content or
//! the new one, never half of either. The temporary file's name follows a [`TempPattern`] (a
//! fixed prefix, random characters, a fixed suffix), so that files left behind are recognisable.
//!
//! A process killed (by a signal, a crash, a power cut) between creating its temporary file and
//! renaming it leaves that file behind, and nothing else would ever remove it. Each writer holds an
//! advisory lock (`flock`) on its temporary file until the rename; the system releases the lock
//! when the process ends, however it ends. So a later run tells an abandoned temporary file
//! (unlocked) from one a live writer is still writing (locked): [`abandoned`] lists the former.
//! A file only moments old may belong to a writer that has created it but not locked it yet:
//! [`Abandoned::is_young`] says so, and [`remove_abandoned`] leaves such files alone.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// An unlocked temporary file younger than this may be one another process has just created and
/// not yet locked: it is left alone.
pub(crate) const TEMP_GRACE: Duration = Duration::from_secs(5);

/// How the temporary files of one kind of write are named: `{prefix}{random}{suffix}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TempPattern {
    /// The fixed start, e.g. `.chatgpt-credentials`.
    pub prefix: &'static str,
    /// The fixed end, e.g. `.tmp`.
    pub suffix: &'static str,
}

impl TempPattern {
    /// Whether `name` is a temporary file of this pattern.
    pub fn matches(&self, name: &str) -> bool {
        name.len() > self.prefix.len().saturating_add(self.suffix.len())
            && name.starts_with(self.prefix)
            && name.ends_with(self.suffix)
    }

    /// Creates a temporary file of this pattern in `directory`, locked until it is dropped or
    /// persisted (the lock is best effort: a file system without locks still gets the write).
    /// It is created readable by its owner only (tempfile's default on Unix).
    pub fn create_in(&self, directory: &Path) -> std::io::Result<tempfile::NamedTempFile> {
        let temp = tempfile::Builder::new()
            .prefix(self.prefix)
            .suffix(self.suffix)
            .tempfile_in(directory)?;
        let _ = fs4::fs_std::FileExt::try_lock_exclusive(temp.as_file());
        Ok(temp)
    }
}

/// A temporary file whose writer is gone: nobody holds its lock.
#[derive(Debug)]
pub(crate) struct Abandoned {
    /// Where it is.
    pub path: PathBuf,
    /// The file, open and locked by this process (so no other reader acts on it at once).
    #[allow(
        dead_code,
        reason = "held, not read: it keeps the lock while the file is looked at"
    )]
    pub file: File,
    /// When it was last written, if the system says.
    pub modified: Option<SystemTime>,
}

impl Abandoned {
    /// Younger than [`TEMP_GRACE`] (or of unknown age): its writer may have just created it and
    /// not locked it yet.
    pub(crate) fn is_young(&self) -> bool {
        self.modified
            .and_then(|modified| modified.elapsed().ok())
            .is_none_or(|age| age < TEMP_GRACE)
    }
}

/// The unlocked temporary files of `pattern` in `directory` (see the module docs). Best effort:
/// an unreadable directory or file is skipped.
pub(crate) fn abandoned(directory: &Path, pattern: TempPattern) -> Vec<Abandoned> {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        if !pattern.matches(&entry.file_name().to_string_lossy()) {
            continue;
        }
        let path = entry.path();
        let Ok(file) = File::open(&path) else {
            continue;
        };
        // Locked: a live writer is about to rename it.
        if !matches!(fs4::fs_std::FileExt::try_lock_exclusive(&file), Ok(true)) {
            continue;
        }
        let modified = file
            .metadata()
            .and_then(|metadata| metadata.modified())
            .ok();
        found.push(Abandoned {
            path,
            file,
            modified,
        });
    }
    found
}

/// Removes the abandoned temporary files of `pattern` in `directory` past [`TEMP_GRACE`], for
/// writes whose leftovers
/// hold nothing worth recovering (caches). Best effort.
pub(crate) fn remove_abandoned(directory: &Path, pattern: TempPattern) {
    for leftover in abandoned(directory, pattern) {
        if leftover.is_young() {
            continue;
        }
        log::debug!("removing the abandoned {}", leftover.path.display());
        let _ = std::fs::remove_file(&leftover.path);
    }
}

/// Replaces `path` with `bytes` atomically through a temporary file of `pattern` beside it,
/// creating the directory if needed.
pub(crate) fn write_atomically(
    path: &Path,
    pattern: TempPattern,
    bytes: &[u8],
) -> std::io::Result<()> {
    let directory = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(directory)?;
    let mut temp = pattern.create_in(directory)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|error| error.error)?;
    Ok(())
}

#[cfg(test)]
#[allow(
    clippy::arithmetic_side_effects,
    reason = "tests compute expected values; clippy.toml exempts tests from the other lints only"
)]
mod tests {
    use super::*;

    const PATTERN: TempPattern = TempPattern {
        prefix: ".test-cache-",
        suffix: ".tmp",
    };

    fn age(path: &Path, seconds: u64) {
        let file = File::options().write(true).open(path).unwrap();
        file.set_modified(SystemTime::now() - Duration::from_secs(seconds))
            .unwrap();
    }

    #[test]
    fn only_unlocked_old_files_of_the_pattern_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        // A live writer's file (locked), even an old one.
        let live = PATTERN.create_in(dir.path()).unwrap();
        age(live.path(), 600);
        // A dead writer's file: created the same way, its lock gone with its handle.
        let dead = PATTERN.create_in(dir.path()).unwrap();
        let (_, dead_path) = dead.keep().unwrap();
        age(&dead_path, 600);
        // One just created, not yet locked.
        let fresh = dir.path().join(".test-cache-fresh.tmp");
        std::fs::write(&fresh, b"").unwrap();
        // Another pattern's file.
        let other = dir.path().join(".other-abc.tmp");
        std::fs::write(&other, b"").unwrap();
        age(&other, 600);

        let mut found: Vec<(PathBuf, bool)> = abandoned(dir.path(), PATTERN)
            .into_iter()
            .map(|a| (a.path.clone(), a.is_young()))
            .collect();
        found.sort();
        let mut expected = vec![(dead_path.clone(), false), (fresh.clone(), true)];
        expected.sort();
        assert_eq!(found, expected);
        remove_abandoned(dir.path(), PATTERN);
        assert!(!dead_path.exists());
        assert!(live.path().exists() && fresh.exists() && other.exists());
    }
}
