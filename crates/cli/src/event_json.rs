//! `chat --json`: one JSON object per completion event, tagged by `type` in snake_case.

use language_model::{CompactionUpdate, LanguageModelCompletionEvent, StopReason};
use serde_json::{Value, json};

/// The JSON line for one event.
pub fn event_to_json(event: &LanguageModelCompletionEvent) -> Value {
    event_to_json_in(event, None)
}

/// The JSON line for one event of a route whose tools live in `namespace` (the official
/// route's: a tool call then shows its `namespace` beside its `name`).
pub fn event_to_json_in(event: &LanguageModelCompletionEvent, namespace: Option<&str>) -> Value {
    if let (LanguageModelCompletionEvent::ToolUse(_), Some(namespace)) = (event, namespace) {
        let mut value = event_to_json_in(event, None);
        if let Some(object) = value.as_object_mut() {
            object.insert("namespace".into(), Value::from(namespace));
        }
        return value;
    }
    match event {
        LanguageModelCompletionEvent::Queued { position } => {
            json!({"type": "queued", "position": position})
        }
        LanguageModelCompletionEvent::Started => json!({"type": "started"}),
        LanguageModelCompletionEvent::StartMessage { message_id } => {
            json!({"type": "start_message", "message_id": message_id})
        }
        LanguageModelCompletionEvent::Text(text) => json!({"type": "text", "text": text}),
        LanguageModelCompletionEvent::Thinking { text, .. } => {
            json!({"type": "thinking", "text": text})
        }
        // Encrypted reasoning is opaque and large: say that it came, not what it is.
        LanguageModelCompletionEvent::RedactedThinking { data } => {
            json!({"type": "redacted_thinking", "bytes": data.len()})
        }
        LanguageModelCompletionEvent::ToolUse(tool_use) => json!({
            "type": "tool_use",
            "id": tool_use.id.to_string(),
            "name": &*tool_use.name,
            "input": tool_use.input.to_display_json(),
            "is_input_complete": tool_use.is_input_complete,
        }),
        LanguageModelCompletionEvent::ToolUseJsonParseError {
            id,
            tool_name,
            raw_input,
            json_parse_error,
        } => json!({
            "type": "tool_use_json_parse_error",
            "id": id.to_string(),
            "name": &**tool_name,
            "raw_input": &**raw_input,
            "error": json_parse_error,
        }),
        LanguageModelCompletionEvent::UsageUpdate(usage) => json!({
            "type": "usage",
            "input_tokens": usage.input_tokens,
            "output_tokens": usage.output_tokens,
            "cache_read_input_tokens": usage.cache_read_input_tokens,
        }),
        LanguageModelCompletionEvent::Stop(reason) => {
            json!({"type": "stop", "reason": stop_reason_name(*reason)})
        }
        // The compacted context is opaque: say that it came, not what it is.
        LanguageModelCompletionEvent::Compaction(update) => match update {
            CompactionUpdate::Started => json!({"type": "compaction", "phase": "started"}),
            CompactionUpdate::SummaryDelta(text) => {
                json!({"type": "compaction", "phase": "summary_delta", "text": &**text})
            }
            CompactionUpdate::Finished(_) => json!({"type": "compaction", "phase": "finished"}),
            CompactionUpdate::Failed => json!({"type": "compaction", "phase": "failed"}),
        },
        // Provider state for the next request: opaque, so only its arrival is shown.
        LanguageModelCompletionEvent::ReasoningDetails(_) => json!({"type": "reasoning_details"}),
    }
}

/// `end_turn`, `max_tokens`, `tool_use` or `refusal`.
pub fn stop_reason_name(reason: StopReason) -> &'static str {
    match reason {
        StopReason::EndTurn => "end_turn",
        StopReason::MaxTokens => "max_tokens",
        StopReason::ToolUse => "tool_use",
        StopReason::Refusal => "refusal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use language_model::{LanguageModelToolUse, LanguageModelToolUseInput, TokenUsage};

    #[test]
    fn events_match_the_documented_shapes() {
        assert_eq!(
            event_to_json(&LanguageModelCompletionEvent::Text("hi".into())),
            json!({"type": "text", "text": "hi"})
        );
        assert_eq!(
            event_to_json(&LanguageModelCompletionEvent::Stop(StopReason::EndTurn)),
            json!({"type": "stop", "reason": "end_turn"})
        );
        let usage = TokenUsage {
            input_tokens: 10,
            output_tokens: 5,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 3,
        };
        assert_eq!(
            event_to_json(&LanguageModelCompletionEvent::UsageUpdate(usage)),
            json!({"type": "usage", "input_tokens": 10, "output_tokens": 5,
                   "cache_read_input_tokens": 3})
        );
        let tool_use = LanguageModelToolUse {
            id: "call_1".into(),
            name: "read_file".into(),
            raw_input: "{\"path\":\"a\"}".into(),
            input: LanguageModelToolUseInput::Json(json!({"path": "a"})),
            is_input_complete: true,
            thought_signature: None,
        };
        assert_eq!(
            event_to_json(&LanguageModelCompletionEvent::ToolUse(tool_use.clone())),
            json!({"type": "tool_use", "id": "call_1", "name": "read_file",
                   "input": {"path": "a"}, "is_input_complete": true})
        );
        // On the official route, a tool call shows the namespace its tool lives in.
        assert_eq!(
            event_to_json_in(
                &LanguageModelCompletionEvent::ToolUse(tool_use),
                Some("zed")
            ),
            json!({"type": "tool_use", "id": "call_1", "name": "read_file", "namespace": "zed",
                   "input": {"path": "a"}, "is_input_complete": true})
        );
        assert_eq!(
            event_to_json_in(
                &LanguageModelCompletionEvent::Text("hi".into()),
                Some("zed")
            ),
            json!({"type": "text", "text": "hi"})
        );
    }
}
