//! The official route's preview rules (`shared/spec/siwc.md` §4), one test per rule, over real
//! sockets: the real provider, signed in on the official route, is asked for a request that
//! *would* carry what the rule forbids (a system message, tools, a thread id and a second turn,
//! a temperature, the fast tier, an effort the catalog does not state, images, compaction…), and
//! the request the emulator received is checked against the rule.
//!
//! Each test also shows that the product never met the emulator's own enforcement: the answer
//! streamed to its end and the emulator refused nothing ([`SiwcStats::rule_refusals`] stays
//! empty: the emulator answers a forbidden request with 400 and the rule's `param`).
//!
//! Where a rule is about something the Codex route does send, the test first shows that the
//! host's request maps to it there ([`build_request`], the mapping both routes share), so the
//! test fails if the official route stopped removing it.
//!
//! What §4 forbids that Zed cannot ask for is not here: hosted tools (image generation, file
//! search, Code Interpreter, computer use, MCP, `tool_search`: Zed only offers function tools,
//! each sent in the namespace) and audio or video input (the host has none).
//!
//! [`SiwcStats::rule_refusals`]: emulator::SiwcStats::rule_refusals

#[path = "support/siwc.rs"]
mod siwc;
mod support;

use emulator::{Emulator, SiwcRecordedRequest};
use gpui::TestAppContext;
use language_model::*;
use openai_subscribed::config::{RequestCompression, Transport};
use openai_subscribed::models::ModelInfo;
use openai_subscribed::responses::build_request;
use openai_subscribed::siwc::TOOL_NAMESPACE;
use serde_json::{Value, json};
use siwc::{Events, Harness, complete, message, models, request, signed_in, signed_in_with};
use std::sync::Arc;

