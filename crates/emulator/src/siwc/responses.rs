//! `POST /v1/responses` on the official API (siwc.md §4, §9.3, §9.4): the preview rules, then
//! a standard Responses SSE stream.
//!
//! Checks, in order, after the bearer ([`super::admission`]); each violation is its own 400 with
//! `param` set:
//! - the body is a JSON object; `store` is `false`, `stream` is `true`, `input` is an array, and
//!   `model` a string: else `invalid_request_error` (the live code is unknown, §10);
//! - none of the fields §4 says to omit, and no `previous_response_id` over HTTP:
//!   `subscription_sharing_unsupported_capability`, `param` = the field;
//! - `service_tier` only `auto`, `default` or `priority` (`param: "service_tier"`);
//! - `tools`: only namespaces (holding function or custom tools) and web search; an
//!   un-namespaced function or custom tool, or an unsupported tool (`image_generation`,
//!   `file_search`, `code_interpreter`, `computer_use…`, `mcp`, `tool_search`,
//!   `programmatic_tool_calling`): `param: "tools"`;
//! - `input` items: no `role: "system"`, only the accepted item types (§4's list), an
//!   `additional_tools` item only with role `developer` and namespaced tools, a `function_call`
//!   echoed back with its `namespace`, no audio: `param: "input"`.
//!
//! Each refusal's `param` is also kept in [`crate::SiwcStats::rule_refusals`], so a test can show
//! that a client never met one.
//!
//! The answer (deterministic, like the Codex route's [`crate::script`]): when the last input
//! item is a `function_call_output`, `"The tool returned: <output>"`; when the last user text
//! names an offered tool or says "tool", a `function_call` to that tool (or the first) carrying
//! its `namespace`, with arguments from its schema ([`crate::script::arguments_for`]); else
//! `"You said: <text>"`. No rate-limit headers and no `codex.rate_limits` events (§4). The
//! stream faults ([`SiwcFault::LimitMidStream`], [`SiwcFault::Incomplete`], [`SiwcFault::Cut`],
//! [`SiwcFault::OmitContentType`]) are applied here.

use super::admission::{LIMIT_CODE, LIMIT_MESSAGE, arrival_answer, check_bearer};
use super::faults::{FaultSite, SiwcFault};
use super::state::SiwcState;
use crate::errors::{Rejection, api_error};
use crate::sse::EventLog;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;

/// Fields §4 says to omit (each refused with `param` = its name), and `previous_response_id`.
pub const OMITTED_FIELDS: [&str; 16] = [
    "background",
    "conversation",
    "max_output_tokens",
    "max_tool_calls",
    "metadata",
    "moderation",
    "multi_agent",
    "prompt",
    "prompt_cache_retention",
    "safety_identifier",
    "temperature",
    "top_logprobs",
    "top_p",
    "truncation",
    "user",
    "previous_response_id",
];

/// Tools the preview does not support (§4).
const UNSUPPORTED_TOOLS: [&str; 9] = [
    "image_generation",
    "file_search",
    "code_interpreter",
    "computer_use",
    "computer_use_preview",
    "mcp",
    "tool_search",
    "programmatic_tool_calling",
    "local_shell",
];

/// History item types the preview accepts (§4, as a live error listed them).
const ACCEPTED_ITEM_TYPES: [&str; 11] = [
    "message",
    "item_reference",
    "additional_tools",
    "compaction",
    "reasoning",
    "web_search_call",
    "function_call",
    "function_call_output",
    "custom_tool_call",
    "custom_tool_call_output",
    "programmatic_tool_call",
];

/// A tool the request offers, with the namespace it sits in.
#[derive(Clone, Debug)]
struct OfferedTool {
    namespace: String,
    tool: Value,
}

/// A request that passed every check.
#[derive(Debug)]
struct ValidRequest {
    model: String,
    input: Vec<Value>,
    tools: Vec<OfferedTool>,
    body_len: usize,
}

/// `POST /v1/responses`.
pub async fn create_response(
    State(state): State<Arc<SiwcState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.count(|stats| &mut stats.responses_requests);
    if let Some(fault) = state.take_fault(FaultSite::ResponsesArrival)
        && let Some(answer) = arrival_answer(&fault)
    {
        return answer;
    }
    if let Err(rejection) = check_bearer(&state, &headers) {
        return rejection.into_response();
    }
    match validate(&body) {
        Ok(request) => stream(&state, &request),
        Err(refused) => {
            state.note_rule_refusal(refused.param);
            refused.rejection.into_response()
        }
    }
}

/// A request the rules refused: the `param` its 400 names (`"body"` when it is not a JSON
/// object) and the answer.
struct Refused {
    param: &'static str,
    rejection: Rejection,
}

