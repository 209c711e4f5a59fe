//! [`build_request`]: the host's [`LanguageModelRequest`] and the model's catalog entry → a
//! [`ResponsesRequest`] the backend accepts.
//!
//! The backend keeps nothing (`store: false`), which shapes everything here:
//! - no item carries a server id (the backend answers "Item with id 'rs_…' not found");
//! - a reasoning model's chain of thought survives between turns only if the previous turns'
//!   reasoning items are sent back with their `encrypted_content`;
//! - every `function_call_output` must follow the `function_call` with its `call_id`, and every
//!   call needs its output, so unpaired ones are dropped (with a warning) rather than sent.
//!
//! What is sent for a model (tools' parallelism, reasoning, verbosity, images) follows its catalog
//! entry, never its slug.

use super::compaction::compaction_input_items;
use super::error::ResponsesError;
use super::request::*;
use crate::identity::PROVIDER_ID;
use crate::models::{ModelInfo, ReasoningEffort};
use language_model::{
    CompactedContext, LanguageModelRequest, LanguageModelRequestMessage, LanguageModelToolChoice,
    LanguageModelToolResultContent, MessageContent, Role, Speed,
};
use std::collections::HashSet;

/// The backend's cap on `instructions`, in characters ("near 1M"); refused before sending.
pub(crate) const MAX_INSTRUCTIONS_CHARS: usize = 1_000_000;

/// Sent when the host gives no system prompt: the backend rejects empty instructions.
pub(crate) const DEFAULT_INSTRUCTIONS: &str = "You are a helpful coding assistant.";

/// The output sent for a tool result that is an image (the image follows as a user message).
const IMAGE_TOOL_OUTPUT: &str = "The tool returned an image; it follows in the next message.";

/// Builds the Responses request for `request` on `model`.
///
/// Fails, before anything is sent, when the instructions are over the backend's cap or when the
/// request has images and the model takes text only.
pub fn build_request(
    request: &LanguageModelRequest,
    model: &ModelInfo,
) -> Result<ResponsesRequest, ResponsesError> {
    let instructions = instructions(request)?;
    let replay_reasoning = model.supports_reasoning();
    let mut builder = InputBuilder {
        items: Vec::new(),
        message_start: 0,
        pending_images: Vec::new(),
        model,
    };
    for message in &request.messages {
        match message.role {
            Role::System => {}
            Role::User => builder.user_message(message)?,
            Role::Assistant => builder.assistant_message(message, replay_reasoning)?,
        }
    }
    builder.flush_images();
    let input = pair_tool_calls(builder.items);

    let tools: Vec<Tool> = request
        .tools
        .iter()
        .map(|tool| Tool::Function {
            name: tool.name.clone(),
            description: tool.description.clone(),
            parameters: tool.input_schema.clone(),
            strict: false,
        })
        .collect();
    let has_tools = !tools.is_empty();
    let tool_choice =
        request
            .tool_choice
            .clone()
            .filter(|_| has_tools)
            .map(|choice| match choice {
                LanguageModelToolChoice::Auto => ToolChoice::Auto,
                LanguageModelToolChoice::Any => ToolChoice::Required,
                LanguageModelToolChoice::None => ToolChoice::None,
            });
    let parallel_tool_calls = (has_tools && model.supports_parallel_tool_calls).then_some(true);

    if !request.stop.is_empty() || request.temperature.is_some() {
        // The subscription backend's models take neither; sending them is an error.
        log::debug!("ignoring stop sequences / temperature: not supported by the Codex backend");
    }

    Ok(ResponsesRequest {
        model: model.slug.clone(),
        instructions,
        input,
        tools,
        tool_choice,
        parallel_tool_calls,
        reasoning: reasoning(request, model),
        store: false,
        stream: true,
        include: if model.supports_reasoning() {
            vec!["reasoning.encrypted_content".to_string()]
        } else {
            Vec::new()
        },
        prompt_cache_key: request.thread_id.clone(),
        text: model
            .support_verbosity
            .then_some(model.default_verbosity)
            .flatten()
            .map(|verbosity| TextParams { verbosity }),
        // Fast mode only where the catalog offers it: a strict backend refuses the tier elsewhere.
        service_tier: (request.speed == Some(Speed::Fast) && model.supports_fast_mode())
            .then_some(ServiceTier::Priority),
        context_management: request
            .compact_at_tokens
            .map(|compact_threshold| vec![ContextManagement::Compaction { compact_threshold }]),
    })
}

