//! Credential stores across real processes (a `harness = false` test binary that runs copies of
//! itself as the child processes).
//!
//! 1. **Real keychain round trip.** One process writes a sign-in through gpui's keychain API
//!    (`Application::headless()`), a *new* process reads it back, a third deletes it, a fourth finds
//!    nothing. On Linux this needs a Secret Service: run under `scripts/with-keyring.sh` (CI does).
//!    Without one the test is skipped with a message — unless `OPENAI_SUBSCRIBED_REQUIRE_KEYRING`
//!    is set (the script sets it), which turns the skip into a failure.
//! 2. **Two processes refresh one file store at once.** Both hold the same expired token and ask
//!    the emulator (real rotation: the second use of a refresh token is refused as
//!    `refresh_token_reused`) at the same moment. The store's refresh lock lets exactly one ask
//!    the issuer; the other waits, then adopts the winner's tokens from the store.
//!
//! 3. **`auto` without a keychain** falls back to the file store, saying so in one log line; with
//!    one, it keeps the sign-in in the keychain and never creates the file.
//!
//! A child's role comes from the `OPENAI_SUBSCRIBED_TEST_ROLE` variable; it reports one
//! `RESULT ok …` or `RESULT err …` line on stdout (token fingerprints, never tokens).

use anyhow::{Context as _, Result, anyhow, bail, ensure};
use emulator::Emulator;
use gpui::{AppContext as _, Application, AsyncApp};
use openai_subscribed::auth::State;
use openai_subscribed::credentials::{
    AutoChoice, AutoStore, CREDENTIALS_FORMAT_VERSION, CredentialStore, FileStore, KeychainStore,
    StoredCredentials,
};
use openai_subscribed::oauth::{TokenResponse, TokenSet};
use openai_subscribed::secret::{AccessToken, IdToken, RefreshToken};
use reqwest_client::ReqwestHttpClient;
use sha2::{Digest as _, Sha256};
use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ROLE: &str = "OPENAI_SUBSCRIBED_TEST_ROLE";
const REQUIRE_KEYRING: &str = "OPENAI_SUBSCRIBED_REQUIRE_KEYRING";
const KEYCHAIN_URL: &str = "OPENAI_SUBSCRIBED_TEST_KEYCHAIN_URL";
const ISSUER: &str = "OPENAI_SUBSCRIBED_TEST_ISSUER";
const STORE_PATH: &str = "OPENAI_SUBSCRIBED_TEST_STORE";
/// The longest a child may run.
const CHILD_DEADLINE: Duration = Duration::from_secs(60);

fn main() {
    if let Ok(role) = std::env::var(ROLE) {
        child(&role);
        return;
    }
    // The test list, in the shape of libtest's command line, so that `cargo nextest` (which asks
    // `--list --format terse`, then runs each test with `--exact NAME`) and `cargo test` both
    // drive this binary.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let listing = args.iter().any(|arg| arg == "--list");
    let ignored_only = args.iter().any(|arg| arg == "--ignored");
    let exact = args.iter().any(|arg| arg == "--exact");
    let mut filters: Vec<&String> = Vec::new();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        match word.as_str() {
            // Options that take a value: skip it.
            "--format" | "--test-threads" | "--skip" | "--color" | "-Z" => {
                words.next();
            }
            flag if flag.starts_with('-') => {}
            _ => filters.push(word),
        }
    }
    let selected = |name: &str| {
        filters.is_empty()
            || filters.iter().any(|filter| {
                if exact {
                    name == filter.as_str()
                } else {
                    name.contains(filter.as_str())
                }
            })
    };
    let mut failed = false;
    let tests = [
        (
            "keychain_round_trip_across_processes",
            keychain_round_trip as fn() -> Result<Outcome>,
        ),
        (
            "two_processes_refresh_one_file_store",
            two_processes_refresh,
        ),
        (
            "auto_falls_back_to_the_file_with_one_log_line",
            auto_fallback,
        ),
        ("auto_uses_the_keychain_when_it_answers", auto_keychain),
    ];
    for (name, test) in tests {
        if ignored_only || !selected(name) {
            continue;
        }
        if listing {
            println!("{name}: test");
            continue;
        }
        match test() {
            Ok(Outcome::Passed) => println!("test {name} ... ok"),
            Ok(Outcome::Skipped(why)) => println!("test {name} ... skipped: {why}"),
            Err(error) => {
                println!("test {name} ... FAILED: {error:#}");
                failed = true;
            }
        }
    }
    if failed {
        std::process::exit(1);
    }
}

enum Outcome {
    Passed,
    Skipped(String),
}

