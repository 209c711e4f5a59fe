//! The streamed answer to a valid `/responses` request: deterministic, so tests can assert on it.
//!
//! - Text: `"You said: <last user message>"`, in several `response.output_text.delta` events.
//! - With `reasoning` in the request: first a `reasoning` output item with two summary parts,
//!   each streamed as `response.reasoning_summary_part.added` then several
//!   `response.reasoning_summary_text.delta`; its `encrypted_content` is filled when the request
//!   `include`s `reasoning.encrypted_content` (as the real backend does), `null` otherwise.
//! - With function tools offered and a last user message that says "tool" or names a tool (or
//!   `tool_choice` `"required"` / a named function): a `function_call` to the named tool, else
//!   the first one, with arguments built from its JSON schema (`{"path":"README.md"}` for a
//!   `path` string), streamed as `response.function_call_arguments.delta`. `tool_choice:"none"`
//!   never calls a tool.
//! - When the last input item is a `function_call_output`: `"The tool returned: <output>"`.
//! - With a final `compaction_trigger` input item: only a `compaction` item ([`compaction`]);
//!   with `context_management` and an input over its threshold: a `compaction` item first.
//! - Always `response.created`, `response.in_progress`, `output_item.added`/`.done` around each
//!   item, and `response.completed` with `usage` (input tokens ≈ request characters / 4;
//!   `cached_tokens` = the previous request's input under the same `prompt_cache_key`).
//!
//! Answers carry the usage-limit headers (`x-codex-primary-*` over a 300-minute window,
//! `x-codex-secondary-*` over a 10080-minute window, `x-codex-credits-*`) and `x-models-etag`.
//! The stream faults ([`Fault::ResponsesCutStream`], [`Fault::ResponsesFailed`]) are applied here.

use super::compaction;
use super::faults::Fault;
use super::models;
use super::responses::ValidRequest;
use super::sse::{self, EventLog};
use super::state::{SharedState, now_secs, random_token};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::response::Response;
use futures::StreamExt as _;
use rand::RngCore as _;
use serde_json::{Value, json};
use std::sync::Arc;

/// The 5-hour window, in minutes.
pub(super) const PRIMARY_WINDOW_MINUTES: u64 = 300;
/// The weekly window, in minutes.
pub(super) const SECONDARY_WINDOW_MINUTES: u64 = 10_080;
/// How much of the weekly window every answer reports as spent.
pub(super) const SECONDARY_USED_PERCENT: f64 = 35.0;
/// When the 5-hour window resets, seconds from now.
pub(super) const PRIMARY_RESETS_IN_SECS: i64 = 3600;
/// When the weekly window resets, seconds from now.
pub(super) const SECONDARY_RESETS_IN_SECS: i64 = 5 * 24 * 3600;

/// How much of the 5-hour window is spent: a point per answer so far (at most 99). The headers
/// of `/responses` and `/wham/usage` both report it.
/// A level set with [`Emulator::set_usage_levels`](super::Emulator::set_usage_levels) stands
/// over it.
pub(super) fn primary_used_percent(state: &SharedState) -> f64 {
    match state.limits.levels() {
        Some(levels) => levels.five_hour_used_percent,
        None => state.stats().responses_requests.min(99) as f64,
    }
}

/// How much of the weekly window is spent: [`SECONDARY_USED_PERCENT`], or the level a test set.
pub(super) fn secondary_used_percent(state: &SharedState) -> f64 {
    state
        .limits
        .levels()
        .map_or(SECONDARY_USED_PERCENT, |levels| levels.weekly_used_percent)
}
/// The longest quote of the user's message the reply repeats.
const MAX_QUOTE_CHARS: usize = 400;

/// What the model "decides" to answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// A text message.
    Text(String),
    /// A call to a function tool.
    ToolCall {
        /// The tool's name.
        name: String,
        /// The JSON arguments, as a string.
        arguments: String,
    },
}

