//! A real browser signs in: headless Chromium (Debian's `chromium`, which `scripts/setup.sh`
//! installs) drives the browser sign-in against the embedded emulator, over the real callback
//! ports 1455/1457, through the provider exactly as Zed runs it.
//!
//! 1. **Continue** on the emulator's consent page: the browser ends on our "Signed in" page and
//!    the provider is signed in.
//! 2. **Cancel**: the browser shows the refusal, the settings card says why, and the callback port
//!    is free again.
//! 3. **A stale tab**: the first sign-in's tab is still open when a second sign-in starts; its
//!    "Continue" reaches the new sign-in's server, is answered with the mismatch page, and the
//!    new sign-in still completes from its own tab.
//!
//! Chromium is driven over its DevTools protocol (CDP) on a WebSocket ([`tungstenite`]); clicks
//! are real mouse events at the button's position, not `element.click()`. Every wait is bounded,
//! each test starts Chromium with a fresh profile and kills it when done (also on panic), and the
//! tests take a cross-process lock on the fixed callback ports, because nextest runs each test in
//! its own process.
//!
//! **Without Chromium** the tests are reported as skipped (`test NAME ... skipped: …`; under
//! nextest they are listed as ignored, so it counts them as skipped) — unless
//! `OPENAI_SUBSCRIBED_REQUIRE_CHROMIUM` is set (`scripts/test.sh` sets it), which makes a missing
//! Chromium a failure. `OPENAI_SUBSCRIBED_CHROMIUM` names another binary.
//!
//! **Screenshots** of each page, in the light and the dark appearance (`NAME-light.png`,
//! `NAME-dark.png`), land in `target/tmp/browser-screenshots/`; with
//! `OPENAI_SUBSCRIBED_UPDATE_SCREENSHOTS=1` they are also written to `docs/` (the README shows
//! them): `cargo test --test browser` with that variable set refreshes them.
//!
//! This is a `harness = false` binary that speaks libtest's command line (`--list --format terse`,
//! `--ignored`, `--exact NAME`), so `cargo test` and `cargo nextest` both drive it.

use emulator::callback_ports;

use anyhow::{Context as _, Result, anyhow, bail, ensure};
use base64::Engine as _;
use callback_ports::PortLock;
use emulator::{AuthorizePage, Emulator, EmulatorOptions, RedirectPorts, SiwcConsent};
use gpui::TestAppContext;
use openai_subscribed::auth::SignInMethod;
use openai_subscribed::config::Config;
use openai_subscribed::credentials::{CredentialStore, MemoryStore};
use openai_subscribed::models::CacheLocation;
use openai_subscribed::oauth::CallbackServerOptions;
use openai_subscribed::provider::{
    ConfigurationStatus, OpenAiSubscribedProvider, StateOptions, UrlOpener,
};
use openai_subscribed::route::Route;
use parking_lot::Mutex;
use reqwest_client::ReqwestHttpClient;
use serde_json::{Value, json};
use std::fs::File;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use url::Url;

const REQUIRE_CHROMIUM: &str = "OPENAI_SUBSCRIBED_REQUIRE_CHROMIUM";
const CHROMIUM_PATH: &str = "OPENAI_SUBSCRIBED_CHROMIUM";
const UPDATE_SCREENSHOTS: &str = "OPENAI_SUBSCRIBED_UPDATE_SCREENSHOTS";

/// The longest Chromium may take to start and open its DevTools port.
const LAUNCH_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest a page may take to show what a step waits for.
const PAGE_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest one DevTools command may take to be answered.
const CDP_TIMEOUT: Duration = Duration::from_secs(20);
/// The longest the provider may take to reach a state after the browser's last step.
const STATE_TIMEOUT: Duration = Duration::from_secs(30);

type BrowserTest = fn(&mut TestAppContext, &Path);

