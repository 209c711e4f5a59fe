//! [`AutoStore`]: the keychain when one answers, else the credentials file.
//!
//! Headless Linux, WSL, containers and CI often have no Secret Service: gpui's keychain calls fail
//! at once ("Failed to connect" to D-Bus). The first operation decides: if the keychain answers,
//! it is used from then on; if it fails, one log line says so and names the file used instead,
//! and the file store is used for the rest of the process. The decision is not revisited, so a
//! sign-in is never split between two stores.

use super::{CredentialStore, FileStore, KeychainStore, RefreshLock, StoredCredentials};
use crate::accounts::{IndexLocation, Slot};
use anyhow::Result;
use futures::FutureExt as _;
use futures::future::LocalBoxFuture;
use gpui::AsyncApp;
use parking_lot::Mutex;
use std::sync::Arc;

/// Which store [`AutoStore`] settled on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AutoChoice {
    /// Not decided yet: the next operation tries the keychain.
    Undecided,
    /// The keychain answered.
    Keychain,
    /// The keychain did not answer; the file is used.
    File,
}

/// The keychain, falling back to a file store.
#[derive(Clone)]
pub struct AutoStore {
    keychain: KeychainStore,
    file: FileStore,
    choice: Arc<Mutex<AutoChoice>>,
}

impl AutoStore {
    /// Tries `keychain` first, `file` when it does not answer.
    pub fn new(keychain: KeychainStore, file: FileStore) -> Self {
        Self {
            keychain,
            file,
            choice: Arc::new(Mutex::new(AutoChoice::Undecided)),
        }
    }

    /// The store of the account in `slot`; it follows this store's choice (made once, for
    /// every account, so that no account is split from the others).
    pub fn for_slot(&self, slot: &Slot) -> Self {
        Self {
            keychain: self.keychain.for_slot(slot),
            file: self.file.for_slot(slot),
            choice: self.choice.clone(),
        }
    }

    /// Which store is in use.
    pub fn choice(&self) -> AutoChoice {
        *self.choice.lock()
    }

    /// Runs `operation` on the chosen store; while undecided, on the keychain, falling back to the
    /// file when the keychain fails.
    fn route<T: 'static>(
        &self,
        cx: &AsyncApp,
        operation: impl Fn(&dyn CredentialStore, &AsyncApp) -> LocalBoxFuture<'static, Result<T>>
        + 'static,
    ) -> LocalBoxFuture<'static, Result<T>> {
        match self.choice() {
            AutoChoice::Keychain => operation(&self.keychain, cx),
            AutoChoice::File => operation(&self.file, cx),
            AutoChoice::Undecided => {
                let this = self.clone();
                let cx = cx.clone();
                async move {
                    match operation(&this.keychain, &cx).await {
                        Ok(value) => {
                            this.settle(AutoChoice::Keychain);
                            Ok(value)
                        }
                        Err(error) => {
                            if this.settle(AutoChoice::File) {
                                log::warn!(
                                    "No keychain service answered ({error:#}); keeping the ChatGPT \
                                     sign-in in {} instead",
                                    this.file.path().display()
                                );
                            }
                            operation(&this.file, &cx).await
                        }
                    }
                }
                .boxed_local()
            }
        }
    }

    /// Records the choice if none was made yet; true if this call made it.
    fn settle(&self, choice: AutoChoice) -> bool {
        let mut current = self.choice.lock();
        if *current == AutoChoice::Undecided {
            *current = choice;
            true
        } else {
            false
        }
    }
}

impl CredentialStore for AutoStore {
    fn name(&self) -> String {
        match self.choice() {
            AutoChoice::Undecided | AutoChoice::Keychain => self.keychain.name(),
            AutoChoice::File => self.file.name(),
        }
    }

    fn read(&self, cx: &AsyncApp) -> LocalBoxFuture<'static, Result<Option<StoredCredentials>>> {
        self.route(cx, |store, cx| store.read(cx))
    }

    fn write(
        &self,
        credentials: StoredCredentials,
        cx: &AsyncApp,
    ) -> LocalBoxFuture<'static, Result<()>> {
        self.route(cx, move |store, cx| store.write(credentials.clone(), cx))
    }

    fn delete(&self, cx: &AsyncApp) -> LocalBoxFuture<'static, Result<()>> {
        self.route(cx, |store, cx| store.delete(cx))
    }

    fn account_store(&self, slot: &Slot) -> Option<Arc<dyn CredentialStore>> {
        Some(Arc::new(self.for_slot(slot)))
    }

    /// Beside the credentials file whichever store is in use: known before the first operation
    /// decides, and the same either way.
    fn account_index(&self) -> Option<IndexLocation> {
        Some(self.file.index_location())
    }

    /// The lock of the store in use (the keychain's until the first operation decides).
    fn refresh_lock(&self) -> Option<RefreshLock> {
        match self.choice() {
            AutoChoice::Undecided | AutoChoice::Keychain => self.keychain.refresh_lock(),
            AutoChoice::File => self.file.refresh_lock(),
        }
    }
}