/// Streams the answer to a request that passed every check.
pub fn answer(state: &Arc<SharedState>, request: ValidRequest) -> Response {
    let stream_fault = state.take_fault(|fault| {
        matches!(
            fault,
            Fault::ResponsesCutStream
                | Fault::ResponsesFailed { .. }
                | Fault::ResponsesLongAnswer { .. }
        )
    });
    if let Some(Fault::ResponsesLongAnswer { megabytes }) = stream_fault {
        let (log, response) = opening(&request);
        return long_answer(state, &request, log, response, megabytes);
    }
    let log = scripted_events(state, &request, stream_fault.as_ref());
    stream(state, &request, log)
}

/// `response.created` and `response.in_progress`, and the response object they carry.
fn opening(request: &ValidRequest) -> (EventLog, Value) {
    let mut log = EventLog::default();
    let response = response_object(request);
    log.push("response.created", json!({"response": response}));
    log.push("response.in_progress", json!({"response": response}));
    (log, response)
}

/// The events of the answer to `request`, with a stream fault ([`Fault::ResponsesCutStream`],
/// [`Fault::ResponsesFailed`]) applied: what the SSE body and the WebSocket both carry.
pub(crate) fn scripted_events(
    state: &Arc<SharedState>,
    request: &ValidRequest,
    stream_fault: Option<&Fault>,
) -> EventLog {
    let (mut log, mut response) = opening(request);
    if let Some(Fault::ResponsesFailed { code, message }) = stream_fault {
        response["status"] = json!("failed");
        response["error"] = json!({"code": code, "message": message});
        log.push("response.failed", json!({"response": response}));
        return log;
    }

    let mut output = Vec::new();
    let mut reasoning_tokens = 0;
    let input_tokens = estimate_tokens(&request_text(request));
    let compacts_explicitly = request
        .input
        .last()
        .is_some_and(|item| item["type"] == "compaction_trigger");
    let compacts_server_side = request
        .body
        .get("context_management")
        .and_then(Value::as_array)
        .and_then(|entries| entries.first())
        .and_then(|entry| entry["compact_threshold"].as_u64())
        .is_some_and(|threshold| input_tokens > threshold);
    let mut output_text = String::new();
    if compacts_explicitly || compacts_server_side {
        // Everything before the trigger (or the whole input) is what the compaction replaces.
        let replaced = request.input.len() - usize::from(compacts_explicitly);
        let content = compaction::mint(state, replaced, &last_user_text(request));
        output_text.push_str(&content);
        output.push(compaction::stream_item(&mut log, content, output.len()));
    }
    if !compacts_explicitly {
        if request.body.get("reasoning").is_some_and(|r| !r.is_null()) {
            let (item, tokens) = stream_reasoning(&mut log, request, output.len());
            output.push(item);
            reasoning_tokens = tokens;
        }
        let reply = plan(request);
        output_text.push_str(match &reply {
            Reply::Text(text) => text,
            Reply::ToolCall { arguments, .. } => arguments,
        });
        let item = match reply {
            Reply::Text(text) => stream_message(&mut log, &text, output.len()),
            Reply::ToolCall { name, arguments } => {
                stream_function_call(&mut log, &name, &arguments, output.len())
            }
        };
        output.push(item);
    }

    if matches!(stream_fault, Some(Fault::ResponsesCutStream)) {
        // A few deltas, then the connection closes: no `response.completed`.
        let deltas: Vec<usize> = log
            .events()
            .iter()
            .enumerate()
            .filter(|(_, event)| {
                matches!(
                    event["type"].as_str(),
                    Some("response.output_text.delta" | "response.function_call_arguments.delta")
                )
            })
            .map(|(index, _)| index)
            .collect();
        let cut = deltas
            .get(1)
            .or(deltas.first())
            .map_or(2, |index| index + 1);
        log.truncate(cut);
        return log;
    }

    let cached_tokens = state.prompt_cache_hit(
        request.body.get("prompt_cache_key").and_then(Value::as_str),
        input_tokens,
    );
    let output_tokens = estimate_tokens(&output_text) + reasoning_tokens;
    response["status"] = json!("completed");
    response["output"] = Value::Array(output);
    response["usage"] = json!({
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": cached_tokens},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "total_tokens": input_tokens + output_tokens,
    });
    log.push("response.completed", json!({"response": response}));
    log
}