const TESTS: [(&str, BrowserTest); 4] = [
    ("continue_in_chromium_signs_in", continue_signs_in),
    (
        "the_official_consent_page_in_chromium_signs_in_with_plan_use",
        official_consent_signs_in,
    ),
    (
        "cancel_in_chromium_is_refused_and_frees_the_port",
        cancel_is_refused,
    ),
    (
        "a_stale_tab_gets_the_mismatch_page_and_the_sign_in_goes_on",
        stale_tab,
    ),
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let listing = args.iter().any(|arg| arg == "--list");
    let ignored_only = args.iter().any(|arg| arg == "--ignored");
    let exact = args.iter().any(|arg| arg == "--exact");
    let mut filters: Vec<&str> = Vec::new();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        match word.as_str() {
            // Options that take a value: skip it.
            "--format" | "--test-threads" | "--skip" | "--color" | "-Z" => {
                words.next();
            }
            flag if flag.starts_with('-') => {}
            filter => filters.push(filter),
        }
    }
    let selected = |name: &str| {
        filters.is_empty()
            || filters.iter().any(|filter| {
                if exact {
                    name == *filter
                } else {
                    name.contains(filter)
                }
            })
    };
    let chromium = find_chromium();
    let required = std::env::var_os(REQUIRE_CHROMIUM).is_some();
    // Without Chromium (and not required), every test is "ignored": listed only under
    // `--ignored`, so nextest reports it as skipped.
    let skipped_because = match &chromium {
        Err(why) if !required => Some(why.clone()),
        _ => None,
    };

    if listing {
        for (name, _) in TESTS.iter().filter(|(name, _)| selected(name)) {
            if ignored_only == skipped_because.is_some() {
                println!("{name}: test");
            }
        }
        return;
    }

    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for (name, test) in TESTS.iter().filter(|(name, _)| selected(name)) {
        if let Some(why) = &skipped_because {
            println!("test {name} ... SKIPPED: {why}");
            skipped += 1;
            continue;
        }
        if ignored_only {
            continue;
        }
        let outcome = match &chromium {
            Ok(path) => run_gpui_test(name, *test, path),
            Err(why) => Err(format!("{REQUIRE_CHROMIUM} is set but {why}")),
        };
        match outcome {
            Ok(()) => {
                println!("test {name} ... ok");
                passed += 1;
            }
            Err(why) => {
                println!("test {name} ... FAILED: {why}");
                failed += 1;
            }
        }
    }
    println!(
        "\ntest result: {}. {passed} passed; {failed} failed; {skipped} skipped",
        if failed == 0 { "ok" } else { "FAILED" }
    );
    if failed > 0 {
        std::process::exit(1);
    }
}

/// The Chromium binary: `$OPENAI_SUBSCRIBED_CHROMIUM`, else `chromium` on the `PATH` (Debian's).
fn find_chromium() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os(CHROMIUM_PATH) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "{CHROMIUM_PATH} names {}, which does not exist",
                path.display()
            ))
        };
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("chromium"))
        .find(|path| path.is_file())
        .ok_or_else(|| {
            "no Chromium is installed (run scripts/setup.sh, which installs Debian's `chromium`)"
                .to_string()
        })
}

/// Runs `test` the way `#[gpui::test]` does (one seed, a `TestAppContext` on a test dispatcher),
/// turning a panic into a failure message.
fn run_gpui_test(name: &'static str, test: BrowserTest, chromium: &Path) -> Result<(), String> {
    let chromium = chromium.to_path_buf();
    std::panic::catch_unwind(move || {
        gpui::run_test(
            1,
            &[],
            0,
            &mut |dispatcher, _seed| {
                let mut cx = TestAppContext::build(dispatcher.clone(), Some(name));
                test(&mut cx, &chromium);
                dispatcher.run_until_parked();
                cx.quit();
                dispatcher.run_until_parked();
            },
            None,
        )
    })
    .map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "the test panicked".into())
    })
}

// ---------------------------------------------------------------------------------------------
// The tests

