//! Stand-in for Zed's `credentials_provider` crate
//! (upstream: `crates/credentials_provider/src/credentials_provider.rs`).
//!
//! The same trait and signatures as upstream, so that the provider's code reads exactly as it
//! would in Zed's tree: [`CredentialsProvider`] reads, writes and deletes one keychain entry per
//! URL, and `<dyn CredentialsProvider>::global(cx)` answers the system keychain through gpui
//! (`App::read_credentials` and friends: the macOS Keychain, the Windows Credential Manager, the
//! Secret Service on Linux). Upstream's development-only file provider (behind
//! `ZED_DEVELOPMENT_AUTH` in dev builds) is left out: this stand-in always answers the keychain.

// Upstream's signatures, kept letter for letter (boxed futures of `Result<Option<(String,
// Vec<u8>)>>`), are what clippy calls complex.
#![allow(clippy::type_complexity)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use anyhow::Result;
use futures::FutureExt as _;
use gpui::{App, AsyncApp};

/// A provider for credentials.
///
/// Used to abstract over reading and writing credentials to some form of persistence (like the
/// system keychain).
pub trait CredentialsProvider: Send + Sync {
    /// Reads the credentials from the provider: the user name and the secret stored for `url`.
    fn read_credentials<'a>(
        &'a self,
        url: &'a str,
        cx: &'a AsyncApp,
    ) -> Pin<Box<dyn Future<Output = Result<Option<(String, Vec<u8>)>>> + 'a>>;

    /// Writes the credentials to the provider, replacing any stored for `url`.
    fn write_credentials<'a>(
        &'a self,
        url: &'a str,
        username: &'a str,
        password: &'a [u8],
        cx: &'a AsyncApp,
    ) -> Pin<Box<dyn Future<Output = Result<()>> + 'a>>;

    /// Deletes the credentials from the provider.
    fn delete_credentials<'a>(
        &'a self,
        url: &'a str,
        cx: &'a AsyncApp,
    ) -> Pin<Box<dyn Future<Output = Result<()>> + 'a>>;
}

impl dyn CredentialsProvider {
    /// Returns the global [`CredentialsProvider`]: the system keychain.
    pub fn global(_cx: &App) -> Arc<Self> {
        Arc::new(KeychainCredentialsProvider)
    }
}

/// A credentials provider that stores credentials in the system keychain.
struct KeychainCredentialsProvider;

impl CredentialsProvider for KeychainCredentialsProvider {
    fn read_credentials<'a>(
        &'a self,
        url: &'a str,
        cx: &'a AsyncApp,
    ) -> Pin<Box<dyn Future<Output = Result<Option<(String, Vec<u8>)>>> + 'a>> {
        async move { cx.update(|cx| cx.read_credentials(url))?.await }.boxed_local()
    }

    fn write_credentials<'a>(
        &'a self,
        url: &'a str,
        username: &'a str,
        password: &'a [u8],
        cx: &'a AsyncApp,
    ) -> Pin<Box<dyn Future<Output = Result<()>> + 'a>> {
        async move {
            cx.update(move |cx| cx.write_credentials(url, username, password))?
                .await
        }
        .boxed_local()
    }

    fn delete_credentials<'a>(
        &'a self,
        url: &'a str,
        cx: &'a AsyncApp,
    ) -> Pin<Box<dyn Future<Output = Result<()>> + 'a>> {
        async move { cx.update(move |cx| cx.delete_credentials(url))?.await }.boxed_local()
    }
}
