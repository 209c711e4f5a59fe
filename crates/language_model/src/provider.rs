//! The traits a provider implements — [`LanguageModel`], [`LanguageModelProvider`],
//! [`LanguageModelProviderState`] — and the values they hand the host: [`IconOrSvg`],
//! [`ProviderSettingsView`] (with [`InlineProviderSettings`]), [`FastModeConfirmation`].
//!
//! Follows `crates/language_model/src/language_model.rs` of zed-industries/zed. Left out: the
//! default-method helpers the host calls on a model (`stream_completion_text`,
//! `stream_completion_tool`) and test-only `as_fake`, which providers never implement.

use super::*;
use anyhow::Result;
use futures::{FutureExt as _, future::BoxFuture, stream::BoxStream};
use gpui::{AnyView, App, AsyncApp, Entity, SharedString, Subscription, Task, Window};
use std::sync::Arc;

/// Builds a provider's settings view (upstream's `CreateProviderSettingsView`).
pub type CreateProviderSettingsView = Arc<dyn Fn(&mut Window, &mut App) -> AnyView + 'static>;

/// A model a provider offers.
pub trait LanguageModel: Send + Sync {
    /// The model's id within the provider.
    fn id(&self) -> LanguageModelId;
    /// Its display name.
    fn name(&self) -> LanguageModelName;
    /// The provider's id.
    fn provider_id(&self) -> LanguageModelProviderId;
    /// The provider's name.
    fn provider_name(&self) -> LanguageModelProviderName;
    /// The provider that ultimately serves requests.
    fn upstream_provider_id(&self) -> LanguageModelProviderId {
        self.provider_id()
    }
    /// The name of the provider that ultimately serves requests.
    fn upstream_provider_name(&self) -> LanguageModelProviderName {
        self.provider_name()
    }
    /// Whether this is the "latest" model, highlighted in the picker.
    fn is_latest(&self) -> bool {
        false
    }
    /// Whether requests need consent to the upstream provider retaining inference logs.
    fn requires_data_retention(&self) -> bool {
        false
    }
    /// The model to fall back to when this one refuses a request.
    fn refusal_fallback_model_id(&self) -> Option<&'static str> {
        None
    }
    /// The id used in telemetry.
    fn telemetry_id(&self) -> String;
    /// The API key used, for key-based providers.
    fn api_key(&self, _cx: &App) -> Option<String> {
        None
    }
    /// Whether the model reasons before answering.
    fn supports_thinking(&self) -> bool {
        false
    }
    /// Whether the model offers fast mode (`LanguageModelRequest::speed`).
    fn supports_fast_mode(&self) -> bool {
        false
    }
    /// The reasoning efforts the model offers.
    fn supported_effort_levels(&self) -> Vec<LanguageModelEffortLevel> {
        Vec::new()
    }
    /// The effort used when the request names none.
    fn default_effort_level(&self) -> Option<LanguageModelEffortLevel> {
        self.supported_effort_levels()
            .into_iter()
            .find(|effort_level| effort_level.is_default)
    }
    /// Whether the provider compacts long threads itself (`compact_at_tokens`).
    fn supports_server_side_compaction(&self) -> bool {
        false
    }
    /// Whether [`LanguageModel::compact`] works.
    fn supports_explicit_compaction(&self) -> bool {
        false
    }
    /// Compacts the request's thread into a context that replaces it on later turns.
    fn compact(
        &self,
        _request: LanguageModelRequest,
        _cx: &AsyncApp,
    ) -> BoxFuture<'static, Result<CompactionResult, LanguageModelCompletionError>> {
        let provider = self.provider_name();
        async move {
            Err(LanguageModelCompletionError::Other(anyhow::anyhow!(
                "{provider} does not support explicit compaction"
            )))
        }
        .boxed()
    }
    /// Whether the model accepts images.
    fn supports_images(&self) -> bool;
    /// Whether the model can call tools.
    fn supports_tools(&self) -> bool;
    /// Whether the model honours the given tool choice.
    fn supports_tool_choice(&self, choice: LanguageModelToolChoice) -> bool;
    /// Whether tool calls stream partially (`ToolUse` with `is_input_complete: false`).
    fn supports_streaming_tools(&self) -> bool {
        false
    }
    /// Whether input and output token counts are reported separately and accurately.
    fn supports_split_token_display(&self) -> bool {
        false
    }
    /// The schema dialect for tool inputs.
    fn tool_input_format(&self) -> LanguageModelToolSchemaFormat {
        LanguageModelToolSchemaFormat::JsonSchema
    }
    /// The context window in tokens.
    fn max_token_count(&self) -> u64;
    /// The output limit in tokens, if any.
    fn max_output_tokens(&self) -> Option<u64> {
        None
    }
    /// Counts a request's input tokens without generating, where the provider can; `None`
    /// when it cannot. Counts may be estimates.
    fn count_input_tokens(
        &self,
        _request: LanguageModelRequest,
        _cx: &AsyncApp,
    ) -> BoxFuture<'static, Result<Option<u64>, LanguageModelCompletionError>> {
        async { Ok(None) }.boxed()
    }
    /// Streams a completion.
    #[allow(clippy::type_complexity)]
    fn stream_completion(
        &self,
        request: LanguageModelRequest,
        cx: &AsyncApp,
    ) -> BoxFuture<
        'static,
        Result<
            BoxStream<'static, Result<LanguageModelCompletionEvent, LanguageModelCompletionError>>,
            LanguageModelCompletionError,
        >,
    >;
}

