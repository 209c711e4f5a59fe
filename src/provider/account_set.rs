//! [`AccountSet`]: the provider's accounts, each with its own auth state machine, and which one
//! is active.
//!
//! Every account is one [`crate::auth::State`] entity over its own slot of the credential store
//! ([`crate::accounts`]), so a renewal, a refused token, a sign-out or "sign-out wins" of one
//! account runs on that account's store, lock and journal and never touches another. The
//! provider observes only the active account's entity; the others sit loaded and idle (a
//! renewal they started finishes on its own, tracked app-wide like any other).
//!
//! The set keeps the [`AccountIndex`] in memory; whenever an account joins, leaves or becomes
//! active, the change is applied here at once and to the stored list in the background (one
//! write after another, each re-reading the list under its lock: [`AccountIndex::update`]).
//! A process started with `--account` ([`AccountChoice::Named`]) uses that account without
//! making it the active one for the others.

use crate::accounts::{AccountEntry, AccountId, AccountIndex, IndexLocation, Slot};
use crate::auth;
use crate::credentials::CredentialStore;
use crate::oauth::TokenSet;
use gpui::{App, AppContext as _, Entity, Task};
use std::rc::Rc;
use std::sync::Arc;

/// Builds the auth state machine of one account's store.
pub(crate) type MakeAuth = Rc<dyn Fn(Arc<dyn CredentialStore>, &mut App) -> Entity<auth::State>>;

/// One account's auth state machine, and where its record is kept.
pub(crate) struct AccountHandle {
    pub slot: Slot,
    pub auth: Entity<auth::State>,
}

/// The accounts (see the module docs).
pub(crate) struct AccountSet {
    base: Arc<dyn CredentialStore>,
    location: Option<IndexLocation>,
    index: AccountIndex,
    /// The account in use.
    active: AccountHandle,
    /// The others, loaded and idle.
    others: Vec<AccountHandle>,
    make_auth: MakeAuth,
    /// The latest write of the index; the next one waits for it.
    write: Option<Task<()>>,
}

/// Opens the auth state of `slot` (the base store's own for the primary slot); `None` when the
/// store holds one account.
fn open_slot(
    base: &Arc<dyn CredentialStore>,
    make_auth: &MakeAuth,
    slot: Slot,
    cx: &mut App,
) -> Option<AccountHandle> {
    let store = match &slot {
        Slot::Primary => base.clone(),
        Slot::Extra(_) => base.account_store(&slot)?,
    };
    let auth = make_auth(store, cx);
    Some(AccountHandle { slot, auth })
}

/// Which account a process starts with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AccountChoice {
    /// The one the index names active (the last one switched to or added).
    #[default]
    Active,
    /// The one this label, email or id names, for this process only (the command line's
    /// `--account`); one that names no account falls back to the active one, with a warning.
    Named(String),
}

/// One account as the card and the command line list it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountSummary {
    /// Its stable id.
    pub id: AccountId,
    /// Its distinct label.
    pub label: String,
    /// How it signed in.
    pub route: crate::route::Route,
    /// Its plan, when known.
    pub plan: Option<crate::oauth::PlanType>,
    /// Whether it is the one in use.
    pub active: bool,
}

impl AccountSet {
    /// The accounts of `base`, with the chosen one active. Reads the index (a small file) at
    /// once, so that the active account is known before anything asks for credentials.
    pub fn open(
        base: Arc<dyn CredentialStore>,
        choice: &AccountChoice,
        make_auth: MakeAuth,
        cx: &mut App,
    ) -> Self {
        let location = base.account_index();
        let index = location
            .as_ref()
            .map(AccountIndex::load)
            .unwrap_or_default();
        let wanted = match choice {
            AccountChoice::Active => index.active().cloned(),
            AccountChoice::Named(name) => match index.find(name) {
                Ok(entry) => Some(entry.id.clone()),
                Err(missing) => {
                    log::warn!("{missing}; using the active account");
                    index.active().cloned()
                }
            },
        };
        let wanted_slot = wanted
            .and_then(|id| index.get(&id))
            .map(|entry| entry.slot.clone());
        let mut active = None;
        let mut others = Vec::new();
        for entry in index.entries() {
            let Some(handle) = open_slot(&base, &make_auth, entry.slot.clone(), cx) else {
                continue;
            };
            let chosen = wanted_slot.as_ref().is_none_or(|slot| *slot == handle.slot);
            if active.is_none() && chosen {
                active = Some(handle);
            } else {
                others.push(handle);
            }
        }
        // An index that lists nothing: today's one sign-in (or none yet) is in the primary
        // slot, and joins the index when it loads signed in.
        let active = active.unwrap_or_else(|| AccountHandle {
            slot: Slot::Primary,
            auth: make_auth(base.clone(), cx),
        });
        Self {
            base,
            location,
            index,
            active,
            others,
            make_auth,
            write: None,
        }
    }

