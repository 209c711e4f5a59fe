//! What a `chat` sends, decided by what the backend said before: a model whose catalog entry
//! offers fast mode only through `default_service_tier` gets `service_tier: "priority"`, and a
//! backend's 415 to zstd bodies is remembered on disk across processes for a day. The real
//! binary, against the emulator.

#[path = "shared/cli_process.rs"]
mod cli_process;

use emulator::{Emulator, EmulatorOptions, RequestEncodings};
use serde_json::Value;

/// The newest real catalog, projected as a recent public copy of it is: the fast models keep
/// `"default_service_tier": "priority"` and neither tier list.
fn default_tier_projection() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/real/codex_models_bundled_2026-08-05_2b915a2e.json");
    let mut document: Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for entry in document["models"].as_array_mut().unwrap() {
        let has = |field: &str, wanted: &dyn Fn(&Value) -> bool| {
            entry[field]
                .as_array()
                .is_some_and(|tiers| tiers.iter().any(wanted))
        };
        let fast = has("additional_speed_tiers", &|tier| tier == "fast")
            || has("service_tiers", &|tier| tier["id"] == "priority");
        let fields = entry.as_object_mut().unwrap();
        fields.remove("service_tiers");
        fields.remove("additional_speed_tiers");
        if fast {
            fields.insert("default_service_tier".into(), "priority".into());
        }
    }
    serde_json::to_string(&document).unwrap()
}

#[test]
fn a_fast_chat_to_a_default_service_tier_model_asks_for_priority() {
    let emulator = Emulator::start().unwrap();
    emulator.serve_catalog(&default_tier_projection()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    cli_process::signed_in(&emulator, dir.path());

    cli_process::run_ok(
        cli_process::cli(&emulator, dir.path())
            .args(["chat", "--fast", "--model", "gpt-5.6-sol"])
            .arg("hello"),
    );
    let recorded = emulator.last_responses_request().unwrap();
    assert_eq!(recorded.body["model"], "gpt-5.6-sol");
    assert_eq!(recorded.body["service_tier"], "priority");
}

/// Rewrites the time of every refusal in the cache's `zstd-refusals.json` to `age` ago.
fn age_refusals(cache: &std::path::Path, age: chrono::Duration) {
    let path = cache.join("zstd-refusals.json");
    let mut record: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let refused = record["refused"].as_object_mut().unwrap();
    assert_eq!(refused.len(), 1, "{record}");
    for at in refused.values_mut() {
        *at = Value::String((chrono::Utc::now() - age).to_rfc3339());
    }
    std::fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();
}

#[test]
fn a_415_to_zstd_is_remembered_across_processes_for_a_day() {
    let emulator = Emulator::start_with(EmulatorOptions {
        request_encodings: RequestEncodings::IdentityOnly,
        ..Default::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    cli_process::signed_in(&emulator, dir.path());
    // Each chat sends one request, plus one refused with 415 if it tried zstd first.
    let mut chats = 0;
    let mut chat = || {
        // zstd bodies are the HTTP transport's.
        cli_process::run_ok(
            cli_process::cli(&emulator, dir.path())
                .env("OPENAI_SUBSCRIBED_TRANSPORT", "http")
                .args(["chat", "hello"]),
        );
        chats += 1;
        let last = emulator.last_responses_request().unwrap();
        assert_eq!(last.header("content-encoding"), None);
        emulator.stats().responses_requests - chats
    };

    // Six processes: only the first pays a refused request.
    let refusals: Vec<usize> = (0..6).map(|_| chat()).collect();
    assert_eq!(refusals, [1, 1, 1, 1, 1, 1]);

    // Within the time limit the record holds...
    let cache = cli_process::cache_dir(dir.path());
    age_refusals(&cache, chrono::Duration::hours(23));
    assert_eq!(chat(), 1);
    // ...past it, zstd is tried again (and refused again, and remembered again).
    age_refusals(&cache, chrono::Duration::hours(25));
    assert_eq!(chat(), 2);
    assert_eq!(chat(), 2);
}
