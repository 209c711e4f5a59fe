//! The renewal procedure: how one refresh runs, from "the token is nearly expired" to "new
//! tokens are stored".
//!
//! 0. **One refresher at a time across processes.** The store's [`RefreshLock`] (a lock file
//!    beside the credentials file, or in the config directory for the keychain) is held from
//!    step 1 to step 4, waiting at most the policy's `lock_wait`. A process that waited finds the
//!    holder's tokens in step 1 and adopts them without asking the issuer.
//! 1. **Look in the store first.** Another process may have renewed already; its refresh token
//!    replaced ours, which is now spent. A different stored record is adopted (when still fresh)
//!    or used as the starting point of the refresh. An empty store means the user signed out in
//!    another process: nothing is sent.
//! 2. **Ask the issuer** ([`super::refresh::refresh_tokens`]), for at most the policy's timeout.
//! 3. **On `refresh_token_reused`**, a writer that does not take the lock (an older version,
//!    another tool) won a race for the same refresh token and may still be waiting for its
//!    answer: re-read the store every `reuse_poll_interval`, up to `reuse_polls` times, and adopt
//!    the winner's tokens when they appear.
//! 4. **Store before memory, and sign-out wins.** Under the state's store lock, the store must
//!    still hold the record the refresh started from: if it is gone (signed out elsewhere) or the
//!    user signed out here, the new tokens are revoked (RFC 7009) and dropped. Otherwise they are
//!    written before [`super::State`] puts them in memory, so a crash never leaves the only copy of
//!    a rotated refresh token in memory. A write that fails is reported, and the tokens are kept
//!    in memory (the issuer has retired the stored ones).

use super::in_flight::{AwaitingIssuer, Running};
use super::policy::RefreshPolicy;
use super::quit_journal::{self, QuitJournal, Recovery};
use super::refresh::refresh_tokens;
use super::refresh_error::{PermanentReason, RefreshError, TransientReason};
use super::revoke::revoke_tokens;
use crate::config::Config;
use crate::credentials::{CredentialStore, LockError, RefreshLock, StoredCredentials};
use crate::oauth::TokenSet;
use chrono::Utc;
use futures::FutureExt as _;
use gpui::AsyncApp;
use http_client::HttpClient;
use std::sync::Arc;

/// What a renewal needs, cloned out of the state so it runs without borrowing it.
#[derive(Clone)]
pub(super) struct Renewal {
    pub store: Arc<dyn CredentialStore>,
    pub store_lock: Arc<futures::lock::Mutex<()>>,
    pub http: Arc<dyn HttpClient>,
    pub config: Config,
    pub policy: RefreshPolicy,
    /// The official route's issuer (its discovery cached), for that route's sign-ins.
    pub official: crate::siwc::OfficialIssuer,
}

/// Where the state that started a renewal stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Standing {
    /// Same sign-in, still there.
    Current,
    /// Signed out or signed in anew since (the generation moved).
    SignedOut,
    /// The state entity was released (a command that finished, a provider dropped): nobody will
    /// use the tokens, but the stored sign-in is still the user's.
    Released,
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
    /// Another process signed out: the store no longer holds the sign-in.
    SignedOutElsewhere,
    /// The cross-process refresh lock could not be taken.
    Locked(LockError),
}

/// How many times to look for the winner's tokens after `refresh_token_reused` when the
/// cross-process lock is held (see step 3).
const LOCKED_REUSE_POLLS: u32 = 8;

/// How long revoking tokens that arrived after a sign-out may take (best effort).
const REVOKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