    /// Whether the store can hold more than one account.
    pub fn can_add(&self) -> bool {
        self.location.is_some()
    }

    /// The active account's auth state machine.
    pub fn active_auth(&self) -> &Entity<auth::State> {
        &self.active.auth
    }

    /// The active account's slot.
    pub fn active_slot(&self) -> &Slot {
        &self.active.slot
    }

    /// The active account's id, once it is in the index.
    pub fn active_id(&self) -> Option<AccountId> {
        self.index
            .in_slot(self.active_slot())
            .map(|entry| entry.id.clone())
    }

    /// The index as it stands.
    pub fn index(&self) -> &AccountIndex {
        &self.index
    }

    /// Every listed account, the active one marked.
    pub fn summaries(&self) -> Vec<AccountSummary> {
        let active = self.active_id();
        self.index
            .labels()
            .into_iter()
            .filter_map(|(id, label)| {
                let entry = self.index.get(&id)?;
                Some(AccountSummary {
                    active: active.as_ref() == Some(&id),
                    route: entry.route,
                    plan: entry.plan.clone(),
                    id,
                    label,
                })
            })
            .collect()
    }

    /// The auth state of the account `id`.
    pub fn auth_of(&self, id: &AccountId) -> Option<Entity<auth::State>> {
        let slot = &self.index.get(id)?.slot;
        std::iter::once(&self.active)
            .chain(&self.others)
            .find(|handle| &handle.slot == slot)
            .map(|handle| handle.auth.clone())
    }

    /// Makes `handle` the active account, keeping the one it replaces among the others.
    fn swap_in(&mut self, handle: AccountHandle) {
        let previous = std::mem::replace(&mut self.active, handle);
        self.others.push(previous);
    }

    /// Takes the idle handle of `slot` out of the others.
    fn take_other(&mut self, slot: &Slot) -> Option<AccountHandle> {
        let position = self.others.iter().position(|handle| &handle.slot == slot)?;
        Some(self.others.remove(position))
    }

    /// Makes the account `id` active (and says so in the index); the handles left behind that
    /// hold no listed account (a sign-in that was added and then cancelled) are dropped.
    /// Returns false when no such account is open.
    pub fn activate(&mut self, id: &AccountId, cx: &mut App) -> bool {
        let Some(slot) = self.index.get(id).map(|entry| entry.slot.clone()) else {
            return false;
        };
        if slot != self.active.slot {
            let Some(handle) = self.take_other(&slot) else {
                return false;
            };
            self.swap_in(handle);
        }
        self.drop_unlisted();
        let id = id.clone();
        self.change(move |index| index.set_active(Some(id.clone())), cx);
        true
    }

    /// Opens a new, empty slot for an account being added and makes it active (not yet listed:
    /// it joins the index once its sign-in completes). `None` when the store holds one account.
    pub fn begin_adding(&mut self, cx: &mut App) -> Option<Entity<auth::State>> {
        if !self.can_add() {
            return None;
        }
        let mut slot = Slot::new_extra();
        while std::iter::once(&self.active)
            .chain(&self.others)
            .any(|handle| handle.slot == slot)
            || self.index.in_slot(&slot).is_some()
        {
            slot = Slot::new_extra();
        }
        let handle = open_slot(&self.base, &self.make_auth, slot, cx)?;
        // One host, one `ext_agent_host_id` for every account's registration (a small file,
        // read and written before the new sign-in can ask for it).
        let host_id = self.active.auth.read(cx).registrations().host_id();
        match host_id {
            Ok(id) => {
                if let Err(error) = handle.auth.read(cx).registrations().adopt_host_id(&id) {
                    log::warn!("could not share this host's id with the new account: {error:#}");
                }
            }
            Err(error) => log::warn!("could not read this host's id: {error:#}"),
        }
        let auth = handle.auth.clone();
        self.swap_in(handle);
        self.drop_unlisted();
        Some(auth)
    }

