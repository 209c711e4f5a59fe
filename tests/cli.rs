//! The `openai-subscribed` command line as a user runs it: separate processes against the
//! embedded emulator (started in this test process), with a file credential store and a private
//! cache directory.

#[path = "shared/callback_ports.rs"]
mod callback_ports;

use openai_subscribed::emulator::{Emulator, EmulatorOptions, RedirectPorts};
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_openai-subscribed");

/// A command against `emulator`, keeping its sign-in in `dir/credentials.json` and its caches in
/// `dir/cache` (never the user's own).
fn cli(emulator: &Emulator, dir: &Path) -> Command {
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

fn run(command: &mut Command) -> Output {
    command.output().expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Follows the authorize URL like a browser (the issuer redirects to the CLI's loopback callback).
fn approve(url: &str) -> u16 {
    use http_client::{AsyncBody, HttpClient as _, HttpRequestExt as _, RedirectPolicy};
    let http = openai_subscribed::http::ReqwestHttpClient::new("browser").unwrap();
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

#[test]
fn a_whole_session_from_login_to_logout() {
    // `login` listens on the issuer's fixed ports, which other test binaries use too.
    let _ports = callback_ports::PortLock::acquire();
    let emulator = Emulator::start_with(EmulatorOptions {
        redirect_ports: RedirectPorts::RealIssuer,
        ..EmulatorOptions::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();

    // Signed out.
    let status = run(cli(&emulator, dir.path()).args(["status", "--json"]));
    assert!(status.status.success(), "{}", stderr(&status));
    let value: serde_json::Value = serde_json::from_str(&stdout(&status)).unwrap();
    assert_eq!(
        value,
        serde_json::json!({"signed_in": false, "email": null, "plan": null,
            "account_id": null, "expires_at": null, "store": null})
    );

    // `login --no-browser` prints the authorize URL alone on one line, then waits.
    let mut login = cli(&emulator, dir.path())
        .args(["login", "--no-browser"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(login.stdout.take().unwrap()).lines();
    let url = lines.next().unwrap().unwrap();
    assert!(
        url.starts_with(&format!("{}/oauth/authorize?", emulator.issuer_url())),
        "{url}"
    );
    assert_eq!(approve(&url), 200);
    let rest: Vec<String> = lines.map(|line| line.unwrap()).collect();
    assert!(login.wait().unwrap().success());
    assert_eq!(rest, ["Signed in as ada@example.com (Plus)"]);

    // The file store is private to the user.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join("credentials.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let status = run(cli(&emulator, dir.path()).args(["status", "--json"]));
    let value: serde_json::Value = serde_json::from_str(&stdout(&status)).unwrap();
    assert_eq!(value["signed_in"], true);
    assert_eq!(value["email"], "ada@example.com");
    assert_eq!(value["plan"], "plus");
    assert_eq!(value["account_id"], "acct_emulated");
    assert!(
        chrono::DateTime::parse_from_rfc3339(value["expires_at"].as_str().unwrap()).is_ok(),
        "{value}"
    );
    assert_eq!(
        value["store"].as_str().map(|s| s.contains("file")),
        Some(true),
        "{value}"
    );

    // Models from the backend, as JSON.
    let models = run(cli(&emulator, dir.path()).args(["models", "--json"]));
    assert!(models.status.success(), "{}", stderr(&models));
    let listing: serde_json::Value = serde_json::from_str(&stdout(&models)).unwrap();
    assert_eq!(listing["source"], "network", "{listing}");
    assert!(!listing["models"].as_array().unwrap().is_empty());

    // A chat, as JSON lines.
    let chat = run(cli(&emulator, dir.path()).args(["chat", "--json", "Hello", "there"]));
    assert!(chat.status.success(), "{}", stderr(&chat));
    let events: Vec<serde_json::Value> = stdout(&chat)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let text: String = events
        .iter()
        .filter(|event| event["type"] == "text")
        .map(|event| event["text"].as_str().unwrap())
        .collect();
    assert!(text.contains("Hello there"), "{text}");
    assert!(events.iter().any(|event| event["type"] == "thinking"));
    assert!(events.iter().any(|event| event["type"] == "usage"));
    assert_eq!(
        events.last().unwrap(),
        &serde_json::json!({"type": "stop", "reason": "end_turn"})
    );

    // Usage, from the snapshot the chat's answer carried.
    let usage = run(cli(&emulator, dir.path()).arg("usage"));
    assert!(usage.status.success(), "{}", stderr(&usage));
    assert!(
        stdout(&usage).contains("5-hour limit"),
        "{}",
        stdout(&usage)
    );
    assert!(
        stdout(&usage).contains("Weekly limit"),
        "{}",
        stdout(&usage)
    );

    // A usage limit: non-zero exit, the reason in words on stderr.
    emulator.inject(openai_subscribed::emulator::Fault::ResponsesUsageLimit {
        resets_in_secs: 3600,
    });
    let limited = run(cli(&emulator, dir.path()).args(["chat", "hi"]));
    assert!(!limited.status.success());
    assert!(
        stderr(&limited).contains("ChatGPT Plus usage limit reached; resets at"),
        "{}",
        stderr(&limited)
    );

    // A model or effort the plan does not offer is refused before any request.
    let requests = emulator.stats().responses_requests;
    let wrong = run(cli(&emulator, dir.path()).args(["chat", "--model", "gpt-nope", "hi"]));
    assert!(!wrong.status.success());
    assert!(
        stderr(&wrong).contains("no model \"gpt-nope\""),
        "{}",
        stderr(&wrong)
    );
    assert_eq!(emulator.stats().responses_requests, requests);

    // Logout revokes and forgets.
    let logout = run(cli(&emulator, dir.path()).arg("logout"));
    assert!(logout.status.success(), "{}", stderr(&logout));
    assert!(!dir.path().join("credentials.json").exists());
    let mut revoked = false;
    for _ in 0..200 {
        if emulator.stats().revocations == 1 {
            revoked = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(revoked, "the refresh token was revoked");
    let status = run(cli(&emulator, dir.path()).args(["status", "--json"]));
    let value: serde_json::Value = serde_json::from_str(&stdout(&status)).unwrap();
    assert_eq!(value["signed_in"], false);
}

#[test]
fn the_offline_demo_runs_to_the_end() {
    // The demo signs in on the issuer's fixed ports too.
    let _ports = callback_ports::PortLock::acquire();
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(BIN)
        .arg("demo")
        .env("XDG_CACHE_HOME", dir.path())
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let out = stdout(&output);
    assert!(output.status.success(), "{out}\n{}", stderr(&output));
    for expected in [
        "[7/7]",
        "Signed in as ada@example.com · Plus",
        "tool call: read_file(",
        "reasoning:",
        "stop: end_turn",
        "5-hour limit",
        "refresh requests: 0 -> 1",
        "revocations seen by the issuer: 1",
        "Demo complete.",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    // No secret reaches the demo's output: the `state` and the code stay out of it.
    assert!(!out.contains("state="), "{out}");
    assert!(!out.contains("code="), "{out}");
}

#[test]
fn bad_input_gets_a_one_line_reason_and_a_failure_code() {
    let output = Command::new(BIN)
        .args(["--auth-url", "ftp://example.com", "status"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let err = stderr(&output);
    assert!(err.starts_with("error: "), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}
