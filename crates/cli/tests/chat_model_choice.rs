//! `chat --model M` when the model list cannot be fetched: the bundled fallback list is no
//! verdict on `M`. The binary runs as a separate process against the embedded emulator.

use emulator::{Emulator, Fault};
use openai_subscribed::credentials::StoredCredentials;
use openai_subscribed::oauth::{TokenResponse, TokenSet};
use openai_subscribed::secret::{AccessToken, IdToken, RefreshToken};
use std::path::Path;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_openai-subscribed");

/// A model the emulator's catalog serves but the bundled fallback list does not show (it is hidden
/// there, as in the real catalog).
const NOT_IN_FALLBACK: &str = "gpt-5.4-mini";

fn chat(emulator: &Emulator, dir: &Path, model: &str) -> Output {
    Command::new(BIN)
        .env("OPENAI_SUBSCRIBED_AUTH_URL", emulator.issuer_url())
        .env("OPENAI_SUBSCRIBED_BACKEND_URL", emulator.backend_url())
        .env("OPENAI_SUBSCRIBED_STORE", "file")
        .env("OPENAI_SUBSCRIBED_STORE_PATH", dir.join("credentials.json"))
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env_remove("RUST_LOG")
        .args(["chat", "--model", model, "hello"])
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn sign_in(emulator: &Emulator, dir: &Path) {
    let minted = emulator.mint_tokens(3600);
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
        dir.join("credentials.json"),
        StoredCredentials::from_token_set(&tokens).encode(),
    )
    .unwrap();
}

#[test]
fn a_model_missing_from_the_fallback_list_is_tried_when_the_list_could_not_be_fetched() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    sign_in(&emulator, dir.path());
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
    sign_in(&emulator, dir.path());

    let output = chat(&emulator, dir.path(), "gpt-nope");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("no model \"gpt-nope\""), "{stderr}");
    assert_eq!(emulator.stats().responses_requests, 0);
}
