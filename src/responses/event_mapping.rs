//! [`EventMapper`]: the state machine that turns Responses API events into the host's
//! [`LanguageModelCompletionEvent`](language_model::LanguageModelCompletionEvent)s.
//!
//! | Responses event | completion events |
//! |---|---|
//! | `response.created` | `StartMessage { message_id: response id }` |
//! | `output_text.delta` / `refusal.delta` | `Text` |
//! | `reasoning_summary_text.delta` / `reasoning_text.delta` | `Thinking`, a blank line between summary parts |
//! | reasoning item done | `RedactedThinking { data: encrypted_content }`, replayed by the next turn |
//! | `function_call_arguments.delta` | `ToolUse { is_input_complete: false }`, input parsed best effort, in growing steps |
//! | function-call item done | `ToolUse { is_input_complete: true }`, or `ToolUseJsonParseError` |
//! | message item done, no text streamed for it | `Text` of its parts |
//! | compaction item added / done | `Compaction(Started)` / `Compaction(Finished(ProviderState))` ([`compaction_state`]) |
//! | `response.completed` | `UsageUpdate`, `Stop(ToolUse)` if calls were made, else `Stop(EndTurn)` |
//! | `response.incomplete` | `UsageUpdate`, `Stop(MaxTokens)` or `Stop(Refusal)` by reason |
//! | `response.failed` / `error` | an error ([`ResponsesError::from_code`]) |
//!
//! A stream that ends before a terminal event is [`ResponsesError::StreamEndedUnexpectedly`]
//! ([`EventMapper::finish`]).

use super::compaction::compaction_state;
use super::error::ResponsesError;
use super::events::{OutputItem, ResponseInfo, ResponsesEvent, Usage};
use language_model::{
    CompactedContext, CompactionUpdate, LanguageModelCompletionEvent as Event,
    LanguageModelToolUse, LanguageModelToolUseInput, StopReason, TokenUsage,
};
use std::sync::Arc;

/// Where the answer stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Before `response.created` (or any output).
    NotStarted,
    /// Streaming output.
    Streaming,
    /// A terminal event arrived; anything after it is ignored.
    Finished,
}

/// A tool call whose arguments are still streaming.
struct PendingToolCall {
    output_index: Option<u64>,
    call_id: String,
    name: Arc<str>,
    arguments: String,
    /// How long `arguments` was at the last partial `ToolUse` sent.
    reported_len: usize,
}

/// The growth that earns a new partial `ToolUse`: an eighth of what was reported, at most this.
///
/// Each partial re-parses the whole argument text, so one per delta would cost time quadratic
/// in the arguments' length (a tool writing a 100 kB file streams thousands of deltas). Growing
/// by a fraction keeps small arguments streaming delta by delta and large ones at a few
/// kilobytes a step.
const MAX_PARTIAL_TOOL_STEP: usize = 4096;

/// The mapping state of one response.
pub(crate) struct EventMapper {
    phase: Phase,
    pending_tool_calls: Vec<PendingToolCall>,
    /// Whether any tool call completed: the stop reason is then `ToolUse`.
    made_tool_calls: bool,
    /// Whether the model refused in words (`refusal.delta`).
    refused: bool,
    /// Whether reasoning text was shown since the last summary part began.
    thinking_in_part: bool,
    /// Whether answer text was streamed since the last message item began: a done message
    /// item's own text is shown only when none was (minimal streams send no deltas).
    text_in_message: bool,
}

impl Default for EventMapper {
    fn default() -> Self {
        Self::new()
    }
}

impl EventMapper {
    /// A mapper for a new response.
    pub fn new() -> Self {
        Self {
            phase: Phase::NotStarted,
            pending_tool_calls: Vec::new(),
            made_tool_calls: false,
            refused: false,
            thinking_in_part: false,
            text_in_message: false,
        }
    }

