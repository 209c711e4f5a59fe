//! Real `/responses` streams (`tests/fixtures/real/`, sources in its `SOURCES.md`) through the
//! crate's own SSE decoding and event mapping ([`completion_events`], the function the provider
//! streams every answer through), one test per fixture: live captures of text and of a tool
//! call, a summary stream, OpenAI's hand-written minimal stream, Zed's compaction stream,
//! `response.failed` examples and a stream `error`.
//!
//! The JSON captures hold each event as `{event, data}`; they are framed back into SSE as the
//! backend sent them. Fixtures are read as they are: none is edited to make a test pass.

use futures::StreamExt as _;
use language_model::{
    CompactedContext, CompactionUpdate, LanguageModelCompletionEvent as Event,
    LanguageModelToolUseInput, StopReason,
};
use openai_subscribed::responses::{COMPACTION_STATE_FORMAT, ResponsesError, completion_events};
use openai_subscribed::usage::UsageLimits;
use serde_json::Value;
use std::path::PathBuf;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn json_fixture(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).unwrap()
}

/// Decodes SSE bytes exactly as an answer's body is decoded.
fn decode(bytes: Vec<u8>) -> Vec<Result<Event, ResponsesError>> {
    futures::executor::block_on(
        completion_events(futures::io::Cursor::new(bytes)).collect::<Vec<_>>(),
    )
}

/// A capture's `{event, data}` list, framed as the backend sent it.
fn sse_of_capture(capture: &Value) -> Vec<u8> {
    let mut sse = String::new();
    for event in capture["events"].as_array().unwrap() {
        sse.push_str(&format!(
            "event: {}\ndata: {}\n\n",
            event["event"].as_str().unwrap(),
            event["data"].as_str().unwrap()
        ));
    }
    sse.into_bytes()
}

fn ok_events(events: Vec<Result<Event, ResponsesError>>) -> Vec<Event> {
    events
        .into_iter()
        .map(|event| event.unwrap_or_else(|error| panic!("unexpected error: {error}")))
        .collect()
}

