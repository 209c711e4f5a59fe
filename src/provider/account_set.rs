//! [`AccountSet`]: the provider's accounts, each with its own auth state machine, and which one
//! is active.
//!
//! Every account is one [`crate::auth::State`] entity over its own slot of the credential store
//! ([`crate::accounts`]), so a renewal, a refused token, a sign-out or "sign-out wins" of one
//! account runs on that account's store, lock and journal and never touches another. The
//! provider observes only the active account's entity; the others sit loaded and idle (a
//! renewal they started finishes on its own, tracked app-wide like any other).
//!
//! The set keeps the [`AccountIndex`] in memory and writes it in the background, one write
//! after another, whenever an account joins, leaves or becomes active.

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
    handles: Vec<AccountHandle>,
    active: usize,
    make_auth: MakeAuth,
    /// The latest write of the index; the next one waits for it.
    write: Option<Task<()>>,
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
        let mut set = Self {
            base,
            location,
            index,
            handles: Vec::new(),
            active: 0,
            make_auth,
            write: None,
        };
        let entries: Vec<AccountEntry> = set.index.entries().to_vec();
        for entry in &entries {
            set.open_slot(entry.slot.clone(), cx);
        }
        // An index that lists nothing: today's one sign-in (or none yet) is in the primary
        // slot, and joins the index when it loads signed in.
        if set.handles.is_empty() {
            set.open_slot(Slot::Primary, cx);
        }
        let wanted = match choice {
            AccountChoice::Active => set.index.active().cloned(),
            AccountChoice::Named(name) => match set.index.find(name) {
                Ok(entry) => Some(entry.id.clone()),
                Err(missing) => {
                    log::warn!("{missing}; using the active account");
                    set.index.active().cloned()
                }
            },
        };
        if let Some(slot) = wanted
            .and_then(|id| set.index.get(&id))
            .map(|entry| entry.slot.clone())
        {
            set.active = set.position_of(&slot).unwrap_or(0);
        }
        set
    }

    /// Opens the auth state of `slot` (the base store's own for the primary slot).
    fn open_slot(&mut self, slot: Slot, cx: &mut App) -> Option<usize> {
        let store = match &slot {
            Slot::Primary => self.base.clone(),
            Slot::Extra(_) => self.base.account_store(&slot)?,
        };
        let auth = (self.make_auth)(store, cx);
        self.handles.push(AccountHandle { slot, auth });
        Some(self.handles.len().saturating_sub(1))
    }

    fn position_of(&self, slot: &Slot) -> Option<usize> {
        self.handles.iter().position(|handle| &handle.slot == slot)
    }

    /// Whether the store can hold more than one account.
    pub fn can_add(&self) -> bool {
        self.location.is_some()
    }

    /// The active account's auth state machine.
    pub fn active_auth(&self) -> &Entity<auth::State> {
        &self.handles[self.active].auth
    }

    /// The active account's slot.
    pub fn active_slot(&self) -> &Slot {
        &self.handles[self.active].slot
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
        self.position_of(slot)
            .map(|position| self.handles[position].auth.clone())
    }

    /// Makes the account `id` active (and says so in the index); the handles left behind that
    /// hold no listed account (a sign-in that was added and then cancelled) are dropped.
    /// Returns false when no such account is open.
    pub fn activate(&mut self, id: &AccountId, cx: &mut App) -> bool {
        let Some(slot) = self.index.get(id).map(|entry| entry.slot.clone()) else {
            return false;
        };
        let Some(position) = self.position_of(&slot) else {
            return false;
        };
        self.active = position;
        self.drop_unlisted();
        self.index.set_active(Some(id.clone()));
        self.save(cx);
        true
    }

    /// Opens a new, empty slot for an account being added and makes it active (not yet listed:
    /// it joins the index once its sign-in completes). `None` when the store holds one account.
    pub fn begin_adding(&mut self, cx: &mut App) -> Option<Entity<auth::State>> {
        if !self.can_add() {
            return None;
        }
        self.drop_unlisted();
        let mut slot = Slot::new_extra();
        while self.position_of(&slot).is_some() || self.index.in_slot(&slot).is_some() {
            slot = Slot::new_extra();
        }
        let position = self.open_slot(slot, cx)?;
        self.active = position;
        Some(self.handles[position].auth.clone())
    }

    /// Drops the handles, other than the active one, whose slot no listed account uses.
    fn drop_unlisted(&mut self) {
        let active_slot = self.active_slot().clone();
        let index = &self.index;
        self.handles
            .retain(|handle| handle.slot == active_slot || index.in_slot(&handle.slot).is_some());
        self.active = self.position_of(&active_slot).unwrap_or(0);
    }

    /// The active account is signed in with `tokens`: lists it (or updates it) and makes it the
    /// active one. Returns the auth state of an older slot of the same account, which this
    /// sign-in replaces (the caller signs it out), and of accounts whose record this slot held.
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
        // Another account that was kept in this slot: its record was just overwritten.
        if let Some(previous) = self
            .index
            .in_slot(&entry.slot)
            .filter(|previous| previous.id != entry.id)
            .map(|previous| previous.id.clone())
        {
            self.index.remove(&previous);
        }
        // The same account in another slot: this sign-in replaces it.
        if let Some(old) = self.index.upsert(entry.clone())
            && old.slot != entry.slot
            && let Some(position) = self.position_of(&old.slot)
        {
            replaced.push(self.handles[position].auth.clone());
            let active_slot = self.active_slot().clone();
            self.handles.remove(position);
            self.active = self.position_of(&active_slot).unwrap_or(0);
        }
        self.index.set_active(Some(entry.id.clone()));
        self.save(cx);
        replaced
    }

    /// Removes the account `id` from the list (its sign-out is the caller's). When it was the
    /// active one, another listed account becomes active, if there is one; returns whether the
    /// active account changed.
    pub fn remove(&mut self, id: &AccountId, cx: &mut App) -> bool {
        let Some(entry) = self.index.remove(id) else {
            return false;
        };
        let was_active = self.active_slot() == &entry.slot;
        // The index's active account if it still stands (this process may have used another
        // one with `--account`), else the first one listed.
        let next = self
            .index
            .active()
            .or_else(|| self.index.entries().first().map(|next| &next.id))
            .cloned();
        let mut changed = false;
        if was_active && let Some(next) = next {
            let slot = self.index.get(&next).map(|entry| entry.slot.clone());
            if let Some(position) = slot.and_then(|slot| self.position_of(&slot)) {
                self.active = position;
                self.index.set_active(Some(next));
                changed = true;
            }
        }
        if !was_active || changed {
            // The removed account's handle goes (its sign-out task runs on without it).
            if let Some(position) = self.position_of(&entry.slot) {
                let active_slot = self.active_slot().clone();
                self.handles.remove(position);
                self.active = self.position_of(&active_slot).unwrap_or(0);
            }
        }
        self.save(cx);
        changed
    }

    /// Writes the index in the background, after the write before it.
    fn save(&mut self, cx: &mut App) {
        let Some(location) = self.location.clone() else {
            return;
        };
        let index = self.index.clone();
        let previous = self.write.take();
        self.write = Some(cx.background_spawn(async move {
            if let Some(previous) = previous {
                previous.await;
            }
            if let Err(error) = index.save(&location) {
                log::warn!("{error:#}");
            }
        }));
    }

    /// Waits until the index is on disk (a short-lived process calls this before it exits).
    pub fn saved(&mut self) -> Task<()> {
        self.write.take().unwrap_or_else(|| Task::ready(()))
    }
}
