//! The body of `POST {backend}/responses`, as the wire carries it (the Responses API).
//!
//! These are plain serde types with no logic; [`super::request_mapping`] decides what goes in
//! them. Optional fields are left out of the JSON when unset, because the backend rejects some
//! parameters for models that do not support them (e.g. `reasoning` on a non-reasoning model).

use serde::{Deserialize, Serialize};

/// A Responses API request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResponsesRequest {
    /// The model slug.
    pub model: String,
    /// The system prompt; required and non-empty on this backend.
    pub instructions: String,
    /// The conversation, as items.
    pub input: Vec<InputItem>,
    /// Function tools the model may call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<Tool>,
    /// Whether and how the model must call tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// Whether the model may call several tools at once (only for models that support it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    /// Reasoning settings (only for reasoning models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<ReasoningParams>,
    /// Must be `false`: the backend keeps nothing, so nothing may point at server state.
    pub store: bool,
    /// Always `true`: answers are streamed as server-sent events.
    pub stream: bool,
    /// Extra output to include: `reasoning.encrypted_content`, so reasoning can be replayed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// The prompt-cache key: the thread id, so turns of one thread share the cache.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_cache_key: Option<String>,
    /// Output text settings (only for models that take a verbosity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<TextParams>,
    /// The service tier: `priority` for a fast request to a model that offers fast mode;
    /// unset otherwise (the account's default tier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<ServiceTier>,
    /// Server-side compaction: the backend compacts the input once it passes the threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_management: Option<Vec<ContextManagement>>,
}

/// `service_tier`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceTier {
    /// The fast tier ("fast mode").
    Priority,
}

/// One `context_management` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContextManagement {
    /// Compact the input server-side once it passes `compact_threshold` tokens.
    Compaction {
        /// The threshold, in input tokens.
        compact_threshold: u64,
    },
}

/// Who wrote a message item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageRole {
    /// The user (and tool images, which the API only takes from the user).
    User,
    /// The model.
    Assistant,
}

/// One item of `input`. `Hash`: the WebSocket transport compares a thread's items with those
/// it sent before by their hashes.
#[derive(Clone, Debug, PartialEq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InputItem {
    /// A message with text and image parts.
    Message {
        /// Who wrote it.
        role: MessageRole,
        /// Its parts.
        content: Vec<ContentPart>,
    },
    /// A tool call the model made in an earlier turn.
    FunctionCall {
        /// The model's id for the call; its output must carry the same one.
        call_id: String,
        /// The tool's name.
        name: String,
        /// The arguments as JSON text.
        arguments: String,
    },
    /// A tool's result; must follow the `function_call` with the same `call_id`.
    FunctionCallOutput {
        /// The call it answers.
        call_id: String,
        /// The result as text.
        output: String,
    },
    /// A compaction the backend produced earlier: it stands for all the context before it.
    Compaction {
        /// The opaque compacted context.
        encrypted_content: String,
    },
    /// Asks the backend to compact everything before it (explicit compaction); always last.
    CompactionTrigger,
    /// An earlier turn's reasoning, replayed so the model keeps its chain of thought.
    Reasoning {
        /// The reasoning summary shown to the user then (may be empty).
        summary: Vec<SummaryText>,
        /// The opaque reasoning the backend encrypted for us.
        encrypted_content: String,
    },
}

/// One part of a message item.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    /// User text.
    InputText {
        /// The text.
        text: String,
    },
    /// Assistant text from an earlier turn.
    OutputText {
        /// The text.
        text: String,
    },
    /// A user image, as a `data:` URL.
    InputImage {
        /// `data:image/png;base64,…`.
        image_url: String,
    },
}

/// A reasoning summary part.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SummaryText {
    /// Summary text.
    SummaryText {
        /// The text.
        text: String,
    },
}

/// A function tool.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Tool {
    /// A function the model may call with JSON arguments.
    Function {
        /// The tool's name.
        name: String,
        /// What it does, for the model.
        description: String,
        /// Its arguments as JSON schema.
        parameters: serde_json::Value,
        /// Strict schema adherence; off, because host schemas are not written for strict mode.
        strict: bool,
    },
}

/// `tool_choice`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolChoice {
    /// The model decides.
    Auto,
    /// The model must call a tool.
    Required,
    /// The model must not call tools.
    None,
}

/// `reasoning`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasoningParams {
    /// The effort, e.g. `"medium"`.
    pub effort: crate::models::ReasoningEffort,
    /// `"auto"` to stream reasoning summaries, for models that produce them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<ReasoningSummary>,
}

/// `reasoning.summary`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReasoningSummary {
    /// The backend picks the summary's detail.
    Auto,
}

/// `text`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextParams {
    /// How long the answer should be.
    pub verbosity: crate::models::Verbosity,
}