fn continue_signs_in(cx: &mut TestAppContext, chromium: &Path) {
    let _ports = PortLock::acquire();
    let h = harness(cx);
    let url = start_sign_in(cx, &h);
    let browser = Chromium::launch(chromium).unwrap();
    let ws = browser.ws_url.clone();

    let script = std::thread::spawn(move || -> Result<(Page, Page)> {
        let mut cdp = Cdp::connect(&ws)?;
        let tab = cdp.open_tab(url.as_str())?;
        let consent = cdp.wait_for_text(&tab, "Continue")?;
        cdp.screenshot(&tab, "browser-consent")?;
        cdp.click(&tab, "#continue")?;
        let done = cdp.wait_for_text(&tab, "signed in to ChatGPT")?;
        cdp.screenshot(&tab, "browser-signed-in")?;
        Ok((consent, done))
    });
    let (consent, done) = drive_until_finished(cx, script).unwrap();

    assert!(
        consent.url.starts_with(&h.emulator.issuer_url()),
        "{consent:?}"
    );
    assert!(consent.text.contains("ada@example.com"), "{consent:?}");
    assert!(consent.text.contains("ChatGPT Plus"), "{consent:?}");
    assert!(consent.text.contains("Cancel"), "{consent:?}");

    let callback = Url::parse(&done.url).unwrap();
    assert_eq!(callback.host_str(), Some("localhost"));
    assert!([1455, 1457].contains(&callback.port().unwrap()), "{done:?}");
    assert_eq!(callback.path(), "/auth/callback");
    assert!(done.title.contains("Signed in"), "{done:?}");
    assert!(
        done.text
            .contains("You are signed in to ChatGPT as ada@example.com"),
        "{done:?}"
    );
    // The page names the app to return to.
    assert!(done.text.contains("return to Zed"), "{done:?}");

    wait_for_state(cx, &h, |status| {
        matches!(status, ConfigurationStatus::SignedIn { .. })
    });
    let lines = status(cx, &h).lines();
    assert_eq!(lines[0], "Signed in as ada@example.com · Plus");
    assert!(h.store.current().is_some(), "the sign-in was stored");
    assert_eq!(h.emulator.stats().code_exchanges, 1);
    drop(browser);
}

/// Sign in with ChatGPT, the official route: the issuer's consent page names the app and offers
/// plan use; "Continue" returns to a loopback callback on `127.0.0.1` with an ephemeral port
/// (never `localhost`, never the Codex route's fixed ports), and the sign-in is stored with its
/// route and plan use.
fn official_consent_signs_in(cx: &mut TestAppContext, chromium: &Path) {
    let h = harness(cx);
    h.emulator.set_siwc_consent(SiwcConsent::Page);
    h.provider.state().update(cx, |state, cx| {
        state.sign_in(SignInMethod::SignInWithChatGpt, cx)
    });
    let url = opened_url(cx, &h);
    let browser = Chromium::launch(chromium).unwrap();
    let ws = browser.ws_url.clone();

    let script = std::thread::spawn(move || -> Result<(Page, Page)> {
        let mut cdp = Cdp::connect(&ws)?;
        let tab = cdp.open_tab(url.as_str())?;
        let consent = cdp.wait_for_text(&tab, "Continue without plan use")?;
        cdp.screenshot(&tab, "browser-official-consent")?;
        cdp.click(&tab, "#continue")?;
        let done = cdp.wait_for_text(&tab, "signed in with ChatGPT")?;
        cdp.screenshot(&tab, "browser-official-signed-in")?;
        Ok((consent, done))
    });
    let (consent, done) = drive_until_finished(cx, script).unwrap();

    assert!(
        consent.url.starts_with(&h.emulator.siwc_issuer_url()),
        "{consent:?}"
    );
    assert!(
        consent.text.contains("Zed"),
        "the page names the app: {consent:?}"
    );
    assert!(consent.text.contains("Cancel"), "{consent:?}");

    let callback = Url::parse(&done.url).unwrap();
    assert_eq!(callback.host_str(), Some("127.0.0.1"), "{done:?}");
    assert!(
        ![1455, 1457].contains(&callback.port().unwrap()),
        "an ephemeral port: {done:?}"
    );
    assert_eq!(callback.path(), "/auth/callback");
    assert!(done.title.contains("Signed in"), "{done:?}");
    assert!(
        done.text.contains("use your ChatGPT plan") && done.text.contains("return to Zed"),
        "{done:?}"
    );

    wait_for_state(cx, &h, |status| {
        matches!(status, ConfigurationStatus::SignedIn { .. })
    });
    let stored = h.store.current().expect("the sign-in was stored");
    assert_eq!(stored.route, Route::SignInWithChatGpt);
    let official = stored.official.expect("the official route's session");
    assert_eq!(official.plan_use, openai_subscribed::siwc::PlanUse::Granted);
    drop(browser);
}

