//! [`OfficialRequest`]: the body of `POST {api}/responses` under the preview's rules
//! (`shared/spec/siwc.md` §4), built so that a request the rules forbid cannot be sent.
//!
//! The host's request is first mapped as for the Codex route (one mapping of messages, images,
//! tool calls and reasoning: [`crate::responses::build_request`]); [`OfficialRequest::from_mapped`]
//! then keeps only what the preview takes. The type itself is the guarantee:
//! - `store` and `stream` are types that serialize only as `false` and `true`;
//! - the system prompt is `instructions`; no input item can have the `system` role (the wire
//!   roles are user and assistant);
//! - none of the omitted fields exists here (`background`, `conversation`, `max_output_tokens`,
//!   `max_tool_calls`, `metadata`, `moderation`, `multi_agent`, `prompt`,
//!   `prompt_cache_retention`, `safety_identifier`, `temperature`, `top_logprobs`, `top_p`,
//!   `truncation`, `user`), nor `previous_response_id`, `service_tier`, `prompt_cache_key` or
//!   `context_management`;
//! - Zed's tools go inside one namespace ([`TOOL_NAMESPACE`]) in an `additional_tools` input
//!   item, never as bare functions; every earlier tool call is sent back with its namespace;
//! - an explicit compaction request is refused before sending (a Codex-backend feature).
//!
//! What the preview neither lists nor forbids (`reasoning`, `include`, `tool_choice`,
//! `parallel_tool_calls`) is sent only where the model's catalog entry states it.

use crate::responses::{
    InputItem, ReasoningParams, ResponsesError, ResponsesRequest, Tool, ToolChoice,
};
use serde::{Serialize, Serializer};

/// The namespace Zed's tools are sent in, and echoed back on every tool call of the history.
pub const TOOL_NAMESPACE: &str = "zed";

/// What the namespace is, for the model.
const TOOL_NAMESPACE_DESCRIPTION: &str = "Tools of the Zed editor";

/// A `POST {api}/responses` body the preview accepts. See the [module docs](self).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OfficialRequest {
    /// The model slug.
    pub model: String,
    /// The system prompt.
    pub instructions: String,
    /// The whole conversation (nothing is stored server-side).
    pub input: Vec<OfficialInputItem>,
    /// Whether and how the model must call tools (only with tools).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    /// Only for models whose catalog entry says they call several tools at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    /// Only for models whose catalog entry states their efforts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<ReasoningParams>,
    /// Always `false`.
    pub store: StoreOff,
    /// Always `true`.
    pub stream: StreamOn,
    /// `reasoning.encrypted_content` for reasoning models (replayed on the next turn).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
}

/// `store: false`, the only value the preview takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreOff;

impl Serialize for StoreOff {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bool(false)
    }
}

/// `stream: true`, the only value the preview takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamOn;

impl Serialize for StreamOn {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bool(true)
    }
}

/// One item of `input`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum OfficialInputItem {
    /// The tools, in their namespace.
    AdditionalTools(AdditionalTools),
    /// An earlier tool call, with its namespace.
    FunctionCall(NamespacedFunctionCall),
    /// A message, a tool's output, a reasoning item or a compaction summary, as the Codex route
    /// sends them.
    Shared(InputItem),
}

/// `{"type":"additional_tools","role":"developer","tools":[namespace]}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AdditionalTools {
    #[serde(rename = "type")]
    kind: AdditionalToolsTag,
    role: DeveloperRole,
    tools: Vec<Namespace>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
enum AdditionalToolsTag {
    AdditionalTools,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
enum DeveloperRole {
    Developer,
}

/// `{"type":"namespace","name":"zed","description":…,"tools":[functions]}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Namespace {
    #[serde(rename = "type")]
    kind: NamespaceTag,
    name: &'static str,
    description: &'static str,
    tools: Vec<Tool>,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
enum NamespaceTag {
    Namespace,
}

/// A `function_call` item of the history, with the namespace its tool lives in.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NamespacedFunctionCall {
    #[serde(rename = "type")]
    kind: FunctionCallTag,
    /// The call's id.
    pub call_id: String,
    /// The namespace ([`TOOL_NAMESPACE`]).
    pub namespace: &'static str,
    /// The tool's name.
    pub name: String,
    /// The arguments as JSON text.
    pub arguments: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
enum FunctionCallTag {
    FunctionCall,
}

/// Why a mapped request cannot go to the official route.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PreviewRuleRefusal {
    /// Explicit compaction is a Codex-backend feature.
    #[error(
        "compacting a thread is not available with Sign in with ChatGPT (the preview does not \
         support it); start a new thread, or use the Codex route"
    )]
    Compaction,
}

impl From<PreviewRuleRefusal> for ResponsesError {
    fn from(refusal: PreviewRuleRefusal) -> Self {
        ResponsesError::Compaction(refusal.to_string())
    }
}

