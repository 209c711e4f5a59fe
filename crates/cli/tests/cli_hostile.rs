//! The command line against a misbehaving backend, a broken store and a closed terminal: the
//! real binary, in separate processes, over real loopback sockets (the embedded emulator, or the
//! raw TCP backend in `tests/support/misbehaving_backend.rs`).
//!
//! Each test is one finding of the hostile-input pass (issue 16): every wait bounded, no panic on
//! a closed pipe, no control character from the network on the terminal, and every error saying
//! what happened and what to do. Every child process is waited for with a bound and killed past
//! it, so no test can hang.

use emulator::callback_ports;
use emulator::misbehaving as misbehaving_backend;

use emulator::{Emulator, EmulatorOptions, Fault, FaultRoute};
use misbehaving_backend::{MisbehavingBackend, Misbehaviour};
use openai_subscribed::credentials::StoredCredentials;
use openai_subscribed::oauth::{TokenResponse, TokenSet};
use openai_subscribed::secret::{AccessToken, IdToken, RefreshToken};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_openai-subscribed");
/// No command here should take more than a few seconds; past this it is killed and the test fails.
const BOUND: Duration = Duration::from_secs(60);

/// A command against `emulator` with the sign-in in `dir/credentials.json`; `login` takes the
/// Codex route these tests were written for.
fn cli(emulator: &Emulator, dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .env("OPENAI_SUBSCRIBED_AUTH_URL", emulator.issuer_url())
        .env("OPENAI_SUBSCRIBED_BACKEND_URL", emulator.backend_url())
        .env("OPENAI_SUBSCRIBED_ROUTE", "codex")
        .env("OPENAI_SUBSCRIBED_STORE", "file")
        .env("OPENAI_SUBSCRIBED_STORE_PATH", store_path(dir))
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    command
}

fn store_path(dir: &Path) -> PathBuf {
    dir.join("credentials.json")
}

/// Writes a live sign-in (access token valid `lifetime_secs`) into the file store, as a sign-in
/// would have: no browser and no fixed callback port, so tests can run side by side.
fn sign_in(emulator: &Emulator, dir: &Path, lifetime_secs: i64) {
    let minted = emulator.mint_tokens(lifetime_secs);
    let tokens = TokenSet::from_response(
        TokenResponse {
            id_token: Some(IdToken::new(minted.id_token)),
            access_token: AccessToken::new(minted.access_token),
            refresh_token: Some(RefreshToken::new(minted.refresh_token)),
            expires_in: Some(serde_json::json!(lifetime_secs)),
        },
        None,
        chrono::Utc::now(),
    )
    .unwrap();
    let path = store_path(dir);
    std::fs::write(&path, StoredCredentials::from_token_set(&tokens).encode()).unwrap();
    set_mode(&path, 0o600);
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// Runs `command` to its end, within [`BOUND`].
fn run(command: &mut Command) -> Finished {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let status = wait_bounded(&mut child, BOUND).expect("the command ended in time");
    let read = |pipe: Option<Box<dyn std::io::Read>>| {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            pipe.read_to_string(&mut text).ok();
        }
        text
    };
    Finished {
        status,
        stdout: read(child.stdout.take().map(|p| Box::new(p) as _)),
        stderr: read(child.stderr.take().map(|p| Box::new(p) as _)),
    }
}