// ---------------------------------------------------------------------------------------------
// Parent side

fn keychain_round_trip() -> Result<Outcome> {
    // A key of its own, so the test never touches a real sign-in.
    let url = format!(
        "https://openai-subscribed-keychain-test.invalid/{}",
        std::process::id()
    );
    let record = sample_record(&url);
    let expected = fingerprint(record.access_token.secret());
    let run = |role: &str| -> Result<std::result::Result<String, String>> {
        let child = spawn_child(role, &[(KEYCHAIN_URL, url.as_str())], Stdio::null())?;
        Ok(wait_for_result(child)?.1)
    };

    if let Err(error) = run("keychain-write")? {
        if std::env::var_os(REQUIRE_KEYRING).is_some() {
            bail!("{REQUIRE_KEYRING} is set but the keychain refused the write: {error}");
        }
        return Ok(Outcome::Skipped(format!(
            "no Secret Service answered ({error}); run under scripts/with-keyring.sh"
        )));
    }
    let read = run("keychain-read")?.map_err(|error| anyhow!("read failed: {error}"))?;
    ensure!(
        read == expected,
        "a new process read {read:?}, expected {expected:?}"
    );
    run("keychain-delete")?.map_err(|error| anyhow!("delete failed: {error}"))?;
    let gone = run("keychain-read")?.map_err(|error| anyhow!("read failed: {error}"))?;
    ensure!(gone == "none", "after delete a new process read {gone:?}");
    Ok(Outcome::Passed)
}

fn two_processes_refresh() -> Result<Outcome> {
    let emulator = Emulator::start()?;
    let minted = emulator.mint_tokens(-60);
    let expired = TokenSet::from_response(
        TokenResponse {
            id_token: Some(IdToken::new(&minted.id_token)),
            access_token: AccessToken::new(&minted.access_token),
            refresh_token: Some(RefreshToken::new(&minted.refresh_token)),
            expires_in: None,
        },
        None,
        chrono::Utc::now(),
    )?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("credentials.json");
    std::fs::write(&path, StoredCredentials::from_token_set(&expired).encode())?;
    // Both requests wait at the issuer, so both are sent before either is answered.
    emulator.set_token_delay(Duration::from_millis(500));

    let issuer = emulator.issuer_url();
    let path_text = path.to_string_lossy().into_owned();
    let env = [(ISSUER, issuer.as_str()), (STORE_PATH, path_text.as_str())];
    let mut children = Vec::new();
    for _ in 0..2 {
        let mut child = spawn_child("refresh", &env, Stdio::piped())?;
        let stdout = BufReader::new(child.stdout.take().context("no stdout")?);
        children.push((child, stdout.lines()));
    }
    // Wait until both have loaded the (expired) credentials, then start both refreshes at once.
    for (_, lines) in &mut children {
        match next_result_or_ready(lines)? {
            Line::Ready => {}
            Line::Result(result) => bail!("a child ended before the refresh: {result:?}"),
        }
    }
    for (child, _) in &mut children {
        let stdin = child.stdin.as_mut().context("no stdin")?;
        stdin.write_all(b"go\n")?;
        stdin.flush()?;
    }
    let mut results = Vec::new();
    for (child, mut lines) in children {
        let result = match next_result_or_ready(&mut lines)? {
            Line::Result(result) => result,
            Line::Ready => bail!("a child said ready twice"),
        };
        wait_with_deadline(child)?;
        results.push(result.map_err(|error| anyhow!("a process failed to refresh: {error}"))?);
    }

    let stored = FileStoreReader(&path).read()?;
    let stored_fingerprint = fingerprint(stored.access_token.secret());
    for result in &results {
        ensure!(
            result == &format!("{stored_fingerprint} signed_in=true"),
            "a process ended with {result:?}; the store holds {stored_fingerprint}"
        );
    }
    ensure!(stored.refresh_token != expired.refresh_token);
    let stats = emulator.stats();
    // The refresh lock lets one process ask the issuer; the other waits and adopts.
    ensure!(stats.refreshes == 1, "unexpected refreshes: {stats:?}");
    Ok(Outcome::Passed)
}

