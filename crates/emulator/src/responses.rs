//! `POST {backend}/responses`: the checks the real backend makes before it streams an answer.
//!
//! In order: the caller (bearer token issued, live, not revoked; `ChatGPT-Account-Id` matching,
//! see [`backend_auth`]), then the body:
//! - `model` must be in the catalog (hidden models are usable), else "The 'x' model is not
//!   supported when using Codex with a ChatGPT account.";
//! - `store` must be `false` ("Store must be set to false") and `stream` must be `true`;
//! - no `previous_response_id` (nothing is stored to continue from) and no
//!   `max_output_tokens`/`max_completion_tokens` (the subscription backend takes no output cap);
//! - `instructions` must be a non-empty string ("Instructions are required") of at most
//!   [`MAX_INSTRUCTIONS_CHARS`] characters;
//! - `input` items: no `id` at all (nothing is stored server-side, so any id is a dangling
//!   reference: "Item with id 'rs_…' not found…"), known item types and message roles, content
//!   parts that fit the role, and every `function_call_output` after a `function_call` with its
//!   `call_id` ("No tool call found for function call output with call_id …");
//! - `tools`: function tools in the Responses shape (`{type, name, parameters}`, not Chat
//!   Completions' nested `function`);
//! - `reasoning.effort` among the model's supported levels, `text.verbosity` only where the
//!   model supports verbosity;
//! - `service_tier` `priority` only for a model whose catalog entry offers fast mode
//!   (`additional_speed_tiers` has `fast`, `service_tiers` has `priority`, or its
//!   `default_service_tier` is `priority`), as a strict backend
//!   refuses it elsewhere; `context_management` only as `[{"type": "compaction",
//!   "compact_threshold": N}]`;
//! - `compaction` input items only with content this emulator minted, and `compaction_trigger`
//!   only as the last item ([`compaction`]);
//! - the thread headers: `session-id` and `thread-id` together, equal, and equal to
//!   `prompt_cache_key`; the old underscore `session_id` is refused, so a client still sending
//!   it is caught.
//!
//! Every rejection is a 400 `invalid_request_error` with `param` set, as the real backend
//! answers. A request that passes is answered by [`script`].

use super::backend_auth::{self, unauthorized};
use super::compaction;
use super::errors::{Rejection, invalid_request, raw, raw_body};
use super::faults::{Fault, FaultRoute};
use super::limits;
use super::models;
use super::request_body;
use super::script;
use super::state::{RecordedRequest, SharedState, now_secs};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::collections::HashSet;
use std::sync::Arc;

/// The longest `instructions` the backend takes (the API's string cap, 1 MiB of characters).
pub const MAX_INSTRUCTIONS_CHARS: usize = 1_048_576;

/// A request that passed every check.
#[derive(Debug)]
pub struct ValidRequest {
    /// The model's catalog entry.
    pub model: Value,
    /// The whole body, as sent.
    pub body: Map<String, Value>,
    /// The input items.
    pub input: Vec<Value>,
    /// The function tools offered, by name, in order.
    pub function_tools: Vec<Value>,
}

impl ValidRequest {
    /// The model's slug.
    pub fn slug(&self) -> &str {
        self.model["slug"].as_str().unwrap_or_default()
    }
}

/// `POST {backend}/responses`.
pub async fn create_response(
    State(state): State<Arc<SharedState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.count(|stats| &mut stats.responses_requests);
    let wire_body = body;
    let decoded = request_body::decode(state.options.request_encodings, &headers, &wire_body);
    let body = decoded.as_ref().cloned().unwrap_or_default();
    state.record_responses_request(RecordedRequest {
        headers: headers.clone(),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        wire_body: wire_body.clone(),
    });
    if let Err(answer) = decoded {
        return answer.into_response();
    }
    if let Some(answer) = early_fault_answer(&state) {
        return answer;
    }
    if let Err(answer) = backend_auth::check(&state, &headers) {
        return answer.into_response();
    }
    let request = match validate(&body, &state.catalog()) {
        Ok(request) => request,
        Err(answer) => return answer.into_response(),
    };
    if let Err(answer) = check_thread_headers(&headers, &request.body)
        .and_then(|()| compaction::check_replayed(&state, &request.input))
    {
        return answer.into_response();
    }
    // Above the account's concurrency limit (when a test set one): a short-wait 429. The place
    // is held until the answer's body is done or the client leaves.
    let slot = match limits::admit(&state) {
        Ok(slot) => slot,
        Err(answer) => return answer.into_response(),
    };
    script::answer(&state, request).map(|body| {
        axum::body::Body::from_stream(futures::StreamExt::map(
            body.into_data_stream(),
            move |chunk| {
                let _held = &slot;
                chunk
            },
        ))
    })
}