/// Decides the reply: a tool call when asked for one, else a quote.
pub fn plan(request: &ValidRequest) -> Reply {
    let last = request.input.last();
    if let Some(last) = last.filter(|item| item["type"] == "function_call_output") {
        return Reply::Text(format!(
            "The tool returned: {}",
            quote(&content_text(&last["output"]))
        ));
    }
    let user_text = last_user_text(request);

    if let Some(tool) = chosen_tool(request, &user_text) {
        let name = tool["name"].as_str().unwrap_or_default().to_string();
        let arguments = arguments_for(&tool["parameters"]).to_string();
        return Reply::ToolCall { name, arguments };
    }
    if user_text.trim().is_empty() {
        Reply::Text("Hello! What can I help you with?".into())
    } else {
        Reply::Text(format!("You said: {}", quote(&user_text)))
    }
}

/// The text of the last user message in the input.
fn last_user_text(request: &ValidRequest) -> String {
    request
        .input
        .iter()
        .rev()
        .find(|item| item["role"] == "user")
        .map(|item| content_text(&item["content"]))
        .unwrap_or_default()
}

/// The tool the answer calls, if any.
fn chosen_tool<'a>(request: &'a ValidRequest, user_text: &str) -> Option<&'a Value> {
    let tools = &request.function_tools;
    let by_name = |name: &str| tools.iter().find(|tool| tool["name"] == name);
    match request.body.get("tool_choice") {
        Some(Value::String(choice)) if choice == "none" => return None,
        Some(Value::Object(choice)) if choice.get("type") == Some(&json!("function")) => {
            return choice.get("name").and_then(Value::as_str).and_then(by_name);
        }
        _ => {}
    }
    let required = request.body.get("tool_choice") == Some(&json!("required"));
    let named = tools.iter().find(|tool| {
        tool["name"]
            .as_str()
            .is_some_and(|name| user_text.contains(name))
    });
    let asks_for_a_tool = user_text
        .split(|c: char| !c.is_alphanumeric())
        .any(|word| word.eq_ignore_ascii_case("tool"));
    if named.is_some() || asks_for_a_tool || required {
        named.or(tools.first())
    } else {
        None
    }
}

/// Arguments a model would plausibly pass: one value per schema property.
pub fn arguments_for(schema: &Value) -> Value {
    let mut arguments = serde_json::Map::new();
    if let Some(properties) = schema["properties"].as_object() {
        for (name, property) in properties {
            let value = if let Some(first) = property["enum"].as_array().and_then(|e| e.first()) {
                first.clone()
            } else {
                match property["type"].as_str() {
                    Some("string") if name.contains("path") || name.contains("file") => {
                        json!("README.md")
                    }
                    Some("string") => json!("example"),
                    Some("integer") | Some("number") => json!(1),
                    Some("boolean") => json!(true),
                    Some("array") => json!([]),
                    Some("object") => json!({}),
                    _ => Value::Null,
                }
            };
            arguments.insert(name.clone(), value);
        }
    }
    Value::Object(arguments)
}

