//! What the host asks a model for: [`LanguageModelRequest`] and its messages, and the tool calls
//! a model makes ([`LanguageModelToolUse`] with its [`LanguageModelToolUseInput`]).
//!
//! Follows `crates/language_model_core/src/request.rs` of zed-industries/zed; `Role` follows
//! `crates/language_model_core/src/role.rs`; `LanguageModelToolUse`, `LanguageModelToolUseInput`
//! and `LanguageModelEffortLevel` follow `crates/language_model_core/src/language_model_core.rs`.

use super::{CompactedContext, LanguageModelToolUseId};
use anyhow::{Context as _, Result, anyhow};
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
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompletionIntent {
    /// A message the user typed.
    UserPrompt,
    /// A subagent's turn.
    Subagent,
    /// The agent continuing after tool results.
    ToolResults,
    /// Generating a thread title.
    ThreadSummarization,
    /// Summarising a thread to compact its context.
    ThreadContextSummarization,
    /// Writing a new file.
    CreateFile,
    /// Editing a file.
    EditFile,
    /// An inline edit.
    InlineAssist,
    /// An inline edit in the terminal.
    TerminalInlineAssist,
    /// A commit message.
    GenerateGitCommitMessage,
}

/// Dimensions of a [`LanguageModelImage`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ImageSize {
    /// Width in pixels.
    pub width: i32,
    /// Height in pixels.
    pub height: i32,
}

/// An image attached to a message: base64-encoded PNG data.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LanguageModelImage {
    /// Base64-encoded PNG bytes.
    pub source: SharedString,
    /// Width and height in pixels, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<ImageSize>,
}

impl LanguageModelImage {
    /// The image as a `data:` URL, the form the Responses API takes.
    pub fn to_base64_url(&self) -> String {
        format!("data:image/png;base64,{}", self.source)
    }
}

/// A tool call the model made, streamed partially and then whole.
#[derive(Debug, PartialEq, Eq, Hash, Clone, Serialize, Deserialize)]
pub struct LanguageModelToolUse {
    /// The call's id (`call_id`).
    pub id: LanguageModelToolUseId,
    /// The tool's name.
    pub name: Arc<str>,
    /// The arguments as the model wrote them (JSON text, possibly incomplete).
    pub raw_input: String,
    /// The arguments parsed (best effort while incomplete).
    pub input: LanguageModelToolUseInput,
    /// Whether `raw_input` is complete.
    pub is_input_complete: bool,
    /// A signature some models require to be sent back with the call in later requests.
    pub thought_signature: Option<String>,
}

/// A tool call's input: JSON for function tools, free text for custom (freeform) tools.
#[derive(Debug, PartialEq, Eq, Hash, Clone)]
pub enum LanguageModelToolUseInput {
    /// Arguments of a JSON-schema tool.
    Json(serde_json::Value),
    /// The text input of a freeform tool.
    Text(String),
}

impl Serialize for LanguageModelToolUseInput {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let mut state = serializer.serialize_struct("LanguageModelToolUseInput", 2)?;
        match self {
            Self::Json(input) => {
                state.serialize_field("type", "json")?;
                state.serialize_field("value", input)?;
            }
            Self::Text(input) => {
                state.serialize_field("type", "text")?;
                state.serialize_field("value", input)?;
            }
        }
        state.end()
    }
}

impl<'de> Deserialize<'de> for LanguageModelToolUseInput {
    /// `{"type":"json"|"text","value":…}`, or (older threads) the bare JSON arguments.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        if let Some(object) = value.as_object()
            && object.len() == 2
            && let Some(kind) = object.get("type").and_then(|kind| kind.as_str())
            && let Some(input) = object.get("value")
        {
            return match kind {
                "json" => Ok(Self::Json(input.clone())),
                "text" => input
                    .as_str()
                    .map(|input| Self::Text(input.to_string()))
                    .ok_or_else(|| serde::de::Error::custom("text tool input must be a string")),
                _ => Ok(Self::Json(value)),
            };
        }
        Ok(Self::Json(value))
    }
}

impl LanguageModelToolUseInput {
    /// The JSON arguments, if this is a JSON input.
    pub fn as_json(&self) -> Option<&serde_json::Value> {
        match self {
            Self::Json(input) => Some(input),
            Self::Text(_) => None,
        }
    }

