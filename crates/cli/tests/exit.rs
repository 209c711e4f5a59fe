//! Exiting cleanly: `status --json` to a pipe, hundreds of times, against the embedded emulator.
//!
//! A signed-in `status` starts the models and usage fetches (as Zed does at start-up) and exits
//! while they may still run. It used to print `thread 'Worker-N' panicked at
//! async-task-4.7.1/src/task.rs:452:45: Task polled after completion` now and then (exit code
//! still 0): `refresh_usage` and the catalog's `refresh` awaited their shared UI-thread task from
//! a background task. When gpui's main loop ends it drops the UI-thread tasks still queued,
//! which cancels them; the background task was woken and polled the cancelled task. The window
//! is narrow (the main thread must be preempted between the loop's last turn and its teardown):
//! here about 1 run in 2000 with 16 processes at once on two cores, more on a loaded machine; so
//! this test can fail only now and then, and a failure prints every panicking run's stderr.

#[path = "shared/cli_process.rs"]
mod cli_process;

use cli_process::{cli, finish, store_sign_in, text};
use emulator::Emulator;

/// How many runs in all.
const RUNS: usize = 500;
/// Processes running at once (the machine is shared: a few).
const AT_ONCE: usize = 4;

#[test]
fn status_to_a_pipe_never_panics_at_exit() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    store_sign_in(dir.path(), &emulator.mint_tokens(3600));

    let mut failures = Vec::new();
    for batch in 0..RUNS.div_ceil(AT_ONCE) {
        let children: Vec<_> = (0..AT_ONCE.min(RUNS - batch * AT_ONCE))
            .map(|_| {
                cli(&emulator, dir.path())
                    .args(["status", "--json"])
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let output = finish(child);
            let stderr = text(&output.stderr);
            if !output.status.success() || stderr.contains("panicked") {
                eprintln!("{}: {stderr}", output.status);
                failures.push(format!("{}: {stderr}", output.status));
            } else {
                let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
                assert_eq!(value["signed_in"], true, "{value}");
            }
        }
    }
    // Some runs exited with the start-up fetches under way, which is when it happened.
    let stats = emulator.stats();
    assert!(
        stats.usage_requests + stats.models_requests > 0,
        "no run started the start-up fetches: {stats:?}"
    );
    assert!(
        failures.is_empty(),
        "{} of {RUNS} runs failed or panicked; the first:\n{}",
        failures.len(),
        failures[0]
    );
}