/// Waits up to `bound`; `None` (and the child killed) if it is still running then.
fn wait_bounded(child: &mut Child, bound: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + bound;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if Instant::now() >= deadline {
            child.kill().ok();
            child.wait().ok();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn no_control_characters(text: &str) {
    assert!(
        !text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "control characters reached the terminal: {text:?}"
    );
}

// ---- Finding 1: every wait bounded ---------------------------------------------------------

fn chat_against(misbehaviour: Misbehaviour, timeouts: &[(&str, &str)]) -> Finished {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    sign_in(&emulator, dir.path(), 3600);
    let backend = MisbehavingBackend::start(misbehaviour);
    let mut command = cli(&emulator, dir.path());
    command
        .env("OPENAI_SUBSCRIBED_BACKEND_URL", &backend.url)
        .args(["chat", "hello"]);
    for (name, value) in timeouts {
        command.env(name, value);
    }
    run(&mut command)
}

#[test]
fn chat_gives_up_on_a_backend_that_accepts_and_stays_silent() {
    let output = chat_against(
        Misbehaviour::Silent,
        &[("OPENAI_SUBSCRIBED_FIRST_BYTE_TIMEOUT", "0.5")],
    );
    assert_eq!(output.status.code(), Some(1), "{}", output.stderr);
    assert!(
        output
            .stderr
            .contains("did not start answering within 0.50 s"),
        "{}",
        output.stderr
    );
}

#[test]
fn chat_gives_up_on_headers_then_nothing() {
    let output = chat_against(
        Misbehaviour::HeadersThenNothing,
        &[("OPENAI_SUBSCRIBED_STREAM_IDLE_TIMEOUT", "0.5")],
    );
    assert_eq!(output.status.code(), Some(1), "{}", output.stderr);
    assert!(
        output
            .stderr
            .contains("nothing arrived from the ChatGPT backend for 0.50 s"),
        "{}",
        output.stderr
    );
}

#[test]
fn chat_gives_up_on_a_stream_of_keep_alive_comments() {
    let output = chat_against(
        Misbehaviour::KeepAliveOnly,
        &[("OPENAI_SUBSCRIBED_EVENT_IDLE_TIMEOUT", "1")],
    );
    assert_eq!(output.status.code(), Some(1), "{}", output.stderr);
    assert!(
        output.stderr.contains("sent no progress for 1 s"),
        "{}",
        output.stderr
    );
}

#[test]
fn chat_gives_up_on_a_stream_that_stalls_midway() {
    let output = chat_against(
        Misbehaviour::StallMidStream,
        &[("OPENAI_SUBSCRIBED_STREAM_IDLE_TIMEOUT", "0.5")],
    );
    assert_eq!(output.status.code(), Some(1), "{}", output.stderr);
    assert!(output.stdout.contains("Half an ans"), "{}", output.stdout);
    assert!(
        output.stderr.contains("the answer stalled"),
        "{}",
        output.stderr
    );
}

#[test]
fn a_timeout_that_is_not_a_number_is_refused_in_words() {
    let output = run(Command::new(BIN)
        .args(["--first-byte-timeout", "soon", "status"])
        .env("OPENAI_SUBSCRIBED_STORE", "memory"));
    assert!(!output.status.success());
    assert!(
        output
            .stderr
            .contains("\"soon\" is not a number of seconds"),
        "{}",
        output.stderr
    );
}

// ---- Finding 2: every byte bounded ---------------------------------------------------------

#[test]
fn chat_refuses_an_endless_line_instead_of_growing_without_bound() {
    let output = chat_against(Misbehaviour::EndlessLine, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", output.stderr);
    assert!(
        output.stderr.contains("larger than 8 MiB"),
        "{}",
        output.stderr
    );
}

// ---- Finding 5: no panic on a closed stdout or stderr --------------------------------------

/// Which of the child's output streams has no reader.
#[derive(Clone, Copy, Debug)]
enum Closed {
    Stdout,
    Stderr,
}

/// Starts `command` with `closed`'s reader gone before it writes anything.
fn spawn_with_closed(
    command: &mut Command,
    closed: Closed,
) -> (Child, Option<std::process::ChildStderr>) {
    match closed {
        Closed::Stdout => {
            let mut child = command
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            drop(child.stdout.take());
            let stderr = child.stderr.take();
            (child, stderr)
        }
        Closed::Stderr => {
            let mut child = command
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            drop(child.stderr.take());
            (child, None)
        }
    }
}

/// Runs a command that ends by itself with `closed` broken: it must not panic (exit 101).
fn ends_without_panic(command: &mut Command, closed: Closed) -> ExitStatus {
    let (mut child, stderr) = spawn_with_closed(command, closed);
    let status = wait_bounded(&mut child, BOUND).expect("ended in time");
    let mut text = String::new();
    if let Some(mut stderr) = stderr {
        std::io::Read::read_to_string(&mut stderr, &mut text).ok();
    }
    assert_ne!(status.code(), Some(101), "{command:?} panicked: {text}");
    assert!(!text.contains("panicked"), "{command:?}: {text}");
    status
}

/// Runs a command that keeps running (a server, a sign-in waiting for the browser) with `closed`
/// broken: it must still be running after a while, then it is stopped.
fn keeps_running_without_panic(command: &mut Command, closed: Closed) {
    let (mut child, _stderr) = spawn_with_closed(command, closed);
    let status = wait_bounded(&mut child, Duration::from_secs(3));
    assert!(
        status.is_none(),
        "{command:?} ended (a panic is exit 101): {status:?}"
    );
}

#[test]
fn no_command_panics_on_a_closed_stdout_or_stderr() {
    // `login --no-browser` binds the issuer's real callback ports: hold the shared lock.
    let _ports = callback_ports::PortLock::acquire();
    let emulator = Emulator::start().unwrap();
    for closed in [Closed::Stdout, Closed::Stderr] {
        let dir = tempfile::tempdir().unwrap();
        // Signed out: `status`, `models` (the built-in list) and `login --no-browser`.
        assert!(ends_without_panic(cli(&emulator, dir.path()).arg("status"), closed).success());
        assert!(ends_without_panic(cli(&emulator, dir.path()).arg("models"), closed).success());
        keeps_running_without_panic(
            cli(&emulator, dir.path()).args(["login", "--no-browser"]),
            closed,
        );
        // Signed in: `usage`, `status`, then `logout`, which still signs out.
        sign_in(&emulator, dir.path(), 3600);
        assert!(ends_without_panic(cli(&emulator, dir.path()).arg("usage"), closed).success());
        assert!(ends_without_panic(cli(&emulator, dir.path()).arg("status"), closed).success());
        assert!(ends_without_panic(cli(&emulator, dir.path()).arg("logout"), closed).success());
        assert!(!store_path(dir.path()).exists(), "logout finished its work");
        // `emulator` keeps serving.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        keeps_running_without_panic(
            Command::new(BIN).args(["emulator", "--port", &port.to_string()]),
            closed,
        );
    }
}

// ---- Finding 6: no control character from the network on the terminal ----------------------

#[test]
fn escape_sequences_from_the_backend_never_reach_the_terminal() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    sign_in(&emulator, dir.path(), 3600);
    // An error message that retitles the terminal, clears it and overwrites the line.
    emulator.inject(Fault::ResponsesStatus {
        status: 400,
        body: json!({"error": {"code": "bad\u{1b}[2J",
            "message": "\u{1b}]0;pwned\u{7}Bad\u{1b}[2J\rrequest \u{202E}gnp.exe"}}),
        retry_after_secs: None,
    });
    let output = run(cli(&emulator, dir.path()).args(["chat", "hi"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stderr.contains("Bad"), "{}", output.stderr);
    no_control_characters(&output.stderr);
    assert!(!output.stderr.contains('\u{202E}'), "{}", output.stderr);

    // A plan type in a usage-limit answer.
    emulator.inject(Fault::ResponsesStatus {
        status: 429,
        body: json!({"error": {"type": "usage_limit_reached",
            "plan_type": "\u{1b}[31mpro\u{7}", "resets_in_seconds": 600}}),
        retry_after_secs: None,
    });
    let output = run(cli(&emulator, dir.path()).args(["chat", "hi"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        output.stderr.contains("usage limit reached"),
        "{}",
        output.stderr
    );
    no_control_characters(&output.stderr);
}

// ---- Finding 7: words that say what happened and what to do --------------------------------

#[test]
fn a_store_that_is_a_directory_is_said_by_status_and_login_refuses_before_the_browser() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(store_path(dir.path())).unwrap();

    let status = run(cli(&emulator, dir.path()).arg("status"));
    assert_eq!(status.status.code(), Some(1), "{}", status.stdout);
    assert!(
        status
            .stderr
            .contains("Could not read your ChatGPT sign-in from the"),
        "{}",
        status.stderr
    );
    assert!(
        !status.stdout.contains("Not signed in"),
        "{}",
        status.stdout
    );

    let login = run(cli(&emulator, dir.path()).args(["login", "--no-browser"]));
    assert_eq!(login.status.code(), Some(1));
    // Refused before the flow started: no authorize URL was printed, no code was issued.
    assert_eq!(login.stdout, "", "{}", login.stdout);
    assert!(login.stderr.contains("Could not read"), "{}", login.stderr);
}

#[test]
fn a_store_others_can_read_is_made_private_with_a_note() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    sign_in(&emulator, dir.path(), 3600);
    set_mode(&store_path(dir.path()), 0o644);
    let output = run(cli(&emulator, dir.path()).arg("status"));
    assert!(output.status.success(), "{}", output.stderr);
    assert!(output.stdout.contains("Signed in as"), "{}", output.stdout);
    assert!(
        output.stderr.contains("it is now private to you (0600)"),
        "{}",
        output.stderr
    );
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(store_path(dir.path()))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn a_session_that_ended_is_said_in_words_not_as_a_missing_api_key() {
    let emulator = Emulator::start_with(EmulatorOptions {
        // Inside the renewal margin: the first request renews.
        access_token_lifetime: Duration::from_secs(60),
        ..EmulatorOptions::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    sign_in(&emulator, dir.path(), 60);
    emulator.inject(Fault::TokenStatus {
        status: 400,
        body: json!({"error": "refresh_token_reused"}),
    });
    let output = run(cli(&emulator, dir.path()).args(["chat", "hi"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(!output.stderr.contains("API key"), "{}", output.stderr);
    assert!(
        output.stderr.contains("openai-subscribed login"),
        "{}",
        output.stderr
    );
}

#[test]
fn models_tells_an_answer_from_an_unreachable_backend_and_from_being_signed_out() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();

    let signed_out = run(cli(&emulator, dir.path()).arg("models"));
    assert!(signed_out.status.success());
    assert!(
        signed_out.stderr.contains("Not signed in"),
        "{}",
        signed_out.stderr
    );
    assert!(!signed_out.stdout.contains("could not be reached"));

    sign_in(&emulator, dir.path(), 3600);
    emulator.inject(Fault::ModelsStatus { status: 500 });
    let answered = run(cli(&emulator, dir.path()).arg("models"));
    assert!(
        answered.stderr.contains("HTTP 500 Internal Server Error"),
        "{}",
        answered.stderr
    );
    assert!(
        !format!("{}{}", answered.stdout, answered.stderr).contains("reach"),
        "{}{}",
        answered.stdout,
        answered.stderr
    );

    // Nothing listens there; the URL carries a password, which no message may repeat.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = run(cli(&emulator, dir.path())
        .env(
            "OPENAI_SUBSCRIBED_BACKEND_URL",
            format!("http://ada:hunter2@127.0.0.1:{closed}/backend-api/codex"),
        )
        .arg("models"));
    assert!(
        unreachable.stderr.contains("could not reach the backend"),
        "{}",
        unreachable.stderr
    );
    assert!(
        !unreachable.stderr.contains("hunter2"),
        "{}",
        unreachable.stderr
    );
}

#[test]
fn an_error_without_details_never_says_null() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    sign_in(&emulator, dir.path(), 3600);
    emulator.inject(Fault::ResponsesStatus {
        status: 500,
        body: serde_json::Value::Null,
        retry_after_secs: None,
    });
    let output = run(cli(&emulator, dir.path()).args(["chat", "hi"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(!output.stderr.contains("null"), "{}", output.stderr);
    assert!(
        output.stderr.contains(
            "the request for the answer failed: the ChatGPT backend answered HTTP 500 Internal \
             Server Error; try again in a few minutes"
        ),
        "{}",
        output.stderr
    );
}

// ---- Issue 22: HTTP errors in words ----------------------------------------------------------

/// An error answer a proxy or a failing server sends, and what must (not) be shown of it.
struct ErrorAnswer {
    status: u16,
    content_type: &'static str,
    body: &'static str,
    /// The status as it must be shown.
    shown_status: &'static str,
    /// The next step that must be shown.
    next_step: &'static str,
    /// The server's message, as it must be shown (stripped), if the body carries one.
    message: Option<&'static str>,
    /// What must never be shown.
    hidden: &'static [&'static str],
}

fn error_answers() -> Vec<ErrorAnswer> {
    vec![
        ErrorAnswer {
            status: 500,
            content_type: "application/json",
            body: r#"{"detail": null}"#,
            shown_status: "HTTP 500 Internal Server Error",
            next_step: "try again in a few minutes",
            message: None,
            hidden: &["null", "detail", "{"],
        },
        ErrorAnswer {
            status: 502,
            content_type: "text/html",
            body: "<!doctype html><html><head><title>502 Bad Gateway</title></head>\
                   <body><center><h1>502 Bad Gateway</h1></center><hr>nginx</body></html>",
            shown_status: "HTTP 502 Bad Gateway",
            next_step: "try again in a few minutes",
            message: None,
            hidden: &["<", "html", "nginx"],
        },
        ErrorAnswer {
            status: 500,
            content_type: "text/plain",
            body: "\u{1b}]0;pwned\u{7}\u{1b}[2J\rGateway \u{202E}exploded",
            shown_status: "HTTP 500 Internal Server Error",
            next_step: "try again in a few minutes",
            message: None,
            hidden: &["\u{1b}", "\u{7}", "\u{202E}", "pwned", "exploded"],
        },
        ErrorAnswer {
            status: 500,
            content_type: "application/json",
            body: r#"{"detail":"\u001b]0;pwned\u0007Database \u001b[31mdown\u202e"}"#,
            shown_status: "HTTP 500 Internal Server Error",
            next_step: "try again in a few minutes",
            message: Some("(\"]0;pwned Database [31mdown\")"),
            hidden: &["\u{1b}", "\u{7}", "\u{202E}"],
        },
        ErrorAnswer {
            status: 400,
            content_type: "application/json",
            body: r#"{"error":{"message":"The request was refused: unsupported field","type":"invalid_request_error"}}"#,
            shown_status: "HTTP 400 Bad Request",
            next_step: "update openai-subscribed",
            message: Some("(\"The request was refused: unsupported field\")"),
            hidden: &["invalid_request_error"],
        },
        ErrorAnswer {
            status: 404,
            content_type: "text/plain",
            body: "Not Found",
            shown_status: "HTTP 404 Not Found",
            next_step: "check --backend-url",
            message: None,
            hidden: &["error: Not Found"],
        },
    ]
}

fn raw_answer(route: FaultRoute, answer: &ErrorAnswer) -> Fault {
    Fault::RawAnswer {
        route,
        status: answer.status,
        content_type: answer.content_type.into(),
        body: answer.body.into(),
    }
}

/// `text` says which request failed, the status and the next step, shows the message the body
/// carries (stripped, bounded) and nothing else of it.
fn worded(text: &str, request: &str, answer: &ErrorAnswer) {
    let context = format!("{} {:?}: {text:?}", answer.status, answer.body);
    let said = format!("the request for {request} failed");
    let line = text
        .lines()
        .find(|line| line.contains(&said))
        .unwrap_or_else(|| panic!("{said:?} not said: {context}"));
    assert!(line.contains(answer.shown_status), "{context}");
    assert!(line.contains(answer.next_step), "{context}");
    if let Some(message) = answer.message {
        assert!(line.contains(message), "{context}");
    }
    for hidden in answer.hidden {
        assert!(!text.contains(hidden), "{hidden:?} shown: {context}");
    }
    assert!(line.chars().count() < 600, "{context}");
}

#[tokio::test]
async fn the_library_words_every_http_error_with_its_request_status_and_next_step() {
    use openai_subscribed::backend_request::BackendAuth;
    use openai_subscribed::models::fetch::fetch_models;
    use openai_subscribed::responses::{StreamTimeouts, StreamWatch, send_request};
    use openai_subscribed::secret::AccessToken;
    use openai_subscribed::usage::fetch_usage;

    let emulator = Emulator::start().unwrap();
    let config = openai_subscribed::config::Config::with_urls(
        &emulator.issuer_url(),
        &emulator.backend_url(),
    )
    .unwrap();
    let http = reqwest_client::ReqwestHttpClient::new("tests").unwrap();
    let auth = BackendAuth {
        access_token: AccessToken::new(emulator.mint_tokens(3600).access_token),
        account_id: "acct_emulated".into(),
    };
    let request = serde_json::from_value(json!({
        "model": "gpt-5.5", "instructions": "Be brief.", "input": [], "tools": [],
        "store": false, "stream": true, "include": [],
    }))
    .unwrap();
    let watch = StreamWatch::new(
        StreamTimeouts::default(),
        std::sync::Arc::new(|_| futures::FutureExt::boxed(futures::future::pending())),
    );
    for answer in error_answers() {
        emulator.inject(raw_answer(FaultRoute::Models, &answer));
        let error = fetch_models(http.as_ref(), &config, &auth, None)
            .await
            .unwrap_err();
        worded(&error.to_string(), "the model list", &answer);

        emulator.inject(raw_answer(FaultRoute::Usage, &answer));
        let error = fetch_usage(http.as_ref(), &config, &auth)
            .await
            .unwrap_err();
        worded(&error.to_string(), "your usage", &answer);

        emulator.inject(raw_answer(FaultRoute::Responses, &answer));
        let error = send_request(http.as_ref(), &config, &auth, &request, &watch)
            .await
            .err()
            .unwrap();
        worded(&error.to_string(), "the answer", &answer);
    }
}

#[test]
fn the_binary_words_every_http_error_with_its_request_status_and_next_step() {
    let emulator = Emulator::start().unwrap();
    for answer in error_answers() {
        // A fresh sign-in and cache each time: a cached model list would not be fetched again.
        let dir = tempfile::tempdir().unwrap();
        sign_in(&emulator, dir.path(), 3600);
        emulator.inject(raw_answer(FaultRoute::Models, &answer));
        let models = run(cli(&emulator, dir.path()).arg("models"));
        worded(&models.stderr, "the model list", &answer);
        no_control_characters(&models.stderr);

        emulator.inject(raw_answer(FaultRoute::Usage, &answer));
        let usage = run(cli(&emulator, dir.path()).arg("usage"));
        worded(&usage.stderr, "your usage", &answer);
        no_control_characters(&usage.stderr);

        emulator.inject(raw_answer(FaultRoute::Responses, &answer));
        let chat = run(cli(&emulator, dir.path()).args(["chat", "hi"]));
        assert_eq!(chat.status.code(), Some(1), "{}", chat.stderr);
        worded(&chat.stderr, "the answer", &answer);
        no_control_characters(&chat.stderr);
    }
}

#[test]
fn a_failed_session_renewal_is_worded_without_the_page() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Expired: the chat has to renew the session first.
    sign_in(&emulator, dir.path(), -60);
    let page = ErrorAnswer {
        status: 502,
        content_type: "text/html",
        body: "<html><body>\u{1b}[2J<h1>502 Bad Gateway</h1></body></html>",
        shown_status: "HTTP 502 Bad Gateway",
        next_step: "try again in a few minutes",
        message: None,
        hidden: &["<", "html", "\u{1b}"],
    };
    emulator.inject(raw_answer(FaultRoute::Token, &page));
    // The renewal fails once (the warning), and the chat goes on with the next try.
    let output = run(cli(&emulator, dir.path()).args(["chat", "hi"]));
    worded(&output.stderr, "the session renewal", &page);
    assert!(
        output.stderr.contains("You are still signed in"),
        "{}",
        output.stderr
    );
    no_control_characters(&output.stderr);
}

#[test]
fn logout_with_the_issuer_unreachable_says_the_revocation_failed() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    sign_in(&emulator, dir.path(), 3600);
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = run(cli(&emulator, dir.path())
        .env(
            "OPENAI_SUBSCRIBED_AUTH_URL",
            format!("http://127.0.0.1:{closed}"),
        )
        .arg("logout"));
    assert!(output.status.success(), "{}", output.stderr);
    assert!(output.stdout.contains("Signed out"), "{}", output.stdout);
    assert!(
        output.stderr.contains("could not be told to revoke it"),
        "{}",
        output.stderr
    );
    assert!(!store_path(dir.path()).exists());
    assert_eq!(emulator.stats().revocations, 0);
}

#[test]
fn a_password_in_a_url_option_is_never_echoed() {
    let output = run(Command::new(BIN)
        .args(["--auth-url", "ftp://ada:hunter2@example.com", "status"])
        .env("OPENAI_SUBSCRIBED_STORE", "memory"));
    assert!(!output.status.success());
    assert!(output.stderr.contains("http or https"), "{}", output.stderr);
    assert!(!output.stderr.contains("hunter2"), "{}", output.stderr);
}

// ---- Issue 22: a long answer in bounded memory ---------------------------------------------

/// What a finished child printed (counted, not kept) and its peak resident memory.
struct Measured {
    exit_code: Option<i32>,
    stdout_bytes: usize,
    stderr: String,
    peak_rss_bytes: u64,
}

/// Runs `command` to its end within `bound`, reading its stdout as it comes (counted and
/// dropped, so this process does not hold the answer), and reports the child's peak RSS as the
/// kernel accounted it (`wait4`'s `ru_maxrss`): exact, whenever the peak happened.
// The child is reaped by `wait4` (which also gives its rusage), or killed and waited for.
#[allow(clippy::zombie_processes)]
fn run_measured(command: &mut Command, bound: Duration) -> Measured {
    use std::io::Read as _;
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut stdout = child.stdout.take().unwrap();
    let counter = std::thread::spawn(move || {
        let mut buffer = vec![0u8; 1 << 16];
        let mut total = 0;
        while let Ok(read @ 1..) = stdout.read(&mut buffer) {
            total += read;
        }
        total
    });
    let mut stderr = child.stderr.take().unwrap();
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).ok();
        text
    });
    let pid = child.id() as libc::pid_t;
    let deadline = Instant::now() + bound;
    let (status, usage) = loop {
        let mut status = 0;
        // SAFETY: `rusage` is plain data, written by the kernel; `pid` is our own child.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let reaped = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        assert!(reaped >= 0, "wait4: {}", std::io::Error::last_os_error());
        if reaped == pid {
            break (status, usage);
        }
        if Instant::now() >= deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("{command:?} did not end within {bound:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Measured {
        exit_code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        stdout_bytes: counter.join().unwrap(),
        stderr: errors.join().unwrap(),
        // Kilobytes on Linux.
        peak_rss_bytes: u64::try_from(usage.ru_maxrss).unwrap() * 1024,
    }
}

#[test]
fn a_long_answer_is_printed_in_bounded_memory_with_and_without_json() {
    // A debug build peaks near 100 MiB whatever the answer's length (the binary's own pages
    // and the tokenizer's tables, built in the background); an answer that was kept would add
    // its whole size (and more, as the string doubles).
    const ANSWER_MIB: u64 = 200;
    const BOUND_MIB: u64 = 128;
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    sign_in(&emulator, dir.path(), 3600);
    for json in [false, true] {
        emulator.inject(Fault::ResponsesLongAnswer {
            megabytes: ANSWER_MIB,
        });
        let mut command = cli(&emulator, dir.path());
        // The SSE stream's memory is measured: over HTTP.
        command.env("OPENAI_SUBSCRIBED_TRANSPORT", "http");
        command.arg("chat");
        if json {
            command.arg("--json");
        }
        let measured = run_measured(command.arg("hi"), Duration::from_secs(600));
        eprintln!(
            "--json {json}: {} MiB printed, peak RSS {} MiB",
            measured.stdout_bytes >> 20,
            measured.peak_rss_bytes >> 20
        );
        assert_eq!(measured.exit_code, Some(0), "{}", measured.stderr);
        assert!(
            measured.stdout_bytes as u64 >= ANSWER_MIB << 20,
            "the whole answer is printed: {} bytes",
            measured.stdout_bytes
        );
        assert!(
            measured.peak_rss_bytes < BOUND_MIB << 20,
            "--json {json}: peak RSS {} MiB for a {ANSWER_MIB} MiB answer",
            measured.peak_rss_bytes >> 20
        );
    }
}