fn cancel_is_refused(cx: &mut TestAppContext, chromium: &Path) {
    let _ports = PortLock::acquire();
    let h = harness(cx);
    let url = start_sign_in(cx, &h);
    let port = Url::parse(&query(&url, "redirect_uri"))
        .unwrap()
        .port()
        .unwrap();
    let browser = Chromium::launch(chromium).unwrap();
    let ws = browser.ws_url.clone();

    let script = std::thread::spawn(move || -> Result<Page> {
        let mut cdp = Cdp::connect(&ws)?;
        let tab = cdp.open_tab(url.as_str())?;
        cdp.wait_for_text(&tab, "Cancel")?;
        cdp.click(&tab, "#cancel")?;
        let refused = cdp.wait_for_text(&tab, "Sign-in failed")?;
        cdp.screenshot(&tab, "browser-sign-in-refused")?;
        Ok(refused)
    });
    let refused = drive_until_finished(cx, script).unwrap();

    assert!(refused.url.contains("error=access_denied"), "{refused:?}");
    assert!(refused.text.contains("Sign-in was declined"), "{refused:?}");
    assert!(
        refused.text.contains("you cancelled the sign-in"),
        "{refused:?}"
    );

    wait_for_state(cx, &h, |status| {
        matches!(status, ConfigurationStatus::SignedOut { error: Some(_) })
    });
    let ConfigurationStatus::SignedOut { error: Some(error) } = status(cx, &h) else {
        unreachable!()
    };
    assert!(error.contains("Sign-in was declined"), "{error}");
    assert!(h.store.current().is_none());
    assert_eq!(h.emulator.stats().code_exchanges, 0);
    assert!(port_is_free(port), "the callback port {port} is free again");
    drop(browser);
}

fn stale_tab(cx: &mut TestAppContext, chromium: &Path) {
    let _ports = PortLock::acquire();
    let h = harness(cx);
    let first_url = start_sign_in(cx, &h);
    let browser = Chromium::launch(chromium).unwrap();
    let ws = browser.ws_url.clone();

    // The first sign-in's tab shows the consent page, then the user gives up on that sign-in.
    let mut cdp = Cdp::connect(&ws).unwrap();
    // (Nothing here needs the callback server yet, so the test's thread may wait on the page.)
    let old_tab = cdp.open_tab(first_url.as_str()).unwrap();
    cdp.wait_for_text(&old_tab, "Continue").unwrap();
    h.provider
        .state()
        .update(cx, |state, cx| state.cancel_sign_in(cx));
    let first_port = Url::parse(&query(&first_url, "redirect_uri"))
        .unwrap()
        .port()
        .unwrap();
    // Cancelling drops the flow's task, which closes its listener once the executor runs.
    let deadline = Instant::now() + STATE_TIMEOUT;
    while !port_is_free(first_port) {
        cx.run_until_parked();
        assert!(Instant::now() < deadline, "port {first_port} stayed busy");
        std::thread::sleep(Duration::from_millis(10));
    }
    *h.opened.lock() = None;
    let second_url = start_sign_in(cx, &h);
    assert_ne!(query(&first_url, "state"), query(&second_url, "state"));
    assert_eq!(
        query(&first_url, "redirect_uri"),
        query(&second_url, "redirect_uri"),
        "both sign-ins listen on the same port (the first freed it)"
    );

    let script = std::thread::spawn(move || -> Result<(Page, Page)> {
        let new_tab = cdp.open_tab(second_url.as_str())?;
        cdp.wait_for_text(&new_tab, "Continue")?;
        // The old tab's "Continue" reaches the new sign-in's server with the old `state`.
        cdp.click(&old_tab, "#continue")?;
        let mismatch = cdp.wait_for_text(&old_tab, "Sign-in link out of date")?;
        cdp.screenshot(&old_tab, "browser-stale-tab")?;
        cdp.click(&new_tab, "#continue")?;
        let done = cdp.wait_for_text(&new_tab, "signed in to ChatGPT")?;
        Ok((mismatch, done))
    });
    let (mismatch, done) = drive_until_finished(cx, script).unwrap();
    assert!(mismatch.text.contains("does not match"), "{mismatch:?}");
    assert!(done.url.contains("/auth/callback?code="), "{done:?}");
    wait_for_state(cx, &h, |status| {
        matches!(status, ConfigurationStatus::SignedIn { .. })
    });
    // Only the new tab's code was exchanged: the stale one never reached the issuer.
    assert_eq!(h.emulator.stats().code_exchanges, 1);
    drop(browser);
}