    /// Drops the idle handles whose slot no listed account uses.
    fn drop_unlisted(&mut self) {
        let index = &self.index;
        self.others
            .retain(|handle| index.in_slot(&handle.slot).is_some());
    }

    /// The active account is signed in with `tokens`: lists it (or updates it) and makes it the
    /// active one. Returns the auth state of an older slot of the same account, which this
    /// sign-in replaces (the caller signs it out).
    pub fn note_signed_in(&mut self, tokens: &TokenSet, cx: &mut App) -> Vec<Entity<auth::State>> {
        let entry = AccountEntry {
            id: AccountId::of(tokens),
            slot: self.active_slot().clone(),
            route: tokens.route(),
            email: tokens.identity.email.clone(),
            plan: tokens.identity.plan.clone(),
        };
        // Already listed as it is (a load, a refresh): nothing changes, and the index's active
        // account stays what it was (a process started with `--account` does not move it).
        if self.index.get(&entry.id) == Some(&entry) {
            return Vec::new();
        }
        let mut replaced = Vec::new();
        // The same account in another slot: this sign-in replaces it.
        if let Some(old) = self.index.get(&entry.id)
            && old.slot != entry.slot
            && let Some(handle) = self.take_other(&old.slot.clone())
        {
            replaced.push(handle.auth);
        }
        self.change(
            move |index| {
                // Another account that was kept in this slot: its record was just overwritten.
                if let Some(previous) = index
                    .in_slot(&entry.slot)
                    .filter(|previous| previous.id != entry.id)
                    .map(|previous| previous.id.clone())
                {
                    index.remove(&previous);
                }
                index.upsert(entry.clone());
                index.set_active(Some(entry.id.clone()));
            },
            cx,
        );
        replaced
    }

    /// Removes the account `id` from the list (its sign-out is the caller's). When it was the
    /// active one, another listed account becomes active, if there is one; returns whether the
    /// active account changed.
    pub fn remove(&mut self, id: &AccountId, cx: &mut App) -> bool {
        let Some(entry) = self.index.get(id).cloned() else {
            return false;
        };
        let removed = id.clone();
        self.change(
            move |index| {
                index.remove(&removed);
            },
            cx,
        );
        let mut changed = false;
        if entry.slot == self.active.slot {
            // The index's active account if it still stands (this process may have used
            // another one with `--account`), else the first one listed.
            let next = self
                .index
                .active()
                .or_else(|| self.index.entries().first().map(|next| &next.id))
                .and_then(|next| self.index.get(next))
                .map(|next| (next.id.clone(), next.slot.clone()));
            if let Some((next, slot)) = next
                && let Some(handle) = self.take_other(&slot)
            {
                // The removed account's handle goes (its sign-out task runs on without it).
                self.active = handle;
                self.change(move |index| index.set_active(Some(next.clone())), cx);
                changed = true;
            }
        } else {
            self.others.retain(|handle| handle.slot != entry.slot);
        }
        changed
    }

    /// Applies `change` to the index here at once, and to the stored one in the background
    /// (re-read under its lock, after the write before it: see [`AccountIndex::update`]).
    fn change(&mut self, change: impl Fn(&mut AccountIndex) + Send + 'static, cx: &mut App) {
        change(&mut self.index);
        let Some(location) = self.location.clone() else {
            return;
        };
        let previous = self.write.take();
        self.write = Some(cx.background_spawn(async move {
            if let Some(previous) = previous {
                previous.await;
            }
            if let Err(error) = AccountIndex::update(&location, change) {
                log::warn!("{error:#}");
            }
        }));
    }

    /// Waits until the index is on disk (a short-lived process calls this before it exits).
    pub fn saved(&mut self) -> Task<()> {
        self.write.take().unwrap_or_else(|| Task::ready(()))
    }
}
