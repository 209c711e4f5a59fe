//! `login`, `status` and `logout` on the official "Sign in with ChatGPT" route (the default), and
//! `login --route codex` beside it, with the real binary against the emulator.

#[path = "shared/cli_process.rs"]
mod cli_process;

use cli_process::{cli, finish, run_ok, siwc_cli, stored, text};
use emulator::{Emulator, SiwcFault};
use openai_subscribed::route::Route;
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs `login --no-browser` with `command`, plays the browser with the emulator, and answers
/// the finished process.
fn login(emulator: &Emulator, mut command: Command) -> (String, Output) {
    let mut child = command
        .args(["login", "--no-browser"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap());
    let mut url = String::new();
    lines.read_line(&mut url).unwrap();
    let url = url.trim().to_string();
    let visit = futures::executor::block_on(emulator.visit_in_browser(&url));
    assert!(visit.is_ok(), "{visit:?}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut lines, &mut rest).unwrap();
    let output = finish(child);
    (
        url,
        Output {
            stdout: rest.into_bytes(),
            ..output
        },
    )
}

fn status_json(command: &mut Command) -> serde_json::Value {
    serde_json::from_slice(&run_ok(command.args(["status", "--json"])).stdout).unwrap()
}

fn siwc_sign_in(emulator: &Emulator, dir: &Path) {
    let (url, output) = login(emulator, siwc_cli(emulator, dir));
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(url.starts_with(&format!(
        "{}/api/accounts/authorize?",
        emulator.siwc_issuer_url()
    )));
    assert_eq!(
        text(&output.stdout).trim(),
        "Signed in as dev@example.invalid (Sign in with ChatGPT)"
    );
}

#[test]
fn login_takes_sign_in_with_chatgpt_by_default_and_status_and_logout_follow() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    siwc_sign_in(&emulator, dir.path());
    let issued = emulator.siwc_stats().issued_client_ids;
    assert_eq!(issued.len(), 1);

    let record = stored(dir.path()).unwrap();
    assert_eq!(record.route, Route::SignInWithChatGpt);
    // The host id and the registration are kept beside the credentials file.
    assert!(
        dir.path()
            .join("credentials.json.siwc-registration.json")
            .exists()
    );

    let status = status_json(&mut siwc_cli(&emulator, dir.path()));
    assert_eq!(status["signed_in"], true);
    assert_eq!(status["route"], "sign_in_with_chatgpt");
    assert_eq!(status["email"], "dev@example.invalid");
    assert_eq!(status["client_id"], issued[0].as_str());
    assert_eq!(status["plan_use"], "granted");
    let status = text(&run_ok(siwc_cli(&emulator, dir.path()).arg("status")).stdout);
    assert!(
        status.contains("Route:    Sign in with ChatGPT"),
        "{status}"
    );
    assert!(status.contains(&issued[0]), "{status}");

    let logout = run_ok(siwc_cli(&emulator, dir.path()).arg("logout"));
    assert_eq!(
        text(&logout.stdout).trim(),
        "Signed out dev@example.invalid (Sign in with ChatGPT)."
    );
    assert_eq!(text(&logout.stderr), "");
    assert_eq!(emulator.siwc_stats().refresh_tokens_revoked, 1);
    assert!(stored(dir.path()).is_none());

    // A second login is a return with the issued id (a new process, the same host).
    let (url, output) = login(&emulator, siwc_cli(&emulator, dir.path()));
    assert!(output.status.success(), "{}", text(&output.stderr));
    let url = url::Url::parse(&url).unwrap();
    let client_id = url
        .query_pairs()
        .find(|(key, _)| key == "client_id")
        .map(|(_, value)| value.into_owned());
    assert_eq!(client_id.as_deref(), Some(issued[0].as_str()));
    assert_eq!(emulator.siwc_stats().issued_client_ids, issued);
}

#[test]
fn login_route_codex_still_signs_in_on_the_codex_route() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut command = siwc_cli(&emulator, dir.path());
    command.args(["login", "--route", "codex", "--device"]);
    let output = finish(
        command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout).trim(),
        "Signed in as ada@example.com (Plus)"
    );
    let status = status_json(&mut cli(&emulator, dir.path()));
    assert_eq!(status["route"], "codex_backend");
    assert_eq!(emulator.siwc_stats().authorize_requests, 0);
}

#[test]
fn a_refusal_of_the_official_route_offers_the_codex_route() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    emulator.inject_siwc(SiwcFault::TokenError {
        status: 401,
        code: "invalid_client".into(),
    });
    let (_, output) = login(&emulator, siwc_cli(&emulator, dir.path()));
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("Plus and Pro"), "{stderr}");
    assert!(
        errors[0].ends_with("run `openai-subscribed login --route codex`."),
        "{stderr}"
    );
    assert!(stored(dir.path()).is_none());
}
