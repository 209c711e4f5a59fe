//! The official "Sign in with ChatGPT" route's API side, as Zed drives the provider, over real
//! sockets against the emulator's official API (`shared/spec/siwc.md` §3–§6): the model list,
//! streamed answers, a tool call round trip with its namespace, each preview rule (a forbidden
//! request is never sent), each documented refusal in words with its action, a limit
//! mid-stream, the request id in the error, 401 → refresh once, and the card's states.

#[path = "support/siwc.rs"]
mod siwc;
mod support;

use emulator::{Emulator, SiwcFault};
use gpui::TestAppContext;
use language_model::*;
use openai_subscribed::credentials::MemoryStore;
use openai_subscribed::models::UnstatedCapability;
use openai_subscribed::provider::{ConfigurationStatus, ConfigurationView, PlanNotice};
use openai_subscribed::siwc::{MANAGE_USAGE_URL, TOOL_NAMESPACE};
use siwc::{
    answer_requests, block, click, complete, harness, message, models, request, signed_in, text_of,
    wait_until,
};

#[gpui::test]
async fn the_model_list_keeps_the_servers_order_drops_hidden_and_invents_nothing(
    cx: &mut TestAppContext,
) {
    let h = signed_in(cx);
    let models = models(cx, &h);
    let ids: Vec<String> = models
        .iter()
        .map(|model| model.id().0.to_string())
        .collect();
    assert_eq!(
        ids,
        ["gpt-6.1-sol", "gpt-6-luna"],
        "listed only, server order"
    );
    let listed = h
        .provider
        .state()
        .read_with(cx, |state, cx| state.models(cx).to_vec());
    // Only `context_window` is stated, and only for Sol: the rest is unknown, not assumed.
    assert!(listed[0].states(UnstatedCapability::ContextWindow));
    assert!(!listed[1].states(UnstatedCapability::ContextWindow));
    for model in &listed {
        assert!(!model.states(UnstatedCapability::Images));
        assert!(!model.states(UnstatedCapability::Reasoning));
    }
    for model in &models {
        assert!(
            !model.supports_images(),
            "no images sent to an unknown model"
        );
        assert!(
            model.supported_effort_levels().is_empty(),
            "no effort the model may refuse"
        );
    }
    let request = h
        .emulator
        .siwc_requests()
        .into_iter()
        .find(|request| request.path.ends_with("/models"))
        .unwrap();
    assert_eq!(request.method, "GET");
    assert!(request.header("chatgpt-account-id").is_none());
    assert!(request.header("originator").is_none());
    assert!(
        request
            .header("authorization")
            .unwrap()
            .starts_with("Bearer ")
    );
}

#[gpui::test]
async fn an_answer_streams_under_the_preview_rules(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    let model = models(cx, &h).remove(0);
    let mut request = request("Hello there");
    // What the preview forbids or leaves out, all asked for by the host.
    request.temperature = Some(0.2);
    request.thread_id = Some("thread-1".into());
    request.speed = Some(Speed::Fast);
    request.compact_at_tokens = Some(10_000);
    let (events, error) = complete(cx, &model, request);
    assert!(error.is_none(), "{error:?}");
    assert!(text_of(&events).contains("Hello there"), "{events:?}");
    assert_eq!(
        events.last(),
        Some(&LanguageModelCompletionEvent::Stop(StopReason::EndTurn))
    );

    let recorded = h
        .emulator
        .siwc_requests()
        .into_iter()
        .find(|request| request.path.ends_with("/responses"))
        .unwrap();
    for header in [
        "chatgpt-account-id",
        "originator",
        "openai-beta",
        "session-id",
        "session_id",
        "thread-id",
        "content-encoding",
    ] {
        assert!(recorded.header(header).is_none(), "{header} was sent");
    }
    assert_eq!(recorded.header("accept"), Some("text/event-stream"));
    let body: serde_json::Value = serde_json::from_slice(&recorded.body).unwrap();
    assert_eq!(body["store"], false);
    assert_eq!(body["stream"], true);
    assert_eq!(body["instructions"], "You are a coding assistant.");
    for field in [
        "temperature",
        "prompt_cache_key",
        "service_tier",
        "context_management",
        "previous_response_id",
        "max_output_tokens",
        "tools",
        "text",
    ] {
        assert!(body.get(field).is_none(), "{field} was sent");
    }
    let input = body["input"].as_array().unwrap();
    assert!(input.iter().all(|item| item["role"] != "system"));
}

