//! The provider [`State`]'s accounts: listing them, adding one, switching, and signing out of
//! one (see [`super::super::account_set`] for how they are kept).
//!
//! Everything the provider shows and sends follows the active account: its models (its cached
//! list at once, then revalidated), its usage snapshot, its request budget, its credentials for
//! the next request. A switch closes the WebSocket transport's sockets (they were opened with
//! the other account's token), as a sign-out does.

use super::State;
use crate::accounts::{AccountId, NoSuchAccount};
use crate::auth::{self, AuthError, SignInMethod};
use crate::provider::account_set::AccountSummary;
use crate::route::Route;
use crate::usage::{AccountUsage, UsageLimits};
use gpui::{App, Context, Entity, Subscription, Task};

/// Another signed-in account with room, offered when the active one hit its limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SwitchOffer {
    /// The account to switch to.
    pub account: AccountId,
    /// Its label.
    pub label: String,
    /// "bob@example.com has room (…): switch to it to go on now".
    pub sentence: String,
}

impl State {
    /// Observes an account's auth state; only the active one's changes are acted on.
    pub(super) fn observe_auth(auth: &Entity<auth::State>, cx: &mut Context<Self>) -> Subscription {
        cx.observe(auth, |this, auth, cx| this.auth_changed(auth, cx))
    }

    /// Lists the active account once it is signed in (a new sign-in, or a sign-in an earlier
    /// version kept, loading for the first time), and signs out an older copy of the same
    /// account that this sign-in replaces.
    pub(super) fn note_active_account(&mut self, cx: &mut Context<Self>) {
        let tokens = match self.auth.read(cx).auth_state() {
            auth::AuthState::SignedIn { credentials, .. } => credentials.clone(),
            _ => return,
        };
        for replaced in self.accounts.note_signed_in(&tokens, cx) {
            replaced.update(cx, |auth, cx| auth.sign_out(cx)).detach();
        }
    }

    /// The accounts signed in on this machine, the active one marked.
    pub fn accounts(&self) -> Vec<AccountSummary> {
        self.accounts.summaries()
    }

    /// The account a label, email or id names (for `--account` and the command line's
    /// `accounts switch|remove`).
    pub fn find_account(&self, wanted: &str) -> Result<AccountId, NoSuchAccount> {
        self.accounts
            .index()
            .find(wanted)
            .map(|entry| entry.id.clone())
    }

    /// The active account's id, once it is signed in.
    pub fn active_account(&self) -> Option<AccountId> {
        self.accounts.active_id()
    }

    /// Whether the store can keep another account beside this one.
    pub fn can_add_account(&self) -> bool {
        self.accounts.can_add()
    }

    /// Signs in to another account by `method`, keeping the others; it becomes the active one
    /// when its sign-in completes. Signed out, this is the ordinary sign-in.
    pub fn add_account(&mut self, method: SignInMethod, cx: &mut Context<Self>) {
        if self.is_signed_in(cx) {
            let Some(auth) = self.accounts.begin_adding(cx) else {
                log::warn!("this credential store keeps one account; sign out first");
                return;
            };
            self.make_active(auth, cx);
        }
        self.sign_in(method, cx);
    }

    /// Makes the account `id` the active one (remembered for the next start). Returns false when
    /// no such account is signed in.
    pub fn switch_account(&mut self, id: &AccountId, cx: &mut Context<Self>) -> bool {
        if self.accounts.active_id().as_ref() == Some(id) {
            return true;
        }
        if !self.accounts.activate(id, cx) {
            return false;
        }
        let auth = self.accounts.active_auth().clone();
        self.make_active(auth, cx);
        true
    }

    /// Signs out of the account `id` only (its tokens revoked, its record deleted); the others
    /// stay signed in. Signing out of the active account makes another one active, if any.
    pub fn sign_out_account(
        &mut self,
        id: &AccountId,
        cx: &mut Context<Self>,
    ) -> Task<Result<auth::revoke::Revocation, AuthError>> {
        if self.accounts.active_id().as_ref() == Some(id) {
            return self.sign_out(cx);
        }
        let Some(auth) = self.accounts.auth_of(id) else {
            return Task::ready(Err(AuthError::NotSignedIn));
        };
        self.accounts.remove(id, cx);
        cx.notify();
        sign_out_when_loaded(auth, cx)
    }

