//! [`OpenAiSubscribedProvider`]: the `LanguageModelProvider` Zed registers.

use super::configuration_view::ConfigurationView;
use super::model::OpenAiSubscribedModel;
use super::model_capabilities::fast_model;
use super::state::{State, StateOptions};
use crate::config::Config;
use crate::credentials::CredentialStore;
use crate::identity::{PROVIDER_ID, PROVIDER_NAME};
use crate::models::ModelInfo;
use anyhow::Result;
use gpui::{AnyView, App, AppContext as _, Entity, SharedString, Task, Window};
use http_client::HttpClient;
use language_model::*;
use std::sync::Arc;

/// The subtitle under the provider's name in Settings > AI > LLM Providers.
const SETTINGS_DESCRIPTION: &str = "Use your ChatGPT Plus, Pro or Team subscription: sign in with your ChatGPT account, no API key.";

/// The ChatGPT-subscription provider.
pub struct OpenAiSubscribedProvider {
    state: Entity<State>,
}

impl OpenAiSubscribedProvider {
    /// A provider over `http` keeping its sign-in in `credentials`, as Zed builds its providers.
    /// It starts loading the stored sign-in at once.
    pub fn new(
        http: Arc<dyn HttpClient>,
        credentials: Arc<dyn CredentialStore>,
        config: Config,
        cx: &mut App,
    ) -> Self {
        Self::with_options(http, credentials, config, StateOptions::default(), cx)
    }

    /// [`new`](Self::new) with explicit cache location, catalog timing and browser opener.
    pub fn with_options(
        http: Arc<dyn HttpClient>,
        credentials: Arc<dyn CredentialStore>,
        config: Config,
        options: StateOptions,
        cx: &mut App,
    ) -> Self {
        let state = cx.new(|cx| State::new(config, http, credentials, options, cx));
        Self { state }
    }

    /// The provider's state entity.
    pub fn state(&self) -> &Entity<State> {
        &self.state
    }

    fn model(&self, info: &ModelInfo) -> Arc<dyn LanguageModel> {
        Arc::new(OpenAiSubscribedModel::new(info.clone(), self.state.clone()))
    }
}

/// Builds the provider and registers it with the app's [`LanguageModelRegistry`]: the one call a
/// host makes.
pub fn register(
    http: Arc<dyn HttpClient>,
    credentials: Arc<dyn CredentialStore>,
    config: Config,
    cx: &mut App,
) -> Arc<OpenAiSubscribedProvider> {
    let provider = Arc::new(OpenAiSubscribedProvider::new(http, credentials, config, cx));
    let registry = LanguageModelRegistry::global(cx);
    let registered = provider.clone();
    registry.update(cx, |registry, cx| {
        registry.register_provider(registered, cx)
    });
    provider
}

impl LanguageModelProviderState for OpenAiSubscribedProvider {
    type ObservableEntity = State;

    fn observable_entity(&self) -> Option<Entity<State>> {
        Some(self.state.clone())
    }
}

impl LanguageModelProvider for OpenAiSubscribedProvider {
    fn id(&self) -> LanguageModelProviderId {
        PROVIDER_ID
    }

    fn name(&self) -> LanguageModelProviderName {
        PROVIDER_NAME
    }

    fn icon(&self) -> IconOrSvg {
        IconOrSvg::Icon(IconName::AiOpenAi)
    }

    fn default_model(&self, cx: &App) -> Option<Arc<dyn LanguageModel>> {
        // The catalog is sorted by the backend's priority: its first model is the recommended one.
        let state = self.state.read(cx);
        state.models(cx).first().map(|info| self.model(info))
    }

    fn default_fast_model(&self, cx: &App) -> Option<Arc<dyn LanguageModel>> {
        let state = self.state.read(cx);
        fast_model(state.models(cx)).map(|info| self.model(info))
    }

    fn provided_models(&self, cx: &App) -> Vec<Arc<dyn LanguageModel>> {
        let state = self.state.read(cx);
        // Zed lists the models as the model dropdown opens: warm the connection for the request
        // that usually follows.
        state.preconnect(cx);
        state
            .models(cx)
            .iter()
            .map(|info| self.model(info))
            .collect()
    }

    fn recommended_models(&self, cx: &App) -> Vec<Arc<dyn LanguageModel>> {
        self.default_model(cx).into_iter().collect()
    }

    fn is_authenticated(&self, cx: &App) -> bool {
        self.state.read(cx).is_signed_in(cx)
    }

    fn authenticate(&self, cx: &mut App) -> Task<Result<(), AuthenticateError>> {
        let auth = self.state.read(cx).auth().clone();
        auth.update(cx, |auth, cx| auth.authenticate(cx))
    }

    fn settings_view(&self, _cx: &mut App) -> Option<ProviderSettingsView> {
        let state = self.state.clone();
        Some(ProviderSettingsView::Inline(InlineProviderSettings {
            title: Some(PROVIDER_NAME.0),
            description: Some(InlineDescription::Text(SETTINGS_DESCRIPTION.into())),
            create_view: Arc::new(move |_window: &mut Window, cx: &mut App| -> AnyView {
                let state = state.clone();
                cx.new(|cx| ConfigurationView::new(state, cx)).into()
            }),
        }))
    }

    fn authentication_error_message(&self) -> SharedString {
        "Your ChatGPT sign-in has ended. Sign in again in Settings > AI > LLM Providers.".into()
    }

    fn missing_credentials_error_message(&self) -> SharedString {
        "Sign in with your ChatGPT account in Settings > AI > LLM Providers to continue.".into()
    }

    fn reset_credentials(&self, cx: &mut App) -> Task<Result<()>> {
        let sign_out = self.state.update(cx, |state, cx| state.sign_out(cx));
        // Awaited on the UI thread that runs it: a background task awaiting a UI task that the
        // app's shutdown cancelled would panic ("Task polled after completion").
        cx.spawn(async move |_| {
            sign_out
                .await
                .map(|_revocation| ())
                .map_err(anyhow::Error::from)
        })
    }
}