#[gpui::test]
async fn a_tool_call_round_trip_keeps_its_namespace(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    let model = models(cx, &h).remove(0);
    let mut request = request("Use the read_file tool on README.md");
    request.tools = vec![LanguageModelRequestTool {
        name: "read_file".into(),
        description: "Reads a file".into(),
        input_schema: serde_json::json!({"type": "object",
            "properties": {"path": {"type": "string"}}, "required": ["path"]}),
        use_input_streaming: false,
    }];
    let (events, error) = complete(cx, &model, request.clone());
    assert!(error.is_none(), "{error:?}");
    let call = events
        .iter()
        .rev()
        .find_map(|event| match event {
            LanguageModelCompletionEvent::ToolUse(call) if call.is_input_complete => Some(call),
            _ => None,
        })
        .expect("a tool call")
        .clone();
    assert_eq!(&*call.name, "read_file");
    let first = &answer_requests(&h.emulator)[0];
    assert_eq!(first["input"][0]["type"], "additional_tools");
    assert_eq!(first["input"][0]["tools"][0]["name"], TOOL_NAMESPACE);

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
    let (events, error) = complete(cx, &model, request);
    assert!(error.is_none(), "{error:?}");
    assert!(text_of(&events).contains("# The readme"), "{events:?}");
    let second = &answer_requests(&h.emulator)[1];
    let echoed = second["input"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["type"] == "function_call")
        .expect("the call is sent back");
    assert_eq!(echoed["namespace"], TOOL_NAMESPACE);
    assert_eq!(echoed["name"], "read_file");
}

#[gpui::test]
async fn an_explicit_compaction_is_refused_and_never_sent(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    let model = models(cx, &h).remove(0);
    let compaction = model.compact(request("Summarise"), &cx.to_async());
    let Err(error) = block(cx, compaction) else {
        panic!("an explicit compaction was accepted")
    };
    assert!(
        error
            .to_string()
            .contains("not available with Sign in with ChatGPT"),
        "{error}"
    );
    assert_eq!(
        h.emulator.siwc_stats().responses_requests,
        0,
        "nothing was sent"
    );
}

/// Each documented refusal: its words, its action, its request id, and no retry where the
/// docs say none.
#[gpui::test]
async fn every_documented_refusal_is_worded_with_its_action(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    let model = models(cx, &h).remove(0);
    let cases: [(SiwcFault, &str, bool); 11] = [
        (SiwcFault::NotEligible, "Use the Codex route", false),
        (
            SiwcFault::ScopeNotAuthorized,
            "allow \"Use your ChatGPT plan\"",
            false,
        ),
        (SiwcFault::Region, "retrying won't help", false),
        (SiwcFault::LimitBeforeStream, MANAGE_USAGE_URL, false),
        (SiwcFault::InvalidUser, "disconnected the app", false),
        (
            SiwcFault::UsageUnavailable,
            "Try again in a few minutes",
            true,
        ),
        (
            SiwcFault::UserUnavailable,
            "Try again in a few minutes",
            true,
        ),
        (SiwcFault::RoutingOff, "unavailable or not enabled", true),
        (
            SiwcFault::UnsupportedCapability,
            "does not support part of this request (refused: model)",
            false,
        ),
        (
            SiwcFault::RouteNotSupported,
            "wrong method or endpoint",
            false,
        ),
        (
            SiwcFault::InvalidAuthorizationContext,
            "allow \"Use your ChatGPT plan\"",
            false,
        ),
    ];
    for (fault, words, retried) in cases {
        let before = h.emulator.siwc_stats().responses_requests;
        h.emulator.inject_siwc(fault.clone());
        let (_, error) = complete(cx, &model, request("Hello"));
        let error = error.unwrap_or_else(|| panic!("{fault:?} refused nothing"));
        let text = error.to_string();
        assert!(text.contains(words), "{fault:?}: {text}");
        assert!(text.contains("request id req_"), "{fault:?}: {text}");
        assert!(
            !text.contains("resets"),
            "never a guessed reset time: {text}"
        );
        assert_eq!(
            error.retry_delay(1).is_some(),
            retried,
            "{fault:?}: {error:?}"
        );
        assert_eq!(
            h.emulator.siwc_stats().responses_requests,
            before + 1,
            "{fault:?}: sent once, no retry"
        );
    }
    // The limit is shown on the card until an answer completes.
    let status = h
        .provider
        .state()
        .read_with(cx, |state, cx| state.status(cx));
    let ConfigurationStatus::SignedIn { limit_reached, .. } = status else {
        panic!("signed in")
    };
    assert!(limit_reached.is_some());
    let (_, error) = complete(cx, &model, request("Hello again"));
    assert!(error.is_none());
    let status = h
        .provider
        .state()
        .read_with(cx, |state, cx| state.status(cx));
    let ConfigurationStatus::SignedIn { limit_reached, .. } = status else {
        panic!("signed in")
    };
    assert!(limit_reached.is_none());
}

