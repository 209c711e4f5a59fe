//! The stored sign-in record over a real file store and the real auth state against the
//! emulator: a record written by an older version (with the ID token) still loads, is rewritten
//! in today's shape on that first read, and stays so through a refresh; the identity shown
//! (email, plan, account) comes through unchanged.

use emulator::{Emulator, MintedTokens};
use gpui::{AppContext as _, TestAppContext};
use openai_subscribed::auth::State;
use openai_subscribed::config::Config;
use openai_subscribed::credentials::{
    CREDENTIALS_FORMAT_VERSION, CredentialStore, FileStore, MAX_RECORD_BYTES,
};
use openai_subscribed::oauth::PlanType;
use reqwest_client::ReqwestHttpClient;
use std::sync::Arc;

/// A record as version 1 of this crate wrote it: pretty JSON, with the ID token and user id.
fn version_1_record(minted: &MintedTokens) -> Vec<u8> {
    serde_json::to_vec_pretty(&serde_json::json!({
        "version": 1,
        "access_token": minted.access_token,
        "refresh_token": minted.refresh_token,
        "id_token": minted.id_token,
        "expires_at": (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339(),
        "account_id": "acct_emulated",
        "email": "ada@example.com",
        "plan": "plus",
        "user_id": "user_emulated",
    }))
    .unwrap()
}

fn stored_json(path: &std::path::Path) -> (serde_json::Value, usize) {
    let bytes = std::fs::read(path).unwrap();
    (serde_json::from_slice(&bytes).unwrap(), bytes.len())
}

/// Runs gpui until `done` holds (bounded: real sockets answer on other threads).
fn wait_until(cx: &mut TestAppContext, mut done: impl FnMut(&mut TestAppContext) -> bool) {
    for _ in 0..2000 {
        cx.run_until_parked();
        if done(cx) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("the condition never held");
}

#[gpui::test]
async fn an_old_record_loads_and_is_rewritten_in_the_new_shape(cx: &mut TestAppContext) {
    cx.executor().allow_parking();
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials.json");
    std::fs::write(&path, version_1_record(&emulator.mint_tokens(3600))).unwrap();
    let store: Arc<dyn CredentialStore> = Arc::new(FileStore::new(&path));
    let http = ReqwestHttpClient::new("tests").unwrap();
    let config = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap();
    let state = cx.new(|cx| State::new(config, store, http, cx));

    let authenticate = state.update(cx, |state, cx| state.authenticate(cx));
    wait_until(cx, |cx| !state.read_with(cx, |state, _| state.is_loading()));
    authenticate.await.expect("the old record loads");
    let account = state.read_with(cx, |state, _| state.account().cloned().unwrap());
    assert_eq!(account.email.as_deref(), Some("ada@example.com"));
    assert_eq!(account.plan, Some(PlanType::Plus));
    assert_eq!(account.account_id.as_deref(), Some("acct_emulated"));

    // Rewritten on that first read: today's version, no ID token, no user id.
    let (record, size) = stored_json(&path);
    assert_eq!(record["version"], CREDENTIALS_FORMAT_VERSION);
    assert!(record.get("id_token").is_none(), "{record}");
    assert!(record.get("user_id").is_none(), "{record}");
    assert!(size <= MAX_RECORD_BYTES, "{size}");

    // A real refresh keeps the shape and who is signed in.
    let rejected = state.read_with(cx, |state, _| match state.auth_state() {
        openai_subscribed::auth::AuthState::SignedIn { credentials, .. } => {
            credentials.access_token.clone()
        }
        other => panic!("{other:?}"),
    });
    let refresh = state.update(cx, |state, cx| state.force_refresh(&rejected, cx));
    let fresh = refresh.await.expect("the refresh succeeds");
    assert_ne!(fresh.access_token.secret(), rejected.secret());
    assert_eq!(emulator.stats().refreshes, 1);
    let account = state.read_with(cx, |state, _| state.account().cloned().unwrap());
    assert_eq!(account.email.as_deref(), Some("ada@example.com"));
    assert_eq!(account.plan, Some(PlanType::Plus));
    let (record, _) = stored_json(&path);
    assert!(record.get("id_token").is_none(), "{record}");
    assert_eq!(record["access_token"], fresh.access_token.secret());
}
