//! `models`, `chat` and `usage` on an official-route ("Sign in with ChatGPT") sign-in, with the
//! real binary against the emulator's official API; the sign-in is a record written from
//! `siwc_mint_tokens`, as a `login` would have stored it.

#[path = "shared/cli_process.rs"]
mod cli_process;

use cli_process::{finish, run_ok, siwc_cli, store_path, text};
use emulator::{Emulator, SiwcFault};
use std::path::Path;
use std::process::Stdio;

/// Stores an official-route sign-in with live emulator tokens.
fn official_sign_in(emulator: &Emulator, dir: &Path) {
    let minted = emulator.siwc_mint_tokens(3600);
    let record = serde_json::json!({
        "version": openai_subscribed::credentials::CREDENTIALS_FORMAT_VERSION,
        "access_token": minted.access_token,
        "refresh_token": minted.refresh_token,
        "expires_at": chrono::Utc::now() + chrono::Duration::hours(1),
        "account_id": null,
        "email": "dev@example.invalid",
        "plan": null,
        "route": "sign_in_with_chatgpt",
        "official": {"client_id": minted.client_id, "subject": minted.sub, "plan_use": "granted"},
    });
    std::fs::write(store_path(dir), record.to_string()).unwrap();
}

#[test]
fn models_lists_the_official_catalog_in_its_order_with_unknowns() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    official_sign_in(&emulator, dir.path());
    let output = run_ok(siwc_cli(&emulator, dir.path()).args(["models"]));
    let listing = text(&output.stdout);
    let sol = listing.find("gpt-6.1-sol").expect("listed");
    let luna = listing.find("gpt-6-luna").expect("listed");
    assert!(sol < luna, "the server's order: {listing}");
    assert!(!listing.contains("gpt-fake-hidden"), "{listing}");
    assert!(listing.contains("unknown"), "{listing}");

    let output = run_ok(siwc_cli(&emulator, dir.path()).args(["models", "--json"]));
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(document["models"][0]["slug"], "gpt-6.1-sol");
    assert_eq!(document["models"][1]["unknown"][0], "images");
    assert!(
        emulator
            .siwc_requests()
            .iter()
            .any(|request| request.path.ends_with("/v1/models")),
        "asked the official API"
    );
}

#[test]
fn chat_answers_on_the_official_route() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    official_sign_in(&emulator, dir.path());
    let output = run_ok(siwc_cli(&emulator, dir.path()).args(["chat", "hello", "there"]));
    assert!(
        text(&output.stdout).contains("hello there"),
        "{}",
        text(&output.stdout)
    );
    let output = run_ok(siwc_cli(&emulator, dir.path()).args(["chat", "--json", "hi"]));
    let lines: Vec<serde_json::Value> = text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert!(lines.iter().any(|line| line["type"] == "text"), "{lines:?}");
    assert_eq!(emulator.siwc_stats().responses_requests, 2);
    let body: serde_json::Value = serde_json::from_slice(
        &emulator
            .siwc_requests()
            .iter()
            .rev()
            .find(|request| request.path.ends_with("/v1/responses"))
            .unwrap()
            .body,
    )
    .unwrap();
    assert_eq!(body["store"], false);
}

#[test]
fn usage_says_this_route_reports_no_figures() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    official_sign_in(&emulator, dir.path());
    let output = run_ok(siwc_cli(&emulator, dir.path()).args(["usage"]));
    assert_eq!(
        text(&output.stdout).trim(),
        "Using ChatGPT plan — this route reports no usage figures; manage usage at \
         https://chatgpt.com/settings/usage"
    );
}