impl std::fmt::Debug for dyn LanguageModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("<dyn LanguageModel>")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("provider_id", &self.provider_id())
            .field("provider_name", &self.provider_name())
            .field("supports_streaming_tools", &self.supports_streaming_tools())
            .finish()
    }
}

/// Either a built-in icon or a path to an external SVG.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IconOrSvg {
    /// A built-in icon from Zed's icon set.
    Icon(IconName),
    /// Path to a custom SVG icon file.
    Svg(SharedString),
}

impl Default for IconOrSvg {
    fn default() -> Self {
        Self::Icon(IconName::ZedAssistant)
    }
}

/// A source of models, with its own sign-in.
pub trait LanguageModelProvider: 'static {
    /// The provider's id.
    fn id(&self) -> LanguageModelProviderId;
    /// The provider's name.
    fn name(&self) -> LanguageModelProviderName;
    /// The provider's icon.
    fn icon(&self) -> IconOrSvg {
        IconOrSvg::default()
    }
    /// The model picked when the user has not chosen one.
    fn default_model(&self, cx: &App) -> Option<Arc<dyn LanguageModel>>;
    /// The model used for quick jobs (titles, summaries).
    fn default_fast_model(&self, cx: &App) -> Option<Arc<dyn LanguageModel>>;
    /// Every model to show in the picker.
    fn provided_models(&self, cx: &App) -> Vec<Arc<dyn LanguageModel>>;
    /// Models to feature at the top of the picker.
    fn recommended_models(&self, _cx: &App) -> Vec<Arc<dyn LanguageModel>> {
        Vec::new()
    }
    /// Whether the user is signed in.
    fn is_authenticated(&self, cx: &App) -> bool;
    /// Waits for stored credentials to load; fails with `CredentialsNotFound` when there are none.
    fn authenticate(&self, cx: &mut App) -> Task<Result<(), AuthenticateError>>;
    /// The provider's section of Settings > AI > LLM Providers.
    fn settings_view(&self, cx: &mut App) -> Option<ProviderSettingsView>;
    /// Sets the API key, for key-based providers.
    fn set_api_key(&self, _key: Option<String>, _cx: &mut App) -> Task<Result<()>> {
        Task::ready(Ok(()))
    }
    /// Forgets the credentials (for this provider: signs out).
    fn reset_credentials(&self, cx: &mut App) -> Task<Result<()>>;
    /// Shown when the provider rejects a request as unauthenticated (HTTP 401).
    fn authentication_error_message(&self) -> SharedString {
        format!(
            "The API key for {} is invalid or has expired. \
            Update your key in Settings > AI > LLM Providers to continue.",
            self.name().0
        )
        .into()
    }
    /// Shown when a request fails because no credentials are configured.
    fn missing_credentials_error_message(&self) -> SharedString {
        format!(
            "No API key is configured for {}. \
            Add your key in Settings > AI > LLM Providers to continue.",
            self.name().0
        )
        .into()
    }
    /// Shown the first time the user turns fast mode on; `None` skips the prompt.
    fn fast_mode_confirmation(&self, _cx: &App) -> Option<FastModeConfirmation> {
        None
    }
}