fn invalid(param: &'static str, message: &str) -> Refused {
    let named = (param != "body").then_some(param);
    Refused {
        param,
        rejection: api_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            None,
            named,
            message,
        )
        .into(),
    }
}

fn unsupported(param: &'static str, message: &str) -> Refused {
    Refused {
        param,
        rejection: api_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("subscription_sharing_unsupported_capability"),
            Some(param),
            message,
        )
        .into(),
    }
}

/// Checks the body against §4's rules.
fn validate(body: &[u8]) -> Result<ValidRequest, Refused> {
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(body) else {
        return Err(invalid("body", "The body must be a JSON object."));
    };
    if request.get("store") != Some(&Value::Bool(false)) {
        return Err(invalid(
            "store",
            "store must be false for subscription sharing.",
        ));
    }
    if request.get("stream") != Some(&Value::Bool(true)) {
        return Err(invalid(
            "stream",
            "stream must be true for subscription sharing.",
        ));
    }
    let Some(Value::Array(input)) = request.get("input") else {
        return Err(invalid(
            "input",
            "input must be an array holding the whole conversation.",
        ));
    };
    let Some(model) = request.get("model").and_then(Value::as_str) else {
        return Err(invalid("model", "model is required."));
    };
    if let Some(field) = OMITTED_FIELDS.iter().find(|f| request.contains_key(**f)) {
        return Err(unsupported(
            field,
            &format!("'{field}' is not supported with subscription sharing."),
        ));
    }
    if let Some(tier) = request.get("service_tier")
        && !matches!(tier.as_str(), Some("auto" | "default" | "priority"))
    {
        return Err(unsupported(
            "service_tier",
            "This service tier is not supported with subscription sharing.",
        ));
    }
    let mut tools = Vec::new();
    if let Some(top_level) = request.get("tools") {
        let Some(top_level) = top_level.as_array() else {
            return Err(invalid("tools", "tools must be an array."));
        };
        collect_tools(top_level, &mut tools).map_err(|message| unsupported("tools", &message))?;
    }
    for item in input {
        check_item(item, &mut tools).map_err(|message| unsupported("input", &message))?;
    }
    Ok(ValidRequest {
        model: model.to_string(),
        input: input.clone(),
        tools,
        body_len: body.len(),
    })
}

/// Checks a tool list; namespaced function tools go to `offered`.
fn collect_tools(list: &[Value], offered: &mut Vec<OfferedTool>) -> Result<(), String> {
    for tool in list {
        let kind = tool["type"].as_str().unwrap_or_default();
        match kind {
            "namespace" => {
                let namespace = tool["name"].as_str().unwrap_or_default();
                if namespace.is_empty() {
                    return Err("A namespace needs a name.".into());
                }
                for inner in tool["tools"].as_array().into_iter().flatten() {
                    match inner["type"].as_str() {
                        Some("function" | "custom") => offered.push(OfferedTool {
                            namespace: namespace.to_string(),
                            tool: inner.clone(),
                        }),
                        other => {
                            return Err(format!(
                                "A namespace holds function or custom tools, not {}.",
                                other.unwrap_or("an untyped tool")
                            ));
                        }
                    }
                }
            }
            "web_search" | "web_search_preview" => {}
            "function" | "custom" => {
                return Err(format!(
                    "Function and custom tools must sit in a namespace ('{}' does not).",
                    tool["name"].as_str().unwrap_or_default()
                ));
            }
            other if UNSUPPORTED_TOOLS.iter().any(|t| other.starts_with(t)) => {
                return Err(format!(
                    "The '{other}' tool is not supported with subscription sharing."
                ));
            }
            other => return Err(format!("Unknown tool type '{other}'.")),
        }
    }
    Ok(())
}