    /// Whether a terminal event (`completed`, `incomplete`, `failed`, `error`) has arrived.
    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Finished
    }

    /// The stream closed: an error unless a terminal event arrived first.
    pub fn finish(&self) -> Result<(), ResponsesError> {
        if self.is_finished() {
            Ok(())
        } else {
            Err(ResponsesError::StreamEndedUnexpectedly)
        }
    }

    /// Maps one event, appending the completion events it stands for to `out`.
    pub(crate) fn handle(
        &mut self,
        event: ResponsesEvent,
        out: &mut Vec<Event>,
    ) -> Result<(), ResponsesError> {
        if self.phase == Phase::Finished {
            return Ok(());
        }
        if let ResponsesEvent::Created { response_id } = event {
            self.start(response_id.unwrap_or_default(), out);
            return Ok(());
        }
        if self.phase == Phase::NotStarted && !matches!(event, ResponsesEvent::Other) {
            self.start(String::new(), out);
        }
        match event {
            ResponsesEvent::Created { .. } | ResponsesEvent::Other => {}
            ResponsesEvent::OutputTextDelta { delta } => {
                self.text_in_message = true;
                push_text(out, delta);
            }
            ResponsesEvent::RefusalDelta { delta } => {
                self.refused = true;
                self.text_in_message = true;
                push_text(out, delta);
            }
            ResponsesEvent::ReasoningSummaryPartAdded { .. } => {
                if self.thinking_in_part {
                    out.push(Event::Thinking {
                        text: "\n\n".to_string(),
                        signature: None,
                    });
                    self.thinking_in_part = false;
                }
            }
            ResponsesEvent::ReasoningSummaryTextDelta { delta }
            | ResponsesEvent::ReasoningTextDelta { delta } => {
                if !delta.is_empty() {
                    self.thinking_in_part = true;
                    out.push(Event::Thinking {
                        text: delta,
                        signature: None,
                    });
                }
            }
            ResponsesEvent::OutputItemAdded { output_index, item } => match item {
                OutputItem::FunctionCall {
                    call_id,
                    name,
                    arguments,
                } => self.pending_tool_calls.push(PendingToolCall {
                    output_index,
                    call_id,
                    name: name.into(),
                    arguments,
                    reported_len: 0,
                }),
                OutputItem::Message { .. } => self.text_in_message = false,
                OutputItem::Compaction { .. } => {
                    out.push(Event::Compaction(CompactionUpdate::Started))
                }
                OutputItem::Reasoning { .. } | OutputItem::Other => {}
            },
            ResponsesEvent::FunctionCallArgumentsDelta {
                output_index,
                delta,
            } => {
                let call = match output_index {
                    Some(index) => self
                        .pending_tool_calls
                        .iter_mut()
                        .find(|call| call.output_index == Some(index)),
                    None => self.pending_tool_calls.last_mut(),
                };
                match call {
                    Some(call) => {
                        call.arguments.push_str(&delta);
                        let grown = call.arguments.len().saturating_sub(call.reported_len);
                        if grown < (call.reported_len / 8).min(MAX_PARTIAL_TOOL_STEP) {
                            return Ok(());
                        }
                        call.reported_len = call.arguments.len();
                        out.push(Event::ToolUse(LanguageModelToolUse {
                            id: call.call_id.clone().into(),
                            name: call.name.clone(),
                            raw_input: call.arguments.clone(),
                            input: LanguageModelToolUseInput::Json(parse_partial_json(
                                &call.arguments,
                            )),
                            is_input_complete: false,
                            thought_signature: None,
                        }));
                    }
                    None => log::warn!("arguments for a tool call that never started; ignored"),
                }
            }
            ResponsesEvent::OutputItemDone { output_index, item } => {
                self.item_done(output_index, item, out)
            }
            ResponsesEvent::Completed { response } => {
                push_usage(out, &response);
                let reason = if self.made_tool_calls {
                    StopReason::ToolUse
                } else if self.refused {
                    StopReason::Refusal
                } else {
                    StopReason::EndTurn
                };
                out.push(Event::Stop(reason));
                self.phase = Phase::Finished;
            }
            ResponsesEvent::Incomplete { response } => {
                push_usage(out, &response);
                let reason = response
                    .incomplete_details
                    .as_ref()
                    .and_then(|details| details.reason.as_deref());
                out.push(Event::Stop(match reason {
                    Some("content_filter") => StopReason::Refusal,
                    Some("max_output_tokens") => StopReason::MaxTokens,
                    other => {
                        log::warn!("response incomplete for reason {other:?}");
                        StopReason::MaxTokens
                    }
                }));
                self.phase = Phase::Finished;
            }
            ResponsesEvent::Failed { response } => {
                self.phase = Phase::Finished;
                let error = response.error.unwrap_or_default();
                return Err(ResponsesError::from_code(
                    error.code.as_deref(),
                    error.message.as_deref(),
                ));
            }
            ResponsesEvent::Error { code, message } => {
                self.phase = Phase::Finished;
                return Err(ResponsesError::from_code(
                    code.as_deref(),
                    message.as_deref(),
                ));
            }
        }
        Ok(())
    }

    fn start(&mut self, message_id: String, out: &mut Vec<Event>) {
        if self.phase == Phase::NotStarted {
            self.phase = Phase::Streaming;
            out.push(Event::StartMessage { message_id });
        }
    }

    fn item_done(&mut self, output_index: Option<u64>, item: OutputItem, out: &mut Vec<Event>) {
        match item {
            OutputItem::Reasoning {
                encrypted_content: Some(data),
                ..
            } if !data.is_empty() => out.push(Event::RedactedThinking { data }),
            OutputItem::FunctionCall {
                call_id,
                name,
                arguments,
            } => {
                let position = self.pending_tool_calls.iter().position(|call| {
                    call.call_id == call_id
                        || (output_index.is_some() && call.output_index == output_index)
                });
                let streamed = position.map(|i| self.pending_tool_calls.remove(i));
                // The done item carries the whole arguments; fall back to what was streamed.
                let raw_input = if arguments.is_empty() {
                    streamed.map(|call| call.arguments).unwrap_or_default()
                } else {
                    arguments
                };
                self.made_tool_calls = true;
                out.push(complete_tool_use(call_id, name.into(), raw_input));
            }
            OutputItem::Message { content } => {
                if !std::mem::replace(&mut self.text_in_message, false) {
                    for part in content {
                        push_text(out, part.text.unwrap_or_default());
                    }
                }
            }
            OutputItem::Compaction {
                encrypted_content: Some(data),
            } if !data.is_empty() => out.push(Event::Compaction(CompactionUpdate::Finished(
                CompactedContext::ProviderState(compaction_state(&data)),
            ))),
            OutputItem::Compaction { .. } => {
                log::warn!("a compaction item without its content; the thread stays as it was");
                out.push(Event::Compaction(CompactionUpdate::Failed));
            }
            OutputItem::Reasoning { .. } | OutputItem::Other => {}
        }
    }
}

