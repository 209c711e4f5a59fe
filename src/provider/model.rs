//! [`OpenAiSubscribedModel`]: one catalog entry as Zed's `LanguageModel`.

use super::compaction::compact;
use super::completion::start_completion;
use super::model_capabilities::{effort_levels, supports_tool_choice};
use super::state::State;
use crate::identity::{PROVIDER_ID, PROVIDER_NAME};
use crate::models::ModelInfo;
use anyhow::Result;
use futures::FutureExt as _;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use gpui::{App, AsyncApp, Entity, Task};
use language_model::*;

/// A model from the catalog. Everything it reports comes from its [`ModelInfo`].
pub struct OpenAiSubscribedModel {
    info: ModelInfo,
    state: Entity<State>,
}

impl OpenAiSubscribedModel {
    /// The model `info`, served through `state`.
    pub fn new(info: ModelInfo, state: Entity<State>) -> Self {
        Self { info, state }
    }

    /// The catalog entry.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// Pre-warms the WebSocket of `request`'s thread (its prompt, no input, `generate: false`)
    /// so the thread's first answer starts sooner: call it when a thread starts, before its
    /// first message. A no-op over HTTP.
    pub fn prewarm(
        &self,
        request: LanguageModelRequest,
        cx: &AsyncApp,
    ) -> Task<std::result::Result<(), LanguageModelCompletionError>> {
        let (state, info) = (self.state.clone(), self.info.clone());
        cx.spawn(async move |cx| super::completion::prewarm_thread(state, info, request, cx).await)
    }
}

impl LanguageModel for OpenAiSubscribedModel {
    fn id(&self) -> LanguageModelId {
        LanguageModelId::from(self.info.slug.clone())
    }

    fn name(&self) -> LanguageModelName {
        LanguageModelName::from(self.info.display_name.clone())
    }

    fn provider_id(&self) -> LanguageModelProviderId {
        PROVIDER_ID
    }

    fn provider_name(&self) -> LanguageModelProviderName {
        PROVIDER_NAME
    }

    fn telemetry_id(&self) -> String {
        format!("openai-subscribed/{}", self.info.slug)
    }

    fn supports_images(&self) -> bool {
        self.info.supports_images()
    }

    fn supports_tools(&self) -> bool {
        true
    }

    fn supports_tool_choice(&self, choice: LanguageModelToolChoice) -> bool {
        supports_tool_choice(&self.info, choice)
    }

    fn supports_thinking(&self) -> bool {
        self.info.supports_reasoning()
    }

    fn supported_effort_levels(&self) -> Vec<LanguageModelEffortLevel> {
        effort_levels(&self.info)
    }

    fn max_token_count(&self) -> u64 {
        self.info.max_token_count()
    }

    fn max_output_tokens(&self) -> Option<u64> {
        None
    }

    fn supports_fast_mode(&self) -> bool {
        self.info.supports_fast_mode()
    }

    fn supports_server_side_compaction(&self) -> bool {
        true
    }

    fn supports_explicit_compaction(&self) -> bool {
        true
    }

    fn compact(
        &self,
        request: LanguageModelRequest,
        cx: &AsyncApp,
    ) -> BoxFuture<'static, Result<CompactionResult, LanguageModelCompletionError>> {
        compact(self.state.clone(), self.info.clone(), request, cx).boxed()
    }

    fn supports_streaming_tools(&self) -> bool {
        // Tool calls stream as `ToolUse` events with `is_input_complete: false` as they grow.
        true
    }

    fn count_input_tokens(
        &self,
        request: LanguageModelRequest,
        cx: &AsyncApp,
    ) -> BoxFuture<'static, Result<Option<u64>, LanguageModelCompletionError>> {
        let count = count_tokens_in_background(&self.state, request, cx);
        async move {
            count
                .await
                .map(Some)
                .map_err(LanguageModelCompletionError::Other)
        }
        .boxed()
    }

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
    > {
        start_completion(self.state.clone(), self.info.clone(), request, cx)
    }
}

impl OpenAiSubscribedModel {
    /// Counts the tokens a request would use, locally (the crate's own API; Zed's trait no longer
    /// has `count_tokens`, and `count_input_tokens` above answers from the same count).
    pub fn count_tokens(
        &self,
        request: LanguageModelRequest,
        cx: &App,
    ) -> BoxFuture<'static, anyhow::Result<u64>> {
        let cache = self.state.read(cx).token_cache();
        cx.background_executor()
            .spawn(async move { crate::responses::count_tokens(&request, &cache) })
            .boxed()
    }
}

/// The tokenizer is built once per process; counting runs off the UI thread, with the
/// provider's cache of texts counted before.
fn count_tokens_in_background(
    state: &Entity<State>,
    request: LanguageModelRequest,
    cx: &AsyncApp,
) -> gpui::Task<anyhow::Result<u64>> {
    match state.read_with(cx, |state, _| state.token_cache()) {
        Ok(cache) => cx
            .background_executor()
            .spawn(async move { crate::responses::count_tokens(&request, &cache) }),
        Err(error) => gpui::Task::ready(Err(error)),
    }
}