fn auto_fallback() -> Result<Outcome> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("store/credentials.json");
    let url = format!(
        "https://openai-subscribed-auto-test.invalid/{}",
        std::process::id()
    );
    let path_text = path.to_string_lossy().into_owned();
    let child = spawn_child(
        "auto",
        &[
            (KEYCHAIN_URL, url.as_str()),
            (STORE_PATH, path_text.as_str()),
            // No session bus: the keychain cannot answer.
            (
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/openai-subscribed-test-bus",
            ),
        ],
        Stdio::null(),
    )?;
    let result = wait_for_result(child)?
        .1
        .map_err(|error| anyhow!("the auto store failed: {error}"))?;
    let expected = fingerprint(sample_record(&url).access_token.secret());
    ensure!(
        result == format!("{expected} fallback_lines=1 choice=File"),
        "the child reported {result:?}"
    );
    ensure!(
        FileStoreReader(&path)
            .read()?
            .access_token
            .secret()
            .starts_with("test-access-")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path)?.permissions().mode() & 0o777;
        ensure!(mode == 0o600, "the file's mode is {mode:o}");
    }
    Ok(Outcome::Passed)
}

fn auto_keychain() -> Result<Outcome> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("credentials.json");
    let url = format!(
        "https://openai-subscribed-auto-keychain-test.invalid/{}",
        std::process::id()
    );
    let path_text = path.to_string_lossy().into_owned();
    let child = spawn_child(
        "auto",
        &[
            (KEYCHAIN_URL, url.as_str()),
            (STORE_PATH, path_text.as_str()),
        ],
        Stdio::null(),
    )?;
    let result = wait_for_result(child)?.1;
    // Clean the keychain entry up whatever happened (a no-op without a keychain).
    let cleanup = spawn_child(
        "keychain-delete",
        &[(KEYCHAIN_URL, url.as_str())],
        Stdio::null(),
    )?;
    let cleaned = wait_for_result(cleanup)?.1;
    let result = result.map_err(|error| anyhow!("the auto store failed: {error}"))?;
    if result.ends_with("choice=File") {
        if std::env::var_os(REQUIRE_KEYRING).is_some() {
            bail!("{REQUIRE_KEYRING} is set but the auto store fell back to the file");
        }
        return Ok(Outcome::Skipped(
            "no Secret Service answered; run under scripts/with-keyring.sh".into(),
        ));
    }
    let expected = fingerprint(sample_record(&url).access_token.secret());
    ensure!(
        result == format!("{expected} fallback_lines=0 choice=Keychain"),
        "the child reported {result:?}"
    );
    ensure!(
        !path.exists(),
        "the file store was written although the keychain answered"
    );
    cleaned.map_err(|error| anyhow!("could not delete the test entry: {error}"))?;
    Ok(Outcome::Passed)
}

/// Reads the file store's record directly (the parent has no gpui app).
struct FileStoreReader<'a>(&'a std::path::Path);

impl FileStoreReader<'_> {
    fn read(&self) -> Result<StoredCredentials> {
        let bytes = std::fs::read(self.0)?;
        Ok(StoredCredentials::decode(&bytes)?)
    }
}

/// Starts a copy of this binary in `role`. Its stdout is read by the parent; its stdin is piped
/// when the parent must signal it (`stdin`), else closed.
fn spawn_child(role: &str, env: &[(&str, &str)], stdin: Stdio) -> Result<Child> {
    Command::new(std::env::current_exe()?)
        .env(ROLE, role)
        .envs(env.iter().copied())
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("could not start a child process")
}

enum Line {
    Ready,
    Result(std::result::Result<String, String>),
}

fn next_result_or_ready(
    lines: &mut std::io::Lines<BufReader<std::process::ChildStdout>>,
) -> Result<Line> {
    for line in lines {
        let line = line?;
        if line == "READY" {
            return Ok(Line::Ready);
        }
        if let Some(result) = parse_result(&line) {
            return Ok(Line::Result(result));
        }
    }
    bail!("a child process exited without a result")
}

fn parse_result(line: &str) -> Option<std::result::Result<String, String>> {
    if let Some(ok) = line.strip_prefix("RESULT ok ") {
        Some(Ok(ok.to_string()))
    } else {
        line.strip_prefix("RESULT err ")
            .map(|error| Err(error.to_string()))
    }
}

fn wait_for_result(mut child: Child) -> Result<(Child, std::result::Result<String, String>)> {
    let stdout = BufReader::new(child.stdout.take().context("no stdout")?);
    let mut lines = stdout.lines();
    let result = match next_result_or_ready(&mut lines)? {
        Line::Result(result) => result,
        Line::Ready => bail!("unexpected READY"),
    };
    wait_with_deadline(child).map(|child| (child, result))
}