#[gpui::test]
async fn a_limit_mid_stream_ends_the_answer_in_words_with_its_request_id(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    let model = models(cx, &h).remove(0);
    h.emulator.inject_siwc(SiwcFault::LimitMidStream);
    let (events, error) = complete(cx, &model, request("Tell me a long story"));
    assert!(!text_of(&events).is_empty(), "some text streamed first");
    let error = error.expect("the limit ends the stream");
    let text = error.to_string();
    assert!(text.contains("Usage limit reached"), "{text}");
    assert!(text.contains(MANAGE_USAGE_URL), "{text}");
    assert!(text.contains("request id req_"), "{text}");
    assert!(error.retry_delay(1).is_none());
}

/// The limit shown on the card, if any.
fn card_limit(cx: &mut TestAppContext, h: &siwc::Harness) -> Option<String> {
    let status = h
        .provider
        .state()
        .read_with(cx, |state, cx| state.status(cx));
    let ConfigurationStatus::SignedIn { limit_reached, .. } = status else {
        panic!("signed in")
    };
    limit_reached.map(|limit| limit.to_string())
}

/// A limit that ends an answer after text streamed (siwc.md §4, the emulator's §9.4 fault)
/// puts the same banner on the card as a refusal before the stream: "limit reached", the
/// "Manage usage" action, no guessed reset time; a completed answer takes it away.
#[gpui::test]
async fn a_limit_mid_stream_shows_the_same_banner_as_a_refusal(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    let model = models(cx, &h).remove(0);
    h.emulator.inject_siwc(SiwcFault::LimitBeforeStream);
    let (_, error) = complete(cx, &model, request("Hello"));
    assert!(error.is_some());
    let before_the_stream = card_limit(cx, &h).expect("a refusal before the stream");
    let (_, error) = complete(cx, &model, request("Hello again"));
    assert!(error.is_none(), "{error:?}");
    assert_eq!(card_limit(cx, &h), None, "a completed answer clears it");

    let state = h.provider.state().clone();
    let (_, view) = cx.add_window_view(|_, cx| ConfigurationView::new(state, cx));
    view.run_until_parked();
    assert!(view.debug_bounds("limit-reached").is_none());
    h.emulator.inject_siwc(SiwcFault::LimitMidStream);
    let (events, error) = complete(view, &model, request("Tell me a long story"));
    assert!(
        !text_of(&events).is_empty(),
        "text streamed before the limit"
    );
    assert!(error.is_some(), "the limit ends the answer");
    view.run_until_parked();

    let mid_stream = card_limit(view, &h).expect("the limit is on the card");
    assert_eq!(mid_stream, before_the_stream, "the same banner");
    assert!(
        !mid_stream.contains("reset"),
        "no guessed reset time: {mid_stream}"
    );
    assert!(view.debug_bounds("limit-reached").is_some());
    click(view, "manage-usage");
    view.run_until_parked();
    assert_eq!(
        h.opened.lock().last().map(url::Url::to_string).as_deref(),
        Some(MANAGE_USAGE_URL)
    );
}