    /// Typed parsing of JSON input; text input always fails.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        match self {
            Self::Json(input) => {
                serde_json::from_value(input.clone()).context("failed to parse JSON tool input")
            }
            Self::Text(_) => Err(anyhow!("custom tool text input cannot be parsed as JSON")),
        }
    }

    /// The JSON arguments, owned; text input fails.
    pub fn into_json(self) -> Result<serde_json::Value> {
        match self {
            Self::Json(input) => Ok(input),
            Self::Text(_) => Err(anyhow!("custom tool text input cannot be used as JSON")),
        }
    }

    /// The input as JSON for display (text becomes a JSON string).
    pub fn to_display_json(&self) -> serde_json::Value {
        match self {
            Self::Json(input) => input.clone(),
            Self::Text(input) => serde_json::Value::String(input.clone()),
        }
    }
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
    /// The output, in parts (text and images).
    #[serde(with = "tool_result_content_vec")]
    pub content: Vec<LanguageModelToolResultContent>,
    /// Structured output, when the tool gives one.
    pub output: Option<serde_json::Value>,
}

impl LanguageModelToolResult {
    /// All `Text` parts, concatenated (images ignored).
    pub fn text_contents(&self) -> String {
        let mut buffer = String::new();
        for part in &self.content {
            if let LanguageModelToolResultContent::Text(text) = part {
                buffer.push_str(text);
            }
        }
        buffer
    }

    /// Whether there are no parts, or every part is empty.
    pub fn is_content_empty(&self) -> bool {
        self.content.iter().all(|part| part.is_empty())
    }
}

/// Reads both the older single-value shape and the list shape of
/// [`LanguageModelToolResult::content`].
mod tool_result_content_vec {
    use super::LanguageModelToolResultContent;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(
        value: &Vec<LanguageModelToolResultContent>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        value.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<LanguageModelToolResultContent>, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let items = match value {
            serde_json::Value::Array(items) => items,
            single => vec![single],
        };
        items
            .into_iter()
            .map(|item| serde_json::from_value(item).map_err(serde::de::Error::custom))
            .collect()
    }
}

impl LanguageModelToolResultContent {
    /// The text, if this is a text part.
    pub fn to_str(&self) -> Option<&str> {
        match self {
            Self::Text(text) => Some(text),
            Self::Image(_) => None,
        }
    }

    /// Whether this is whitespace-only text.
    pub fn is_empty(&self) -> bool {
        match self {
            Self::Text(text) => text.chars().all(|c| c.is_whitespace()),
            Self::Image(_) => false,
        }
    }
}

impl From<&str> for LanguageModelToolResultContent {
    fn from(value: &str) -> Self {
        Self::Text(Arc::from(value))
    }
}

impl From<String> for LanguageModelToolResultContent {
    fn from(value: String) -> Self {
        Self::Text(Arc::from(value))
    }
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
            match content {
                MessageContent::Text(chunk) | MessageContent::Thinking { text: chunk, .. } => {
                    text.push_str(chunk)
                }
                MessageContent::ToolResult(result) => text.push_str(&result.text_contents()),
                MessageContent::RedactedThinking(_)
                | MessageContent::ToolUse(_)
                | MessageContent::Image(_)
                | MessageContent::Compaction(_) => {}
            }
        }
        text
    }

    /// Whether every part is empty.
    pub fn contents_empty(&self) -> bool {
        self.content.iter().all(MessageContent::is_empty)
    }
}

impl MessageContent {
    /// Whether this part carries nothing (whitespace-only text, an empty tool result).
    pub fn is_empty(&self) -> bool {
        match self {
            MessageContent::Text(text) | MessageContent::Thinking { text, .. } => {
                text.chars().all(char::is_whitespace)
            }
            MessageContent::ToolResult(result) => result.is_content_empty(),
            MessageContent::RedactedThinking(_)
            | MessageContent::ToolUse(_)
            | MessageContent::Image(_)
            | MessageContent::Compaction(_) => false,
        }
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
    /// Whether the host wants the tool's input streamed as it is written.
    pub use_input_streaming: bool,
}

/// Whether and how the model must use tools.
#[derive(Debug, PartialEq, Hash, Clone, Serialize, Deserialize)]
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