/// The answer a queued early fault asks for (a 401, a usage limit, a status, a raw answer),
/// taking it; shared by `POST /responses` and the WebSocket's frames.
pub(crate) fn early_fault_answer(state: &SharedState) -> Option<Response> {
    let early_fault = state.take_fault(|fault| {
        matches!(
            fault,
            Fault::ResponsesUnauthorized
                | Fault::ResponsesUsageLimit { .. }
                | Fault::ResponsesWindowLimit { .. }
                | Fault::ResponsesStatus { .. }
        ) || fault.is_raw_answer_for(FaultRoute::Responses)
    })?;
    match early_fault {
        Fault::ResponsesUnauthorized => Some(unauthorized(
            "token_revoked",
            "Your authentication token has been invalidated. Please try signing in again.",
        )),
        Fault::ResponsesUsageLimit { resets_in_secs } => Some(usage_limit(state, resets_in_secs)),
        Fault::ResponsesWindowLimit {
            window_minutes,
            resets_in_secs,
            other_used_percent,
        } => Some(limits::window_limit(
            state,
            window_minutes,
            resets_in_secs,
            other_used_percent,
        )),
        Fault::ResponsesStatus {
            status,
            body,
            retry_after_secs,
        } => {
            let mut answer = raw(status, body);
            if let Some(seconds) = retry_after_secs {
                answer
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            Some(answer)
        }
        Fault::RawAnswer {
            status,
            content_type,
            body,
            ..
        } => Some(raw_body(status, &content_type, body)),
        _ => None,
    }
}

/// `session-id` and `thread-id` name the thread together, as the cache key does.
pub(crate) fn check_thread_headers(
    headers: &HeaderMap,
    body: &Map<String, Value>,
) -> Result<(), Rejection> {
    if headers.contains_key("session_id") {
        return Err(reject(
            None,
            "Unsupported header 'session_id': send the thread as 'session-id' and 'thread-id'.",
        ));
    }
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let (session, thread) = (header("session-id"), header("thread-id"));
    if session != thread {
        return Err(reject(
            None,
            "The 'session-id' and 'thread-id' headers must be sent together, with the same value.",
        ));
    }
    let cache_key = body.get("prompt_cache_key").and_then(Value::as_str);
    if let Some(session) = session
        && cache_key.is_some_and(|key| key != session)
    {
        return Err(reject(
            Some("prompt_cache_key"),
            "'prompt_cache_key' must match the 'session-id' header of the thread.",
        ));
    }
    Ok(())
}

/// The 429 a plan's usage limit earns, with the limit headers showing the window spent.
fn usage_limit(state: &SharedState, resets_in_secs: i64) -> Response {
    // Saturating: the fault may ask for any delay, including absurd ones, to test the client.
    let resets_at = now_secs().saturating_add(resets_in_secs);
    let mut answer = (
        StatusCode::TOO_MANY_REQUESTS,
        axum::Json(json!({
            "error": {
                "type": "usage_limit_reached",
                "message": "The usage limit has been reached",
                "plan_type": state.options.account.plan,
                "resets_at": resets_at,
                "resets_in_seconds": resets_in_secs,
            }
        })),
    )
        .into_response();
    script::insert_limit_headers(answer.headers_mut(), 100.0, resets_at, state);
    answer
}

/// Checks a request body as the backend does.
pub fn validate(body: &[u8], catalog: &models::Catalog) -> Result<ValidRequest, Rejection> {
    let body: Map<String, Value> = serde_json::from_slice(body).map_err(|_| {
        reject(
            None,
            "We could not parse the JSON body of your request. The body must be a JSON object.",
        )
    })?;

    let model = match body.get("model") {
        Some(Value::String(slug)) => catalog.find(slug).cloned().ok_or_else(|| {
            reject(
                Some("model"),
                &format!(
                    "The '{slug}' model is not supported when using Codex with a ChatGPT account."
                ),
            )
        })?,
        _ => return Err(missing("model")),
    };
    if body.get("store") != Some(&Value::Bool(false)) {
        return Err(reject(Some("store"), "Store must be set to false"));
    }
    if body.get("stream") != Some(&Value::Bool(true)) {
        return Err(reject(Some("stream"), "Stream must be set to true"));
    }
    if let Some(previous) = body.get("previous_response_id").and_then(Value::as_str) {
        return Err(reject(
            Some("previous_response_id"),
            &format!(
                "Previous response with id '{previous}' not found. Responses are not persisted \
                 when store is false."
            ),
        ));
    }
    for unsupported in ["max_output_tokens", "max_completion_tokens"] {
        if body.get(unsupported).is_some_and(|value| !value.is_null()) {
            return Err(reject(
                Some(unsupported),
                &format!("Unsupported parameter: {unsupported}"),
            ));
        }
    }
    match body.get("instructions") {
        Some(Value::String(text)) if !text.trim().is_empty() => {
            let length = text.chars().count();
            if length > MAX_INSTRUCTIONS_CHARS {
                return Err(reject(
                    Some("instructions"),
                    &format!(
                        "Invalid 'instructions': string too long. Expected a string with \
                         maximum length {MAX_INSTRUCTIONS_CHARS}, but got a string with length \
                         {length} instead."
                    ),
                ));
            }
        }
        _ => {
            return Err(reject(Some("instructions"), "Instructions are required"));
        }
    }

    let input = match body.get("input") {
        Some(Value::Array(items)) => items.clone(),
        Some(Value::String(text)) => {
            vec![json!({"type": "message", "role": "user", "content": text})]
        }
        Some(_) => {
            return Err(reject(
                Some("input"),
                "Invalid type for 'input': expected a string or an array of input items.",
            ));
        }
        None => return Err(missing("input")),
    };
    check_input(&input)?;
    let function_tools = check_tools(body.get("tools"))?;
    check_reasoning(&model, body.get("reasoning"))?;
    check_verbosity(&model, body.get("text"))?;
    check_service_tier(&model, body.get("service_tier"))?;
    check_context_management(body.get("context_management"))?;

    Ok(ValidRequest {
        model,
        body,
        input,
        function_tools,
    })
}

fn missing(param: &str) -> Rejection {
    reject(
        Some(param),
        &format!("Missing required parameter: '{param}'."),
    )
}

fn invalid_value(param: &str, value: &str, supported: &[&str]) -> Rejection {
    let supported: Vec<String> = supported.iter().map(|s| format!("'{s}'")).collect();
    reject(
        Some(param),
        &format!(
            "Invalid value: '{value}'. Supported values are: {}.",
            supported.join(", ")
        ),
    )
}

/// The input items, in order.
fn check_input(items: &[Value]) -> Result<(), Rejection> {
    let mut calls: HashSet<&str> = HashSet::new();
    for (index, item) in items.iter().enumerate() {
        let at = |field: &str| format!("input[{index}].{field}");
        let Some(item) = item.as_object() else {
            return Err(reject(
                Some(&format!("input[{index}]")),
                "Invalid type: expected an object.",
            ));
        };
        if let Some(id) = item.get("id").and_then(Value::as_str) {
            return Err(reject(
                Some("input"),
                &format!(
                    "Item with id '{id}' not found. Items are not persisted when store is false. \
                     Try again with `store` set to true, or remove this item from your input."
                ),
            ));
        }
        let kind = match item.get("type").and_then(Value::as_str) {
            Some(kind) => kind,
            None if item.contains_key("role") => "message",
            None => return Err(missing(&at("type"))),
        };
        match kind {
            "message" => check_message(item, index)?,
            "function_call" => {
                for field in ["call_id", "name", "arguments"] {
                    if !item.get(field).is_some_and(Value::is_string) {
                        return Err(missing(&at(field)));
                    }
                }
                calls.insert(item["call_id"].as_str().unwrap_or_default());
            }
            "function_call_output" => {
                let Some(call_id) = item.get("call_id").and_then(Value::as_str) else {
                    return Err(missing(&at("call_id")));
                };
                if !item.contains_key("output") {
                    return Err(missing(&at("output")));
                }
                if !calls.contains(call_id) {
                    return Err(reject(
                        Some("input"),
                        &format!(
                            "No tool call found for function call output with call_id {call_id}."
                        ),
                    ));
                }
            }
            "reasoning" => {
                if !item.get("summary").is_some_and(Value::is_array) {
                    return Err(missing(&at("summary")));
                }
                // Without a stored item to point at, the chain of thought can only come back
                // as the encrypted content the previous answer carried.
                if !item.get("encrypted_content").is_some_and(Value::is_string) {
                    return Err(missing(&at("encrypted_content")));
                }
            }
            "compaction" => {
                if !item.get("encrypted_content").is_some_and(Value::is_string) {
                    return Err(missing(&at("encrypted_content")));
                }
            }
            "compaction_trigger" if index + 1 != items.len() => {
                return Err(reject(
                    Some(&at("type")),
                    "A 'compaction_trigger' item must be the last input item.",
                ));
            }
            "compaction_trigger" => {}
            other => {
                return Err(invalid_value(
                    &at("type"),
                    other,
                    &[
                        "message",
                        "function_call",
                        "function_call_output",
                        "reasoning",
                        "compaction",
                        "compaction_trigger",
                    ],
                ));
            }
        }
    }
    Ok(())
}

fn check_message(item: &Map<String, Value>, index: usize) -> Result<(), Rejection> {
    let role = item.get("role").and_then(Value::as_str).unwrap_or_default();
    let allowed_parts: &[&str] = match role {
        "user" | "system" | "developer" => &["input_text", "input_image", "input_file"],
        "assistant" => &["output_text", "refusal"],
        _ => {
            return Err(invalid_value(
                &format!("input[{index}].role"),
                role,
                &["assistant", "system", "developer", "user"],
            ));
        }
    };
    let parts = match item.get("content") {
        Some(Value::String(_)) => return Ok(()),
        Some(Value::Array(parts)) => parts,
        _ => return Err(missing(&format!("input[{index}].content"))),
    };
    for (part_index, part) in parts.iter().enumerate() {
        let at = |field: &str| format!("input[{index}].content[{part_index}].{field}");
        let kind = part["type"].as_str().unwrap_or_default();
        if !allowed_parts.contains(&kind) {
            return Err(invalid_value(&at("type"), kind, allowed_parts));
        }
        match kind {
            "input_text" | "output_text" if !part["text"].is_string() => {
                return Err(missing(&at("text")));
            }
            "input_image" => {
                let url = part["image_url"].as_str().unwrap_or_default();
                if !(url.starts_with("data:image/") || url.starts_with("https://")) {
                    return Err(reject(
                        Some(&at("image_url")),
                        "Invalid 'image_url': expected a base64-encoded data URL with an image \
                         MIME type, or an https URL.",
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The function tools, flat as the Responses API takes them; other tool types pass unchecked.
fn check_tools(tools: Option<&Value>) -> Result<Vec<Value>, Rejection> {
    let tools = match tools {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(tools)) => tools,
        Some(_) => {
            return Err(reject(
                Some("tools"),
                "Invalid type for 'tools': expected an array.",
            ));
        }
    };
    let mut functions = Vec::new();
    for (index, tool) in tools.iter().enumerate() {
        if tool["type"] != "function" {
            continue;
        }
        let name = tool["name"].as_str().unwrap_or_default();
        if name.is_empty() {
            return Err(missing(&format!("tools[{index}].name")));
        }
        let valid_name = name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid_name {
            return Err(reject(
                Some(&format!("tools[{index}].name")),
                &format!(
                    "Invalid 'tools[{index}].name': string does not match pattern. Expected a \
                     string that matches the pattern '^[a-zA-Z0-9_-]+$'."
                ),
            ));
        }
        if !matches!(tool.get("parameters"), None | Some(Value::Object(_))) {
            return Err(reject(
                Some(&format!("tools[{index}].parameters")),
                "Invalid type for parameters: expected a JSON schema object.",
            ));
        }
        functions.push(tool.clone());
    }
    Ok(functions)
}

fn supported_efforts(model: &Value) -> Vec<&str> {
    model["supported_reasoning_levels"]
        .as_array()
        .map(|levels| {
            levels
                .iter()
                .filter_map(|level| level["effort"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

fn check_reasoning(model: &Value, reasoning: Option<&Value>) -> Result<(), Rejection> {
    let Some(reasoning) = reasoning.filter(|r| !r.is_null()) else {
        return Ok(());
    };
    let Some(effort) = reasoning.get("effort").and_then(Value::as_str) else {
        return Ok(());
    };
    let supported = supported_efforts(model);
    if !supported.contains(&effort) {
        return Err(unsupported_value(
            "reasoning.effort",
            effort,
            model,
            &supported,
        ));
    }
    Ok(())
}

fn check_verbosity(model: &Value, text: Option<&Value>) -> Result<(), Rejection> {
    let Some(verbosity) = text
        .and_then(|t| t.get("verbosity"))
        .and_then(Value::as_str)
    else {
        return Ok(());
    };
    let supported: &[&str] = if model["support_verbosity"] == true {
        &["low", "medium", "high"]
    } else {
        &["medium"]
    };
    if !supported.contains(&verbosity) {
        return Err(unsupported_value(
            "text.verbosity",
            verbosity,
            model,
            supported,
        ));
    }
    Ok(())
}

/// Whether the catalog entry offers fast mode (the `priority` tier).
pub fn offers_fast_mode(model: &Value) -> bool {
    let listed = |field: &str, matches: &dyn Fn(&Value) -> bool| {
        model[field]
            .as_array()
            .is_some_and(|tiers| tiers.iter().any(matches))
    };
    listed("additional_speed_tiers", &|tier| tier == "fast")
        || listed("service_tiers", &|tier| tier["id"] == "priority")
        || model["default_service_tier"] == "priority"
}

fn check_service_tier(model: &Value, tier: Option<&Value>) -> Result<(), Rejection> {
    let Some(tier) = tier.filter(|tier| !tier.is_null()) else {
        return Ok(());
    };
    let mut supported = vec!["auto", "default", "flex"];
    if offers_fast_mode(model) {
        supported.push("priority");
    }
    match tier.as_str() {
        Some(value) if supported.contains(&value) => Ok(()),
        Some(value) => Err(unsupported_value("service_tier", value, model, &supported)),
        None => Err(reject(
            Some("service_tier"),
            "Invalid type for 'service_tier': expected a string.",
        )),
    }
}

fn check_context_management(entries: Option<&Value>) -> Result<(), Rejection> {
    let entries = match entries {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Array(entries)) => entries,
        Some(_) => {
            return Err(reject(
                Some("context_management"),
                "Invalid type for 'context_management': expected an array.",
            ));
        }
    };
    for (index, entry) in entries.iter().enumerate() {
        let at = format!("context_management[{index}]");
        if entry["type"] != "compaction" {
            return Err(invalid_value(
                &format!("{at}.type"),
                entry["type"].as_str().unwrap_or_default(),
                &["compaction"],
            ));
        }
        if matches!(entry["compact_threshold"].as_u64(), None | Some(0)) {
            return Err(reject(
                Some(&format!("{at}.compact_threshold")),
                "Invalid 'compact_threshold': expected a positive integer.",
            ));
        }
    }
    Ok(())
}

fn unsupported_value(param: &str, value: &str, model: &Value, supported: &[&str]) -> Rejection {
    let supported: Vec<String> = supported.iter().map(|s| format!("'{s}'")).collect();
    reject(
        Some(param),
        &format!(
            "Unsupported value: '{value}' is not supported with the '{}' model. Supported values \
             are: {}.",
            model["slug"].as_str().unwrap_or_default(),
            supported.join(", ")
        ),
    )
}

/// A 400 `invalid_request_error` about `param`.
fn reject(param: Option<&str>, message: &str) -> Rejection {
    invalid_request(param, message).into()
}