#[gpui::test]
async fn incomplete_and_cut_answers_are_not_success(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    let model = models(cx, &h).remove(0);
    h.emulator.inject_siwc(SiwcFault::Cut);
    let (_, error) = complete(cx, &model, request("Hello"));
    assert!(
        matches!(
            error,
            Some(LanguageModelCompletionError::StreamEndedUnexpectedly { .. })
        ),
        "{error:?}"
    );
    h.emulator.inject_siwc(SiwcFault::Incomplete);
    let (events, _) = complete(cx, &model, request("Hello"));
    assert_ne!(
        events.last(),
        Some(&LanguageModelCompletionEvent::Stop(StopReason::EndTurn))
    );
    // Valid SSE without a Content-Type is still read.
    h.emulator.inject_siwc(SiwcFault::OmitContentType);
    let (events, error) = complete(cx, &model, request("Hello"));
    assert!(error.is_none(), "{error:?}");
    assert!(text_of(&events).contains("Hello"));
}

#[gpui::test]
async fn a_refused_token_is_refreshed_once_and_the_request_retried(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    let model = models(cx, &h).remove(0);
    h.emulator.siwc_revoke_access_tokens();
    let (events, error) = complete(cx, &model, request("Hello"));
    assert!(error.is_none(), "{error:?}");
    assert!(text_of(&events).contains("Hello"));
    assert_eq!(h.emulator.siwc_stats().refreshes, 1);
    assert_eq!(h.emulator.siwc_stats().responses_requests, 2);
}

#[gpui::test]
async fn the_card_shows_the_route_the_plan_and_the_one_time_notice(cx: &mut TestAppContext) {
    let h = signed_in(cx);
    let state = h.provider.state().clone();
    let (_, view) = cx.add_window_view(|_, cx| ConfigurationView::new(state, cx));
    view.run_until_parked();
    let lines = h
        .provider
        .state()
        .read_with(view, |state, cx| state.status(cx).lines());
    assert_eq!(lines[1], "Route: Sign in with ChatGPT");
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with("Using ChatGPT plan")),
        "{lines:?}"
    );
    assert!(view.debug_bounds("using-plan").is_some());
    assert!(
        view.debug_bounds("usage-bar-0").is_none(),
        "no usage figures on this route"
    );
    assert!(view.debug_bounds("plan-notice").is_some());

    click(view, "manage-usage");
    view.run_until_parked();
    assert_eq!(
        h.opened.lock().last().map(url::Url::to_string).as_deref(),
        Some(MANAGE_USAGE_URL)
    );

    click(view, "dismiss-plan-notice");
    view.run_until_parked();
    // (A window's debug bounds keep elements drawn in earlier frames: the status says it.)
    let status = h
        .provider
        .state()
        .read_with(view, |state, cx| state.status(cx));
    let ConfigurationStatus::SignedIn { plan_notice, .. } = status else {
        panic!("signed in")
    };
    assert!(plan_notice.is_none(), "dismissed for good");
    assert_eq!(
        h.provider
            .state()
            .read_with(view, |state, _| state.plan_notice()),
        PlanNotice::Dismissed,
        "remembered for the host to persist"
    );
    assert_eq!(h.emulator.siwc_stats().responses_requests, 0);
}

#[gpui::test]
async fn continue_with_chatgpt_starts_the_official_sign_in(cx: &mut TestAppContext) {
    let h = harness(cx, Emulator::start().unwrap(), MemoryStore::new());
    let authenticate = cx.update(|cx| h.provider.authenticate(cx));
    block(cx, authenticate).ok();
    let state = h.provider.state().clone();
    let (_, view) = cx.add_window_view(|_, cx| ConfigurationView::new(state, cx));
    view.run_until_parked();
    assert!(
        view.debug_bounds("sign-in").is_some(),
        "the Codex route stays offered"
    );
    click(view, "continue-with-chatgpt");
    wait_until(view, |_| !h.opened.lock().is_empty());
    let url = h.opened.lock()[0].clone();
    assert!(
        url.as_str().starts_with(&h.emulator.siwc_issuer_url()),
        "the official issuer's authorize page: {url}"
    );
    assert_eq!(url.path(), "/api/accounts/authorize");
}
