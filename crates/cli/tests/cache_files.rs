//! The cache directory's temporary files: a writer killed between writing its temporary file and
//! renaming it leaves that file behind, and a later run of the real binary removes it, while a
//! live writer's temporary file is left alone.
//!
//! Killing a real process in the middle of a cache write is hard to time, so the leftover is
//! made here exactly as a killed writer leaves it: created by the crate's own writer code
//! (`CACHE_TEMP_FILES.create_in`, which names and locks it), then closed without its rename
//! (which releases the lock, as the death of a process does) and dated past the grace period.

#[path = "shared/cli_process.rs"]
mod cli_process;

use cli_process::{cache_dir, cli, run_ok, signed_in};
use emulator::Emulator;
use openai_subscribed::models::cache::CACHE_TEMP_FILES;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Dates `path` `age` ago.
fn age(path: &Path, age: Duration) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(SystemTime::now() - age)
        .unwrap();
}

/// The cache's temporary files in `dir`.
fn temp_files(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap())
        .filter(|entry| CACHE_TEMP_FILES.matches(&entry.file_name().to_string_lossy()))
        .map(|entry| entry.path())
        .collect();
    found.sort();
    found
}

#[test]
fn a_killed_writers_temp_file_is_removed_and_a_live_ones_kept() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    signed_in(&emulator, dir.path());
    let cache = cache_dir(dir.path());
    std::fs::create_dir_all(&cache).unwrap();

    // A killed writer's leftover: half a model list, its lock gone with its process.
    let mut killed = CACHE_TEMP_FILES.create_in(&cache).unwrap();
    std::io::Write::write_all(&mut killed, b"{\"format\":1,\"account_id\":\"acct_em").unwrap();
    let (file, killed) = killed.keep().unwrap();
    drop(file);
    age(&killed, Duration::from_secs(3600));
    // A live writer (this process) still holding its temporary file open and locked, even an
    // old one: it is about to rename it.
    let live = CACHE_TEMP_FILES.create_in(&cache).unwrap();
    age(live.path(), Duration::from_secs(3600));
    assert_eq!(temp_files(&cache), {
        let mut both = vec![killed.clone(), live.path().to_owned()];
        both.sort();
        both
    });

    // A chat loads and writes the model list and the usage snapshot.
    run_ok(cli(&emulator, dir.path()).args(["chat", "hello"]));

    assert!(
        !killed.exists(),
        "the killed writer's temporary file is left"
    );
    assert_eq!(temp_files(&cache), vec![live.path().to_owned()]);
    assert!(cache.join("models-acct_emulated.json").exists());
}