/// The text of a message's `content` (a string or parts) or of a tool output.
fn content_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|part| part["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

fn quote(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= MAX_QUOTE_CHARS {
        text.to_string()
    } else {
        let cut: String = text.chars().take(MAX_QUOTE_CHARS).collect();
        format!("{cut}…")
    }
}

/// Splits text into deltas of a word or two, keeping every character.
fn deltas(text: &str) -> Vec<String> {
    let words: Vec<&str> = text.split_inclusive(' ').collect();
    words.chunks(2).map(|chunk| chunk.concat()).collect()
}

/// A random id like the backend's: `prefix` and 48 hex digits.
fn random_id(prefix: &str) -> String {
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{hex}")
}

/// The `response` object of `response.created` (filled in by `response.completed`).
fn response_object(request: &ValidRequest) -> Value {
    let body = &request.body;
    let field = |name: &str| body.get(name).cloned().unwrap_or(Value::Null);
    json!({
        "id": random_id("resp_"),
        "object": "response",
        "created_at": now_secs(),
        "status": "in_progress",
        "background": false,
        "error": null,
        "incomplete_details": null,
        "instructions": field("instructions"),
        "max_output_tokens": null,
        "model": request.slug(),
        "output": [],
        "parallel_tool_calls": body.get("parallel_tool_calls").cloned().unwrap_or(json!(true)),
        "previous_response_id": null,
        "prompt_cache_key": field("prompt_cache_key"),
        "reasoning": field("reasoning"),
        "store": false,
        "text": body.get("text").cloned().unwrap_or(json!({"format": {"type": "text"}})),
        "tool_choice": body.get("tool_choice").cloned().unwrap_or(json!("auto")),
        "tools": body.get("tools").cloned().unwrap_or(json!([])),
        "truncation": "disabled",
        "usage": null,
        "metadata": {},
    })
}

/// A reasoning item with two summary parts; returns it and its reasoning-token count.
fn stream_reasoning(
    log: &mut EventLog,
    request: &ValidRequest,
    output_index: usize,
) -> (Value, u64) {
    let id = random_id("rs_");
    let summaries = [
        "**Reading the request**\n\nThe user sent a message; I will look at what it asks for."
            .to_string(),
        format!(
            "**Planning the answer**\n\nI will answer with {} in a few words.",
            if request.function_tools.is_empty() {
                "text"
            } else {
                "text or a tool call"
            }
        ),
    ];
    log.push(
        "response.output_item.added",
        json!({
            "output_index": output_index,
            "item": {"id": id, "type": "reasoning", "summary": []},
        }),
    );
    let mut summary_parts = Vec::new();
    for (summary_index, text) in summaries.iter().enumerate() {
        log.push(
            "response.reasoning_summary_part.added",
            json!({
                "item_id": id, "output_index": output_index, "summary_index": summary_index,
                "part": {"type": "summary_text", "text": ""},
            }),
        );
        for delta in deltas(text) {
            log.push(
                "response.reasoning_summary_text.delta",
                json!({
                    "item_id": id, "output_index": output_index,
                    "summary_index": summary_index, "delta": delta,
                }),
            );
        }
        log.push(
            "response.reasoning_summary_text.done",
            json!({
                "item_id": id, "output_index": output_index, "summary_index": summary_index,
                "text": text,
            }),
        );
        let part = json!({"type": "summary_text", "text": text});
        log.push(
            "response.reasoning_summary_part.done",
            json!({
                "item_id": id, "output_index": output_index, "summary_index": summary_index,
                "part": part,
            }),
        );
        summary_parts.push(part);
    }
    let wants_encrypted = request
        .body
        .get("include")
        .and_then(Value::as_array)
        .is_some_and(|include| include.iter().any(|i| i == "reasoning.encrypted_content"));
    let encrypted_content = wants_encrypted.then(|| random_token("gAAAAAB", 96));
    let item = json!({
        "id": id,
        "type": "reasoning",
        "summary": summary_parts,
        "encrypted_content": encrypted_content,
    });
    log.push(
        "response.output_item.done",
        json!({"output_index": output_index, "item": item}),
    );
    let tokens = summaries.iter().map(|s| estimate_tokens(s)).sum::<u64>() + 64;
    (item, tokens)
}

/// An assistant message streamed as text deltas.
fn stream_message(log: &mut EventLog, text: &str, output_index: usize) -> Value {
    let id = random_id("msg_");
    log.push(
        "response.output_item.added",
        json!({
            "output_index": output_index,
            "item": {
                "id": id, "type": "message", "status": "in_progress",
                "role": "assistant", "content": [],
            },
        }),
    );
    let location = json!({"item_id": id, "output_index": output_index, "content_index": 0});
    let with = |mut fields: Value| {
        for (key, value) in location.as_object().into_iter().flatten() {
            fields[key] = value.clone();
        }
        fields
    };
    log.push(
        "response.content_part.added",
        with(json!({"part": {"type": "output_text", "text": "", "annotations": []}})),
    );
    for delta in deltas(text) {
        log.push(
            "response.output_text.delta",
            with(json!({"delta": delta, "logprobs": []})),
        );
    }
    log.push(
        "response.output_text.done",
        with(json!({"text": text, "logprobs": []})),
    );
    let part = json!({"type": "output_text", "text": text, "annotations": [], "logprobs": []});
    log.push("response.content_part.done", with(json!({"part": part})));
    let item = json!({
        "id": id, "type": "message", "status": "completed", "role": "assistant",
        "content": [part],
    });
    log.push(
        "response.output_item.done",
        json!({"output_index": output_index, "item": item}),
    );
    item
}

/// A function call streamed as argument deltas.
fn stream_function_call(
    log: &mut EventLog,
    name: &str,
    arguments: &str,
    output_index: usize,
) -> Value {
    let id = random_id("fc_");
    let call_id = random_token("call_", 18);
    log.push(
        "response.output_item.added",
        json!({
            "output_index": output_index,
            "item": {
                "id": id, "type": "function_call", "status": "in_progress",
                "arguments": "", "call_id": call_id, "name": name,
            },
        }),
    );
    let characters: Vec<char> = arguments.chars().collect();
    for chunk in characters.chunks(8) {
        log.push(
            "response.function_call_arguments.delta",
            json!({
                "item_id": id, "output_index": output_index,
                "delta": chunk.iter().collect::<String>(),
            }),
        );
    }
    log.push(
        "response.function_call_arguments.done",
        json!({"item_id": id, "output_index": output_index, "arguments": arguments}),
    );
    let item = json!({
        "id": id, "type": "function_call", "status": "completed",
        "arguments": arguments, "call_id": call_id, "name": name,
    });
    log.push(
        "response.output_item.done",
        json!({"output_index": output_index, "item": item}),
    );
    item
}

/// Everything the model reads: instructions, input and tools.
fn request_text(request: &ValidRequest) -> String {
    let body = &request.body;
    format!(
        "{}{}{}",
        body.get("instructions")
            .and_then(Value::as_str)
            .unwrap_or_default(),
        Value::Array(request.input.clone()),
        body.get("tools").cloned().unwrap_or(Value::Null),
    )
}

/// About four characters per token, as tokenizers average on English and code.
fn estimate_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

/// How much text each delta of a [`Fault::ResponsesLongAnswer`] carries.
const LONG_ANSWER_DELTA_BYTES: usize = 16 * 1024;

/// [`Fault::ResponsesLongAnswer`]: `head` (created, in progress), then a message of `megabytes`
/// MiB of text whose deltas are framed one at a time as the client reads them, then its end. The
/// closing events leave the text out (see the fault), so nothing here grows with the answer.
fn long_answer(
    state: &Arc<SharedState>,
    request: &ValidRequest,
    mut head: EventLog,
    mut response: Value,
    megabytes: u64,
) -> Response {
    let id = random_id("msg_");
    head.push(
        "response.output_item.added",
        json!({
            "output_index": 0,
            "item": {"id": id, "type": "message", "status": "in_progress",
                     "role": "assistant", "content": []},
        }),
    );
    let location = json!({"item_id": id, "output_index": 0, "content_index": 0});
    let mut part_added = location.clone();
    part_added["part"] = json!({"type": "output_text", "text": "", "annotations": []});
    head.push("response.content_part.added", part_added);

    let line = "All work and no play makes a long answer. ";
    let delta: String = line
        .chars()
        .cycle()
        .take(LONG_ANSWER_DELTA_BYTES - 1)
        .chain(['\n'])
        .collect();
    let bytes = usize::try_from(megabytes.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX);
    let count = bytes.div_ceil(LONG_ANSWER_DELTA_BYTES);
    let first = head.events().len();
    let delta_event = {
        let mut event = location.clone();
        event["type"] = json!("response.output_text.delta");
        event["delta"] = json!(delta);
        event["logprobs"] = json!([]);
        event
    };
    let deltas = (0..count).map(move |index| {
        let mut event = delta_event.clone();
        event["sequence_number"] = json!(first + index);
        sse::frame(&event)
    });

    // The end, numbered after the deltas.
    let numbered = |kind: &str, mut fields: Value, number: usize| {
        fields["type"] = json!(kind);
        fields["sequence_number"] = json!(number);
        sse::frame(&fields)
    };
    let item = json!({
        "id": id, "type": "message", "status": "completed", "role": "assistant",
        "content": [{"type": "output_text", "text": "", "annotations": []}],
    });
    let item_done = numbered(
        "response.output_item.done",
        json!({"output_index": 0, "item": item}),
        first + count,
    );
    let output_tokens = (bytes as u64).div_ceil(4);
    response["status"] = json!("completed");
    response["output"] = json!([item]);
    response["usage"] = json!({
        "input_tokens": 10, "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output_tokens, "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": output_tokens + 10,
    });
    let completed = numbered(
        "response.completed",
        json!({"response": response}),
        first + count + 1,
    );
    let tail = [item_done, completed];

    let head: Vec<_> = head.events().iter().map(sse::frame).collect();
    let frames = head.into_iter().chain(deltas).chain(tail);
    let total = first + count + 2;
    let body = Body::from_stream(futures::stream::iter(
        frames.map(Ok::<_, std::convert::Infallible>),
    ));
    stream_body(state, request, body, total)
}

/// The SSE answer with its headers.
fn stream(state: &Arc<SharedState>, request: &ValidRequest, log: EventLog) -> Response {
    let events = log.events().len();
    let body = log.into_body(state.stream_pause());
    stream_body(state, request, body, events)
}

/// An SSE `body` of `events` events, with the headers every answer carries.
fn stream_body(
    state: &Arc<SharedState>,
    request: &ValidRequest,
    body: Body,
    events: usize,
) -> Response {
    let mut response = Response::new(Body::empty());
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(value) = HeaderValue::from_str(&random_id("req_")) {
        headers.insert(HeaderName::from_static("x-request-id"), value);
    }
    if let Ok(value) = HeaderValue::from_str(request.slug()) {
        headers.insert(HeaderName::from_static("openai-model"), value);
    }
    let used = primary_used_percent(state);
    insert_limit_headers(headers, used, now_secs() + PRIMARY_RESETS_IN_SECS, state);
    // Counted as in flight (per model) until its last event is handed to the connection (so a
    // client that reads it and sends its next request is never counted twice), or until the
    // client goes away.
    let mut in_flight = Some(state.begin_response_stream(request.slug()));
    let mut left = events;
    *response.body_mut() = Body::from_stream(body.into_data_stream().map(move |chunk| {
        left = left.saturating_sub(1);
        if left == 0 {
            in_flight.take();
        }
        chunk
    }));
    response
}

/// The usage-limit and catalog headers every `/responses` answer carries.
pub fn insert_limit_headers(
    headers: &mut HeaderMap,
    primary_used_percent: f64,
    primary_reset_at: i64,
    state: &SharedState,
) {
    let secondary_reset_at = now_secs() + SECONDARY_RESETS_IN_SECS;
    let values = [
        (
            "x-codex-primary-used-percent",
            primary_used_percent.to_string(),
        ),
        (
            "x-codex-primary-window-minutes",
            PRIMARY_WINDOW_MINUTES.to_string(),
        ),
        ("x-codex-primary-reset-at", primary_reset_at.to_string()),
        (
            "x-codex-secondary-used-percent",
            secondary_used_percent(state).to_string(),
        ),
        (
            "x-codex-secondary-window-minutes",
            SECONDARY_WINDOW_MINUTES.to_string(),
        ),
        ("x-codex-secondary-reset-at", secondary_reset_at.to_string()),
        ("x-codex-credits-has-credits", "false".to_string()),
        ("x-codex-credits-unlimited", "false".to_string()),
        ("x-codex-credits-balance", "0".to_string()),
        ("x-models-etag", models::etag(state)),
    ];
    for (name, value) in values {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_follow_the_schema() {
        let schema = json!({
            "type": "object",
            "properties": {
                "path": {"type": "string"},
                "mode": {"type": "string", "enum": ["read", "write"]},
                "limit": {"type": "integer"},
            },
            "required": ["path"],
        });
        assert_eq!(
            arguments_for(&schema),
            json!({"path": "README.md", "mode": "read", "limit": 1})
        );
    }

    #[test]
    fn deltas_keep_every_character() {
        let text = "You said: hello there, general Kenobi";
        let pieces = deltas(text);
        assert!(pieces.len() > 1);
        assert_eq!(pieces.concat(), text);
    }
}