// ---------------------------------------------------------------------------------------------
// The provider side

/// The emulator (consent page on, real ports only) and the provider, as Zed creates it, but with
/// the sign-in page's URL captured instead of handed to the system browser.
struct Harness {
    emulator: Emulator,
    store: MemoryStore,
    provider: Arc<OpenAiSubscribedProvider>,
    opened: Arc<Mutex<Option<Url>>>,
    _cache_dir: tempfile::TempDir,
}

fn harness(cx: &mut TestAppContext) -> Harness {
    cx.executor().allow_parking();
    let emulator = Emulator::start_with(EmulatorOptions {
        redirect_ports: RedirectPorts::RealIssuer,
        authorize_page: AuthorizePage::Consent,
        ..EmulatorOptions::default()
    })
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let opened: Arc<Mutex<Option<Url>>> = Arc::default();
    let slot = opened.clone();
    let options = StateOptions {
        cache: CacheLocation::Directory(cache.path().to_path_buf()),
        url_opener: UrlOpener::Custom(Rc::new(move |url, _| *slot.lock() = Some(url.clone()))),
        // The real ports, 1455 then 1457.
        callback: CallbackServerOptions::default(),
        ..StateOptions::default()
    };
    let http = ReqwestHttpClient::new("openai-subscribed-tests").unwrap();
    let store = MemoryStore::new();
    let credentials: Arc<dyn CredentialStore> = Arc::new(store.clone());
    let config = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url())
        .and_then(|config| {
            config.with_official_urls(&emulator.siwc_issuer_url(), &emulator.siwc_api_url())
        })
        .unwrap();
    let provider = cx.update(|cx| {
        Arc::new(OpenAiSubscribedProvider::with_options(
            http,
            credentials,
            config,
            options,
            cx,
        ))
    });
    Harness {
        emulator,
        store,
        provider,
        opened,
        _cache_dir: cache,
    }
}

/// Clicks "Sign in" (browser) and returns the authorize URL the provider opened.
fn start_sign_in(cx: &mut TestAppContext, h: &Harness) -> Url {
    h.provider
        .state()
        .update(cx, |state, cx| state.sign_in(SignInMethod::Browser, cx));
    opened_url(cx, h)
}

