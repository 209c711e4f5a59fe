//! Where a sign-in is kept between runs: the OS keychain, a 0600 file, or memory.
//!
//! Each store keeps **one entry**, a [`StoredCredentials`] record, behind the
//! [`CredentialStore`] trait (read / write / delete, asynchronous, shaped like Zed's trait of
//! the same name). The auth state machine ([`crate::auth`]) is the only caller. Several
//! accounts ([`crate::accounts`]) are several stores: [`CredentialStore::account_store`] gives
//! the store of each further slot (another keychain key, another file in its own directory), and
//! [`CredentialStore::account_index`] where the list of accounts is kept.
//!
//! - [`KeychainStore`]: the platform keychain through gpui (`App::read_credentials` etc.): macOS
//!   Keychain, Windows Credential Manager, the Secret Service on Linux.
//! - [`FileStore`]: a JSON file, mode 0600, replaced atomically (temp file + rename).
//! - [`MemoryStore`]: for tests; can be told to fail writes.
//! - [`AutoStore`]: the keychain, falling back to the file store (with one log line) when no
//!   keychain service answers — headless Linux, WSL, CI.
//!
//! - [`RefreshLock`]: the cross-process lock a renewal holds around "re-read, refresh, write",
//!   kept beside the file (or in the config directory for the keychain).
//!
//! [`StoreKind`] names these for the command line's `--store auto|keychain|file|memory`.
//!
//! A record that cannot be used (older or newer format, damaged) is never an error and never
//! deleted: the store logs a warning and answers `None` ("signed out").

mod auto;
mod file;
mod keychain;
mod kind;
mod memory;
mod record;
mod refresh_lock;

pub use auto::{AutoChoice, AutoStore};
pub use file::FileStore;
pub use keychain::KeychainStore;
pub use kind::StoreKind;
pub use memory::MemoryStore;
pub use record::{CREDENTIALS_FORMAT_VERSION, MAX_RECORD_BYTES, StoredCredentials};
pub use refresh_lock::RefreshLock;
pub(crate) use refresh_lock::{LockError, RefreshLockGuard};

use crate::accounts::{IndexLocation, Slot};
use anyhow::Result;
use futures::future::LocalBoxFuture;
use gpui::AsyncApp;
use std::sync::Arc;

/// One stored sign-in: read, replace or forget it.
///
/// The futures are `'static` (they own what they need) and run on gpui's foreground executor;
/// blocking work (file I/O) happens on the background executor inside them. An `Err` means the
/// store itself could not be reached or changed; an absent or unusable record is `Ok(None)`.
pub trait CredentialStore: Send + Sync + 'static {
    /// A short name for messages: "keychain", "credentials file", ….
    fn name(&self) -> String;

    /// The stored record, if there is a usable one.
    fn read(&self, cx: &AsyncApp) -> LocalBoxFuture<'static, Result<Option<StoredCredentials>>>;

    /// Replaces the record. Either the whole new record is stored or the old one stays.
    fn write(
        &self,
        credentials: StoredCredentials,
        cx: &AsyncApp,
    ) -> LocalBoxFuture<'static, Result<()>>;

    /// Forgets the record. Deleting an absent record succeeds.
    fn delete(&self, cx: &AsyncApp) -> LocalBoxFuture<'static, Result<()>>;

    /// The lock that serialises refreshes of this record across processes, for stores that other
    /// processes share (`None`: the record lives in this process only).
    fn refresh_lock(&self) -> Option<RefreshLock> {
        None
    }

    /// The store of the account kept in `slot` beside this one ([`Slot::Primary`]: this store's
    /// own entry), with its own lock and everything else kept beside a record. `None`: this
    /// store holds one account only.
    fn account_store(&self, _slot: &Slot) -> Option<Arc<dyn CredentialStore>> {
        None
    }

    /// Where the list of accounts kept in this store lives (`None`: one account only).
    fn account_index(&self) -> Option<IndexLocation> {
        None
    }
}
