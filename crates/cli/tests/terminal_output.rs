//! What the commands print for a reader: reasoning rendered (no Markdown asterisks) and set apart
//! from the answer by a blank line; every time labelled with its zone; one name for the built-in
//! model list.

use emulator::Emulator;
use std::process::Command;

#[path = "shared/cli_process.rs"]
mod cli_process;

use cli_process::{cli, run_ok, signed_in, text};

#[test]
fn chat_renders_reasoning_and_sets_the_answer_apart() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    signed_in(&emulator, dir.path());
    let output = run_ok(cli(&emulator, dir.path()).args(["chat", "hello"]));
    let reasoning = text(&output.stderr);
    assert!(reasoning.contains("Reading the request"), "{reasoning}");
    assert!(!reasoning.contains("**"), "{reasoning}");
    // Piped: no escape sequences.
    assert!(!reasoning.contains('\u{1b}'), "{reasoning:?}");
    // A blank line ends the reasoning before the answer starts.
    assert!(reasoning.ends_with("\n\n"), "{reasoning:?}");
    assert!(text(&output.stdout).contains("You said: hello"));
}

#[test]
fn every_printed_time_names_its_zone() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    signed_in(&emulator, dir.path());
    let run = |args: &[&str]| {
        let mut command: Command = cli(&emulator, dir.path());
        text(&run_ok(command.args(args)).stdout)
    };
    let zone = regex::Regex::new(r"\d{2}:\d{2} UTC").unwrap();
    let status = run(&["status"]);
    assert!(zone.is_match(&status), "{status}");
    let models = run(&["models"]);
    assert!(zone.is_match(&models), "{models}");
    let usage = run(&["usage"]);
    assert!(
        zone.is_match(&usage) && usage.contains("times in UTC"),
        "{usage}"
    );
}

#[test]
fn signed_out_models_name_the_built_in_model_list() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let output = run_ok(cli(&emulator, dir.path()).arg("models"));
    let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(all.contains("built-in model list"), "{all}");
    assert!(
        !all.contains("fallback") && !all.contains("built-in list"),
        "{all}"
    );
}