    /// After the active account's sign-out: it leaves the list, and another account (if any)
    /// becomes active.
    pub(super) fn forget_active_account(&mut self, id: Option<AccountId>, cx: &mut Context<Self>) {
        if let Some(id) = id
            && self.accounts.remove(&id, cx)
        {
            let auth = self.accounts.active_auth().clone();
            self.make_active(auth, cx);
        }
    }

    /// After a cancelled "add account": back to the account that was active before.
    pub(super) fn return_from_adding(&mut self, cx: &mut Context<Self>) {
        if self.accounts.active_id().is_none()
            && let Some(previous) = self.accounts.index().active().cloned()
        {
            self.switch_account(&previous, cx);
        }
    }

    /// When the active account has hit its usage limit and another signed-in account has room
    /// (its last usage snapshot says so, or it has none), which one, and the sentence to show.
    /// Offered, never taken: the card shows a button, the command line the line to type.
    pub fn switch_offer(&self, cx: &App) -> Option<SwitchOffer> {
        let now = chrono::Utc::now();
        let this = match (&self.usage, &self.official_limit) {
            (_, Some(_)) => UsageLimits {
                limit_reached: Some(true),
                observed_at: now,
                ..UsageLimits::default()
            },
            (Some(usage), None) => usage.clone(),
            (None, None) => return None,
        };
        let active = self.accounts.active_id()?;
        let others: Vec<(AccountId, AccountUsage)> = self
            .accounts
            .summaries()
            .into_iter()
            .filter(|account| account.id != active)
            .filter_map(|account| {
                let auth = self.accounts.auth_of(&account.id)?;
                let auth = auth.read(cx);
                let identity = auth.account()?;
                // The official route reports no figures: nothing says it has no room.
                let usage = match auth.route()? {
                    Route::CodexBackend => identity
                        .account_id
                        .as_deref()
                        .and_then(|key| self.usage_cache.load(key)),
                    Route::SignInWithChatGpt => None,
                };
                Some((
                    account.id,
                    AccountUsage {
                        label: account.label,
                        usage,
                    },
                ))
            })
            .collect();
        let usages: Vec<AccountUsage> = others.iter().map(|(_, usage)| usage.clone()).collect();
        let sentence = crate::usage::switch_offer(&this, &usages, now)?;
        let chosen = crate::usage::switching::account_with_room(&usages, now)?;
        let (id, usage) = others
            .into_iter()
            .find(|(_, usage)| usage.label == chosen.label)?;
        Some(SwitchOffer {
            account: id,
            label: usage.label,
            sentence,
        })
    }

    /// Waits until the account list is on disk (a short-lived process calls this before it
    /// exits).
    pub fn accounts_saved(&mut self) -> Task<()> {
        self.accounts.saved()
    }

    /// Follows another account: its auth state is observed, and what was shown or opened for
    /// the last one (models, usage, limits, sockets, request budget) is dropped and reloaded for
    /// the new one.
    fn make_active(&mut self, auth: Entity<auth::State>, cx: &mut Context<Self>) {
        // The sockets carry the last account's token (the sign-out path closes them the same
        // way).
        self.websockets.close_all();
        self.websocket_sign_in = None;
        // Generations count per account: the new one's first sign-in page is opened too.
        self.opened_browser_for = None;
        self.auth = auth.clone();
        self.auth_observation = Self::observe_auth(&auth, cx);
        self.account_id = None;
        self.usage = None;
        self.pending_usage = None;
        self.usage_fetched_at = None;
        self.official_limit = None;
        self.catalog.update(cx, |catalog, cx| catalog.clear(cx));
        self.auth_changed(auth, cx);
    }
}

/// Signs out of an idle account once its record is loaded: its tokens are revoked once they are
/// known (a sign-out of a record not yet read would only delete it).
fn sign_out_when_loaded(
    auth: Entity<auth::State>,
    cx: &mut Context<State>,
) -> Task<Result<auth::revoke::Revocation, AuthError>> {
    let loaded = auth.update(cx, |auth, cx| auth.authenticate(cx));
    cx.spawn(async move |_, cx| {
        loaded.await.ok();
        auth.update(cx, |auth, cx| auth.sign_out(cx))
            .map_err(|_| AuthError::SignedOutMeanwhile)?
            .await
    })
}