/// The system messages' text joined, or the default; refused over the cap.
fn instructions(request: &LanguageModelRequest) -> Result<String, ResponsesError> {
    let parts: Vec<String> = request
        .messages
        .iter()
        .filter(|message| message.role == Role::System)
        .map(LanguageModelRequestMessage::string_contents)
        .filter(|text| !text.trim().is_empty())
        .collect();
    if parts.is_empty() {
        return Ok(DEFAULT_INSTRUCTIONS.to_string());
    }
    let joined = parts.join("\n\n");
    let chars = joined.chars().count();
    if chars > MAX_INSTRUCTIONS_CHARS {
        return Err(ResponsesError::InstructionsTooLong {
            chars,
            limit: MAX_INSTRUCTIONS_CHARS,
        });
    }
    Ok(joined)
}

/// The effort from the request if the model takes it, else the model's default; `None` for
/// models that do not reason.
fn reasoning(request: &LanguageModelRequest, model: &ModelInfo) -> Option<ReasoningParams> {
    if !model.supports_reasoning() {
        return None;
    }
    let requested = request.thinking_effort.as_deref().and_then(|value| {
        let effort = ReasoningEffort::parse(value).filter(|e| model.supports_effort(e));
        if effort.is_none() {
            log::warn!(
                "{} does not offer reasoning effort {value:?}; using its default",
                model.slug
            );
        }
        effort
    });
    let effort = requested.or_else(|| model.default_effort())?;
    Some(ReasoningParams {
        effort,
        summary: model
            .supports_reasoning_summaries
            .then_some(ReasoningSummary::Auto),
    })
}

/// Accumulates input items in conversation order.
struct InputBuilder<'a> {
    items: Vec<InputItem>,
    /// Where the host message being mapped starts in `items`: parts merge only within it.
    message_start: usize,
    /// Images returned by tools, sent as a user message after the outputs that precede them.
    pending_images: Vec<ContentPart>,
    model: &'a ModelInfo,
}

