//! The Responses API's stream events, as the wire carries them in each SSE `data:` line.
//!
//! [`ResponsesEvent::parse`] reads one event in a single pass: the JSON goes into one flat struct
//! whose fields cover every event this client handles (serde skips the rest without building
//! them), and is then sorted into the typed [`ResponsesEvent`]. An internally tagged serde enum
//! would buffer each event into an intermediate tree before choosing its variant, which doubles
//! the work on the hot path (thousands of small text deltas per answer). Event types this client
//! does not know become [`ResponsesEvent::Other`] and are ignored, as the spec asks.

use serde::Deserialize;
use std::borrow::Cow;

/// One event of a `/responses` stream.
#[derive(Clone, Debug, PartialEq)]
pub enum ResponsesEvent {
    /// `response.created`: the backend accepted the request.
    Created {
        /// The response's id.
        response_id: Option<String>,
    },
    /// `response.output_item.added`: a message, reasoning or function-call item starts.
    OutputItemAdded {
        /// The item's place in the output.
        output_index: Option<u64>,
        /// The item as it starts.
        item: OutputItem,
    },
    /// `response.output_item.done`: an item is complete.
    OutputItemDone {
        /// The item's place in the output.
        output_index: Option<u64>,
        /// The complete item.
        item: OutputItem,
    },
    /// `response.output_text.delta`: answer text.
    OutputTextDelta {
        /// The new text.
        delta: String,
    },
    /// `response.refusal.delta`: the model refusing, in words.
    RefusalDelta {
        /// The new text.
        delta: String,
    },
    /// `response.reasoning_summary_part.added`: a new reasoning summary part starts.
    ReasoningSummaryPartAdded {
        /// Which part (0 for the first).
        summary_index: u64,
    },
    /// `response.reasoning_summary_text.delta`: reasoning summary text.
    ReasoningSummaryTextDelta {
        /// The new text.
        delta: String,
    },
    /// `response.reasoning_text.delta`: raw reasoning text (models that expose it).
    ReasoningTextDelta {
        /// The new text.
        delta: String,
    },
    /// `response.function_call_arguments.delta`: more of a tool call's JSON arguments.
    FunctionCallArgumentsDelta {
        /// The call item's place in the output.
        output_index: Option<u64>,
        /// The new argument text.
        delta: String,
    },
    /// `response.completed`: the answer is complete.
    Completed {
        /// The final response, with usage.
        response: ResponseInfo,
    },
    /// `response.incomplete`: the answer stopped early (token limit, content filter).
    Incomplete {
        /// The response, with `incomplete_details` and usage.
        response: ResponseInfo,
    },
    /// `response.failed`: the answer failed; `response.error` says why.
    Failed {
        /// The response, with its error.
        response: ResponseInfo,
    },
    /// `error`: the stream failed.
    Error {
        /// The error's code.
        code: Option<String>,
        /// What went wrong.
        message: Option<String>,
    },
    /// Any other event (`response.in_progress`, `response.output_text.done`, future ones…).
    Other,
}

/// An output item, reduced to what the client needs.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutputItem {
    /// An assistant message (its text arrives as deltas; the done item repeats it whole).
    Message {
        /// Its parts (`output_text`, `refusal`).
        #[serde(default)]
        content: Vec<MessagePart>,
    },
    /// Reasoning: its summary and its encrypted content, which the next turn replays.
    Reasoning {
        /// The summary parts.
        #[serde(default)]
        summary: Vec<SummaryPart>,
        /// The reasoning, encrypted for replay (asked for with `include`).
        #[serde(default)]
        encrypted_content: Option<String>,
    },
    /// A tool call.
    FunctionCall {
        /// The model's id for the call.
        call_id: String,
        /// The tool's name.
        name: String,
        /// The JSON arguments (empty when the item starts).
        #[serde(default)]
        arguments: String,
    },
    /// A compaction: the thread's context so far, compacted by the backend.
    Compaction {
        /// The opaque compacted context, replayed as input on later turns.
        #[serde(default)]
        encrypted_content: Option<String>,
    },
    /// Any other item kind (web search calls, future kinds…).
    #[serde(other)]
    Other,
}

/// One part of an assistant message item.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct MessagePart {
    /// The text of an `output_text` part.
    #[serde(default)]
    pub text: Option<String>,
}

/// One reasoning summary part.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct SummaryPart {
    /// Its text.
    #[serde(default)]
    pub text: String,
}

/// The `response` object of the terminal events, reduced to what the client needs.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct ResponseInfo {
    /// The response's id.
    #[serde(default)]
    pub id: Option<String>,
    /// Token counts.
    #[serde(default)]
    pub usage: Option<Usage>,
    /// Why it failed (`response.failed`).
    #[serde(default)]
    pub error: Option<ErrorInfo>,
    /// Why it stopped early (`response.incomplete`).
    #[serde(default)]
    pub incomplete_details: Option<IncompleteDetails>,
}

/// `usage`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Usage {
    /// Input tokens, cached ones included.
    #[serde(default)]
    pub input_tokens: u64,
    /// The cached share of the input.
    #[serde(default)]
    pub input_tokens_details: Option<InputTokensDetails>,
    /// Output tokens, reasoning included.
    #[serde(default)]
    pub output_tokens: u64,
    /// The reasoning share of the output.
    #[serde(default)]
    pub output_tokens_details: Option<OutputTokensDetails>,
    /// Input plus output.
    #[serde(default)]
    pub total_tokens: u64,
}

