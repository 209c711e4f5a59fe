//! What every headless subcommand starts from: the endpoints, the credential store and the HTTP
//! client chosen by the global options, and a way to build the provider inside the app.

use super::args::GlobalArgs;
use super::headless::run_headless;
use anyhow::Result;
use gpui::AsyncApp;
use http_client::HttpClient;
use openai_subscribed::accounts::AccountIndex;
use openai_subscribed::auth::AuthError;
use openai_subscribed::config::Config;
use openai_subscribed::credentials::{CredentialStore, StoreKind};
use openai_subscribed::oauth::CallbackServerOptions;
use openai_subscribed::provider::{
    AccountChoice, OpenAiSubscribedProvider, StateOptions, UrlOpener,
};
use openai_subscribed::responses::StreamTimeouts;
use reqwest_client::ReqwestHttpClient;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// The global options, resolved.
#[derive(Clone)]
pub struct CommandContext {
    /// Issuer and backend.
    pub config: Config,
    /// Which credential store.
    pub store: StoreKind,
    /// The file store's path, if given.
    pub store_path: Option<PathBuf>,
    /// The HTTP client.
    pub http: Arc<dyn HttpClient>,
    /// How long each phase of a streamed answer may stall.
    pub stream_timeouts: StreamTimeouts,
    /// `--account`: the account this command uses (else the active one).
    pub account: Option<String>,
}

impl CommandContext {
    /// Resolves the global options.
    pub fn from_args(args: &GlobalArgs) -> Result<Self> {
        let mut config = Config::with_urls(&args.auth_url, &args.backend_url)?
            .with_official_urls(&args.siwc_auth_url, &args.siwc_api_url)?;
        config.client_version = args.client_version.clone();
        config.request_compression = args.request_compression.into();
        config.transport = args.transport.into();
        config.usage_warnings = args.warn_at.clone();
        let http: Arc<dyn HttpClient> = ReqwestHttpClient::new(&config.user_agent())?;
        Ok(Self {
            config,
            store: args.store.into(),
            store_path: args.store_path.clone(),
            http,
            stream_timeouts: args.stream_timeouts(),
            account: args.account.clone().filter(|name| !name.trim().is_empty()),
        })
    }

    /// The credential store the options name.
    pub fn credentials(&self, cx: &gpui::App) -> Arc<dyn CredentialStore> {
        self.store.build(&self.config, self.store_path.clone(), cx)
    }

    /// Runs `command` in a headless app; its error becomes a one-line message and exit code 1.
    pub fn run<F>(self, command: F) -> ExitCode
    where
        F: AsyncFnOnce(CommandContext, &mut AsyncApp) -> Result<()> + 'static,
    {
        let http = self.http.clone();
        run_headless(http, async move |cx| command(self, cx).await)
    }

    /// Builds the provider in the app, as Zed would, opening sign-in pages with `url_opener`.
    pub fn provider(
        &self,
        url_opener: UrlOpener,
        cx: &mut AsyncApp,
    ) -> Result<OpenAiSubscribedProvider> {
        let options = StateOptions {
            url_opener,
            stream_timeouts: self.stream_timeouts,
            // The browser's result page sends the reader back here.
            callback: CallbackServerOptions {
                app_name: "openai-subscribed in your terminal".into(),
                ..CallbackServerOptions::default()
            },
            account: match &self.account {
                Some(name) => AccountChoice::Named(name.clone()),
                None => AccountChoice::Active,
            },
            ..StateOptions::default()
        };
        cx.update(|cx| -> Result<OpenAiSubscribedProvider> {
            let store = self.credentials(cx);
            // An `--account` that names no account is an error that lists the ones there are.
            if let Some(name) = &self.account {
                let index = store
                    .account_index()
                    .map(|location| AccountIndex::load(&location))
                    .unwrap_or_default();
                index.find(name)?;
            }
            Ok(OpenAiSubscribedProvider::with_options(
                self.http.clone(),
                store,
                self.config.clone(),
                options,
                cx,
            ))
        })?
    }

    /// Builds the provider and waits for its stored sign-in to load; says whether someone is
    /// signed in.
    pub async fn loaded_provider(
        &self,
        url_opener: UrlOpener,
        cx: &mut AsyncApp,
    ) -> Result<(OpenAiSubscribedProvider, bool)> {
        let provider = self.provider(url_opener, cx)?;
        let auth = provider
            .state()
            .read_with(cx, |state, _| state.auth().clone())?;
        // `CredentialsNotFound` only means "signed out" here.
        let signed_in = auth
            .update(cx, |auth, cx| auth.authenticate(cx))?
            .await
            .is_ok();
        // A store that cannot be read is not "signed out": say so before anything else runs
        // (a sign-in would only fail to be saved at the end).
        let unreadable = auth.read_with(cx, |auth, _| match auth.last_error() {
            Some(error @ AuthError::StoreUnreadable { .. }) => Some(error.clone()),
            _ => None,
        })?;
        if let Some(error) = unreadable {
            return Err(error.into());
        }
        Ok((provider, signed_in))
    }

    /// [`loaded_provider`](Self::loaded_provider), failing with what to do when nobody is signed in.
    pub async fn signed_in_provider(&self, cx: &mut AsyncApp) -> Result<OpenAiSubscribedProvider> {
        let (provider, signed_in) = self.loaded_provider(UrlOpener::System, cx).await?;
        anyhow::ensure!(
            signed_in,
            "not signed in; run `openai-subscribed login` (or `login --device` over SSH)"
        );
        Ok(provider)
    }
}