impl InputBuilder<'_> {
    fn image_part(&self, url: String) -> Result<ContentPart, ResponsesError> {
        if !self.model.supports_images() {
            return Err(ResponsesError::ImagesNotSupported {
                model: self.model.slug.clone(),
            });
        }
        Ok(ContentPart::InputImage { image_url: url })
    }

    /// Appends a part to the trailing message item of `role` if it belongs to the same host
    /// message, or starts a message item.
    fn push_part(&mut self, role: MessageRole, part: ContentPart) {
        if self.items.len() > self.message_start
            && let Some(InputItem::Message {
                role: last_role,
                content,
            }) = self.items.last_mut()
            && *last_role == role
        {
            content.push(part);
            return;
        }
        self.items.push(InputItem::Message {
            role,
            content: vec![part],
        });
    }

    fn flush_images(&mut self) {
        if !self.pending_images.is_empty() {
            let images = std::mem::take(&mut self.pending_images);
            self.items.push(InputItem::Message {
                role: MessageRole::User,
                content: images,
            });
        }
    }

    fn user_message(
        &mut self,
        message: &LanguageModelRequestMessage,
    ) -> Result<(), ResponsesError> {
        self.message_start = self.items.len();
        for content in &message.content {
            match content {
                MessageContent::Text(text) if !text.is_empty() => {
                    self.flush_images();
                    self.push_part(
                        MessageRole::User,
                        ContentPart::InputText { text: text.clone() },
                    );
                }
                MessageContent::Image(image) => {
                    self.flush_images();
                    let part = self.image_part(image.to_base64_url())?;
                    self.push_part(MessageRole::User, part);
                }
                MessageContent::ToolResult(result) => {
                    // Text parts become the output; images follow in a user message (the
                    // output names them), since a function output here is text.
                    let mut output = String::new();
                    for part in &result.content {
                        match part {
                            LanguageModelToolResultContent::Text(text) => output.push_str(text),
                            LanguageModelToolResultContent::Image(image) => {
                                let part = self.image_part(image.to_base64_url())?;
                                self.pending_images.push(part);
                                if !output.is_empty() {
                                    output.push('\n');
                                }
                                output.push_str(IMAGE_TOOL_OUTPUT);
                            }
                        }
                    }
                    self.items.push(InputItem::FunctionCallOutput {
                        call_id: result.tool_use_id.to_string(),
                        output,
                    });
                }
                MessageContent::Compaction(context) => self.compaction(context)?,
                // A user message carries no model output; anything else is empty text.
                MessageContent::Text(_)
                | MessageContent::Thinking { .. }
                | MessageContent::RedactedThinking(_)
                | MessageContent::ToolUse(_) => {}
            }
        }
        self.flush_images();
        Ok(())
    }

    /// A compaction this provider produced replaces everything accumulated so far (the later
    /// one wins when a thread was compacted twice); another provider's is skipped.
    fn compaction(&mut self, context: &CompactedContext) -> Result<(), ResponsesError> {
        if let Some(items) = compaction_input_items(context, &PROVIDER_ID)? {
            self.items = items;
            self.pending_images.clear();
            self.message_start = self.items.len();
        }
        Ok(())
    }

    fn assistant_message(
        &mut self,
        message: &LanguageModelRequestMessage,
        replay_reasoning: bool,
    ) -> Result<(), ResponsesError> {
        self.message_start = self.items.len();
        let mut replayed: HashSet<&str> = HashSet::new();
        if replay_reasoning && let Some(details) = &message.reasoning_details {
            for (summary, encrypted_content) in reasoning_from_details(details) {
                if replayed.insert(encrypted_content) {
                    self.items.push(InputItem::Reasoning {
                        summary: summary
                            .map(|text| {
                                vec![SummaryText::SummaryText {
                                    text: text.to_string(),
                                }]
                            })
                            .unwrap_or_default(),
                        encrypted_content: encrypted_content.to_string(),
                    });
                }
            }
        }
        // Thinking text shown before a RedactedThinking is that reasoning item's summary.
        let mut summary = String::new();
        for content in &message.content {
            match content {
                MessageContent::Thinking { text, .. } => summary.push_str(text),
                MessageContent::RedactedThinking(data) => {
                    let summary = std::mem::take(&mut summary);
                    if replay_reasoning && !data.is_empty() && replayed.insert(data) {
                        self.items.push(InputItem::Reasoning {
                            summary: if summary.is_empty() {
                                Vec::new()
                            } else {
                                vec![SummaryText::SummaryText { text: summary }]
                            },
                            encrypted_content: data.clone(),
                        });
                    }
                }
                MessageContent::Text(text) if !text.is_empty() => self.push_part(
                    MessageRole::Assistant,
                    ContentPart::OutputText { text: text.clone() },
                ),
                MessageContent::ToolUse(tool_use) => {
                    let arguments = if tool_use.raw_input.is_empty() {
                        tool_use.input.to_display_json().to_string()
                    } else {
                        tool_use.raw_input.clone()
                    };
                    self.items.push(InputItem::FunctionCall {
                        call_id: tool_use.id.to_string(),
                        name: tool_use.name.to_string(),
                        arguments,
                    });
                }
                MessageContent::Compaction(context) => self.compaction(context)?,
                MessageContent::Text(_)
                | MessageContent::Image(_)
                | MessageContent::ToolResult(_) => {}
            }
        }
        Ok(())
    }
}