/// A provider's settings UI, one of mutually exclusive presentations.
#[derive(Clone)]
pub enum ProviderSettingsView {
    /// The host's own API-key form.
    ApiKey(ApiKeyConfiguration),
    /// The provider's view, shown inline under a title and description.
    Inline(InlineProviderSettings),
    /// The provider's view on a page of its own.
    SubPage(SubPageProviderSettings),
}

/// A provider view shown inline in the providers list.
#[derive(Clone)]
pub struct InlineProviderSettings {
    /// The heading, if not the provider's name.
    pub title: Option<SharedString>,
    /// The subtitle beneath the provider's name.
    pub description: Option<InlineDescription>,
    /// Builds the view.
    pub create_view: CreateProviderSettingsView,
}

/// A provider view on a sub-page of its own.
#[derive(Clone)]
pub struct SubPageProviderSettings {
    /// The subtitle beneath the provider's name.
    pub description: Option<InlineDescription>,
    /// Builds the view.
    pub create_view: CreateProviderSettingsView,
}

impl SubPageProviderSettings {
    /// A sub-page built by `create_view`.
    pub fn new(create_view: impl Fn(&mut Window, &mut App) -> AnyView + 'static) -> Self {
        Self {
            description: None,
            create_view: Arc::new(create_view),
        }
    }

    /// With a subtitle.
    pub fn description(mut self, description: InlineDescription) -> Self {
        self.description = Some(description);
        self
    }
}

/// A single-key provider's credential state, for the host's API-key form.
#[derive(Clone)]
pub struct ApiKeyConfiguration {
    /// Whether a key is set.
    pub has_key: bool,
    /// Whether it comes from an environment variable.
    pub is_from_env_var: bool,
    /// That variable's name.
    pub env_var_name: SharedString,
    /// Where to get a key.
    pub api_key_url: SharedString,
}

impl ApiKeyConfiguration {
    /// A configuration snapshot.
    pub fn new(
        has_key: bool,
        is_from_env_var: bool,
        env_var_name: SharedString,
        api_key_url: SharedString,
    ) -> Self {
        Self {
            has_key,
            is_from_env_var,
            env_var_name,
            api_key_url,
        }
    }
}

/// The subtitle beneath a provider's name when its settings are inline.
#[derive(Clone)]
pub enum InlineDescription {
    /// A "where to find the key" link, for key-based providers.
    ApiKeyUrl(SharedString),
    /// Plain text, e.g. explaining a sign-in based provider.
    Text(SharedString),
}

/// Provider-specific copy shown the first time a user enables fast mode.
#[derive(Debug, Clone)]
pub struct FastModeConfirmation {
    /// The dialog's title.
    pub title: SharedString,
    /// The dialog's message.
    pub message: SharedString,
}

/// A provider whose state the host observes to re-render.
pub trait LanguageModelProviderState: 'static {
    /// The entity that notifies on change.
    type ObservableEntity;

    /// The entity, if any.
    fn observable_entity(&self) -> Option<Entity<Self::ObservableEntity>>;

    /// Calls `callback` whenever the observable entity notifies.
    fn subscribe<T: 'static>(
        &self,
        cx: &mut gpui::Context<T>,
        callback: impl Fn(&mut T, &mut gpui::Context<T>) + 'static,
    ) -> Option<Subscription>
    where
        Self::ObservableEntity: 'static,
    {
        let entity = self.observable_entity()?;
        Some(cx.observe(&entity, move |this, _, cx| callback(this, cx)))
    }
}
