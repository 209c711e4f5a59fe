//! Context compaction, as in Zed's `language_model_core`: [`CompactedContext`] (what replaces a
//! thread's earlier context), the [`CompactionUpdate`] events a stream reports, and the
//! [`CompactionResult`] of an explicit `LanguageModel::compact`.
//!
//! Follows `crates/language_model_core/src/request.rs` (`CompactedContext`),
//! `crates/language_model_core/src/language_model_core.rs` (`CompactionUpdate`) and
//! `crates/language_model/src/language_model.rs` (`CompactionResult`) of zed-industries/zed.

use super::{LanguageModelProviderId, TokenUsage};
use gpui::SharedString;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Compaction state only the provider that produced it can read (for the ChatGPT backend: the
/// `compaction` items with their `encrypted_content`). It travels sealed with the thread.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProviderCompactionState {
    provider_id: LanguageModelProviderId,
    format: SharedString,
    payload: Arc<str>,
}

impl ProviderCompactionState {
    /// State owned by `provider_id`, in the provider's `format`.
    pub fn new(
        provider_id: LanguageModelProviderId,
        format: SharedString,
        payload: impl Into<Arc<str>>,
    ) -> Self {
        Self {
            provider_id,
            format,
            payload: payload.into(),
        }
    }

    /// The provider that can read it.
    pub fn provider_id(&self) -> &LanguageModelProviderId {
        &self.provider_id
    }

    /// The provider's name for its encoding.
    pub fn format(&self) -> &str {
        &self.format
    }

    /// The opaque payload.
    pub fn payload(&self) -> &str {
        &self.payload
    }
}

/// What replaces a thread's context up to the compaction point.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CompactedContext {
    /// A readable summary, possibly with provider state beside it.
    Summary {
        /// The summary text.
        content: Arc<str>,
        /// Provider state to replay with it, if any.
        provider_state: Option<ProviderCompactionState>,
    },
    /// Provider-native state only.
    ProviderState(ProviderCompactionState),
}

/// Progress of a compaction, streamed as `LanguageModelCompletionEvent::Compaction`.
#[derive(Debug, PartialEq, Clone, Serialize, Deserialize)]
pub enum CompactionUpdate {
    /// The provider began compacting.
    Started,
    /// More of a readable summary.
    SummaryDelta(Arc<str>),
    /// The replacement context.
    Finished(CompactedContext),
    /// The provider could not compact.
    Failed,
}

/// The answer to an explicit compaction.
#[derive(Debug, Clone, PartialEq)]
pub struct CompactionResult {
    /// The replacement context.
    pub context: CompactedContext,
    /// What the compaction request cost.
    pub usage: TokenUsage,
}
