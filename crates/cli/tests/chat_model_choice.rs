//! `chat --model M` when the model list cannot be fetched: the bundled fallback list is no
//! verdict on `M`. The binary runs as a separate process against the embedded emulator.

#[path = "shared/cli_process.rs"]
mod cli_process;

use emulator::{Emulator, Fault};
use std::path::Path;
use std::process::Output;

/// A model the emulator's catalog serves but the bundled fallback list does not show (it is hidden
/// there, as in the real catalog).
const NOT_IN_FALLBACK: &str = "gpt-5.4-mini";

fn chat(emulator: &Emulator, dir: &Path, model: &str) -> Output {
    cli_process::finish(
        cli_process::cli(emulator, dir)
            .args(["chat", "--model", model, "hello"])
            .spawn()
            .unwrap(),
    )
}

#[test]
fn a_model_missing_from_the_fallback_list_is_tried_when_the_list_could_not_be_fetched() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    cli_process::signed_in(&emulator, dir.path());
    // No cached list, and the backend fails the list request: only the bundled list is loaded.
    emulator.inject(Fault::ModelsStatus { status: 503 });

    let output = chat(&emulator, dir.path(), NOT_IN_FALLBACK);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("the model list could not be refreshed")
            && stderr.contains(&format!("trying \"{NOT_IN_FALLBACK}\" anyway")),
        "{stderr}"
    );
    assert!(stderr.contains("503"), "the reason is given: {stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("hello"));
    let sent = emulator.last_responses_request().unwrap();
    assert_eq!(sent.body["model"], NOT_IN_FALLBACK);
}

#[test]
fn a_fetched_list_still_refuses_a_model_it_does_not_name() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    cli_process::signed_in(&emulator, dir.path());

    let output = chat(&emulator, dir.path(), "gpt-nope");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("no model \"gpt-nope\""), "{stderr}");
    assert_eq!(emulator.stats().responses_requests, 0);
}