#[test]
fn a_usage_limit_is_explained_with_manage_usage_and_the_request_id() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    official_sign_in(&emulator, dir.path());
    emulator.inject_siwc(SiwcFault::LimitBeforeStream);
    let child = siwc_cli(&emulator, dir.path())
        .args(["chat", "hello"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = finish(child);
    assert!(!output.status.success());
    let error = text(&output.stderr);
    assert!(error.contains("Usage limit reached"), "{error}");
    assert!(
        error.contains("https://chatgpt.com/settings/usage"),
        "{error}"
    );
    assert!(error.contains("request id req_"), "{error}");
    assert_eq!(emulator.siwc_stats().responses_requests, 1, "no retry");
}

/// `chat --tool-file`: the tool goes out in the `zed` namespace, the model's call comes back
/// with it, the file's result is sent back with the call (namespace echoed), and the answer goes
/// on; the emulator refused nothing under the preview rules.
#[test]
fn chat_with_a_tool_file_runs_a_namespaced_tool_call_round_trip() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    official_sign_in(&emulator, dir.path());
    let tools = dir.path().join("tools.json");
    let file = serde_json::json!([{
        "name": "read_file",
        "description": "Reads a file of the project",
        "parameters": {"type": "object", "properties": {"path": {"type": "string"}},
                       "required": ["path"]},
        "result": "# The readme",
    }]);
    std::fs::write(&tools, file.to_string()).unwrap();
    let output = run_ok(siwc_cli(&emulator, dir.path()).args([
        "chat",
        "--json",
        "--tool-file",
        tools.to_str().unwrap(),
        "Use the read_file tool on README.md",
    ]));
    let lines: Vec<serde_json::Value> = text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let call = lines
        .iter()
        .find(|line| line["type"] == "tool_use" && line["is_input_complete"] == true)
        .unwrap_or_else(|| panic!("no tool call: {lines:?}"));
    assert_eq!(call["name"], "read_file");
    assert_eq!(call["namespace"], "zed");
    let answer: String = lines
        .iter()
        .filter(|line| line["type"] == "text")
        .filter_map(|line| line["text"].as_str())
        .collect();
    assert!(
        answer.contains("The tool returned: # The readme"),
        "{lines:?}"
    );
    assert!(
        text(&output.stderr).contains("[tool result read_file]"),
        "{}",
        text(&output.stderr)
    );

    let bodies: Vec<serde_json::Value> = emulator
        .siwc_requests()
        .iter()
        .filter(|request| request.path.ends_with("/v1/responses"))
        .map(|request| serde_json::from_slice(&request.body).unwrap())
        .collect();
    assert_eq!(bodies.len(), 2, "the call, then its result");
    assert!(bodies[0].get("tools").is_none(), "no bare top-level tools");
    let namespace = &bodies[0]["input"][0]["tools"][0];
    assert_eq!(bodies[0]["input"][0]["type"], "additional_tools");
    assert_eq!(namespace["type"], "namespace");
    assert_eq!(namespace["name"], "zed");
    assert_eq!(namespace["tools"][0]["name"], "read_file");
    let items = bodies[1]["input"].as_array().unwrap();
    let echoed = items
        .iter()
        .find(|item| item["type"] == "function_call")
        .expect("the call is sent back");
    assert_eq!(echoed["namespace"], "zed");
    assert_eq!(echoed["name"], "read_file");
    let output_item = items
        .iter()
        .find(|item| item["type"] == "function_call_output")
        .expect("with its result");
    assert_eq!(output_item["call_id"], echoed["call_id"]);
    assert_eq!(output_item["output"], "# The readme");
    assert!(emulator.siwc_stats().rule_refusals.is_empty());
}

#[test]
fn a_tool_file_that_is_not_a_list_of_tools_is_refused_before_sending() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    official_sign_in(&emulator, dir.path());
    let tools = dir.path().join("tools.json");
    std::fs::write(&tools, r#"{"name": "read_file"}"#).unwrap();
    let child = siwc_cli(&emulator, dir.path())
        .args(["chat", "--tool-file", tools.to_str().unwrap(), "hello"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = finish(child);
    assert!(!output.status.success());
    let error = text(&output.stderr);
    assert!(error.contains("expected a JSON list of tools"), "{error}");
    assert!(error.contains("tools.json"), "{error}");
    assert!(emulator.siwc_requests().is_empty(), "nothing was sent");
}
