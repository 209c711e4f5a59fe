//! [`KeychainStore`]: the sign-in in the operating system's keychain, through gpui.
//!
//! gpui's `App::read_credentials / write_credentials / delete_credentials` reach the macOS
//! Keychain, the Windows Credential Manager, or the Secret Service on Linux (GNOME Keyring,
//! KWallet). An entry is keyed by a URL — here the issuer's, so a sign-in to the emulator never
//! replaces a real one — and holds a user name (the account id, for people browsing their
//! keychain) and the encoded [`StoredCredentials`] as its secret.

use super::{CredentialsProvider, RefreshLock, StoredCredentials};
use anyhow::{Context as _, Result};
use futures::FutureExt as _;
use futures::future::LocalBoxFuture;
use gpui::AsyncApp;

/// The user name stored when the record names no account.
const FALLBACK_USERNAME: &str = "chatgpt";

/// A credential store backed by the platform keychain.
#[derive(Clone, Debug)]
pub struct KeychainStore {
    url: String,
}

impl KeychainStore {
    /// A store whose one entry is keyed by `url` (use the issuer URL).
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into() }
    }

    /// The entry's key.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl CredentialsProvider for KeychainStore {
    fn name(&self) -> String {
        "keychain".into()
    }

    fn read(&self, cx: &AsyncApp) -> LocalBoxFuture<'static, Result<Option<StoredCredentials>>> {
        let task = cx.update(|cx| cx.read_credentials(&self.url));
        let name = self.name();
        async move {
            let entry = task
                .context("the app has quit")?
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
        let task =
            cx.update(|cx| cx.write_credentials(&self.url, &username, &credentials.encode()));
        async move {
            task.context("the app has quit")?
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
        let short: String = digest[..8]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let directory = dirs::config_dir()?.join("openai_subscribed");
        Some(RefreshLock::new(
            directory.join(format!("keychain-{short}.refresh.lock")),
        ))
    }

    fn delete(&self, cx: &AsyncApp) -> LocalBoxFuture<'static, Result<()>> {
        let task = cx.update(|cx| cx.delete_credentials(&self.url));
        async move {
            task.context("the app has quit")?
                .await
                .context("the keychain refused to delete the sign-in")
        }
        .boxed_local()
    }
}
