//! The `response.create` message: the HTTP body's fields, plus `type`, and on a delta
//! `previous_response_id` with only the new items; `generate: false` on a pre-warm. Serialised
//! from borrowed fields, so a delta costs only its new items.
//!
//! **Field order.** Every frame repeats the instructions and the tool schemas (often 10–20 KB
//! together), and permessage-deflate can only refer back 32 KiB into the socket's earlier
//! messages. JSON's key order means nothing to the server, so the three large fields (tools,
//! instructions, input) go in the order that keeps the instructions and the tools within that
//! window of their copy in the previous frame, given the sizes of this frame's input and the
//! last one's ([`FrameLayout`] remembers where they went). When several orders do, the first of
//! [`ORDERS`] wins: measured on the `request_cost` bench's 150-turn thread, this keeps 3.6 % of
//! the bytes of any fixed order off the wire.

use super::chain::FramePlan;
use crate::responses::request::{
    ContextManagement, ReasoningParams, ResponsesRequest, ServiceTier, TextParams, ToolChoice,
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

/// The small fields, first in every frame.
#[derive(Serialize)]
struct SmallFields<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    model: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_response_id: Option<&'a str>,
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

/// A large field whose place in the frame is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Piece {
    /// `tools`: always present, possibly `[]` (as the Codex CLI sends it).
    Tools,
    /// `instructions`: left out when empty.
    Instructions,
    /// `input`: the whole thread, or on a delta only the new items.
    Input,
}

/// The orders tried, the preferred first (see the module docs).
const ORDERS: [[Piece; 3]; 6] = {
    use Piece::{Input, Instructions, Tools};
    [
        [Tools, Instructions, Input],
        [Instructions, Input, Tools],
        [Instructions, Tools, Input],
        [Tools, Input, Instructions],
        [Input, Instructions, Tools],
        [Input, Tools, Instructions],
    ]
};

/// How far back deflate can copy from (RFC 1951's 32 KiB window), less the lookahead a
/// compressor keeps and some slack.
const WINDOW: u64 = 32 * 1024 - 512;

/// Where a socket's earlier messages put the repeated fields, counted in bytes of message text
/// since the socket opened (what its compressor has seen).
#[derive(Debug, Default)]
pub(crate) struct FrameLayout {
    sent: u64,
    tools_at: Option<u64>,
    instructions_at: Option<u64>,
}

impl FrameLayout {
    fn last_copy(&self, piece: Piece) -> Option<u64> {
        match piece {
            Piece::Tools => self.tools_at,
            Piece::Instructions => self.instructions_at,
            Piece::Input => None,
        }
    }
}

/// The message for `request` as `plan` says, laid out for the socket whose earlier messages
/// `layout` describes (and updated as if the message was sent).
pub(crate) fn encode(
    request: &ResponsesRequest,
    plan: &FramePlan,
    generate: Generate,
    layout: &mut FrameLayout,
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
    let small = serde_json::to_vec(&SmallFields {
        kind: "response.create",
        model: &request.model,
        previous_response_id,
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
    })?;
    let tools = member("tools", &request.tools)?;
    let instructions = if request.instructions.is_empty() {
        Vec::new()
    } else {
        member("instructions", &request.instructions)?
    };
    let input = member("input", input)?;
    let piece = |piece: Piece| -> &[u8] {
        match piece {
            Piece::Tools => &tools,
            Piece::Instructions => &instructions,
            Piece::Input => &input,
        }
    };

    // `small` ends with `}`: the pieces go before it, each after a comma.
    let head = small.len().saturating_sub(1);
    let start = layout.sent.saturating_add(head as u64);
    let order = ORDERS
        .iter()
        .min_by_key(|order| {
            let mut at = start;
            let mut missed = 0u64;
            for &which in order.iter() {
                let bytes = piece(which);
                if bytes.is_empty() {
                    continue;
                }
                at = at.saturating_add(1);
                if which != Piece::Input
                    && layout
                        .last_copy(which)
                        .is_none_or(|copy| at.saturating_sub(copy) > WINDOW)
                {
                    missed = missed.saturating_add(bytes.len() as u64);
                }
                at = at.saturating_add(bytes.len() as u64);
            }
            // `min_by_key` keeps the first of equals: the preferred order.
            missed
        })
        .unwrap_or(&ORDERS[0]);

    let total = [small.len(), tools.len(), instructions.len(), input.len(), 3]
        .into_iter()
        .fold(0usize, usize::saturating_add);
    let mut text = Vec::with_capacity(total);
    text.extend_from_slice(small.get(..head).unwrap_or_default());
    for &which in order {
        let bytes = piece(which);
        if bytes.is_empty() {
            continue;
        }
        text.push(b',');
        let at = layout.sent.saturating_add(text.len() as u64);
        match which {
            Piece::Tools => layout.tools_at = Some(at),
            Piece::Instructions => layout.instructions_at = Some(at),
            Piece::Input => {}
        }
        text.extend_from_slice(bytes);
    }
    text.push(b'}');
    layout.sent = layout.sent.saturating_add(text.len() as u64);
    // Every part is serde_json's output, and the joins are ASCII.
    Ok(String::from_utf8(text).unwrap_or_default())
}

