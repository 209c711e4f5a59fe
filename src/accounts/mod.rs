//! Several ChatGPT accounts side by side (siwc.md §2): which exist, what they are called, which
//! one is active, and where each keeps its sign-in.
//!
//! An **account** is one stored record in its own [`Slot`] of the credential store: its own
//! keychain entry or file, and so its own refresh lock, quit journal and (on the official route)
//! registration, all of which live beside the record. Its model list and usage snapshot are
//! cached under its ChatGPT account id, as they always were.
//!
//! The **account index** ([`AccountIndex`]) lists the accounts (id, slot, route, plan, email)
//! and names the active one. It holds no token: it is a plain file beside the store (or memory,
//! for the memory store), written atomically.
//!
//! - [`AccountId`]: stable, derived from the route and the ChatGPT account id / `sub`, so a
//!   second sign-in to the same account replaces it instead of adding a duplicate.
//! - Labels ([`AccountIndex::labels`]): the email when known, else the plan and a short id;
//!   " (2)" is added only when two would read the same.
//! - **Upgrade**: the sign-in an earlier version kept is in the [`Slot::Primary`] slot (the same
//!   keychain key or file name as before). An index that does not list it yet gains it the first
//!   time it loads signed in: nothing moves, and its caches keep their names.

mod account_id;
mod index;
mod slot;

pub use account_id::AccountId;
pub use index::{AccountEntry, AccountIndex, IndexLocation, NoSuchAccount};
pub use slot::Slot;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::{CredentialStore, FileStore, MemoryStore};

    #[test]
    fn each_slot_keeps_its_own_record_lock_and_journal() {
        let dir = tempfile::tempdir().unwrap();
        let base = FileStore::new(dir.path().join("chatgpt-credentials.json"));
        assert_eq!(base.for_slot(&Slot::Primary).path(), base.path());
        let extra = base.for_slot(&Slot::Extra("0000abcd".into()));
        let other = base.for_slot(&Slot::Extra("0000abce".into()));
        // A directory of its own: its temporary files, lock, quit journal and registration are
        // never another slot's.
        assert_eq!(
            extra.path(),
            dir.path()
                .join("chatgpt-credentials.json.accounts/0000abcd/chatgpt-credentials.json")
        );
        let locks: Vec<_> = [&base, &extra, &other]
            .iter()
            .map(|store| store.refresh_lock().unwrap().path().to_path_buf())
            .collect();
        assert_ne!(locks[0], locks[1]);
        assert_ne!(locks[1], locks[2]);
        assert!(locks[1].starts_with(extra.path().parent().unwrap()));
        // The list of accounts lives beside them, in the same place for every slot's base.
        match base.account_index().unwrap() {
            IndexLocation::File(path) => assert_eq!(
                path,
                dir.path()
                    .join("chatgpt-credentials.json.accounts/index.json")
            ),
            IndexLocation::Memory(_) => panic!("a file store lists accounts in a file"),
        }
        // A memory store's slots are shared by its clones, as a file is by processes.
        let memory = MemoryStore::new();
        let slot = Slot::Extra("0000abcd".into());
        memory
            .for_slot(&slot)
            .set_raw(Some(b"{\"version\":0}".to_vec()));
        assert!(memory.clone().for_slot(&slot).raw().is_some());
        assert!(memory.raw().is_none());
    }
}