/// The authorize URL the provider opened (bounded).
fn opened_url(cx: &mut TestAppContext, h: &Harness) -> Url {
    let deadline = Instant::now() + STATE_TIMEOUT;
    loop {
        cx.run_until_parked();
        if let Some(url) = h.opened.lock().clone() {
            return url;
        }
        assert!(
            Instant::now() < deadline,
            "the provider never opened the sign-in page: {:?}",
            status(cx, h)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn status(cx: &mut TestAppContext, h: &Harness) -> ConfigurationStatus {
    h.provider
        .state()
        .read_with(cx, |state, cx| state.status(cx))
}

/// Serves the callback (it runs on the test's executor) while the browser script runs on its
/// own thread, until the script ends; bounded.
fn drive_until_finished<T>(
    cx: &mut TestAppContext,
    script: std::thread::JoinHandle<Result<T>>,
) -> Result<T> {
    // The script's own waits are bounded; this is the backstop.
    let deadline = Instant::now() + PAGE_TIMEOUT * 4;
    while !script.is_finished() {
        cx.run_until_parked();
        assert!(Instant::now() < deadline, "the browser script never ended");
        std::thread::sleep(Duration::from_millis(5));
    }
    cx.run_until_parked();
    script
        .join()
        .map_err(|_| anyhow!("the browser script panicked"))?
}

/// Waits (bounded, in real time: the browser is real) until the settings card's status holds.
fn wait_for_state(
    cx: &mut TestAppContext,
    h: &Harness,
    condition: impl Fn(&ConfigurationStatus) -> bool,
) {
    let deadline = Instant::now() + STATE_TIMEOUT;
    loop {
        cx.run_until_parked();
        let now = status(cx, h);
        if condition(&now) {
            return;
        }
        assert!(Instant::now() < deadline, "the provider stayed {now:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn query(url: &Url, name: &str) -> String {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| panic!("no {name} in {url}"))
}

fn port_is_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

// ---------------------------------------------------------------------------------------------
// Chromium and its DevTools protocol

/// A headless Chromium with a fresh profile; killed (and reaped) on drop, also on panic.
struct Chromium {
    child: Child,
    ws_url: String,
    /// The profile directory and Chromium's log, removed on drop (after the kill).
    scratch: tempfile::TempDir,
}

impl Chromium {
    fn launch(binary: &Path) -> Result<Self> {
        let profile = tempfile::tempdir()?;
        let log = File::create(profile.path().join("chromium.log"))?;
        let data_dir = profile.path().join("profile");
        let child = Command::new(binary)
            .args([
                // The flags this machine's closed network needs (see the module docs).
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
                "--window-size=720,640",
                "--force-device-scale-factor=1",
                "--hide-scrollbars",
            ])
            .arg(format!("--user-data-dir={}", data_dir.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("could not start {}", binary.display()))?;
        let mut browser = Self {
            child,
            ws_url: String::new(),
            scratch: profile,
        };
        // Chromium writes the port it picked and the browser target's path to this file.
        let active_port = data_dir.join("DevToolsActivePort");
        let deadline = Instant::now() + LAUNCH_TIMEOUT;
        loop {
            if let Ok(text) = std::fs::read_to_string(&active_port)
                && let [port, path] = text.lines().collect::<Vec<_>>()[..]
            {
                browser.ws_url = format!("ws://127.0.0.1:{port}{path}");
                return Ok(browser);
            }
            if let Some(status) = browser.child.try_wait()? {
                bail!(
                    "Chromium exited at start ({status}): {}",
                    browser.log_tail()
                );
            }
            ensure!(
                Instant::now() < deadline,
                "Chromium did not open its DevTools port within {LAUNCH_TIMEOUT:?}: {}",
                browser.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_tail(&self) -> String {
        let log =
            std::fs::read_to_string(self.scratch.path().join("chromium.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(10)..].join("\n")
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// What a tab shows.
#[derive(Debug)]
struct Page {
    url: String,
    title: String,
    text: String,
}

/// A DevTools connection to the browser target; tabs are flat sessions on it.
struct Cdp {
    socket: tungstenite::WebSocket<TcpStream>,
    next_id: u64,
}

impl Cdp {
    fn connect(ws_url: &str) -> Result<Self> {
        let address = Url::parse(ws_url)?;
        let stream = TcpStream::connect((
            address.host_str().context("no host")?,
            address.port().context("no port")?,
        ))?;
        // The handshake in one bounded read; then short reads, so that every wait below checks
        // its own deadline.
        stream.set_read_timeout(Some(CDP_TIMEOUT))?;
        let (socket, _) = tungstenite::client(ws_url, stream)
            .map_err(|error| anyhow!("DevTools handshake failed: {error}"))?;
        socket
            .get_ref()
            .set_read_timeout(Some(Duration::from_millis(200)))?;
        Ok(Self { socket, next_id: 0 })
    }

    /// Sends one command (to a tab's session, or to the browser) and waits for its answer,
    /// skipping the events that arrive meanwhile.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        self.socket
            .send(tungstenite::Message::text(message.to_string()))?;
        let deadline = Instant::now() + CDP_TIMEOUT;
        loop {
            ensure!(
                Instant::now() < deadline,
                "{method} was not answered within {CDP_TIMEOUT:?}"
            );
            let message = match self.socket.read() {
                Ok(message) => message,
                Err(tungstenite::Error::Io(error))
                    if matches!(
                        error.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    continue;
                }
                Err(error) => return Err(error.into()),
            };
            let tungstenite::Message::Text(text) = message else {
                continue;
            };
            let answer: Value = serde_json::from_str(text.as_str())?;
            if answer["id"] != json!(id) {
                continue;
            }
            if let Some(error) = answer.get("error") {
                bail!("{method} failed: {error}");
            }
            return Ok(answer["result"].clone());
        }
    }

    /// Opens a new tab at `url`; returns its session id.
    fn open_tab(&mut self, url: &str) -> Result<String> {
        let target = self.call(None, "Target.createTarget", json!({"url": "about:blank"}))?;
        let target_id = target["targetId"]
            .as_str()
            .context("no targetId")?
            .to_string();
        let attached = self.call(
            None,
            "Target.attachToTarget",
            json!({"targetId": target_id, "flatten": true}),
        )?;
        let session = attached["sessionId"]
            .as_str()
            .context("no sessionId")?
            .to_string();
        self.call(Some(&session), "Page.navigate", json!({"url": url}))?;
        Ok(session)
    }

    /// What the tab shows now; `None` while it is between pages.
    fn page(&mut self, tab: &str) -> Option<Page> {
        let expression = "JSON.stringify([location.href, document.readyState, document.title, \
                          document.body ? document.body.innerText : ''])";
        let answer = self
            .call(
                Some(tab),
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true}),
            )
            .ok()?;
        let fields: Vec<String> = serde_json::from_str(answer["result"]["value"].as_str()?).ok()?;
        let [url, ready, title, text] = <[String; 4]>::try_from(fields).ok()?;
        (ready == "complete").then_some(Page { url, title, text })
    }

    /// Waits (bounded) until the tab has loaded a page whose text contains `needle`.
    fn wait_for_text(&mut self, tab: &str, needle: &str) -> Result<Page> {
        let deadline = Instant::now() + PAGE_TIMEOUT;
        let mut last = None;
        loop {
            if let Some(page) = self.page(tab) {
                if page.text.contains(needle) {
                    return Ok(page);
                }
                last = Some(page);
            }
            ensure!(
                Instant::now() < deadline,
                "the tab never showed {needle:?} within {PAGE_TIMEOUT:?}; last: {last:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A real left click (mouse down, mouse up) at the centre of the element `selector`.
    fn click(&mut self, tab: &str, selector: &str) -> Result<()> {
        let expression = format!(
            "(() => {{ const r = document.querySelector({selector:?}).getBoundingClientRect(); \
             return JSON.stringify([r.x + r.width / 2, r.y + r.height / 2]); }})()"
        );
        let answer = self.call(
            Some(tab),
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        )?;
        let [x, y]: [f64; 2] = serde_json::from_str(
            answer["result"]["value"]
                .as_str()
                .with_context(|| format!("no element {selector} on the page: {answer}"))?,
        )?;
        // A tab in the background still takes input events, but bring it forward as a person would.
        self.call(Some(tab), "Page.bringToFront", json!({}))?;
        for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
            self.call(
                Some(tab),
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            )?;
        }
        Ok(())
    }

    /// A PNG of the tab, kept in `target/tmp/browser-screenshots/` (and in `docs/` when
    /// `OPENAI_SUBSCRIBED_UPDATE_SCREENSHOTS` is set).
    /// Captures the tab as `NAME-light.png` and `NAME-dark.png`: the page as the system's light
    /// and dark appearance show it (`prefers-color-scheme`, emulated), then the default again.
    fn screenshot(&mut self, tab: &str, name: &str) -> Result<()> {
        for scheme in ["light", "dark"] {
            self.call(
                Some(tab),
                "Emulation.setEmulatedMedia",
                json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}),
            )?;
            let answer = self.call(
                Some(tab),
                "Page.captureScreenshot",
                json!({"format": "png"}),
            )?;
            let png = base64::engine::general_purpose::STANDARD
                .decode(answer["data"].as_str().context("no screenshot data")?)?;
            ensure!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
            let file = format!("{name}-{scheme}.png");
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots");
            std::fs::create_dir_all(&dir)?;
            std::fs::write(dir.join(&file), &png)?;
            if std::env::var_os(UPDATE_SCREENSHOTS).is_some() {
                let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
                std::fs::write(docs.join(&file), &png)?;
            }
        }
        self.call(
            Some(tab),
            "Emulation.setEmulatedMedia",
            json!({"features": []}),
        )?;
        Ok(())
    }
}
