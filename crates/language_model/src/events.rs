//! What a model streams back: [`LanguageModelCompletionEvent`], [`StopReason`], [`TokenUsage`].
//!
//! Follows `crates/language_model_core/src/language_model_core.rs` of zed-industries/zed.

use super::{CompactionUpdate, LanguageModelToolUse, LanguageModelToolUseId};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Why a completion stopped.
#[derive(Debug, PartialEq, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The model finished its turn.
    EndTurn,
    /// The output hit the token limit.
    MaxTokens,
    /// The model called tools and waits for their results.
    ToolUse,
    /// The model refused (e.g. a content filter).
    Refusal,
}

/// Token counts reported by the provider.
#[derive(Debug, PartialEq, Clone, Copy, Serialize, Deserialize, Default)]
pub struct TokenUsage {
    /// Input tokens, including cached ones.
    #[serde(default, skip_serializing_if = "is_default")]
    pub input_tokens: u64,
    /// Output tokens, including reasoning.
    #[serde(default, skip_serializing_if = "is_default")]
    pub output_tokens: u64,
    /// Input tokens written to a cache.
    #[serde(default, skip_serializing_if = "is_default")]
    pub cache_creation_input_tokens: u64,
    /// Input tokens read from a cache.
    #[serde(default, skip_serializing_if = "is_default")]
    pub cache_read_input_tokens: u64,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

impl TokenUsage {
    /// All tokens counted.
    pub fn total_tokens(&self) -> u64 {
        self.input_tokens
            + self.output_tokens
            + self.cache_creation_input_tokens
            + self.cache_read_input_tokens
    }
}

/// One event of a streamed completion.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum LanguageModelCompletionEvent {
    /// The request waits in a queue.
    Queued {
        /// Its place in the queue.
        position: usize,
    },
    /// The provider started working on the request.
    Started,
    /// The stream ended, and why.
    Stop(StopReason),
    /// Answer text.
    Text(String),
    /// Reasoning shown to the user.
    Thinking {
        /// The reasoning text.
        text: String,
        /// An opaque signature, if the provider has one.
        signature: Option<String>,
    },
    /// Reasoning the provider keeps opaque; the host sends it back with the next request.
    RedactedThinking {
        /// The opaque data.
        data: String,
    },
    /// A tool call, partial (`is_input_complete: false`) or whole.
    ToolUse(LanguageModelToolUse),
    /// A tool call whose arguments are not valid JSON.
    ToolUseJsonParseError {
        /// The call's id.
        id: LanguageModelToolUseId,
        /// The tool's name.
        tool_name: Arc<str>,
        /// The arguments as received.
        raw_input: Arc<str>,
        /// Why they did not parse.
        json_parse_error: String,
    },
    /// The provider's id for the answer message.
    StartMessage {
        /// The message id.
        message_id: String,
    },
    /// Provider-specific reasoning state to send back with the next request.
    ReasoningDetails(serde_json::Value),
    /// Token counts so far.
    UsageUpdate(TokenUsage),
    /// Progress of a compaction (server-side or explicit).
    Compaction(CompactionUpdate),
}
