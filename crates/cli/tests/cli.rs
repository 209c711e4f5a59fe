//! The `openai-subscribed` command line as a user runs it: separate processes against the
//! embedded emulator (started in this test process), with a file credential store and a private
//! cache directory.

use emulator::callback_ports;

use emulator::{Emulator, EmulatorOptions, RedirectPorts};
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_openai-subscribed");

#[path = "shared/cli_process.rs"]
mod cli_process;

use cli_process::{approve, cli};

fn run(command: &mut Command) -> Output {
    command.output().expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
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
    emulator.inject(emulator::Fault::ResponsesUsageLimit {
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

/// Issue 15: a 429 whose reset delay no clock can hold is a usage limit with an unknown reset
/// time, reported in words with exit code 1 — not a panic (exit code 101).
#[test]
fn an_absurd_reset_time_is_an_error_in_words_not_a_crash() {
    // `login` binds the issuer's real callback ports: hold the shared lock.
    let _ports = callback_ports::PortLock::acquire();
    let emulator = Emulator::start_with(EmulatorOptions {
        redirect_ports: RedirectPorts::RealIssuer,
        ..EmulatorOptions::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut login = cli(&emulator, dir.path())
        .args(["login", "--no-browser"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(login.stdout.take().unwrap()).lines();
    let url = lines.next().unwrap().unwrap();
    assert_eq!(approve(&url), 200);
    // Read to the end: a closed pipe would fail the login's last line.
    let _rest: Vec<String> = lines.map(|line| line.unwrap()).collect();
    assert!(login.wait().unwrap().success());

    emulator.inject(emulator::Fault::ResponsesStatus {
        status: 429,
        body: serde_json::from_str(
            r#"{"error":{"type":"usage_limit_reached","plan_type":"plus","resets_in_seconds":99999999999999999}}"#,
        )
        .unwrap(),
        retry_after_secs: None,
    });
    let limited = run(cli(&emulator, dir.path()).args(["chat", "hi"]));
    assert_eq!(limited.status.code(), Some(1), "{}", stderr(&limited));
    assert!(
        stderr(&limited).contains("ChatGPT Plus usage limit reached; reset time unknown"),
        "{}",
        stderr(&limited)
    );
    assert!(
        !stderr(&limited).contains("panicked"),
        "{}",
        stderr(&limited)
    );
    // The sign-in survives.
    let status = run(cli(&emulator, dir.path()).args(["status", "--json"]));
    let value: serde_json::Value = serde_json::from_str(&stdout(&status)).unwrap();
    assert_eq!(value["signed_in"], true);
}

#[test]
fn usage_right_after_login_shows_both_windows_with_no_chat() {
    // A device sign-in the emulated user approves at once (no fixed callback port to share).
    let emulator = Emulator::start_with(EmulatorOptions {
        device_pending_polls: 0,
        device_interval_secs: 1,
        ..EmulatorOptions::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let login = run(cli(&emulator, dir.path()).args(["login", "--device"]));
    assert!(login.status.success(), "{}", stderr(&login));

    // The first command after `login` is `usage`: no chat has been sent.
    let usage = run(cli(&emulator, dir.path()).arg("usage"));
    assert!(usage.status.success(), "{}", stderr(&usage));
    let text = stdout(&usage);
    assert!(text.contains("5-hour limit"), "{text}");
    assert!(text.contains("Weekly limit"), "{text}");
    assert!(
        text.contains("35% used"),
        "the emulator's weekly window: {text}"
    );
    assert_eq!(emulator.stats().responses_requests, 0, "no chat in between");
    assert!(emulator.stats().usage_requests >= 1);

    let usage = run(cli(&emulator, dir.path()).args(["usage", "--json"]));
    let value: serde_json::Value = serde_json::from_str(&stdout(&usage)).unwrap();
    let minutes: Vec<u64> = value["windows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|window| window["window_minutes"].as_u64().unwrap())
        .collect();
    assert_eq!(minutes, [300, 10080], "{value}");

    // The backend cannot answer: the last known snapshot is shown, with a warning.
    emulator.inject(emulator::Fault::UsageStatus { status: 503 });
    let usage = run(cli(&emulator, dir.path()).arg("usage"));
    assert!(usage.status.success(), "{}", stderr(&usage));
    assert!(
        stdout(&usage).contains("Weekly limit"),
        "{}",
        stdout(&usage)
    );
    assert!(
        stderr(&usage).contains("showing the last known"),
        "{}",
        stderr(&usage)
    );

    // The models the real catalog lists, newest first, with their efforts as the catalog names
    // them (`ultra` too).
    let models = run(cli(&emulator, dir.path()).args(["models", "--json"]));
    assert!(models.status.success(), "{}", stderr(&models));
    let listing: serde_json::Value = serde_json::from_str(&stdout(&models)).unwrap();
    let slugs: Vec<&str> = listing["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|model| model["slug"].as_str().unwrap())
        .collect();
    assert_eq!(
        slugs,
        [
            "gpt-5.6-sol",
            "gpt-5.6-terra",
            "gpt-5.6-luna",
            "gpt-5.5",
            "gpt-5.2"
        ]
    );
    assert_eq!(
        listing["models"][0]["reasoning_efforts"],
        serde_json::json!(["low", "medium", "high", "xhigh", "max", "ultra"])
    );
}

#[test]
fn status_reads_a_record_written_by_an_older_version_and_rewrites_it() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let minted = emulator.mint_tokens(3600);
    let old = serde_json::json!({
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
    let path = dir.path().join("credentials.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&old).unwrap()).unwrap();

    let status = run(cli(&emulator, dir.path()).args(["status", "--json"]));
    assert!(status.status.success(), "{}", stderr(&status));
    let value: serde_json::Value = serde_json::from_str(&stdout(&status)).unwrap();
    assert_eq!(value["signed_in"], true, "{value}");
    assert_eq!(value["email"], "ada@example.com");
    assert_eq!(value["plan"], "plus");
    assert_eq!(value["account_id"], "acct_emulated");

    let record: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(record["version"], 2, "{record}");
    assert!(record.get("id_token").is_none(), "{record}");
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

/// Signs in through `login --no-browser`, playing the browser.
fn login(emulator: &Emulator, dir: &Path) {
    let mut login = cli(emulator, dir)
        .args(["login", "--no-browser"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(login.stdout.take().unwrap()).lines();
    let url = lines.next().unwrap().unwrap();
    assert_eq!(approve(&url), 200);
    lines.for_each(drop);
    assert!(login.wait().unwrap().success());
}

#[test]
fn chat_continues_compacts_and_replays_a_saved_thread_fast() {
    let emulator = Emulator::start_with(EmulatorOptions {
        redirect_ports: RedirectPorts::RealIssuer,
        ..EmulatorOptions::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    login(&emulator, dir.path());
    let thread_path = dir.path().join("thread.json");
    let thread_arg = thread_path.to_str().unwrap();
    let read_thread = || -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(&thread_path).unwrap()).unwrap()
    };
    // A model whose catalog entry offers fast mode.
    let model = ["--model", "gpt-5.6-sol"];

    // A first turn, fast: a new thread file with the turn in it.
    let first = run(cli(&emulator, dir.path())
        .args(["chat", "--fast", "--thread", thread_arg])
        .args(model)
        .arg("first question"));
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stdout(&first).contains("You said: first question"));
    let recorded = emulator.last_responses_request().unwrap();
    assert_eq!(recorded.body["service_tier"], "priority");
    let thread = read_thread();
    let thread_id = thread["thread_id"].as_str().unwrap().to_string();
    assert_eq!(recorded.header("session-id"), Some(thread_id.as_str()));
    assert_eq!(recorded.header("thread-id"), Some(thread_id.as_str()));
    assert_eq!(
        thread["entries"][0],
        serde_json::json!({"role": "user", "text": "first question"})
    );
    assert_eq!(thread["entries"][1]["role"], "assistant");
    assert!(
        !thread["entries"][1]["reasoning"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // A second turn replays the first (with its reasoning), not fast this time.
    let second = run(cli(&emulator, dir.path())
        .args(["chat", "--thread", thread_arg])
        .args(model)
        .arg("second question"));
    assert!(second.status.success(), "{}", stderr(&second));
    let body = emulator.last_responses_request().unwrap().body;
    assert!(body.get("service_tier").is_none());
    let input = body["input"].as_array().unwrap();
    assert_eq!(input[0]["content"][0]["text"], "first question");
    assert!(input.iter().any(|item| item["type"] == "reasoning"));
    assert_eq!(read_thread()["entries"].as_array().unwrap().len(), 4);

    // Compact: one compaction entry, standing for the four turns before it.
    let compact = run(cli(&emulator, dir.path())
        .args(["chat", "--compact", "--thread", thread_arg])
        .args(model));
    assert!(compact.status.success(), "{}", stderr(&compact));
    assert!(
        stderr(&compact).contains("first 4 entries are now one compacted context"),
        "{}",
        stderr(&compact)
    );
    let input = emulator.last_responses_request().unwrap().body["input"].clone();
    assert_eq!(
        input.as_array().unwrap().last().unwrap()["type"],
        "compaction_trigger"
    );
    let thread = read_thread();
    assert_eq!(thread["entries"][4]["role"], "compaction");

    // The next turn sends the compaction in place of the four turns.
    let third = run(cli(&emulator, dir.path())
        .args(["chat", "--thread", thread_arg])
        .args(model)
        .arg("third question"));
    assert!(third.status.success(), "{}", stderr(&third));
    let input = emulator.last_responses_request().unwrap().body["input"].clone();
    let input = input.as_array().unwrap();
    assert_eq!(input.len(), 2, "{input:?}");
    assert_eq!(input[0]["type"], "compaction");
    assert_eq!(input[1]["content"][0]["text"], "third question");
    assert_eq!(read_thread()["entries"].as_array().unwrap().len(), 7);

    // A damaged compaction is refused by the backend, in words, and the file is left as it was.
    let mut thread = read_thread();
    let payload = thread["entries"][4]["payload"]
        .as_str()
        .unwrap()
        .replace("cmp1.", "cmp1.x");
    thread["entries"][4]["payload"] = serde_json::Value::from(payload);
    std::fs::write(&thread_path, serde_json::to_string(&thread).unwrap()).unwrap();
    let refused = run(cli(&emulator, dir.path())
        .args(["chat", "--thread", thread_arg])
        .args(model)
        .arg("fourth question"));
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("could not be verified"),
        "{}",
        stderr(&refused)
    );
    assert_eq!(read_thread(), thread);

    // --compact needs a thread; a prompt is needed without --compact.
    let no_thread = run(cli(&emulator, dir.path()).args(["chat", "--compact"]));
    assert!(!no_thread.status.success());
    assert!(
        stderr(&no_thread).contains("--thread"),
        "{}",
        stderr(&no_thread)
    );
}

/// The binary a user runs (the one `scripts/demo.sh` builds: this package's `openai-subscribed`,
/// built without gpui's `test-support`) ends a successful command with nothing on stderr that
/// looks like a failure: gpui's test build logged "timed out waiting on app_will_quit" at ERROR
/// level on every exit.
#[test]
fn a_successful_command_logs_no_error_on_exit() {
    let _ports = callback_ports::PortLock::acquire();
    let emulator = Emulator::start_with(EmulatorOptions {
        redirect_ports: RedirectPorts::RealIssuer,
        ..EmulatorOptions::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    login(&emulator, dir.path());
    for args in [
        &["status"][..],
        &["status", "--json"],
        &["models"],
        &["usage"],
        &["chat", "hello"],
        &["logout"],
    ] {
        // A log level that would show gpui's ERROR line if it were written.
        let output = run(cli(&emulator, dir.path())
            .args(args)
            .env("RUST_LOG", "error"));
        let err = stderr(&output);
        assert!(output.status.success(), "{args:?}: {err}");
        assert!(
            !err.contains("ERROR") && !err.contains("app_will_quit"),
            "{args:?} logged an error on success:\n{err}"
        );
    }
}

/// `models` asks the backend every time: a second run, with the list the first one cached still
/// fresh, revalidates it (a 304) and says the list came from the network. (The whole-session test
/// above once saw "cache" here, when an earlier process had finished writing the cache before it
/// exited.)
#[test]
fn models_revalidates_a_fresh_cache_with_the_backend() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    cli_process::signed_in(&emulator, dir.path());
    for round in 0..2 {
        let models = run(cli(&emulator, dir.path()).args(["models", "--json"]));
        assert!(models.status.success(), "{}", stderr(&models));
        let listing: serde_json::Value = serde_json::from_str(&stdout(&models)).unwrap();
        assert_eq!(listing["source"], "network", "round {round}: {listing}");
    }
    assert!(
        emulator.stats().models_not_modified >= 1,
        "the second round was a revalidation: {:?}",
        emulator.stats()
    );
}