fn push_text(out: &mut Vec<Event>, delta: String) {
    if !delta.is_empty() {
        out.push(Event::Text(delta));
    }
}

/// `UsageUpdate` from the response's usage. Cached input is reported apart from the rest, so
/// that `TokenUsage::total_tokens` counts each token once.
fn push_usage(out: &mut Vec<Event>, response: &ResponseInfo) {
    if let Some(usage) = response.usage {
        out.push(Event::UsageUpdate(token_usage(usage)));
    }
}

/// The host's token counts for the backend's usage.
pub(crate) fn token_usage(usage: Usage) -> TokenUsage {
    let cached = usage
        .input_tokens_details
        .map(|details| details.cached_tokens)
        .unwrap_or(0)
        .min(usage.input_tokens);
    TokenUsage {
        input_tokens: usage.input_tokens.saturating_sub(cached),
        output_tokens: usage.output_tokens,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: cached,
    }
}

fn complete_tool_use(call_id: String, name: Arc<str>, raw_input: String) -> Event {
    // A tool without parameters may be called with no arguments at all.
    let text = if raw_input.trim().is_empty() {
        "{}"
    } else {
        &raw_input
    };
    match serde_json::from_str(text) {
        Ok(input) => Event::ToolUse(LanguageModelToolUse {
            id: call_id.into(),
            name,
            raw_input,
            input: LanguageModelToolUseInput::Json(input),
            is_input_complete: true,
            thought_signature: None,
        }),
        Err(error) => Event::ToolUseJsonParseError {
            id: call_id.into(),
            tool_name: name,
            raw_input: raw_input.into(),
            json_parse_error: error.to_string(),
        },
    }
}