impl OfficialRequest {
    /// The preview's form of a request mapped for the Codex route: what the preview forbids is
    /// dropped (and logged), or refused when dropping it would change the request's meaning.
    pub fn from_mapped(mapped: ResponsesRequest) -> Result<Self, PreviewRuleRefusal> {
        let ResponsesRequest {
            model,
            instructions,
            input,
            tools,
            tool_choice,
            parallel_tool_calls,
            reasoning,
            store: _,
            stream: _,
            include,
            prompt_cache_key,
            text,
            service_tier,
            context_management,
        } = mapped;
        if service_tier.is_some() {
            log::debug!("not sending service_tier: the Sign in with ChatGPT preview may refuse it");
        }
        if context_management.is_some() || prompt_cache_key.is_some() || text.is_some() {
            log::debug!(
                "not sending context_management / prompt_cache_key / text: not part of the \
                 Sign in with ChatGPT preview"
            );
        }
        let has_tools = !tools.is_empty();
        let mut items = Vec::with_capacity(input.len().saturating_add(1));
        if has_tools {
            items.push(OfficialInputItem::AdditionalTools(AdditionalTools {
                kind: AdditionalToolsTag::AdditionalTools,
                role: DeveloperRole::Developer,
                tools: vec![Namespace {
                    kind: NamespaceTag::Namespace,
                    name: TOOL_NAMESPACE,
                    description: TOOL_NAMESPACE_DESCRIPTION,
                    tools,
                }],
            }));
        }
        for item in input {
            items.push(match item {
                InputItem::FunctionCall {
                    call_id,
                    name,
                    arguments,
                } => OfficialInputItem::FunctionCall(NamespacedFunctionCall {
                    kind: FunctionCallTag::FunctionCall,
                    call_id,
                    namespace: TOOL_NAMESPACE,
                    name,
                    arguments,
                }),
                InputItem::CompactionTrigger => return Err(PreviewRuleRefusal::Compaction),
                other => OfficialInputItem::Shared(other),
            });
        }
        Ok(Self {
            model,
            instructions,
            input: items,
            tool_choice: tool_choice.filter(|_| has_tools),
            parallel_tool_calls: parallel_tool_calls.filter(|_| has_tools),
            reasoning,
            store: StoreOff,
            stream: StreamOn,
            include,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::responses::{ContentPart, MessageRole, ServiceTier, TextParams};
    use serde_json::json;

    fn mapped() -> ResponsesRequest {
        ResponsesRequest {
            model: "gpt-6.1-sol".into(),
            instructions: "You are a coding assistant.".into(),
            input: vec![
                InputItem::Message {
                    role: MessageRole::User,
                    content: vec![ContentPart::InputText {
                        text: "Open main.rs".into(),
                    }],
                },
                InputItem::FunctionCall {
                    call_id: "call_1".into(),
                    name: "read_file".into(),
                    arguments: "{}".into(),
                },
                InputItem::FunctionCallOutput {
                    call_id: "call_1".into(),
                    output: "fn main() {}".into(),
                },
            ],
            tools: vec![Tool::Function {
                name: "read_file".into(),
                description: "Reads a file".into(),
                parameters: json!({"type": "object"}),
                strict: false,
            }],
            tool_choice: Some(ToolChoice::Auto),
            parallel_tool_calls: None,
            reasoning: None,
            store: true,
            stream: false,
            include: Vec::new(),
            prompt_cache_key: Some("thread-1".into()),
            text: Some(TextParams {
                verbosity: crate::models::Verbosity::Low,
            }),
            service_tier: Some(ServiceTier::Priority),
            context_management: Some(vec![]),
        }
    }

    #[test]
    fn the_body_keeps_only_what_the_preview_takes() {
        let body = serde_json::to_value(OfficialRequest::from_mapped(mapped()).unwrap()).unwrap();
        assert_eq!(body["store"], false);
        assert_eq!(body["stream"], true);
        assert_eq!(body["instructions"], "You are a coding assistant.");
        for forbidden in [
            "service_tier",
            "prompt_cache_key",
            "text",
            "context_management",
            "tools",
            "previous_response_id",
            "temperature",
        ] {
            assert!(body.get(forbidden).is_none(), "{forbidden} was sent");
        }
        let input = body["input"].as_array().unwrap();
        assert_eq!(input[0]["type"], "additional_tools");
        assert_eq!(input[0]["role"], "developer");
        assert_eq!(input[0]["tools"][0]["type"], "namespace");
        assert_eq!(input[0]["tools"][0]["name"], TOOL_NAMESPACE);
        assert_eq!(input[0]["tools"][0]["tools"][0]["name"], "read_file");
        assert_eq!(input[2]["type"], "function_call");
        assert_eq!(input[2]["namespace"], TOOL_NAMESPACE);
        assert_eq!(input[3]["type"], "function_call_output");
        assert!(input.iter().all(|item| item["role"] != "system"));
    }

    #[test]
    fn without_tools_there_is_no_namespace_and_no_tool_choice() {
        let mut request = mapped();
        request.tools.clear();
        let body = serde_json::to_value(OfficialRequest::from_mapped(request).unwrap()).unwrap();
        assert_eq!(body["input"][0]["type"], "message");
        assert!(body.get("tool_choice").is_none());
    }

    #[test]
    fn an_explicit_compaction_is_refused_before_sending() {
        let mut request = mapped();
        request.input.push(InputItem::CompactionTrigger);
        assert_eq!(
            OfficialRequest::from_mapped(request),
            Err(PreviewRuleRefusal::Compaction)
        );
    }
}