/// `usage.input_tokens_details`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct InputTokensDetails {
    /// Input tokens read from the prompt cache.
    #[serde(default)]
    pub cached_tokens: u64,
}

/// `usage.output_tokens_details`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct OutputTokensDetails {
    /// Output tokens spent reasoning.
    #[serde(default)]
    pub reasoning_tokens: u64,
}

/// An error object (`response.error`, or the body of an `error` event).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ErrorInfo {
    /// The error's code, e.g. `context_length_exceeded`.
    #[serde(default)]
    pub code: Option<String>,
    /// What went wrong.
    #[serde(default)]
    pub message: Option<String>,
}

/// `response.incomplete_details`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct IncompleteDetails {
    /// `max_output_tokens` or `content_filter`.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Every field any handled event has, read in one pass.
#[derive(Deserialize)]
struct WireEvent<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default)]
    delta: Option<String>,
    #[serde(default)]
    output_index: Option<u64>,
    #[serde(default)]
    summary_index: Option<u64>,
    #[serde(default)]
    item: Option<OutputItem>,
    #[serde(default)]
    response: Option<ResponseInfo>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    error: Option<ErrorInfo>,
}

impl ResponsesEvent {
    /// Parses one SSE `data:` payload.
    pub fn parse(data: &str) -> Result<Self, serde_json::Error> {
        let wire: WireEvent<'_> = serde_json::from_str(data)?;
        let delta = || wire.delta.clone().unwrap_or_default();
        Ok(match wire.kind.as_ref() {
            "response.created" => Self::Created {
                response_id: wire.response.and_then(|response| response.id),
            },
            "response.output_item.added" | "response.output_item.done" => {
                let Some(item) = wire.item else {
                    return Ok(Self::Other);
                };
                if wire.kind == "response.output_item.added" {
                    Self::OutputItemAdded {
                        output_index: wire.output_index,
                        item,
                    }
                } else {
                    Self::OutputItemDone {
                        output_index: wire.output_index,
                        item,
                    }
                }
            }
            "response.output_text.delta" => Self::OutputTextDelta { delta: delta() },
            "response.refusal.delta" => Self::RefusalDelta { delta: delta() },
            "response.reasoning_summary_part.added" => Self::ReasoningSummaryPartAdded {
                summary_index: wire.summary_index.unwrap_or(0),
            },
            "response.reasoning_summary_text.delta" => {
                Self::ReasoningSummaryTextDelta { delta: delta() }
            }
            "response.reasoning_text.delta" => Self::ReasoningTextDelta { delta: delta() },
            "response.function_call_arguments.delta" => Self::FunctionCallArgumentsDelta {
                output_index: wire.output_index,
                delta: delta(),
            },
            "response.completed" => Self::Completed {
                response: wire.response.unwrap_or_default(),
            },
            "response.incomplete" => Self::Incomplete {
                response: wire.response.unwrap_or_default(),
            },
            "response.failed" => Self::Failed {
                response: wire.response.unwrap_or_default(),
            },
            "error" => {
                // Seen both flat (`{code, message}`) and nested (`{error: {code, message}}`).
                let nested = wire.error.unwrap_or_default();
                Self::Error {
                    code: wire.code.or(nested.code),
                    message: wire.message.or(nested.message),
                }
            }
            _ => Self::Other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_shapes_and_ignores_unknown_ones() {
        assert_eq!(
            ResponsesEvent::parse(
                r#"{"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1","output_index":1,"content_index":0,"delta":"Hi \"there\"","logprobs":[]}"#
            )
            .unwrap(),
            ResponsesEvent::OutputTextDelta {
                delta: "Hi \"there\"".into()
            }
        );
        assert_eq!(
            ResponsesEvent::parse(
                r#"{"type":"response.output_item.done","output_index":0,"item":{"id":"rs_1","type":"reasoning","summary":[{"type":"summary_text","text":"S"}],"encrypted_content":"gAAA"}}"#
            )
            .unwrap(),
            ResponsesEvent::OutputItemDone {
                output_index: Some(0),
                item: OutputItem::Reasoning {
                    summary: vec![SummaryPart { text: "S".into() }],
                    encrypted_content: Some("gAAA".into())
                }
            }
        );
        assert_eq!(
            ResponsesEvent::parse(r#"{"type":"response.output_item.added","item":{"type":"web_search_call","id":"ws"}}"#).unwrap(),
            ResponsesEvent::OutputItemAdded { output_index: None, item: OutputItem::Other }
        );
        assert_eq!(
            ResponsesEvent::parse(r#"{"type":"response.something_new","x":[1,{"y":2}]}"#).unwrap(),
            ResponsesEvent::Other
        );
        assert_eq!(
            ResponsesEvent::parse(r#"{"type":"error","error":{"code":"c","message":"m"}}"#)
                .unwrap(),
            ResponsesEvent::Error {
                code: Some("c".into()),
                message: Some("m".into())
            }
        );
        let ResponsesEvent::Completed { response } = ResponsesEvent::parse(
            r#"{"type":"response.completed","response":{"id":"resp_1","instructions":"long…","tools":[],"usage":{"input_tokens":10,"input_tokens_details":{"cached_tokens":4},"output_tokens":5,"output_tokens_details":{"reasoning_tokens":2},"total_tokens":15}}}"#,
        )
        .unwrap() else {
            panic!()
        };
        let usage = response.usage.unwrap();
        assert_eq!(usage.input_tokens_details.unwrap().cached_tokens, 4);
        assert_eq!(usage.total_tokens, 15);
        assert!(ResponsesEvent::parse("not json").is_err());
    }
}