/// Best-effort parse of incomplete JSON: close what is open, or an empty object.
fn parse_partial_json(partial: &str) -> serde_json::Value {
    if partial.trim().is_empty() {
        return serde_json::Value::Object(Default::default());
    }
    serde_json::from_str(&partial_json_fixer::fix_json(partial))
        .unwrap_or_else(|_| serde_json::Value::Object(Default::default()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(events: &[serde_json::Value]) -> (Vec<Event>, Option<ResponsesError>) {
        let mut mapper = EventMapper::new();
        let mut out = Vec::new();
        for event in events {
            let event = ResponsesEvent::parse(&event.to_string()).unwrap();
            if let Err(error) = mapper.handle(event, &mut out) {
                return (out, Some(error));
            }
        }
        (out, mapper.finish().err())
    }

    fn usage() -> serde_json::Value {
        json!({"input_tokens": 100, "input_tokens_details": {"cached_tokens": 60},
               "output_tokens": 20, "output_tokens_details": {"reasoning_tokens": 5}, "total_tokens": 120})
    }

    #[test]
    fn text_reasoning_and_usage() {
        let (events, error) = run(&[
            json!({"type": "response.created", "response": {"id": "resp_1"}}),
            json!({"type": "response.output_item.added", "output_index": 0, "item": {"type": "reasoning", "id": "rs_1", "summary": []}}),
            json!({"type": "response.reasoning_summary_part.added", "output_index": 0, "summary_index": 0}),
            json!({"type": "response.reasoning_summary_text.delta", "summary_index": 0, "delta": "First"}),
            json!({"type": "response.reasoning_summary_part.added", "output_index": 0, "summary_index": 1}),
            json!({"type": "response.reasoning_summary_text.delta", "summary_index": 1, "delta": "Second"}),
            json!({"type": "response.output_item.done", "output_index": 0, "item": {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "enc"}}),
            json!({"type": "response.output_item.added", "output_index": 1, "item": {"type": "message", "id": "msg_1", "role": "assistant", "content": []}}),
            json!({"type": "response.output_text.delta", "output_index": 1, "delta": "Hello"}),
            json!({"type": "response.output_text.delta", "output_index": 1, "delta": " world"}),
            json!({"type": "response.in_progress"}),
            json!({"type": "response.completed", "response": {"id": "resp_1", "usage": usage()}}),
        ]);
        assert!(error.is_none());
        let thinking = |text: &str| Event::Thinking {
            text: text.into(),
            signature: None,
        };
        assert_eq!(
            events,
            vec![
                Event::StartMessage {
                    message_id: "resp_1".into()
                },
                thinking("First"),
                thinking("\n\n"),
                thinking("Second"),
                Event::RedactedThinking { data: "enc".into() },
                Event::Text("Hello".into()),
                Event::Text(" world".into()),
                Event::UsageUpdate(TokenUsage {
                    input_tokens: 40,
                    output_tokens: 20,
                    cache_creation_input_tokens: 0,
                    cache_read_input_tokens: 60
                }),
                Event::Stop(StopReason::EndTurn),
            ]
        );
    }

    #[test]
    fn tool_call_streams_partial_then_complete() {
        let (events, error) = run(&[
            json!({"type": "response.created", "response": {"id": "r"}}),
            json!({"type": "response.output_item.added", "output_index": 0, "item": {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "read", "arguments": ""}}),
            json!({"type": "response.function_call_arguments.delta", "output_index": 0, "delta": "{\"path\": \"src/ma"}),
            json!({"type": "response.function_call_arguments.delta", "output_index": 0, "delta": "in.rs\"}"}),
            json!({"type": "response.function_call_arguments.done", "output_index": 0, "arguments": "{\"path\": \"src/main.rs\"}"}),
            json!({"type": "response.output_item.done", "output_index": 0, "item": {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "read", "arguments": "{\"path\": \"src/main.rs\"}"}}),
            json!({"type": "response.completed", "response": {}}),
        ]);
        assert!(error.is_none());
        let tool = |raw: &str, input: serde_json::Value, complete: bool| {
            Event::ToolUse(LanguageModelToolUse {
                id: "call_1".into(),
                name: "read".into(),
                raw_input: raw.into(),
                input: LanguageModelToolUseInput::Json(input),
                is_input_complete: complete,
                thought_signature: None,
            })
        };
        assert_eq!(
            events[1..],
            [
                tool("{\"path\": \"src/ma", json!({"path": "src/ma"}), false),
                tool(
                    "{\"path\": \"src/main.rs\"}",
                    json!({"path": "src/main.rs"}),
                    false
                ),
                tool(
                    "{\"path\": \"src/main.rs\"}",
                    json!({"path": "src/main.rs"}),
                    true
                ),
                Event::Stop(StopReason::ToolUse),
            ]
        );
    }

    #[test]
    fn long_arguments_are_reported_in_growing_steps() {
        let mut events = vec![
            json!({"type": "response.output_item.added", "output_index": 0, "item": {"type": "function_call", "call_id": "c", "name": "write", "arguments": ""}}),
        ];
        let content = "x".repeat(200_000);
        let arguments = format!("{{\"content\": \"{content}\"}}");
        for chunk in arguments.as_bytes().chunks(10) {
            events.push(
                json!({"type": "response.function_call_arguments.delta", "output_index": 0,
                "delta": std::str::from_utf8(chunk).unwrap()}),
            );
        }
        events.push(json!({"type": "response.output_item.done", "output_index": 0, "item": {"type": "function_call", "call_id": "c", "name": "write", "arguments": arguments}}));
        events.push(json!({"type": "response.completed", "response": {}}));
        let (out, error) = run(&events);
        assert!(error.is_none());
        let partials: Vec<usize> = out
            .iter()
            .filter_map(|event| match event {
                Event::ToolUse(tool) if !tool.is_input_complete => Some(tool.raw_input.len()),
                _ => None,
            })
            .collect();
        // The first deltas each, then steps of an eighth, then of at most 4 KiB.
        assert_eq!(&partials[..3], &[10, 20, 30]);
        assert!(
            partials.len() < 100,
            "{} partials for 20,000 deltas",
            partials.len()
        );
        assert!(
            partials
                .windows(2)
                .all(|w| w[1] - w[0] <= MAX_PARTIAL_TOOL_STEP + 10)
        );
        match &out[out.len() - 2] {
            Event::ToolUse(tool) => {
                assert!(tool.is_input_complete);
                assert_eq!(
                    tool.input.as_json().unwrap()["content"]
                        .as_str()
                        .unwrap()
                        .len(),
                    200_000
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_arguments_are_a_parse_error_event() {
        let (events, _) = run(&[
            json!({"type": "response.output_item.done", "item": {"type": "function_call", "call_id": "c", "name": "t", "arguments": "{not json"}}),
            json!({"type": "response.completed", "response": {}}),
        ]);
        assert!(matches!(
            &events[1],
            Event::ToolUseJsonParseError { id, raw_input, .. } if id.to_string() == "c" && &**raw_input == "{not json"
        ));
    }

    #[test]
    fn incomplete_reasons_and_refusal() {
        for (reason, stop) in [
            ("max_output_tokens", StopReason::MaxTokens),
            ("content_filter", StopReason::Refusal),
        ] {
            let (events, error) = run(&[json!({"type": "response.incomplete",
                "response": {"incomplete_details": {"reason": reason}}})]);
            assert!(error.is_none());
            assert_eq!(events.last(), Some(&Event::Stop(stop)));
        }
        let (events, _) = run(&[
            json!({"type": "response.refusal.delta", "delta": "I can't"}),
            json!({"type": "response.completed", "response": {}}),
        ]);
        assert_eq!(events.last(), Some(&Event::Stop(StopReason::Refusal)));
    }

    #[test]
    fn failures_and_early_end() {
        let (_, error) = run(&[json!({"type": "response.failed",
            "response": {"error": {"code": "context_length_exceeded", "message": "too long"}}})]);
        assert!(matches!(
            error,
            Some(ResponsesError::ContextLengthExceeded { .. })
        ));
        let (_, error) =
            run(&[json!({"type": "error", "code": "server_error", "message": "boom"})]);
        assert!(matches!(error, Some(ResponsesError::Failed { .. })));
        let (events, error) = run(&[
            json!({"type": "response.created", "response": {"id": "r"}}),
            json!({"type": "response.output_text.delta", "delta": "Hel"}),
        ]);
        assert_eq!(events.len(), 2);
        assert!(matches!(
            error,
            Some(ResponsesError::StreamEndedUnexpectedly)
        ));
    }
}
