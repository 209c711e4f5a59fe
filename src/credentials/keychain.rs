//! [`KeychainStore`]: the sign-in in the operating system's keychain, through gpui.
//!
//! gpui's `App::read_credentials / write_credentials / delete_credentials` reach the macOS
//! Keychain, the Windows Credential Manager, or the Secret Service on Linux (GNOME Keyring,
//! KWallet). An entry is keyed by a URL — here the issuer's, so a sign-in to the emulator never
//! replaces a real one — and holds a user name (the account id, for people browsing their
//! keychain) and the encoded [`StoredCredentials`] as its secret.

use super::{CredentialStore, RefreshLock, StoredCredentials};
use crate::accounts::{IndexLocation, Slot};
use anyhow::{Context as _, Result};
use credentials_provider::CredentialsProvider;
use futures::FutureExt as _;
use futures::future::LocalBoxFuture;
use gpui::{App, AsyncApp};
use std::sync::Arc;

/// The user name stored when the record names no account.
const FALLBACK_USERNAME: &str = "chatgpt";

/// A credential store backed by the platform keychain, through Zed's [`CredentialsProvider`].
#[derive(Clone)]
pub struct KeychainStore {
    url: String,
    keychain: Arc<dyn CredentialsProvider>,
}

impl std::fmt::Debug for KeychainStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeychainStore")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl KeychainStore {
    /// A store whose one entry is keyed by `url` (use the issuer URL), in the app's keychain
    /// (`<dyn CredentialsProvider>::global`).
    pub fn new(url: impl Into<String>, cx: &App) -> Self {
        Self::with_provider(url, <dyn CredentialsProvider>::global(cx))
    }

    /// A store whose one entry is keyed by `url`, in `keychain`.
    pub fn with_provider(url: impl Into<String>, keychain: Arc<dyn CredentialsProvider>) -> Self {
        Self {
            url: url.into(),
            keychain,
        }
    }

    /// The entry's key.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The store of the account in `slot`: this entry for the primary slot, else the entry keyed
    /// `<url>#account-<slot>`.
    pub fn for_slot(&self, slot: &Slot) -> Self {
        match slot {
            Slot::Primary => self.clone(),
            Slot::Extra(name) => Self {
                url: format!("{}#account-{name}", self.url),
                keychain: self.keychain.clone(),
            },
        }
    }

    /// Where the list of accounts is kept: beside the refresh lock,
    /// `keychain-<hash>.accounts.json` in the config directory.
    pub(crate) fn index_location(&self) -> Option<IndexLocation> {
        let lock = self.refresh_lock()?;
        let name = lock.path().file_name()?.to_string_lossy().into_owned();
        let stem = name.strip_suffix("refresh.lock").unwrap_or(&name);
        Some(IndexLocation::File(
            lock.path().with_file_name(format!("{stem}accounts.json")),
        ))
    }
}

impl CredentialStore for KeychainStore {
    fn name(&self) -> String {
        "keychain".into()
    }

    fn read(&self, cx: &AsyncApp) -> LocalBoxFuture<'static, Result<Option<StoredCredentials>>> {
        let (keychain, url, cx, name) = (
            self.keychain.clone(),
            self.url.clone(),
            cx.clone(),
            self.name(),
        );
        async move {
            let entry = keychain
                .read_credentials(&url, &cx)
                .await
                .context("the keychain did not answer")?;
            Ok(entry
                .and_then(|(_username, secret)| StoredCredentials::decode_or_warn(&secret, &name)))
        }
        .boxed_local()
    }

    fn write(
        &self,
        credentials: StoredCredentials,
        cx: &AsyncApp,
    ) -> LocalBoxFuture<'static, Result<()>> {
        let username = credentials
            .account_id
            .clone()
            .unwrap_or_else(|| FALLBACK_USERNAME.to_string());
        let (keychain, url, cx) = (self.keychain.clone(), self.url.clone(), cx.clone());
        async move {
            keychain
                .write_credentials(&url, &username, &credentials.encode(), &cx)
                .await
                .context("the keychain refused to store the sign-in")
        }
        .boxed_local()
    }
    /// The keychain has no lock of its own: a file in the config directory, one per entry
    /// (`keychain-<first 16 hex digits of SHA-256(url)>.refresh.lock`).
    fn refresh_lock(&self) -> Option<RefreshLock> {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(self.url.as_bytes());
        let short: String = digest
            .iter()
            .take(8)
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let directory = dirs::config_dir()?.join("openai_subscribed");
        Some(RefreshLock::new(
            directory.join(format!("keychain-{short}.refresh.lock")),
        ))
    }

    fn account_store(&self, slot: &Slot) -> Option<Arc<dyn CredentialStore>> {
        Some(Arc::new(self.for_slot(slot)))
    }

    fn account_index(&self) -> Option<IndexLocation> {
        self.index_location()
    }

    fn delete(&self, cx: &AsyncApp) -> LocalBoxFuture<'static, Result<()>> {
        let (keychain, url, cx) = (self.keychain.clone(), self.url.clone(), cx.clone());
        async move {
            keychain
                .delete_credentials(&url, &cx)
                .await
                .context("the keychain refused to delete the sign-in")
        }
        .boxed_local()
    }
}
