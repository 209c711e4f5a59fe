//! The renewal procedure: how one refresh runs, from "the token is nearly expired" to "new
//! tokens are stored".
//!
//! 1. **Look in the store first.** Another process (a second Zed, the command line) may have
//!    renewed already; its refresh token replaced ours, which is now spent. If the store holds a
//!    different record for the same account, it is adopted (when still fresh) or used as the
//!    starting point of the refresh.
//! 2. **Ask the issuer** ([`super::refresh::refresh_tokens`]), for at most the policy's timeout.
//! 3. **On `refresh_token_reused`**, another process won a race for the same refresh token and
//!    may still be waiting for its answer: re-read the store every `reuse_poll_interval`, up to
//!    `reuse_polls` times, and adopt the winner's tokens when they appear.
//!    (This works for every store. A lock file beside the file store would serialise refreshes
//!    across processes instead, but the keychain has no such lock, and the wait is needed anyway.)
//! 4. **Store before memory.** New tokens are written to the store (under the state's store lock,
//!    and only if the user has not signed out meanwhile) before [`super::State`] puts them in
//!    memory, so a crash never leaves the only copy of a rotated refresh token in memory.

use super::policy::RefreshPolicy;
use super::refresh::refresh_tokens;
use super::refresh_error::{PermanentReason, RefreshError, TransientReason};
use crate::config::Config;
use crate::credentials::{CredentialsProvider, StoredCredentials};
use crate::oauth::TokenSet;
use chrono::Utc;
use futures::FutureExt as _;
use gpui::AsyncApp;
use http_client::HttpClient;
use std::sync::Arc;

/// What a renewal needs, cloned out of the state so it runs without borrowing it.
#[derive(Clone)]
pub(super) struct Renewal {
    pub store: Arc<dyn CredentialsProvider>,
    pub store_lock: Arc<futures::lock::Mutex<()>>,
    pub http: Arc<dyn HttpClient>,
    pub config: Config,
    pub policy: RefreshPolicy,
}

/// How a renewal ended well.
#[derive(Debug)]
pub(super) enum Renewed {
    /// We refreshed; the new tokens are in the store (unless writing failed: then the error).
    Refreshed {
        tokens: TokenSet,
        store_error: Option<anyhow::Error>,
    },
    /// Another process refreshed; its tokens (already in the store) were adopted.
    Adopted(TokenSet),
}

/// Why a renewal did not produce tokens.
#[derive(Debug)]
pub(super) enum RenewFailed {
    /// The refresh failed.
    Refresh(RefreshError),
    /// The user signed out (or signed in anew) while it ran.
    Superseded,
}

impl Renewal {
    /// Runs steps 1–4. `still_current` answers whether the renewal's generation is still the
    /// state's (false after a sign-out); it is asked, under the store lock, right before writing.
    pub async fn run(
        &self,
        previous: TokenSet,
        still_current: impl Fn(&AsyncApp) -> bool,
        cx: &AsyncApp,
    ) -> Result<Renewed, RenewFailed> {
        // 1. Another process may have renewed already.
        let mut previous = previous;
        if let Some(stored) = self.other_record(&previous, cx).await {
            if stored.expires_at - Utc::now() > self.policy.margin {
                log::debug!("adopting ChatGPT tokens renewed by another process");
                return Ok(Renewed::Adopted(stored));
            }
            previous = stored;
        }

        // 2. Ask the issuer, for a bounded time.
        let timer = cx.background_executor().timer(self.policy.timeout);
        let answer = futures::select_biased! {
            answer = refresh_tokens(&*self.http, &self.config, &previous).fuse() => answer,
            () = timer.fuse() => Err(RefreshError::Transient(TransientReason::TimedOut)),
        };

        match answer {
            Ok(tokens) => {
                // 4. Store first (unless signed out meanwhile), memory second (the caller).
                let _serial = self.store_lock.lock().await;
                if !still_current(cx) {
                    return Err(RenewFailed::Superseded);
                }
                let stored = StoredCredentials::from_token_set(&tokens);
                let store_error = self.store.write(stored, cx).await.err();
                Ok(Renewed::Refreshed {
                    tokens,
                    store_error,
                })
            }
            // 3. Lost a race: wait for the winner's tokens to reach the store.
            Err(RefreshError::Permanent(PermanentReason::Reused)) => {
                for _ in 0..self.policy.reuse_polls {
                    if !still_current(cx) {
                        return Err(RenewFailed::Superseded);
                    }
                    if let Some(stored) = self.other_record(&previous, cx).await
                        && stored.expires_at > Utc::now()
                    {
                        log::debug!(
                            "the refresh token was already spent; adopting the tokens another \
                             process obtained with it"
                        );
                        return Ok(Renewed::Adopted(stored));
                    }
                    cx.background_executor()
                        .timer(self.policy.reuse_poll_interval)
                        .await;
                }
                Err(RenewFailed::Refresh(RefreshError::Permanent(
                    PermanentReason::Reused,
                )))
            }
            Err(error) => Err(RenewFailed::Refresh(error)),
        }
    }

    /// The stored tokens, if they belong to the same account as `ours` but are a different
    /// (later) set: another process renewed. A store that cannot be read counts as "no".
    async fn other_record(&self, ours: &TokenSet, cx: &AsyncApp) -> Option<TokenSet> {
        let stored = match self.store.read(cx).await {
            Ok(stored) => stored?,
            Err(error) => {
                log::warn!("could not read the {}: {error:#}", self.store.name());
                return None;
            }
        };
        let same_account = stored.account_id == ours.identity.account_id;
        let different =
            stored.refresh_token != ours.refresh_token && stored.access_token != ours.access_token;
        (same_account && different).then(|| stored.to_token_set())
    }

    /// Deletes the store entry if it still holds `ours` (a dead sign-in), leaving a record that
    /// another process wrote meanwhile in place.
    pub async fn forget_if_ours(&self, ours: &TokenSet, cx: &AsyncApp) {
        let _serial = self.store_lock.lock().await;
        match self.store.read(cx).await {
            Ok(Some(stored)) if stored.refresh_token != ours.refresh_token => {
                log::debug!("the stored ChatGPT sign-in was replaced meanwhile; keeping it");
            }
            Ok(None) => {}
            Ok(Some(_)) | Err(_) => {
                if let Err(error) = self.store.delete(cx).await {
                    log::warn!(
                        "could not delete the ended ChatGPT sign-in from the {}: {error:#}",
                        self.store.name()
                    );
                }
            }
        }
    }
}
