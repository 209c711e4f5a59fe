//! What the host asks a model for: [`LanguageModelRequest`] and its messages, as in Zed.

use super::{CompactedContext, LanguageModelToolUseId};
use gpui::SharedString;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The person using the editor (and tool results, which the host sends as user content).
    User,
    /// The model.
    Assistant,
    /// Instructions from the host.
    System,
}

/// Why the host is asking (for telemetry and routing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompletionIntent {
    /// A message the user typed.
    UserPrompt,
    /// The agent continuing after tool results.
    ToolResults,
    /// Generating a thread title.
    ThreadSummarization,
    /// Summarising a thread to compact its context.
    ThreadContextSummarization,
    /// An inline edit.
    InlineAssist,
}

/// An image attached to a message: base64-encoded PNG data.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LanguageModelImage {
    /// Base64-encoded PNG bytes.
    pub source: SharedString,
    /// Width and height in pixels, when known.
    pub size: Option<(u32, u32)>,
}

impl LanguageModelImage {
    /// The image as a `data:` URL, the form the Responses API takes.
    pub fn to_base64_url(&self) -> String {
        format!("data:image/png;base64,{}", self.source)
    }
}

/// A tool call the model made, streamed partially and then whole.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LanguageModelToolUse {
    /// The call's id (`call_id`).
    pub id: LanguageModelToolUseId,
    /// The tool's name.
    pub name: Arc<str>,
    /// The arguments as the model wrote them (JSON text, possibly incomplete).
    pub raw_input: String,
    /// The arguments parsed (best effort while incomplete).
    pub input: serde_json::Value,
    /// Whether `raw_input` is complete.
    pub is_input_complete: bool,
}

/// What a tool returned.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LanguageModelToolResultContent {
    /// Text output.
    Text(Arc<str>),
    /// An image output.
    Image(LanguageModelImage),
}

/// The result of one tool call, sent back to the model.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LanguageModelToolResult {
    /// The id of the call this answers.
    pub tool_use_id: LanguageModelToolUseId,
    /// The tool's name.
    pub tool_name: Arc<str>,
    /// Whether the tool failed.
    pub is_error: bool,
    /// The output.
    pub content: LanguageModelToolResultContent,
    /// Structured output, when the tool gives one.
    pub output: Option<serde_json::Value>,
}

/// One piece of a message.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MessageContent {
    /// Plain text.
    Text(String),
    /// Reasoning the model showed, with the provider's signature if any.
    Thinking {
        /// The reasoning text (a summary, for this backend).
        text: String,
        /// An opaque provider signature.
        signature: Option<String>,
    },
    /// Reasoning the provider keeps opaque (e.g. encrypted content to send back).
    RedactedThinking(String),
    /// An image.
    Image(LanguageModelImage),
    /// A tool call the model made.
    ToolUse(LanguageModelToolUse),
    /// A tool's result.
    ToolResult(LanguageModelToolResult),
    /// Context compacted by the provider: it replaces everything before it.
    Compaction(CompactedContext),
}

/// One message of the conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LanguageModelRequestMessage {
    /// Who wrote it.
    pub role: Role,
    /// Its content, in order.
    pub content: Vec<MessageContent>,
    /// Whether the host would like this message cached (a hint).
    pub cache: bool,
    /// Provider-specific reasoning state carried with an assistant message.
    pub reasoning_details: Option<serde_json::Value>,
}

impl LanguageModelRequestMessage {
    /// The message's text parts, concatenated.
    pub fn string_contents(&self) -> String {
        let mut text = String::new();
        for content in &self.content {
            if let MessageContent::Text(chunk) = content {
                text.push_str(chunk);
            }
        }
        text
    }
}

/// A tool the model may call.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LanguageModelRequestTool {
    /// The tool's name.
    pub name: String,
    /// What it does, for the model.
    pub description: String,
    /// Its input as JSON schema.
    pub input_schema: serde_json::Value,
}

/// Whether and how the model must use tools.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LanguageModelToolChoice {
    /// The model decides.
    Auto,
    /// The model must call some tool.
    Any,
    /// The model must not call tools.
    None,
}

/// A completion request from the host.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LanguageModelRequest {
    /// The agent thread this belongs to (used as the backend's session and cache key).
    pub thread_id: Option<String>,
    /// The prompt's id within the thread.
    pub prompt_id: Option<String>,
    /// Why the host asks.
    pub intent: Option<CompletionIntent>,
    /// The conversation.
    pub messages: Vec<LanguageModelRequestMessage>,
    /// The tools offered.
    pub tools: Vec<LanguageModelRequestTool>,
    /// Tool-use constraint.
    pub tool_choice: Option<LanguageModelToolChoice>,
    /// Stop sequences.
    pub stop: Vec<String>,
    /// Sampling temperature.
    pub temperature: Option<f32>,
    /// Whether the user allows thinking for this request.
    pub thinking_allowed: bool,
    /// The reasoning effort the user picked (one of the model's effort level values).
    pub thinking_effort: Option<String>,
    /// How fast the answer should come (`Fast` asks for the model's priority tier).
    pub speed: Option<Speed>,
    /// Ask the provider to compact server-side once the input passes this many tokens.
    pub compact_at_tokens: Option<u64>,
}

/// The speed the user picked for a request.
#[derive(Clone, Copy, Default, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Speed {
    /// The model's usual tier.
    #[default]
    Standard,
    /// Fast mode: the model's priority tier, where it offers one.
    Fast,
}

impl Speed {
    /// The other speed.
    pub fn toggle(self) -> Self {
        match self {
            Speed::Standard => Speed::Fast,
            Speed::Fast => Speed::Standard,
        }
    }
}

/// One reasoning effort a model offers, as shown in the host's picker.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LanguageModelEffortLevel {
    /// Shown to the user, e.g. "High".
    pub name: SharedString,
    /// Sent back in `LanguageModelRequest::thinking_effort`, e.g. "high".
    pub value: SharedString,
    /// Whether this is the model's default.
    pub is_default: bool,
}
