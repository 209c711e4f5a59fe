//! The `openai-subscribed` binary as a child process against the embedded emulator, with its
//! sign-in in a file store and its caches in a temporary directory (never the user's own).
//! Every wait is bounded; a child that overstays is killed and fails the test. Include it with
//! `#[path = "shared/cli_process.rs"] mod cli_process;`.

#![allow(dead_code)]

use emulator::{Emulator, MintedTokens};
use openai_subscribed::credentials::StoredCredentials;
use openai_subscribed::oauth::{TokenResponse, TokenSet};
use openai_subscribed::secret::{AccessToken, IdToken, RefreshToken};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_openai-subscribed");

/// The longest one child may run (generous: the machine is shared and loaded).
pub const CHILD_LIMIT: Duration = Duration::from_secs(90);

/// A command against `emulator`, keeping its sign-in in `dir/credentials.json`; stdout and stderr
/// are pipes. `login` takes the Codex route (`OPENAI_SUBSCRIBED_ROUTE=codex`), which these tests
/// were written for; [`siwc_cli`] is the official route's.
pub fn cli(emulator: &Emulator, dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .env("OPENAI_SUBSCRIBED_AUTH_URL", emulator.issuer_url())
        .env("OPENAI_SUBSCRIBED_BACKEND_URL", emulator.backend_url())
        .env("OPENAI_SUBSCRIBED_ROUTE", "codex")
        .env("OPENAI_SUBSCRIBED_STORE", "file")
        .env("OPENAI_SUBSCRIBED_STORE_PATH", store_path(dir))
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// A command against `emulator` whose `login` takes its default route, Sign in with ChatGPT,
/// against the emulator's official issuer and API.
pub fn siwc_cli(emulator: &Emulator, dir: &Path) -> Command {
    let mut command = cli(emulator, dir);
    command
        .env_remove("OPENAI_SUBSCRIBED_ROUTE")
        .env(
            "OPENAI_SUBSCRIBED_SIWC_AUTH_URL",
            emulator.siwc_issuer_url(),
        )
        .env("OPENAI_SUBSCRIBED_SIWC_API_URL", emulator.siwc_api_url());
    command
}

pub fn store_path(dir: &Path) -> PathBuf {
    dir.join("credentials.json")
}

/// The directory the binary keeps its cache files in, for `dir` as given to [`cli`].
pub fn cache_dir(dir: &Path) -> PathBuf {
    dir.join("cache").join("openai-subscribed")
}

/// Stores a live sign-in the emulator accepts, as a `login` would (no browser, no fixed ports).
pub fn signed_in(emulator: &Emulator, dir: &Path) {
    store_sign_in(dir, &emulator.mint_tokens(3600));
}

/// Follows the authorize URL like a browser (the issuer redirects to the CLI's loopback
/// callback) and answers the callback page's status.
pub fn approve(url: &str) -> u16 {
    use http_client::{AsyncBody, HttpClient as _, HttpRequestExt as _, RedirectPolicy};
    let http = reqwest_client::ReqwestHttpClient::new("browser").unwrap();
    let request = http_client::Request::builder()
        .uri(url)
        .follow_redirects(RedirectPolicy::FollowAll)
        .body(AsyncBody::empty())
        .unwrap();
    futures::executor::block_on(http.send(request))
        .unwrap()
        .status()
        .as_u16()
}

/// Stores `minted` as the sign-in, as a `login` would have.
pub fn store_sign_in(dir: &Path, minted: &MintedTokens) {
    let tokens = TokenSet::from_response(
        TokenResponse {
            id_token: Some(IdToken::new(&minted.id_token)),
            access_token: AccessToken::new(&minted.access_token),
            refresh_token: Some(RefreshToken::new(&minted.refresh_token)),
            expires_in: None,
        },
        None,
        chrono::Utc::now(),
    )
    .unwrap();
    std::fs::write(
        store_path(dir),
        StoredCredentials::from_token_set(&tokens).encode(),
    )
    .unwrap();
}

/// The stored sign-in, if any.
pub fn stored(dir: &Path) -> Option<StoredCredentials> {
    let bytes = std::fs::read(store_path(dir)).ok()?;
    StoredCredentials::decode(&bytes).ok()
}

/// Waits for `child`, killing it (and failing the test) if it runs past [`CHILD_LIMIT`]. Its
/// stdout and stderr are read as they come, so a chatty child never blocks on a full pipe.
pub fn finish(mut child: Child) -> Output {
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                pipe.read_to_end(&mut bytes).ok();
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|pipe| Box::new(pipe) as _));
    let stderr = drain(child.stderr.take().map(|pipe| Box::new(pipe) as _));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > CHILD_LIMIT {
            child.kill().ok();
            child.wait().ok();
            panic!(
                "a child ran for more than {CHILD_LIMIT:?}; stderr:\n{}",
                text(&stderr.join().unwrap())
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// Runs the command to its end (within [`CHILD_LIMIT`]) and checks that it succeeded.
pub fn run_ok(command: &mut Command) -> Output {
    let output = finish(command.spawn().expect("the binary runs"));
    assert!(output.status.success(), "{}", text(&output.stderr));
    output
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Polls `condition` every 10 ms for at most `limit`.
pub fn wait_until(limit: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    condition()
}
