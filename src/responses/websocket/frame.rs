//! The `response.create` message: the HTTP body's fields, plus `type`, and on a delta
//! `previous_response_id` with only the new items; `generate: false` on a pre-warm. Serialised
//! from borrowed fields, so a delta costs only its new items.

use super::chain::FramePlan;
use crate::responses::request::{
    ContextManagement, InputItem, ReasoningParams, ResponsesRequest, ServiceTier, TextParams, Tool,
    ToolChoice,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// Whether the server generates an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Generate {
    /// A normal turn.
    Answer,
    /// A pre-warm: the server takes the prompt and answers with no output.
    PrewarmOnly,
}

#[derive(Serialize)]
struct CreateFrame<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    model: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    instructions: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_response_id: Option<&'a str>,
    input: &'a [InputItem],
    /// Always present, possibly `[]`, as the Codex CLI sends it.
    tools: &'a [Tool],
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<ToolChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    parallel_tool_calls: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning: Option<&'a ReasoningParams>,
    store: bool,
    stream: bool,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    include: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    prompt_cache_key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a TextParams>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_tier: Option<ServiceTier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    context_management: Option<&'a [ContextManagement]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    generate: Option<bool>,
    client_metadata: BTreeMap<&'static str, String>,
}

/// The message for `request` as `plan` says.
pub(crate) fn encode(
    request: &ResponsesRequest,
    plan: &FramePlan,
    generate: Generate,
) -> Result<String, serde_json::Error> {
    let (previous_response_id, input) = match plan {
        FramePlan::Full(_) => (None, request.input.as_slice()),
        FramePlan::Delta {
            previous_response_id,
            skip,
        } => (
            Some(previous_response_id.as_str()),
            request.input.get(*skip..).unwrap_or_default(),
        ),
    };
    let mut client_metadata = BTreeMap::new();
    if let Some(thread) = &request.prompt_cache_key {
        client_metadata.insert("x-codex-window-id", format!("{thread}:0"));
    }
    serde_json::to_string(&CreateFrame {
        kind: "response.create",
        model: &request.model,
        instructions: &request.instructions,
        previous_response_id,
        input,
        tools: &request.tools,
        tool_choice: request.tool_choice,
        parallel_tool_calls: request.parallel_tool_calls,
        reasoning: request.reasoning.as_ref(),
        store: request.store,
        stream: request.stream,
        include: &request.include,
        prompt_cache_key: request.prompt_cache_key.as_deref(),
        text: request.text.as_ref(),
        service_tier: request.service_tier,
        context_management: request.context_management.as_deref(),
        generate: match generate {
            Generate::Answer => None,
            Generate::PrewarmOnly => Some(false),
        },
        client_metadata,
    })
}
