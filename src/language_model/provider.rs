//! The traits a provider implements: [`LanguageModelProvider`], [`LanguageModelProviderState`]
//! and [`LanguageModel`], as in Zed.

use super::*;
use anyhow::Result;
use futures::{FutureExt as _, future::BoxFuture, stream::BoxStream};
use gpui::{AnyView, App, AsyncApp, Entity, SharedString, Subscription, Task, Window};
use std::sync::Arc;

/// The icon a provider shows (Zed's `IconName`, reduced to what providers here use).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IconName {
    /// OpenAI's mark.
    AiOpenAi,
    /// The generic assistant icon.
    ZedAssistant,
}

/// Which agent the configuration view is shown for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ConfigurationViewTargetAgent {
    /// Zed's own agent.
    #[default]
    ZedAgent,
    /// An external agent, by name.
    Other(SharedString),
}

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
    /// The id used in telemetry.
    fn telemetry_id(&self) -> String;
    /// Whether the model accepts images.
    fn supports_images(&self) -> bool;
    /// Whether the model can call tools.
    fn supports_tools(&self) -> bool;
    /// Whether the model honours the given tool choice.
    fn supports_tool_choice(&self, choice: LanguageModelToolChoice) -> bool;
    /// Whether the model reasons before answering.
    fn supports_thinking(&self) -> bool {
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
            .find(|level| level.is_default)
    }
    /// The context window in tokens.
    fn max_token_count(&self) -> u64;
    /// The output limit in tokens, if any.
    fn max_output_tokens(&self) -> Option<u64> {
        None
    }
    /// Whether the model offers fast mode (`LanguageModelRequest::speed`).
    fn supports_fast_mode(&self) -> bool {
        false
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
        futures::future::ready(Err(LanguageModelCompletionError::Other(anyhow::anyhow!(
            "{} does not support explicit compaction",
            self.name().0
        ))))
        .boxed()
    }
    /// Counts the tokens a request would use.
    fn count_tokens(
        &self,
        request: LanguageModelRequest,
        cx: &App,
    ) -> BoxFuture<'static, Result<u64>>;
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
            .finish()
    }
}

/// A source of models, with its own sign-in.
pub trait LanguageModelProvider: 'static {
    /// The provider's id.
    fn id(&self) -> LanguageModelProviderId;
    /// The provider's name.
    fn name(&self) -> LanguageModelProviderName;
    /// The provider's icon.
    fn icon(&self) -> IconName {
        IconName::ZedAssistant
    }
    /// The model picked when the user has not chosen one.
    fn default_model(&self, cx: &App) -> Option<Arc<dyn LanguageModel>>;
    /// The model used for quick jobs (titles, summaries).
    fn default_fast_model(&self, cx: &App) -> Option<Arc<dyn LanguageModel>>;
    /// Every model to show in the dropdown.
    fn provided_models(&self, cx: &App) -> Vec<Arc<dyn LanguageModel>>;
    /// Models to feature at the top of the dropdown.
    fn recommended_models(&self, _cx: &App) -> Vec<Arc<dyn LanguageModel>> {
        Vec::new()
    }
    /// Whether the user is signed in.
    fn is_authenticated(&self, cx: &App) -> bool;
    /// Waits for stored credentials to load; fails with `CredentialsNotFound` when there are none.
    fn authenticate(&self, cx: &mut App) -> Task<Result<(), AuthenticateError>>;
    /// The view shown in the agent settings panel.
    fn configuration_view(
        &self,
        target_agent: ConfigurationViewTargetAgent,
        window: &mut Window,
        cx: &mut App,
    ) -> AnyView;
    /// Forgets the credentials (for this provider: signs out).
    fn reset_credentials(&self, cx: &mut App) -> Task<Result<()>>;
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