impl Renewal {
    /// Runs steps 0–4. `standing` says where the state that started the renewal stands; it is
    /// asked before the request is sent and, under the store lock, right before writing.
    pub async fn run(
        &self,
        previous: TokenSet,
        standing: impl Fn(&AsyncApp) -> Standing,
        running: &Running,
        cx: &AsyncApp,
    ) -> Result<Renewed, RenewFailed> {
        // 0. One refresher at a time across processes (released when this function returns).
        let lock = self.store.refresh_lock();
        let _cross_process = match &lock {
            Some(lock) => Some(self.lock(lock, cx).await?),
            None => None,
        };
        // An answer kept when an app quit mid-renewal belongs in the store before anything
        // reads it.
        let journal = lock.as_ref().map(QuitJournal::beside);
        if let Some(journal) = &journal {
            quit_journal::recover(journal, &*self.store, cx).await;
        }
        // Nobody is left to use the tokens, or the user signed out: spend nothing.
        if standing(cx) != Standing::Current {
            return Err(RenewFailed::Superseded);
        }

        // 1. Another process may have renewed, or signed out, already.
        let mut previous = previous;
        match self.store.read(cx).await {
            Ok(None) => return Err(RenewFailed::SignedOutElsewhere),
            Ok(Some(stored)) if !same_record(&stored, &previous) => {
                let stored = stored.to_token_set();
                if stored.expires_at.signed_duration_since(Utc::now()) > self.policy.margin {
                    log::debug!("adopting ChatGPT tokens renewed by another process");
                    return Ok(Renewed::Adopted(stored));
                }
                previous = stored;
            }
            Ok(Some(_)) => {}
            Err(error) => log::warn!("could not read the {}: {error:#}", self.store.name()),
        }

        // 2. Ask the issuer, for a bounded time. The request runs off the UI thread and hands
        //    its answer to the quit hook too, which keeps it if the app quits before step 4.
        //    Without a journal (a store with no cross-process lock keeps nothing across a quit),
        //    nobody listens, and no copy is made.
        let answered = journal.map(|journal| {
            let (answered, answer) = std::sync::mpsc::sync_channel(1);
            running.sent(AwaitingIssuer {
                answer,
                spent: previous.refresh_token.clone(),
                journal,
            });
            answered
        });
        let request = cx.background_executor().spawn({
            let (renewal, previous) = (self.clone(), previous.clone());
            async move {
                let answer = renewal.refresh(&previous).await;
                if let (Ok(tokens), Some(answered)) = (&answer, &answered) {
                    answered.try_send(record_of(tokens)).ok();
                }
                answer
            }
        });
        let timer = cx.background_executor().timer(self.policy.timeout);
        let answer = futures::select_biased! {
            answer = request.fuse() => answer,
            () = timer.fuse() => Err(RefreshError::Transient(TransientReason::TimedOut)),
        };

        match answer {
            Ok(tokens) => self.store_renewed(&previous, tokens, standing, cx).await,
            // 3. Lost a race: wait for the winner's tokens to reach the store.
            Err(RefreshError::Permanent(PermanentReason::Reused)) => {
                // Under the lock, every process that takes it has stored its answer before
                // releasing it: only a writer that takes no lock can still be on its way, or none
                // (the spender died before storing). A short wait is enough.
                let polls = match _cross_process {
                    Some(_) => self.policy.reuse_polls.min(LOCKED_REUSE_POLLS),
                    None => self.policy.reuse_polls,
                };
                for _ in 0..polls {
                    if standing(cx) == Standing::SignedOut {
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

    /// One refresh request on the tokens' own route (the official route: siwc.md §1.8).
    async fn refresh(&self, previous: &TokenSet) -> Result<TokenSet, RefreshError> {
        match previous.route() {
            crate::route::Route::CodexBackend => {
                refresh_tokens(&*self.http, &self.config, previous).await
            }
            crate::route::Route::SignInWithChatGpt => {
                crate::siwc::refresh::refresh(&self.official, previous).await
            }
        }
    }

    /// Takes the cross-process lock, bounded by the policy.
    async fn lock(
        &self,
        lock: &RefreshLock,
        cx: &AsyncApp,
    ) -> Result<crate::credentials::RefreshLockGuard, RenewFailed> {
        lock.acquire(cx.background_executor(), self.policy.lock_wait)
            .await
            .map_err(|error| {
                log::warn!("{error}");
                RenewFailed::Locked(error)
            })
    }

    /// Step 4: checks that the sign-in the refresh started from is still the one stored (and
    /// still this state's), then writes the new tokens; otherwise revokes and drops them.
    async fn store_renewed(
        &self,
        previous: &TokenSet,
        tokens: TokenSet,
        standing: impl Fn(&AsyncApp) -> Standing,
        cx: &AsyncApp,
    ) -> Result<Renewed, RenewFailed> {
        let _serial = self.store_lock.lock().await;
        // A state that is gone (the process is ending) did not sign out: the issuer has spent
        // the stored refresh token, so the new one must still be stored.
        let verdict = if standing(cx) == Standing::SignedOut {
            Err(RenewFailed::Superseded)
        } else {
            match self.store.read(cx).await {
                Ok(Some(stored)) if same_record(&stored, previous) => Ok(()),
                Ok(Some(stored)) => {
                    // Not ours to replace: a new sign-in (or a writer that takes no lock) stored
                    // it after our refresh started. Keep it; ours would sign that one out.
                    log::debug!(
                        "the stored ChatGPT sign-in changed during the renewal; keeping it"
                    );
                    self.revoke(&tokens, cx).await;
                    return Ok(Renewed::Adopted(stored.to_token_set()));
                }
                Ok(None) => Err(RenewFailed::SignedOutElsewhere),
                // Cannot tell: writing is what keeps the rotated refresh token.
                Err(_) => Ok(()),
            }
        };
        if let Err(failed) = verdict {
            log::debug!("signed out during the renewal; revoking the tokens it obtained");
            self.revoke(&tokens, cx).await;
            return Err(failed);
        }
        let store_error = self.store.write(record_of(&tokens), cx).await.err();
        Ok(Renewed::Refreshed {
            tokens,
            store_error,
        })
    }

    /// Revokes the refresh token of tokens nobody will keep (best effort, bounded).
    async fn revoke(&self, tokens: &TokenSet, cx: &AsyncApp) {
        let revoke = revoke_tokens(&*self.http, &self.config, &self.official, tokens).fuse();
        let deadline = cx.background_executor().timer(REVOKE_TIMEOUT).fuse();
        futures::pin_mut!(revoke, deadline);
        futures::select_biased! {
            result = revoke => if let Err(error) = result {
                log::debug!("could not revoke the dropped refresh token: {error:#}");
            },
            () = deadline => log::debug!("revoking the dropped refresh token timed out"),
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
        let subject = |official: &Option<crate::siwc::OfficialSession>| {
            official.as_ref().map(|session| session.subject.clone())
        };
        let same_account = stored.account_id == ours.identity.account_id
            && subject(&stored.official) == subject(&ours.official);
        let different =
            stored.refresh_token != ours.refresh_token && stored.access_token != ours.access_token;
        (same_account && different).then(|| stored.to_token_set())
    }

    /// Deletes the store entry if it still holds `ours` (a dead sign-in), leaving a record that
    /// another process wrote meanwhile in place.
    pub(crate) async fn forget_if_ours(&self, ours: &TokenSet, cx: &AsyncApp) {
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

/// The record a renewal's tokens are stored as (by step 4, or kept at quit).
fn record_of(tokens: &TokenSet) -> StoredCredentials {
    StoredCredentials::from_token_set(tokens)
}

/// Stores an answer kept when an app quit mid-renewal ([`QuitJournal`]), if there is one: under
/// the store's cross-process lock (waiting at most `lock_wait`), when a state loads.
pub(super) async fn recover_quit_journal(
    store: &dyn CredentialStore,
    lock_wait: std::time::Duration,
    cx: &AsyncApp,
) -> Recovery {
    let Some(lock) = store.refresh_lock() else {
        return Recovery::Nothing;
    };
    let journal = QuitJournal::beside(&lock);
    if !journal.path().exists() {
        return Recovery::Nothing;
    }
    match lock.acquire(cx.background_executor(), lock_wait).await {
        Ok(_guard) => quit_journal::recover(&journal, store, cx).await,
        Err(error) => {
            log::warn!("{error}");
            Recovery::Kept
        }
    }
}

/// True when `stored` is the record of `ours` (the same refresh token).
fn same_record(stored: &StoredCredentials, ours: &TokenSet) -> bool {
    stored.refresh_token == ours.refresh_token
}