/// `(summary, encrypted_content)` pairs from an assistant message's `reasoning_details`: either
/// one reasoning item or an array of them (the shape the Responses API streams them in). Item
/// ids are never read: they point at server state that does not exist with `store: false`.
fn reasoning_from_details(details: &serde_json::Value) -> Vec<(Option<&str>, &str)> {
    fn one(item: &serde_json::Value) -> Option<(Option<&str>, &str)> {
        let encrypted = item.get("encrypted_content")?.as_str()?;
        let summary = item
            .get("summary")
            .and_then(|s| s.as_array())
            .and_then(|parts| parts.first())
            .and_then(|part| part.get("text"))
            .and_then(|text| text.as_str());
        Some((summary, encrypted))
    }
    match details {
        serde_json::Value::Array(items) => items.iter().filter_map(one).collect(),
        item => one(item).into_iter().collect(),
    }
}

/// Keeps only tool calls and outputs that pair up in order: a `function_call` whose output comes
/// later, and the first output after its call. Orphans are dropped with a warning, because the
/// backend rejects the whole request for one ("No tool call found for function call output").
fn pair_tool_calls(items: Vec<InputItem>) -> Vec<InputItem> {
    let mut called: HashSet<&str> = HashSet::new();
    let mut answered: HashSet<&str> = HashSet::new();
    for item in &items {
        match item {
            InputItem::FunctionCall { call_id, .. } => {
                called.insert(call_id);
            }
            InputItem::FunctionCallOutput { call_id, .. } if called.contains(call_id.as_str()) => {
                answered.insert(call_id);
            }
            _ => {}
        }
    }
    let answered: HashSet<String> = answered.into_iter().map(str::to_string).collect();
    let mut outputs_sent: HashSet<String> = HashSet::new();
    items
        .into_iter()
        .filter(|item| match item {
            InputItem::FunctionCall { call_id, name, .. } => {
                let keep = answered.contains(call_id);
                if !keep {
                    log::warn!("dropping tool call {call_id} ({name}): it has no result");
                }
                keep
            }
            InputItem::FunctionCallOutput { call_id, .. } => {
                let keep = answered.contains(call_id) && outputs_sent.insert(call_id.clone());
                if !keep {
                    log::warn!("dropping tool result {call_id}: no call precedes it");
                }
                keep
            }
            _ => true,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use language_model::*;
    use serde_json::json;

    pub(crate) fn model(extra: serde_json::Value) -> ModelInfo {
        let mut base = json!({
            "slug": "gpt-test", "display_name": "GPT Test", "visibility": "list",
            "context_window": 200000
        });
        base.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        serde_json::from_value(base).unwrap()
    }

    fn reasoning_model() -> ModelInfo {
        model(json!({
            "default_reasoning_level": "medium",
            "supported_reasoning_levels": [{"effort": "low"}, {"effort": "medium"}, {"effort": "high"}],
            "supports_reasoning_summaries": true,
            "supports_parallel_tool_calls": true,
            "support_verbosity": true,
            "default_verbosity": "low"
        }))
    }

    fn message(role: Role, content: Vec<MessageContent>) -> LanguageModelRequestMessage {
        LanguageModelRequestMessage {
            role,
            content,
            cache: false,
            reasoning_details: None,
        }
    }

    fn text(role: Role, text: &str) -> LanguageModelRequestMessage {
        message(role, vec![MessageContent::Text(text.into())])
    }

    fn to_json(request: &LanguageModelRequest, model: &ModelInfo) -> serde_json::Value {
        serde_json::to_value(build_request(request, model).unwrap()).unwrap()
    }

    #[test]
    fn system_messages_become_instructions_and_text_becomes_messages() {
        let request = LanguageModelRequest {
            thread_id: Some("thread-1".into()),
            messages: vec![
                text(Role::System, "Be brief."),
                text(Role::User, "Hi"),
                text(Role::Assistant, "Hello!"),
                text(Role::System, "Use Rust."),
                text(Role::User, "Write code"),
            ],
            ..Default::default()
        };
        assert_eq!(
            to_json(&request, &model(json!({}))),
            json!({
                "model": "gpt-test",
                "instructions": "Be brief.\n\nUse Rust.",
                "input": [
                    {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi"}]},
                    {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hello!"}]},
                    {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Write code"}]}
                ],
                "store": false,
                "stream": true,
                "prompt_cache_key": "thread-1"
            })
        );
    }

    #[test]
    fn default_instructions_and_size_cap() {
        let request = LanguageModelRequest {
            messages: vec![text(Role::User, "Hi")],
            ..Default::default()
        };
        assert_eq!(
            build_request(&request, &model(json!({})))
                .unwrap()
                .instructions,
            DEFAULT_INSTRUCTIONS
        );
        let huge = LanguageModelRequest {
            messages: vec![text(Role::System, &"x".repeat(MAX_INSTRUCTIONS_CHARS + 1))],
            ..Default::default()
        };
        let error = build_request(&huge, &model(json!({}))).unwrap_err();
        assert!(
            matches!(error, ResponsesError::InstructionsTooLong { .. }),
            "{error}"
        );
    }

    fn tool_use(id: &str) -> MessageContent {
        MessageContent::ToolUse(LanguageModelToolUse {
            id: id.to_string().into(),
            name: "read_file".into(),
            raw_input: r#"{"path":"a.rs"}"#.into(),
            input: LanguageModelToolUseInput::Json(json!({"path": "a.rs"})),
            is_input_complete: true,
            thought_signature: None,
        })
    }

    fn tool_result(id: &str, output: &str) -> MessageContent {
        MessageContent::ToolResult(LanguageModelToolResult {
            tool_use_id: id.to_string().into(),
            tool_name: "read_file".into(),
            is_error: false,
            content: vec![LanguageModelToolResultContent::Text(output.into())],
            output: None,
        })
    }

    #[test]
    fn tool_round_trip_pairs_calls_and_drops_orphans() {
        let request = LanguageModelRequest {
            messages: vec![
                text(Role::User, "read a.rs"),
                message(
                    Role::Assistant,
                    vec![
                        MessageContent::Text("Reading.".into()),
                        tool_use("call_1"),
                        tool_use("call_orphan"),
                    ],
                ),
                message(
                    Role::User,
                    vec![
                        tool_result("call_1", "fn main() {}"),
                        tool_result("call_unknown", "?"),
                    ],
                ),
            ],
            tools: vec![LanguageModelRequestTool {
                name: "read_file".into(),
                description: "Reads a file".into(),
                input_schema: json!({"type": "object", "properties": {"path": {"type": "string"}}}),
                use_input_streaming: false,
            }],
            tool_choice: Some(LanguageModelToolChoice::Auto),
            ..Default::default()
        };
        let body = to_json(&request, &model(json!({})));
        assert_eq!(
            body["input"],
            json!([
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "read a.rs"}]},
                {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Reading."}]},
                {"type": "function_call", "call_id": "call_1", "name": "read_file", "arguments": "{\"path\":\"a.rs\"}"},
                {"type": "function_call_output", "call_id": "call_1", "output": "fn main() {}"}
            ])
        );
        assert_eq!(
            body["tools"],
            json!([{"type": "function", "name": "read_file", "description": "Reads a file",
                    "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
                    "strict": false}])
        );
        assert_eq!(body["tool_choice"], "auto");
        // The model's catalog entry does not allow parallel calls.
        assert!(body.get("parallel_tool_calls").is_none());
    }

    #[test]
    fn images_only_for_models_that_take_them() {
        let image = LanguageModelImage {
            source: "iVBORw0KGgo=".into(),
            size: None,
        };
        let request = LanguageModelRequest {
            messages: vec![message(
                Role::User,
                vec![
                    MessageContent::Text("What is this?".into()),
                    MessageContent::Image(image),
                ],
            )],
            ..Default::default()
        };
        assert_eq!(
            to_json(&request, &model(json!({})))["input"],
            json!([{"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": "What is this?"},
                {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0KGgo="}
            ]}])
        );
        let text_only = model(json!({"input_modalities": ["text"]}));
        let error = build_request(&request, &text_only).unwrap_err();
        assert_eq!(
            error.to_string(),
            "gpt-test does not accept images; remove them or pick a model that does"
        );
    }

    #[test]
    fn reasoning_is_replayed_from_redacted_thinking_and_details_without_ids() {
        let mut assistant = message(
            Role::Assistant,
            vec![
                MessageContent::Thinking {
                    text: "Thinking about it".into(),
                    signature: None,
                },
                MessageContent::RedactedThinking("enc-1".into()),
                MessageContent::Text("Answer".into()),
            ],
        );
        assistant.reasoning_details = Some(json!([
            {"type": "reasoning", "id": "rs_123", "summary": [], "encrypted_content": "enc-0"},
            {"type": "reasoning", "id": "rs_456", "encrypted_content": "enc-1"}
        ]));
        let request = LanguageModelRequest {
            messages: vec![text(Role::User, "Q"), assistant, text(Role::User, "Q2")],
            thinking_effort: Some("high".into()),
            ..Default::default()
        };
        let body = to_json(&request, &reasoning_model());
        assert_eq!(
            body["input"],
            json!([
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Q"}]},
                {"type": "reasoning", "summary": [], "encrypted_content": "enc-0"},
                {"type": "reasoning", "summary": [], "encrypted_content": "enc-1"},
                {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Answer"}]},
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Q2"}]}
            ])
        );
        assert!(!body.to_string().contains("rs_"));
        assert_eq!(
            body["reasoning"],
            json!({"effort": "high", "summary": "auto"})
        );
        assert_eq!(body["include"], json!(["reasoning.encrypted_content"]));
        assert_eq!(body["text"], json!({"verbosity": "low"}));
    }

    #[test]
    fn capability_gating_follows_the_catalog_entry() {
        let request = LanguageModelRequest {
            messages: vec![
                text(Role::User, "Q"),
                message(
                    Role::Assistant,
                    vec![MessageContent::RedactedThinking("enc".into())],
                ),
                text(Role::User, "tool please"),
            ],
            tools: vec![LanguageModelRequestTool {
                name: "t".into(),
                description: "d".into(),
                input_schema: json!({"type": "object"}),
                use_input_streaming: false,
            }],
            thinking_effort: Some("xhigh".into()),
            ..Default::default()
        };
        // Plain model: no reasoning, no replay, no include, no parallel calls, no verbosity.
        let plain = to_json(&request, &model(json!({})));
        for absent in [
            "reasoning",
            "include",
            "parallel_tool_calls",
            "text",
            "tool_choice",
        ] {
            assert!(plain.get(absent).is_none(), "{absent} in {plain}");
        }
        assert_eq!(plain["input"].as_array().unwrap().len(), 2);
        // Reasoning model: an effort it does not offer falls back to its default.
        let rich = to_json(&request, &reasoning_model());
        assert_eq!(
            rich["reasoning"],
            json!({"effort": "medium", "summary": "auto"})
        );
        assert_eq!(rich["parallel_tool_calls"], true);
        assert_eq!(
            rich["input"][1],
            json!({"type": "reasoning", "summary": [], "encrypted_content": "enc"})
        );
        // No summaries for a model without them.
        let quiet = model(json!({"supported_reasoning_levels": [{"effort": "low"}]}));
        assert_eq!(
            to_json(&request, &quiet)["reasoning"],
            json!({"effort": "low"})
        );
    }
}