/// Checks one input item; an `additional_tools` item's tools go to `offered`.
fn check_item(item: &Value, offered: &mut Vec<OfferedTool>) -> Result<(), String> {
    let Some(object) = item.as_object() else {
        return Err("Every input item must be an object.".into());
    };
    if object.get("role").and_then(Value::as_str) == Some("system") {
        return Err(
            "System messages are not supported: use instructions or a developer message.".into(),
        );
    }
    let kind = match object.get("type").and_then(Value::as_str) {
        Some(kind) => kind,
        None if object.contains_key("role") => "message",
        None => return Err("An input item needs a type.".into()),
    };
    if !ACCEPTED_ITEM_TYPES.contains(&kind) {
        return Err(format!(
            "Input items of type '{kind}' are not supported; accepted: {}.",
            ACCEPTED_ITEM_TYPES.join(", ")
        ));
    }
    match kind {
        "message" => check_message(object),
        "additional_tools" => {
            if object.get("role").and_then(Value::as_str) != Some("developer") {
                return Err("additional_tools items take the role 'developer'.".into());
            }
            let tools = object.get("tools").and_then(Value::as_array);
            collect_tools(tools.map(Vec::as_slice).unwrap_or_default(), offered)
        }
        "function_call" => {
            if object
                .get("namespace")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                return Err(
                    "A function_call item must carry the namespace the model called it in.".into(),
                );
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn check_message(message: &Map<String, Value>) -> Result<(), String> {
    match message.get("role").and_then(Value::as_str) {
        Some("user" | "assistant" | "developer") => {}
        other => {
            return Err(format!(
                "Unsupported message role '{}'.",
                other.unwrap_or_default()
            ));
        }
    }
    for part in message
        .get("content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if part["type"] == "input_audio" {
            return Err("Audio input is not supported with subscription sharing.".into());
        }
    }
    Ok(())
}

/// What the model "decides".
enum Reply {
    Text(String),
    ToolCall {
        namespace: String,
        name: String,
        arguments: String,
    },
}

fn plan(request: &ValidRequest) -> Reply {
    if let Some(last) = request
        .input
        .last()
        .filter(|item| item["type"] == "function_call_output")
    {
        return Reply::Text(format!(
            "The tool returned: {}",
            text_of(&last["output"]).trim()
        ));
    }
    let user_text = request
        .input
        .iter()
        .rev()
        .find(|item| item["role"] == "user")
        .map(|item| text_of(&item["content"]))
        .unwrap_or_default();
    let named = request.tools.iter().find(|offered| {
        offered.tool["name"]
            .as_str()
            .is_some_and(|name| user_text.contains(name))
    });
    let asks_for_a_tool = user_text
        .split(|c: char| !c.is_alphanumeric())
        .any(|word| word.eq_ignore_ascii_case("tool"));
    let chosen = named.or(request.tools.first().filter(|_| asks_for_a_tool));
    if let Some(offered) = chosen {
        return Reply::ToolCall {
            namespace: offered.namespace.clone(),
            name: offered.tool["name"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            arguments: crate::script::arguments_for(&offered.tool["parameters"]).to_string(),
        };
    }
    if user_text.trim().is_empty() {
        Reply::Text("Hello! What can I help you with?".into())
    } else {
        Reply::Text(format!("You said: {}", user_text.trim()))
    }
}

/// A message's `content` (a string or parts) or a tool output, as text.
fn text_of(content: &Value) -> String {
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

/// Splits text into deltas of a word or two, keeping every character.
fn deltas(text: &str) -> Vec<String> {
    let words: Vec<&str> = text.split_inclusive(' ').collect();
    words.chunks(2).map(|chunk| chunk.concat()).collect()
}

/// Streams the answer (§9.3), applying a queued stream fault.
fn stream(state: &SiwcState, request: &ValidRequest) -> Response {
    let fault = state.take_fault(FaultSite::ResponsesStream);
    let id = crate::state::random_token("resp_fake_", 12);
    let mut response = json!({
        "id": id, "object": "response", "status": "in_progress", "model": request.model,
        "output": [], "usage": null, "error": null, "incomplete_details": null,
    });
    let mut log = EventLog::default();
    log.push("response.created", json!({"response": response}));
    log.push("response.in_progress", json!({"response": response}));

    let (item, text) = match plan(request) {
        Reply::Text(text) => (stream_message(&mut log, &text), text),
        Reply::ToolCall {
            namespace,
            name,
            arguments,
        } => (
            stream_function_call(&mut log, &namespace, &name, &arguments),
            arguments,
        ),
    };
    let input_tokens = (request.body_len / 4).max(1) as u64;
    let output_tokens = (text.len() / 4).max(1) as u64;
    let usage = json!({
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + output_tokens,
    });

    match fault {
        Some(SiwcFault::Cut) => {
            log.truncate(first_deltas(&log, 2));
        }
        Some(SiwcFault::LimitMidStream) => {
            log.truncate(first_deltas(&log, 2));
            log.push(
                "error",
                json!({"code": LIMIT_CODE, "message": LIMIT_MESSAGE, "param": null}),
            );
            response["status"] = json!("failed");
            response["error"] = json!({"code": LIMIT_CODE, "message": LIMIT_MESSAGE});
            log.push("response.failed", json!({"response": response}));
        }
        Some(SiwcFault::Incomplete) => {
            response["status"] = json!("incomplete");
            response["incomplete_details"] = json!({"reason": "max_output_tokens"});
            response["output"] = json!([item]);
            response["usage"] = usage;
            log.push("response.incomplete", json!({"response": response}));
        }
        _ => {
            response["status"] = json!("completed");
            response["output"] = json!([item]);
            response["usage"] = usage;
            log.push("response.completed", json!({"response": response}));
        }
    }
    let mut answer = Response::new(log.into_body(Duration::ZERO));
    if fault != Some(SiwcFault::OmitContentType) {
        answer.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
    }
    answer
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    answer
}

/// How many events to keep so that `count` deltas are in (all events if there are fewer).
fn first_deltas(log: &EventLog, count: usize) -> usize {
    log.events()
        .iter()
        .enumerate()
        .filter(|(_, event)| {
            event["type"]
                .as_str()
                .is_some_and(|kind| kind.ends_with(".delta"))
        })
        .nth(count - 1)
        .map_or(log.events().len(), |(index, _)| index + 1)
}

/// An assistant message streamed as text deltas.
fn stream_message(log: &mut EventLog, text: &str) -> Value {
    let id = crate::state::random_token("msg_", 12);
    log.push(
        "response.output_item.added",
        json!({"output_index": 0, "item": {
            "id": id, "type": "message", "status": "in_progress", "role": "assistant",
            "content": [],
        }}),
    );
    let at = json!({"item_id": id, "output_index": 0, "content_index": 0});
    let with = |fields: Value| {
        let mut fields = fields;
        for (key, value) in at.as_object().into_iter().flatten() {
            fields[key] = value.clone();
        }
        fields
    };
    log.push(
        "response.content_part.added",
        with(json!({"part": {"type": "output_text", "text": "", "annotations": []}})),
    );
    for delta in deltas(text) {
        log.push("response.output_text.delta", with(json!({"delta": delta})));
    }
    log.push("response.output_text.done", with(json!({"text": text})));
    let part = json!({"type": "output_text", "text": text, "annotations": []});
    log.push("response.content_part.done", with(json!({"part": part})));
    let item = json!({
        "id": id, "type": "message", "status": "completed", "role": "assistant",
        "content": [part],
    });
    log.push(
        "response.output_item.done",
        json!({"output_index": 0, "item": item}),
    );
    item
}

/// A namespaced function call streamed as argument deltas (§9.3).
fn stream_function_call(log: &mut EventLog, namespace: &str, name: &str, arguments: &str) -> Value {
    let id = crate::state::random_token("fc_", 12);
    let call_id = crate::state::random_token("call_", 12);
    log.push(
        "response.output_item.added",
        json!({"output_index": 0, "item": {
            "id": id, "type": "function_call", "status": "in_progress", "namespace": namespace,
            "name": name, "call_id": call_id, "arguments": "",
        }}),
    );
    let characters: Vec<char> = arguments.chars().collect();
    for chunk in characters.chunks(8) {
        log.push(
            "response.function_call_arguments.delta",
            json!({"item_id": id, "output_index": 0, "delta": chunk.iter().collect::<String>()}),
        );
    }
    log.push(
        "response.function_call_arguments.done",
        json!({"item_id": id, "output_index": 0, "arguments": arguments}),
    );
    let item = json!({
        "id": id, "type": "function_call", "status": "completed", "namespace": namespace,
        "name": name, "call_id": call_id, "arguments": arguments,
    });
    log.push(
        "response.output_item.done",
        json!({"output_index": 0, "item": item}),
    );
    item
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_of(body: Value) -> Option<String> {
        match validate(body.to_string().as_bytes()) {
            Ok(_) => None,
            Err(refused) => {
                let response = refused.rejection.into_response();
                Some(format!("{}", response.status()))
            }
        }
    }

    #[test]
    fn the_documented_request_passes() {
        let body = json!({"model":"gpt-6.1-sol","instructions":"You are a coding assistant.",
            "store":false,"stream":true,
            "input":[{"type":"additional_tools","role":"developer","tools":[{"type":"namespace",
                "name":"zed","description":"editor tools","tools":[{"type":"function",
                "name":"read_file","strict":false,"parameters":{"type":"object",
                "properties":{"path":{"type":"string"}},"required":["path"]}}]}]},
              {"type":"message","role":"user","content":[{"type":"input_text",
                "text":"Open main.rs with read_file"}]}]});
        let Ok(request) = validate(body.to_string().as_bytes()) else {
            panic!("the documented request was refused");
        };
        assert_eq!(request.tools.len(), 1);
        match plan(&request) {
            Reply::ToolCall {
                namespace, name, ..
            } => assert_eq!((namespace.as_str(), name.as_str()), ("zed", "read_file")),
            Reply::Text(text) => panic!("expected a tool call, got {text}"),
        }
        assert_eq!(
            status_of(json!({"store": true})),
            Some("400 Bad Request".into())
        );
    }

    #[test]
    fn deltas_keep_every_character() {
        assert_eq!(
            deltas("You said: hello there").concat(),
            "You said: hello there"
        );
    }
}
