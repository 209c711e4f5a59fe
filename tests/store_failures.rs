//! A credential store that fails, said in its own words (issue 16): a failed read is not
//! "signed out", a failed delete is not "Could not save", and sign-out says whether the issuer
//! revoked the sign-in. The auth state runs against the embedded emulator over loopback; only
//! the store is a test double (a memory store whose operations can be made to fail).

use emulator::Emulator;
use futures::FutureExt as _;
use futures::future::LocalBoxFuture;
use gpui::{AppContext as _, TestAppContext};
use openai_subscribed::auth::revoke::Revocation;
use openai_subscribed::auth::{AuthError, State};
use openai_subscribed::config::Config;
use openai_subscribed::credentials::{CredentialStore, MemoryStore, StoredCredentials};
use openai_subscribed::oauth::{TokenResponse, TokenSet};
use openai_subscribed::secret::{AccessToken, IdToken, RefreshToken};
use reqwest_client::ReqwestHttpClient;
use std::sync::Arc;

/// A memory store whose reads or deletes fail, as a broken disk or keychain would.
struct FailingStore {
    inner: MemoryStore,
    fail_read: bool,
    fail_delete: bool,
}

impl CredentialStore for FailingStore {
    fn name(&self) -> String {
        "failing store".into()
    }
    fn read(
        &self,
        cx: &gpui::AsyncApp,
    ) -> LocalBoxFuture<'static, anyhow::Result<Option<StoredCredentials>>> {
        if self.fail_read {
            return async { Err(anyhow::anyhow!("Input/output error (os error 5)")) }.boxed_local();
        }
        self.inner.read(cx)
    }
    fn write(
        &self,
        credentials: StoredCredentials,
        cx: &gpui::AsyncApp,
    ) -> LocalBoxFuture<'static, anyhow::Result<()>> {
        self.inner.write(credentials, cx)
    }
    fn delete(&self, cx: &gpui::AsyncApp) -> LocalBoxFuture<'static, anyhow::Result<()>> {
        if self.fail_delete {
            return async { Err(anyhow::anyhow!("Read-only file system (os error 30)")) }
                .boxed_local();
        }
        self.inner.delete(cx)
    }
}

fn signed_in_store(emulator: &Emulator, fail_read: bool, fail_delete: bool) -> Arc<FailingStore> {
    let minted = emulator.mint_tokens(3600);
    let tokens = TokenSet::from_response(
        TokenResponse {
            id_token: Some(IdToken::new(minted.id_token)),
            access_token: AccessToken::new(minted.access_token),
            refresh_token: Some(RefreshToken::new(minted.refresh_token)),
            expires_in: Some(serde_json::json!(3600)),
        },
        None,
        chrono::Utc::now(),
    )
    .unwrap();
    let inner = MemoryStore::new();
    inner.set_raw(Some(StoredCredentials::from_token_set(&tokens).encode()));
    Arc::new(FailingStore {
        inner,
        fail_read,
        fail_delete,
    })
}

#[gpui::test]
async fn a_failed_delete_says_delete_not_save(cx: &mut TestAppContext) {
    cx.executor().allow_parking();
    let emulator = Emulator::start().unwrap();
    let store = signed_in_store(&emulator, false, true);
    let http = ReqwestHttpClient::new("test").unwrap();
    let state = cx.new(|cx| {
        State::new(
            Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap(),
            store,
            http,
            cx,
        )
    });
    state
        .update(cx, |state, cx| state.authenticate(cx))
        .await
        .unwrap();
    let error = state
        .update(cx, |state, cx| state.sign_out(cx))
        .await
        .unwrap_err();
    assert!(
        matches!(error, AuthError::StoreNotDeleted { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with("Could not delete your ChatGPT sign-in from the failing store"),
        "{message}"
    );
    assert!(message.contains("Read-only file system"), "{message}");
    assert!(!message.contains("save"), "{message}");
}

#[gpui::test]
async fn a_failed_read_is_not_signed_out_in_silence(cx: &mut TestAppContext) {
    cx.executor().allow_parking();
    let emulator = Emulator::start().unwrap();
    let store = signed_in_store(&emulator, true, false);
    let http = ReqwestHttpClient::new("test").unwrap();
    let state = cx.new(|cx| {
        State::new(
            Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap(),
            store,
            http,
            cx,
        )
    });
    assert!(
        state
            .update(cx, |state, cx| state.authenticate(cx))
            .await
            .is_err()
    );
    let error = state.read_with(cx, |state, _| state.last_error().cloned());
    let Some(error @ AuthError::StoreUnreadable { .. }) = error else {
        panic!("{error:?}");
    };
    assert!(
        error
            .to_string()
            .starts_with("Could not read your ChatGPT sign-in from the failing store"),
        "{error}"
    );
}

#[gpui::test]
async fn sign_out_says_whether_the_issuer_revoked_the_sign_in(cx: &mut TestAppContext) {
    cx.executor().allow_parking();
    let emulator = Emulator::start().unwrap();
    let store = signed_in_store(&emulator, false, false);
    let http = ReqwestHttpClient::new("test").unwrap();
    let state = cx.new(|cx| {
        State::new(
            Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap(),
            store,
            http,
            cx,
        )
    });
    state
        .update(cx, |state, cx| state.authenticate(cx))
        .await
        .unwrap();
    let revocation = state
        .update(cx, |state, cx| state.sign_out(cx))
        .await
        .unwrap();
    assert_eq!(revocation, Revocation::Revoked);
    assert_eq!(emulator.stats().revocations, 1);
    // Signed out already: nothing to revoke.
    let again = state
        .update(cx, |state, cx| state.sign_out(cx))
        .await
        .unwrap();
    assert_eq!(again, Revocation::NothingToRevoke);
}