/// `"name":value` as JSON text.
fn member<T: Serialize + ?Sized>(name: &str, value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let mut bytes = serde_json::to_vec(name)?;
    bytes.push(b':');
    serde_json::to_writer(&mut bytes, value)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::responses::request::{ContentPart, InputItem, MessageRole};

    fn request(input_bytes: usize) -> ResponsesRequest {
        ResponsesRequest {
            model: "m".into(),
            instructions: "i".repeat(8_000),
            input: vec![InputItem::Message {
                role: MessageRole::User,
                content: vec![ContentPart::InputText {
                    text: "x".repeat(input_bytes),
                }],
            }],
            tools: Vec::new(),
            tool_choice: None,
            parallel_tool_calls: None,
            reasoning: None,
            store: false,
            stream: true,
            include: Vec::new(),
            prompt_cache_key: Some("t".into()),
            text: None,
            service_tier: None,
            context_management: None,
        }
    }

    fn keys(text: &str) -> Vec<String> {
        let value: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text).unwrap();
        let mut keys: Vec<(usize, String)> = value
            .keys()
            .map(|key| (text.find(&format!("\"{key}\":")).unwrap(), key.clone()))
            .collect();
        keys.sort();
        keys.into_iter().map(|(_, key)| key).collect()
    }

    #[test]
    fn every_field_is_there_once_whatever_the_order() {
        let mut layout = FrameLayout::default();
        let plan = FramePlan::Full(super::super::chain::FullReason::NewSocket);
        for input_bytes in [10, 20_000, 10, 30_000] {
            let text = encode(&request(input_bytes), &plan, Generate::Answer, &mut layout).unwrap();
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(value["type"], "response.create");
            assert_eq!(value["instructions"].as_str().unwrap().len(), 8_000);
            assert_eq!(value["tools"], serde_json::json!([]));
            assert_eq!(value["input"].as_array().unwrap().len(), 1);
            assert_eq!(keys(&text).first().map(String::as_str), Some("type"));
        }
    }

    #[test]
    fn after_a_large_input_the_repeated_fields_go_where_deflate_still_reaches_them() {
        let mut layout = FrameLayout::default();
        let plan = FramePlan::Full(super::super::chain::FullReason::NewSocket);
        let with_tools = |input_bytes| {
            let mut request = request(input_bytes);
            request.tools = serde_json::from_value(serde_json::json!([{
                "type": "function", "name": "read_file", "description": "d".repeat(8_000),
                "parameters": {"type": "object"}, "strict": false
            }]))
            .unwrap();
            request
        };
        let order = |text: &str| keys(text).split_off(keys(text).len() - 3);
        let mut send = |input_bytes| {
            encode(
                &with_tools(input_bytes),
                &plan,
                Generate::Answer,
                &mut layout,
            )
            .unwrap()
        };
        // Nothing to reach yet, then everything within reach: the preferred order.
        assert_eq!(order(&send(10)), ["tools", "instructions", "input"]);
        assert_eq!(order(&send(20_000)), ["tools", "instructions", "input"]);
        // The 20 KB input pushed the tools out of reach whatever the order, but the
        // instructions are still within the window if they come first; the tools go last,
        // right before the next frame.
        assert_eq!(order(&send(10)), ["instructions", "input", "tools"]);
        assert_eq!(order(&send(10)), ["tools", "instructions", "input"]);
    }
}