fn text(events: &[Event]) -> String {
    events
        .iter()
        .filter_map(|event| match event {
            Event::Text(text) => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

fn usage(events: &[Event]) -> Option<language_model::TokenUsage> {
    events.iter().rev().find_map(|event| match event {
        Event::UsageUpdate(usage) => Some(*usage),
        _ => None,
    })
}

/// The capture's response headers as an `http` header map.
fn headers_of(capture: &Value) -> http_client::http::HeaderMap {
    let mut headers = http_client::http::HeaderMap::new();
    for (name, value) in capture["responseHeaders"]["all"].as_object().unwrap() {
        headers.insert(
            http_client::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.as_str().unwrap().parse().unwrap(),
        );
    }
    headers
}

#[test]
fn live_text_answer_gives_text_usage_and_end_turn() {
    let capture = json_fixture("xharness_x2_gpt-6-luna_text.json");
    let events = ok_events(decode(sse_of_capture(&capture)));
    assert_eq!(
        events.first(),
        Some(&Event::StartMessage {
            message_id: "resp_099849c4c1d865ac016abdd1127da887d0975eb0c1ae3b4270".into()
        })
    );
    // Every delta, in order: the same text the capture's deltas spell.
    let expected: String = capture["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| event["event"] == "response.output_text.delta")
        .map(|event| {
            let data: Value = serde_json::from_str(event["data"].as_str().unwrap()).unwrap();
            data["delta"].as_str().unwrap().to_string()
        })
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(text(&events), expected);
    let usage = usage(&events).expect("response.completed carries usage");
    assert!(
        usage.input_tokens + usage.cache_read_input_tokens > 0,
        "{usage:?}"
    );
    assert!(usage.output_tokens > 0, "{usage:?}");
    assert_eq!(events.last(), Some(&Event::Stop(StopReason::EndTurn)));

    // The answer's headers: both windows, labelled by their length.
    let limits = UsageLimits::from_headers(&headers_of(&capture), chrono::Utc::now()).unwrap();
    let labels: Vec<String> = limits.windows.iter().map(|window| window.label()).collect();
    assert_eq!(labels, ["5-hour", "weekly"]);
    assert_eq!(limits.windows[0].used_percent, 19.0);
    assert_eq!(limits.windows[1].used_percent, 7.0);
}

#[test]
fn live_tool_call_gives_the_complete_arguments() {
    let capture = json_fixture("xharness_x3_tool1_function_call.json");
    let events = ok_events(decode(sse_of_capture(&capture)));
    let complete: Vec<_> = events
        .iter()
        .filter_map(|event| match event {
            Event::ToolUse(tool_use) if tool_use.is_input_complete => Some(tool_use),
            _ => None,
        })
        .collect();
    assert_eq!(complete.len(), 1, "{events:?}");
    assert_eq!(
        complete[0].input,
        LanguageModelToolUseInput::Json(serde_json::json!({"timezone": "Asia/Tokyo"}))
    );
    assert_eq!(complete[0].raw_input, r#"{"timezone":"Asia/Tokyo"}"#);
    assert!(!complete[0].name.is_empty());
    assert!(
        complete[0].id.to_string().starts_with("call_"),
        "{:?}",
        complete[0].id
    );
    // Partial inputs came first, growing.
    assert!(
        events
            .iter()
            .any(|event| matches!(event, Event::ToolUse(tool_use) if !tool_use.is_input_complete))
    );
    assert!(usage(&events).is_some());
    assert_eq!(events.last(), Some(&Event::Stop(StopReason::ToolUse)));
    assert!(text(&events).is_empty());
}

#[test]
fn live_summary_stream_gives_its_text() {
    let events = ok_events(decode(fixture("xharness_codex-summary.sse")));
    let answer = text(&events);
    assert!(answer.starts_with("Goal"), "{answer}");
    let deltas = events
        .iter()
        .filter(|event| matches!(event, Event::Text(_)))
        .count();
    assert_eq!(deltas, 32);
    assert!(usage(&events).is_some());
    assert_eq!(events.last(), Some(&Event::Stop(StopReason::EndTurn)));
}

#[test]
fn minimal_handwritten_stream_gives_the_done_message_text() {
    // No deltas, no usage: the text is only in the done message item.
    let events = ok_events(decode(fixture(
        "codex_cli_responses_fixture_handwritten.sse",
    )));
    assert_eq!(
        events,
        [
            Event::StartMessage {
                message_id: "resp1".into()
            },
            Event::Text("fixture hello".into()),
            Event::Stop(StopReason::EndTurn),
        ]
    );
}

#[test]
fn zed_compaction_stream_gives_one_replayable_compaction() {
    let events = ok_events(decode(fixture("zed_compaction_stream_test_literal.sse")));
    let compactions: Vec<_> = events
        .iter()
        .filter_map(|event| match event {
            Event::Compaction(update) => Some(update),
            _ => None,
        })
        .collect();
    assert_eq!(compactions.len(), 2, "{events:?}");
    assert_eq!(compactions[0], &CompactionUpdate::Started);
    let CompactionUpdate::Finished(CompactedContext::ProviderState(state)) = compactions[1] else {
        panic!("{:?}", compactions[1]);
    };
    assert_eq!(state.provider_id().0.as_ref(), "openai-subscribed");
    assert_eq!(state.format(), COMPACTION_STATE_FORMAT);
    // Replayed without the item id (nothing is stored server-side).
    assert_eq!(
        state.payload(),
        r#"[{"type":"compaction","encrypted_content":"opaque-state"}]"#
    );
    assert_eq!(events.last(), Some(&Event::Stop(StopReason::EndTurn)));
}

#[test]
fn failed_responses_become_errors_in_words() {
    let lines = String::from_utf8(fixture("codex_api_response.failed_examples.jsonl")).unwrap();
    let errors: Vec<ResponsesError> = lines
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let mut events = decode(format!("data: {line}\n\n").into_bytes());
            let last = events.pop().expect("an event");
            assert!(events.iter().all(Result::is_ok), "{events:?}");
            last.expect_err("a failed response is an error")
        })
        .collect();
    assert_eq!(errors.len(), 6);
    match &errors[0] {
        ResponsesError::RateLimited { retry_after } => {
            let seconds = retry_after.expect("'try again in 11.054s'").as_secs_f64();
            assert!((11.0..12.0).contains(&seconds), "{seconds}");
        }
        other => panic!("{other:?}"),
    }
    for error in &errors[1..3] {
        assert!(
            matches!(error, ResponsesError::ContextLengthExceeded { .. }),
            "{error:?}"
        );
        assert!(
            error.to_string().contains("exceeds the context window"),
            "{error}"
        );
    }
    assert!(
        matches!(errors[3], ResponsesError::UsageLimitReached { .. }),
        "{:?}",
        errors[3]
    );
    assert_eq!(
        errors[4].to_string(),
        "the response failed (cyber_policy): This request was flagged for cyber policy."
    );
    // A blank message is not shown as blank.
    assert_eq!(
        errors[5].to_string(),
        "the response failed (cyber_policy): the backend gave no details"
    );
}

#[test]
fn a_stream_error_of_an_overloaded_backend_is_overloaded() {
    let capture = json_fixture("xharness_stream-error_server_is_overloaded.json");
    let sse = format!("event: error\ndata: {}\n\n", capture["payload"]);
    let mut events = decode(sse.into_bytes());
    let error = events.pop().unwrap().unwrap_err();
    assert!(
        matches!(error, ResponsesError::Overloaded { .. }),
        "{error:?}"
    );
    assert!(events.iter().all(Result::is_ok));
}
