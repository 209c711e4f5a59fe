//! Running the real `openai-subscribed` binary against the embedded emulator, already signed in,
//! with a private cache directory. Include it with
//! `#[path = "shared/cli_process.rs"] mod cli_process;`.

#![allow(dead_code)]

use openai_subscribed::emulator::Emulator;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_openai-subscribed");

/// A command against `emulator`, keeping its sign-in in `dir/credentials.json` and its caches in
/// `dir/cache` (never the user's own).
pub fn cli(emulator: &Emulator, dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .env("OPENAI_SUBSCRIBED_AUTH_URL", emulator.issuer_url())
        .env("OPENAI_SUBSCRIBED_BACKEND_URL", emulator.backend_url())
        .env("OPENAI_SUBSCRIBED_STORE", "file")
        .env("OPENAI_SUBSCRIBED_STORE_PATH", dir.join("credentials.json"))
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    command
}

/// The directory the binary keeps its cache files in, for `dir` as given to [`cli`].
pub fn cache_dir(dir: &Path) -> PathBuf {
    dir.join("cache").join("openai-subscribed")
}

/// Stores a sign-in the emulator accepts in `dir/credentials.json`, as a `login` would (no
/// browser, no fixed callback ports).
pub fn signed_in(emulator: &Emulator, dir: &Path) {
    let minted = emulator.mint_tokens(3600);
    let record = serde_json::json!({
        "version": 1,
        "access_token": minted.access_token,
        "refresh_token": minted.refresh_token,
        "id_token": minted.id_token,
        "expires_at": (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339(),
        "account_id": "acct_emulated",
        "email": "ada@example.com",
        "plan": "plus",
        "user_id": "user_emulated",
    });
    std::fs::write(
        dir.join("credentials.json"),
        serde_json::to_vec_pretty(&record).unwrap(),
    )
    .unwrap();
}

/// The longest one command may run.
pub const COMMAND_BOUND: Duration = Duration::from_secs(60);

/// Runs the command to its end, within [`COMMAND_BOUND`] (killed and failed past it), and checks
/// it succeeded.
pub fn run_ok(command: &mut Command) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let (stdout, stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let read_all = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.read_to_end(&mut bytes).ok();
            bytes
        })
    };
    let (stdout, stderr) = (read_all(Box::new(stdout)), read_all(Box::new(stderr)));
    let deadline = Instant::now() + COMMAND_BOUND;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("the command did not end within {COMMAND_BOUND:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}