fn wait_with_deadline(mut child: Child) -> Result<Child> {
    let started = Instant::now();
    loop {
        if child.try_wait()?.is_some() {
            return Ok(child);
        }
        if started.elapsed() > CHILD_DEADLINE {
            child.kill().ok();
            bail!("a child process did not exit in time");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A short, one-way name for a token, so processes can compare tokens without printing them.
fn fingerprint(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The record the keychain test stores under `url`: the same in every process, unique per run.
fn sample_record(url: &str) -> StoredCredentials {
    let seed = fingerprint(url);
    StoredCredentials {
        version: CREDENTIALS_FORMAT_VERSION,
        access_token: AccessToken::new(format!("test-access-{seed}")),
        refresh_token: RefreshToken::new(format!("test-refresh-{seed}")),
        expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
        account_id: Some("acct_keychain_test".into()),
        email: Some("keychain-test@example.com".into()),
        plan: None,
        route: Default::default(),
        official: None,
        format: Default::default(),
    }
}

// ---------------------------------------------------------------------------------------------
// Child side

fn child(role: &str) {
    let role = role.to_string();
    Application::headless().run(move |cx| {
        cx.spawn(async move |cx: &mut AsyncApp| {
            let result = run_role(&role, cx).await;
            match result {
                Ok(text) => println!("RESULT ok {text}"),
                Err(error) => println!("RESULT err {}", format!("{error:#}").replace('\n', " ")),
            }
            cx.update(|cx| cx.quit()).ok();
        })
        .detach();
    });
}

async fn run_role(role: &str, cx: &mut AsyncApp) -> Result<String> {
    match role {
        "keychain-write" | "keychain-read" | "keychain-delete" => {
            let url = std::env::var(KEYCHAIN_URL)?;
            let store = cx.update(|cx| KeychainStore::new(&url, cx))?;
            match role {
                "keychain-write" => {
                    store.write(sample_record(&url), cx).await?;
                    Ok("written".into())
                }
                "keychain-read" => Ok(match store.read(cx).await? {
                    Some(record) => fingerprint(record.access_token.secret()),
                    None => "none".into(),
                }),
                _ => {
                    store.delete(cx).await?;
                    Ok("deleted".into())
                }
            }
        }
        "refresh" => refresh_role(cx).await,
        "auto" => auto_role(cx).await,
        other => bail!("unknown role {other}"),
    }
}

async fn refresh_role(cx: &mut AsyncApp) -> Result<String> {
    let issuer = std::env::var(ISSUER)?;
    let config = openai_subscribed::config::Config::with_urls(
        &issuer,
        &format!("{issuer}/backend-api/codex"),
    )?;
    let store: Arc<dyn CredentialStore> = Arc::new(FileStore::new(std::env::var(STORE_PATH)?));
    let http = ReqwestHttpClient::new(&config.user_agent())?;
    let state = cx.new(|cx| State::new(config, store, http, cx))?;
    state
        .update(cx, |state, cx| state.authenticate(cx))?
        .await
        .map_err(|error| anyhow!("not signed in: {error}"))?;

    // Tell the parent we are ready, and wait for its signal on stdin (read on a plain thread).
    println!("READY");
    let (go, went) = futures::channel::oneshot::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).ok();
        go.send(()).ok();
    });
    went.await?;

    let auth = state
        .update(cx, |state, cx| state.get_fresh_credentials(cx))?
        .await
        .map_err(|error| anyhow!("{error}"))?;
    let signed_in = state.read_with(cx, |state, _| state.is_signed_in())?;
    Ok(format!(
        "{} signed_in={signed_in}",
        fingerprint(auth.access_token.secret())
    ))
}

/// Counts the log lines that announce the keychain fallback.
struct FallbackCounter(std::sync::atomic::AtomicUsize);

impl log::Log for FallbackCounter {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        if record
            .args()
            .to_string()
            .contains("No keychain service answered")
        {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
    fn flush(&self) {}
}

async fn auto_role(cx: &mut AsyncApp) -> Result<String> {
    static COUNTER: FallbackCounter = FallbackCounter(std::sync::atomic::AtomicUsize::new(0));
    log::set_logger(&COUNTER).map_err(|_| anyhow!("a logger was already set"))?;
    log::set_max_level(log::LevelFilter::Trace);

    let url = std::env::var(KEYCHAIN_URL)?;
    let keychain = cx.update(|cx| KeychainStore::new(&url, cx))?;
    let store = AutoStore::new(keychain, FileStore::new(std::env::var(STORE_PATH)?));
    ensure!(
        store.read(cx).await?.is_none(),
        "an empty store read something"
    );
    store.write(sample_record(&url), cx).await?;
    let read = store.read(cx).await?.context("the record was not kept")?;
    ensure!(store.choice() != AutoChoice::Undecided);
    Ok(format!(
        "{} fallback_lines={} choice={:?}",
        fingerprint(read.access_token.secret()),
        COUNTER.0.load(std::sync::atomic::Ordering::SeqCst),
        store.choice()
    ))
}