/// The fields §4 says to omit, and `previous_response_id` (forbidden over HTTP).
const OMITTED_BY_THE_PREVIEW: [&str; 16] = [
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

/// What the Codex route may send and the official route leaves out: `service_tier` (an
/// "unsupported capability", §4/§5.3), the Codex backend's `prompt_cache_key`,
/// `context_management` and `text` (verbosity), and stop sequences.
const LEFT_OUT_BY_THE_PRODUCT: [&str; 5] = [
    "service_tier",
    "prompt_cache_key",
    "context_management",
    "text",
    "stop",
];

/// Headers an official request may carry: the documented ones (§4) and HTTP's own.
const ALLOWED_HEADERS: [&str; 6] = [
    "authorization",
    "content-type",
    "accept",
    "user-agent",
    "host",
    "content-length",
];

/// The Codex route's headers (`backend_request.rs`, `responses/stream.rs`,
/// `responses/websocket/connection.rs`, `responses/body_encoding.rs`) and Pi's `session_id`.
const CODEX_HEADERS: [&str; 9] = [
    "chatgpt-account-id",
    "originator",
    "openai-beta",
    "session-id",
    "session_id",
    "thread-id",
    "x-client-request-id",
    "content-encoding",
    "version",
];

/// A catalog whose model states everything the Codex catalog can state (efforts, images, tool
/// parallelism, reasoning summaries, verbosity, the priority tier), so that the shared mapping
/// produces every optional field the official route must leave out.
fn stating_catalog() -> Value {
    json!({"models": [{
        "slug": "gpt-6.1-sol", "display_name": "GPT-6.1 Sol", "visibility": "list",
        "context_window": 272000,
        "input_modalities": ["text", "image"],
        "supported_reasoning_levels": [
            {"effort": "low", "description": "Light"},
            {"effort": "medium", "description": "Balanced"}
        ],
        "default_reasoning_level": "low",
        "supports_parallel_tool_calls": true,
        "supports_reasoning_summaries": true,
        "support_verbosity": true,
        "default_verbosity": "low",
        "service_tiers": [{"id": "priority", "name": "Fast", "description": "Faster"}],
        "additional_speed_tiers": ["fast"],
    }]})
}

/// Signed in on the official route, the emulator serving [`stating_catalog`].
fn signed_in_stating(cx: &mut TestAppContext) -> Harness {
    let emulator = Emulator::start().unwrap();
    emulator.siwc_serve_catalog(stating_catalog());
    signed_in_with(cx, emulator, |config| config)
}

/// The first listed model and its catalog entry.
fn first_model(cx: &mut TestAppContext, h: &Harness) -> (Arc<dyn LanguageModel>, ModelInfo) {
    let model = models(cx, h).remove(0);
    let slug = model.id().0.to_string();
    let info = h.provider.state().read_with(cx, |state, cx| {
        state
            .models(cx)
            .iter()
            .find(|info| info.slug == slug)
            .cloned()
            .unwrap()
    });
    (model, info)
}

/// The body the Codex route would send for `request` on `info`.
fn codex_body(request: &LanguageModelRequest, info: &ModelInfo) -> Value {
    serde_json::to_value(build_request(request, info).unwrap()).unwrap()
}

fn answers(emulator: &Emulator) -> Vec<SiwcRecordedRequest> {
    emulator
        .siwc_requests()
        .into_iter()
        .filter(|request| request.path.ends_with("/responses"))
        .collect()
}

/// Sends `request` and returns the answer's events and the one request the emulator received
/// for it, after checking that the answer streamed to its end and the emulator refused nothing
/// (no 400 of the preview's rules ever reached the product).
fn sent(
    cx: &mut TestAppContext,
    h: &Harness,
    model: &Arc<dyn LanguageModel>,
    request: LanguageModelRequest,
) -> (Events, SiwcRecordedRequest, Value) {
    let before = answers(&h.emulator).len();
    let (events, error) = complete(cx, model, request);
    assert!(error.is_none(), "the answer failed: {error:?}");
    assert!(
        matches!(
            events.last(),
            Some(LanguageModelCompletionEvent::Stop(
                StopReason::EndTurn | StopReason::ToolUse
            ))
        ),
        "the answer did not stream to its end: {events:?}"
    );
    assert_eq!(
        h.emulator.siwc_stats().rule_refusals,
        Vec::<String>::new(),
        "the emulator refused a request under the preview rules"
    );
    let mut received = answers(&h.emulator);
    assert_eq!(received.len(), before + 1, "sent once");
    let recorded = received.pop().unwrap();
    assert_eq!(recorded.method, "POST");
    let body: Value = serde_json::from_slice(&recorded.body).expect("a plain JSON body");
    assert_never_sent(&body);
    (events, recorded, body)
}

/// No field §4 omits, nor any the product leaves out, is in `body`.
fn assert_never_sent(body: &Value) {
    for field in OMITTED_BY_THE_PREVIEW
        .iter()
        .chain(&LEFT_OUT_BY_THE_PRODUCT)
    {
        assert!(body.get(field).is_none(), "{field} was sent: {body}");
    }
}

/// "Only this public endpoint (and `/v1/models`); never `chatgpt.com/backend-api`": the
/// model list and the answer go to the official API, nothing to the Codex backend, and no
/// request meets the 403 for any other route.
#[gpui::test]
async fn only_the_public_api_is_called_never_the_codex_backend(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    let (model, _) = first_model(cx, &h);
    let mut request = request("Hello");
    request.thread_id = Some("thread-1".into());
    sent(cx, &h, &model, request);

    let api: Vec<(String, String)> = h
        .emulator
        .siwc_requests()
        .into_iter()
        .filter(|request| request.path.starts_with("/v1"))
        .map(|request| (request.method, request.path))
        .collect();
    assert!(!api.is_empty());
    for (method, path) in &api {
        assert!(
            matches!(
                (method.as_str(), path.as_str()),
                ("GET", "/v1/models") | ("POST", "/v1/responses")
            ),
            "{method} {path} was called"
        );
    }
    assert_eq!(h.emulator.siwc_stats().unsupported_route_requests, 0);
    let codex = h.emulator.stats();
    assert_eq!(codex.responses_requests, 0, "the Codex backend was asked");
    assert_eq!(codex.models_requests, 0, "the Codex catalog was asked");
    assert_eq!(codex.usage_requests, 0, "the Codex usage was asked");
    assert!(h.emulator.websocket_handshakes().is_empty());
}

/// Headers: `Authorization: Bearer`, `Content-Type: application/json`, `Accept:
/// text/event-stream`, and nothing of the Codex route's (no account id, originator, beta,
/// session or thread ids, `x-codex-*`), even for a request in a thread (which the Codex route
/// sends as `session-id` and `thread-id`).
#[gpui::test]
async fn an_answer_carries_only_the_documented_headers(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    let (model, _) = first_model(cx, &h);
    let mut request = request("Hello");
    request.thread_id = Some("thread-1".into());
    request.prompt_id = Some("prompt-1".into());
    let (_, recorded, _) = sent(cx, &h, &model, request);

    assert!(
        recorded
            .header("authorization")
            .is_some_and(|value| value.starts_with("Bearer ")),
        "a bearer token"
    );
    assert_eq!(recorded.header("content-type"), Some("application/json"));
    assert_eq!(recorded.header("accept"), Some("text/event-stream"));
    for name in CODEX_HEADERS {
        assert!(recorded.header(name).is_none(), "{name} was sent");
    }
    for name in recorded.headers.keys() {
        assert!(
            !name.as_str().starts_with("x-codex-"),
            "{name} was sent (a Codex header)"
        );
        assert!(
            ALLOWED_HEADERS.contains(&name.as_str()),
            "{name} was sent: not a header the preview documents"
        );
    }
}

/// No zstd body (the preview does not say it takes one), although the config asks the Codex
/// route to compress.
#[gpui::test]
async fn the_body_is_never_compressed(cx: &mut TestAppContext) {
    let h = signed_in_with(cx, Emulator::start().unwrap(), |config| {
        assert_eq!(config.request_compression, RequestCompression::Zstd);
        config
    });
    let (model, _) = first_model(cx, &h);
    let (_, recorded, body) = sent(cx, &h, &model, request("Hello"));
    assert!(recorded.header("content-encoding").is_none());
    assert_eq!(body["input"][0]["content"][0]["text"], "Hello");
}

/// "Required on every HTTP request: `store: false`, `stream: true`, `input` as an array holding
/// all needed context (full history each turn)."
#[gpui::test]
async fn every_turn_is_stored_nowhere_streamed_and_sent_whole(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    let (model, _) = first_model(cx, &h);
    let mut request = request("First question");
    request.thread_id = Some("thread-1".into());
    let (events, _, first) = sent(cx, &h, &model, request.clone());
    let answer = siwc::text_of(&events);
    assert!(!answer.is_empty());

    request.messages.push(message(
        Role::Assistant,
        vec![MessageContent::Text(answer.clone())],
    ));
    request.messages.push(message(
        Role::User,
        vec![MessageContent::Text("Second question".into())],
    ));
    let (_, _, second) = sent(cx, &h, &model, request);
    for body in [&first, &second] {
        assert_eq!(body["store"], false);
        assert_eq!(body["stream"], true);
        assert!(body["input"].is_array());
    }
    let history = second["input"].to_string();
    for said in ["First question", answer.as_str(), "Second question"] {
        assert!(history.contains(said), "{said:?} is missing: {history}");
    }
}

/// "System prompt: use `instructions`; an explicit `role: "system"` item is rejected": every
/// system message of the host's request, also one in the middle of the history, becomes
/// `instructions`, and no input item has the `system` (or `developer`) role.
#[gpui::test]
async fn the_system_prompt_is_instructions_never_a_message(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    let (model, _) = first_model(cx, &h);
    let mut request = request("Hello");
    request.messages.push(message(
        Role::Assistant,
        vec![MessageContent::Text("Hi".into())],
    ));
    request.messages.push(message(
        Role::System,
        vec![MessageContent::Text("Answer briefly.".into())],
    ));
    request.messages.push(message(
        Role::User,
        vec![MessageContent::Text("And now?".into())],
    ));
    let (_, _, body) = sent(cx, &h, &model, request);
    assert_eq!(
        body["instructions"],
        "You are a coding assistant.\n\nAnswer briefly."
    );
    let items = body["input"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{items:?}");
    for item in items {
        assert_eq!(item["type"], "message", "{item}");
        assert!(
            matches!(item["role"].as_str(), Some("user" | "assistant")),
            "{item}"
        );
    }
    assert!(!body["input"].to_string().contains("Answer briefly."));
}

/// One host setting that the Codex route turns into a field the official route leaves out.
struct Omission {
    /// What the host asks for.
    asked: &'static str,
    /// The field it becomes on the Codex route.
    field: &'static str,
    ask: fn(&mut LanguageModelRequest),
}

/// "Omit: … `temperature` …", "a `service_tier` override can be an unsupported capability",
/// and what only the Codex backend takes: each host setting that would produce such a field
/// does on the Codex route, and never on the official one (one request per setting; a failure
/// names the setting and the field).
#[gpui::test]
async fn each_field_the_preview_omits_is_left_out(cx: &mut TestAppContext) {
    let h = signed_in_stating(cx);
    let (model, info) = first_model(cx, &h);
    let cases = [
        Omission {
            asked: "a temperature",
            field: "temperature",
            ask: |request| request.temperature = Some(0.2),
        },
        Omission {
            asked: "the fast speed (priority tier)",
            field: "service_tier",
            ask: |request| request.speed = Some(Speed::Fast),
        },
        Omission {
            asked: "a thread id (the Codex cache key)",
            field: "prompt_cache_key",
            ask: |request| request.thread_id = Some("thread-1".into()),
        },
        Omission {
            asked: "compaction past a size",
            field: "context_management",
            ask: |request| request.compact_at_tokens = Some(10_000),
        },
        Omission {
            asked: "a model stating its verbosity",
            field: "text",
            ask: |_| {},
        },
        Omission {
            asked: "stop sequences",
            field: "stop",
            ask: |request| request.stop = vec!["END".into()],
        },
    ];
    for case in cases {
        let mut request = request("Hello");
        (case.ask)(&mut request);
        let codex = codex_body(&request, &info);
        // `temperature` and stop sequences are dropped by the shared mapping itself (the Codex
        // backend refuses them too): the official request has no field for them either.
        if !matches!(case.field, "temperature" | "stop") {
            assert!(
                codex.get(case.field).is_some(),
                "{}: the Codex route would not send {} either: {codex}",
                case.asked,
                case.field
            );
        }
        let (_, _, body) = sent(cx, &h, &model, request);
        assert!(
            body.get(case.field).is_none(),
            "{}: {} was sent",
            case.asked,
            case.field
        );
    }
}

/// "`previous_response_id`: forbidden over HTTP", and the official route is HTTP only: with
/// the WebSocket transport configured (the Codex route then chains a thread's turns on a
/// socket with `previous_response_id`), both turns of a thread are HTTP POSTs carrying the
/// whole history, and no socket is opened.
#[gpui::test]
async fn a_thread_continues_by_full_history_over_http(cx: &mut TestAppContext) {
    let h = signed_in_with(cx, Emulator::start().unwrap(), |config| {
        assert_eq!(config.transport, Transport::WebSocket);
        config
    });
    let (model, _) = first_model(cx, &h);
    let mut request = request("First question");
    request.thread_id = Some("thread-1".into());
    let (events, _, _) = sent(cx, &h, &model, request.clone());
    request.messages.push(message(
        Role::Assistant,
        vec![MessageContent::Text(siwc::text_of(&events))],
    ));
    request.messages.push(message(
        Role::User,
        vec![MessageContent::Text("Second question".into())],
    ));
    let (_, _, second) = sent(cx, &h, &model, request);
    assert!(second.get("previous_response_id").is_none());
    assert!(second["input"].to_string().contains("First question"));
    assert!(
        h.emulator
            .siwc_requests()
            .iter()
            .all(|request| request.header("upgrade").is_none()),
        "a WebSocket upgrade was asked of the official API"
    );
    assert!(h.emulator.websocket_handshakes().is_empty());
}

/// "Tools: function tools must sit in a namespace", supplied as an `additional_tools` input
/// item with the `developer` role; "model calls then carry `namespace` + `name`; echo both
/// back in history". The Codex route sends the same tools bare at the top level.
#[gpui::test]
async fn tools_sit_in_a_namespace_and_calls_are_echoed_with_it(cx: &mut TestAppContext) {
    let h = signed_in_stating(cx);
    let (model, info) = first_model(cx, &h);
    let tool = |name: &str| LanguageModelRequestTool {
        name: name.into(),
        description: format!("The {name} tool"),
        input_schema: json!({"type": "object",
            "properties": {"path": {"type": "string"}}, "required": ["path"]}),
        use_input_streaming: false,
    };
    let mut request = request("Use the read_file tool on README.md");
    request.tools = vec![tool("read_file"), tool("list_directory")];
    request.tool_choice = Some(LanguageModelToolChoice::Any);
    let codex = codex_body(&request, &info);
    assert_eq!(
        codex["tools"][0]["type"], "function",
        "bare on the Codex route"
    );

    let (events, _, first) = sent(cx, &h, &model, request.clone());
    assert!(first.get("tools").is_none(), "top-level tools: {first}");
    let items = first["input"].as_array().unwrap();
    let offered: Vec<&Value> = items
        .iter()
        .filter(|item| item["type"] == "additional_tools")
        .collect();
    assert_eq!(offered.len(), 1, "{items:?}");
    assert_eq!(offered[0]["role"], "developer");
    let namespaces = offered[0]["tools"].as_array().unwrap();
    assert_eq!(namespaces.len(), 1);
    assert_eq!(namespaces[0]["type"], "namespace");
    assert_eq!(namespaces[0]["name"], TOOL_NAMESPACE);
    let names: Vec<&str> = namespaces[0]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| {
            assert_eq!(tool["type"], "function");
            tool["name"].as_str().unwrap()
        })
        .collect();
    assert_eq!(names, ["read_file", "list_directory"]);

    let call = events
        .iter()
        .find_map(|event| match event {
            LanguageModelCompletionEvent::ToolUse(call) if call.is_input_complete => Some(call),
            _ => None,
        })
        .expect("the model called the tool")
        .clone();
    request.messages.push(message(
        Role::Assistant,
        vec![MessageContent::ToolUse(call.clone())],
    ));
    request.messages.push(message(
        Role::User,
        vec![MessageContent::ToolResult(LanguageModelToolResult {
            tool_use_id: call.id.clone(),
            tool_name: call.name.clone(),
            is_error: false,
            content: vec![LanguageModelToolResultContent::Text("# The readme".into())],
            output: None,
        })],
    ));
    let (events, _, second) = sent(cx, &h, &model, request);
    assert!(siwc::text_of(&events).contains("# The readme"));
    let echoed: Vec<&Value> = second["input"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["type"] == "function_call")
        .collect();
    assert_eq!(echoed.len(), 1);
    assert_eq!(echoed[0]["namespace"], TOOL_NAMESPACE);
    assert_eq!(echoed[0]["name"], "read_file");
}

/// "A capability the catalog does not state is not invented; offer no effort the model may
/// refuse": with the default catalog (no efforts stated) an effort the host asks for is not
/// sent at all, nor encrypted reasoning; with a catalog stating `low` and `medium`, an
/// unstated `xhigh` becomes the stated default.
#[gpui::test]
async fn an_effort_the_catalog_does_not_state_is_never_sent(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    let (model, _) = first_model(cx, &h);
    assert!(model.supported_effort_levels().is_empty());
    let mut asking = request("Think hard");
    asking.thinking_allowed = true;
    asking.thinking_effort = Some("high".into());
    let (_, _, body) = sent(cx, &h, &model, asking.clone());
    assert!(body.get("reasoning").is_none(), "{body}");
    assert!(body.get("include").is_none(), "{body}");

    let h = signed_in_stating(cx);
    let (model, _) = first_model(cx, &h);
    asking.thinking_effort = Some("xhigh".into());
    let (_, _, body) = sent(cx, &h, &model, asking);
    assert_eq!(body["reasoning"]["effort"], "low", "{body}");
}

fn with_image(mut request: LanguageModelRequest) -> LanguageModelRequest {
    let image = LanguageModelImage {
        source: "iVBORw0KGgo=".into(),
        size: None,
    };
    request
        .messages
        .last_mut()
        .unwrap()
        .content
        .push(MessageContent::Image(image));
    request
}

/// "Inputs: text, images, files when the model accepts them": an image goes only to a model
/// whose catalog entry says it takes images; to one that does not say, the request is refused
/// before anything is sent.
#[gpui::test]
async fn images_go_only_to_a_model_that_states_it_takes_them(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    let (model, _) = first_model(cx, &h);
    let (_, error) = complete(cx, &model, with_image(request("What is this?")));
    let error = error.expect("an image to a model that does not say it takes them");
    assert!(
        error.to_string().contains("does not accept images"),
        "{error}"
    );
    assert_eq!(
        h.emulator.siwc_stats().responses_requests,
        0,
        "nothing sent"
    );

    let h = signed_in_stating(cx);
    let (model, _) = first_model(cx, &h);
    let (_, _, body) = sent(cx, &h, &model, with_image(request("What is this?")));
    let parts = body["input"][0]["content"].as_array().unwrap();
    assert!(
        parts.iter().any(|part| part["type"] == "input_image"),
        "{parts:?}"
    );
}
