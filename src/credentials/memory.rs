//! [`MemoryStore`]: a credential store that lives as long as the process, for tests.
//!
//! It keeps the encoded bytes (not the record) so that tests go through the same versioned
//! encoding as the real stores, and it can be told to fail writes, to test what a failing keychain
//! does to a sign-in.

use super::{CredentialStore, StoredCredentials};
use crate::accounts::{IndexLocation, Slot};
use anyhow::{Result, anyhow};
use futures::FutureExt as _;
use futures::future::LocalBoxFuture;
use gpui::AsyncApp;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// An in-memory store. Clones share the same entry (two auth states can share one store, as two
/// processes share a file).
#[derive(Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    entry: Mutex<Option<Vec<u8>>>,
    /// The further accounts' stores, by slot name (only the primary store's map is used).
    slots: Mutex<HashMap<String, MemoryStore>>,
    /// The account list.
    index: Arc<Mutex<Option<Vec<u8>>>>,
    fail_writes: AtomicBool,
    writes: AtomicUsize,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store already holding `credentials`.
    pub fn with(credentials: &StoredCredentials) -> Self {
        let store = Self::new();
        store.set_raw(Some(credentials.encode()));
        store
    }

    /// The record now stored (decoded), without going through gpui.
    pub fn current(&self) -> Option<StoredCredentials> {
        let bytes = self.inner.entry.lock().clone()?;
        StoredCredentials::decode_or_warn(&bytes, "memory store")
    }

    /// Replaces the stored bytes as they are (to plant damaged or old records).
    pub fn set_raw(&self, bytes: Option<Vec<u8>>) {
        *self.inner.entry.lock() = bytes;
    }

    /// The stored bytes as they are.
    pub fn raw(&self) -> Option<Vec<u8>> {
        self.inner.entry.lock().clone()
    }

    /// Makes every later write fail (as a locked or broken keychain would) until set back.
    pub fn set_fail_writes(&self, fail: bool) {
        self.inner.fail_writes.store(fail, Ordering::SeqCst);
    }

    /// The store of the account in `slot` (this one for the primary slot); clones of this store
    /// share it.
    pub fn for_slot(&self, slot: &Slot) -> Self {
        match slot {
            Slot::Primary => self.clone(),
            Slot::Extra(name) => self
                .inner
                .slots
                .lock()
                .entry(name.clone())
                .or_default()
                .clone(),
        }
    }

    /// How many writes succeeded.
    pub fn writes(&self) -> usize {
        self.inner.writes.load(Ordering::SeqCst)
    }
}

impl CredentialStore for MemoryStore {
    fn name(&self) -> String {
        "memory store".into()
    }

    fn read(&self, _cx: &AsyncApp) -> LocalBoxFuture<'static, Result<Option<StoredCredentials>>> {
        let record = self.current();
        async move { Ok(record) }.boxed_local()
    }

    fn write(
        &self,
        credentials: StoredCredentials,
        _cx: &AsyncApp,
    ) -> LocalBoxFuture<'static, Result<()>> {
        let result = if self.inner.fail_writes.load(Ordering::SeqCst) {
            Err(anyhow!("the memory store was told to refuse writes"))
        } else {
            self.set_raw(Some(credentials.encode()));
            self.inner.writes.fetch_add(1, Ordering::SeqCst);
            Ok(())
        };
        async move { result }.boxed_local()
    }

    fn delete(&self, _cx: &AsyncApp) -> LocalBoxFuture<'static, Result<()>> {
        self.set_raw(None);
        async move { Ok(()) }.boxed_local()
    }

    fn account_store(&self, slot: &Slot) -> Option<Arc<dyn CredentialStore>> {
        Some(Arc::new(self.for_slot(slot)))
    }

    fn account_index(&self) -> Option<IndexLocation> {
        Some(IndexLocation::Memory(self.inner.index.clone()))
    }
}
