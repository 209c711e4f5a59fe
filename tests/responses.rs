//! The Responses streamer against the embedded emulator, over real loopback sockets.
//!
//! Every request here is built by `build_request` from a host `LanguageModelRequest` and the
//! model's entry in the emulator's catalog, sent by `send_request` through the real reqwest
//! client, and answered by the emulator, which rejects what the real backend would (ids in
//! input, unpaired tool outputs, efforts a model does not take…). Faults are injected one at a
//! time to check each error's mapped variant and message.

use emulator::{Emulator, Fault};
use futures::{FutureExt as _, StreamExt as _};
use language_model::{
    ImageSize, LanguageModelCompletionError, LanguageModelCompletionEvent as Event,
    LanguageModelImage, LanguageModelRequest, LanguageModelRequestMessage,
    LanguageModelRequestTool, LanguageModelToolResult, LanguageModelToolResultContent,
    LanguageModelToolUse, LanguageModelToolUseInput, MessageContent, ProviderErrorCategory, Role,
    StopReason,
};
use openai_subscribed::backend_request::{BackendAuth, authenticated_request};
use openai_subscribed::config::Config;
use openai_subscribed::models::ModelInfo;
use openai_subscribed::responses::{
    ResponseStream, ResponsesError, StreamTimeouts, StreamWatch, build_request, send_request,
};
use openai_subscribed::secret::AccessToken;
use reqwest_client::ReqwestHttpClient;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const PROVIDER: &str = "ChatGPT Subscription";

struct Harness {
    emulator: Emulator,
    http: Arc<ReqwestHttpClient>,
    config: Config,
    auth: BackendAuth,
    models: Vec<ModelInfo>,
}

impl Harness {
    fn start() -> Self {
        let emulator = Emulator::start().expect("emulator starts");
        let http = ReqwestHttpClient::new("openai_subscribed-tests").unwrap();
        let config = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap();
        let tokens = emulator.mint_tokens(3600);
        let auth = BackendAuth {
            access_token: AccessToken::new(tokens.access_token),
            account_id: "acct_emulated".into(),
        };
        let models = futures::executor::block_on(fetch_models(&http, &config, &auth));
        Self {
            emulator,
            http,
            config,
            auth,
            models,
        }
    }

    fn model(&self, slug: &str) -> ModelInfo {
        self.models
            .iter()
            .find(|model| model.slug == slug)
            .unwrap_or_else(|| panic!("{slug} not in the emulator's catalog"))
            .clone()
    }

    fn send(
        &self,
        request: &LanguageModelRequest,
        model: &ModelInfo,
    ) -> Result<ResponseStream, ResponsesError> {
        let body = build_request(request, model)?;
        // The stall limits are tested in tests/stalls.rs; here no timer ever fires.
        let watch = StreamWatch::new(
            StreamTimeouts::default(),
            Arc::new(|_| futures::future::pending().boxed()),
        );
        futures::executor::block_on(send_request(
            &*self.http,
            &self.config,
            &self.auth,
            &body,
            &watch,
        ))
    }

    /// Sends and drains the stream: the events before any error, and the error.
    fn complete(
        &self,
        request: &LanguageModelRequest,
        model: &ModelInfo,
    ) -> (Vec<Event>, Option<ResponsesError>) {
        let stream = match self.send(request, model) {
            Ok(stream) => stream,
            Err(error) => return (Vec::new(), Some(error)),
        };
        drain(stream)
    }
}

fn drain(stream: ResponseStream) -> (Vec<Event>, Option<ResponsesError>) {
    futures::executor::block_on(async move {
        let mut events = Vec::new();
        let mut stream = stream.events;
        while let Some(event) = stream.next().await {
            match event {
                Ok(event) => events.push(event),
                Err(error) => return (events, Some(error)),
            }
        }
        (events, None)
    })
}

async fn fetch_models(
    http: &ReqwestHttpClient,
    config: &Config,
    auth: &BackendAuth,
) -> Vec<ModelInfo> {
    use futures::AsyncReadExt as _;
    use http_client::HttpClient as _;
    let request =
        authenticated_request(config, auth, http_client::Method::GET, &config.models_url())
            .body(http_client::AsyncBody::empty())
            .unwrap();
    let response = http.send(request).await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let mut body = String::new();
    response
        .into_body()
        .read_to_string(&mut body)
        .await
        .unwrap();
    #[derive(serde::Deserialize)]
    struct Catalog {
        models: Vec<ModelInfo>,
    }
    serde_json::from_str::<Catalog>(&body).unwrap().models
}

fn message(role: Role, content: Vec<MessageContent>) -> LanguageModelRequestMessage {
    LanguageModelRequestMessage {
        role,
        content,
        cache: false,
        reasoning_details: None,
    }
}

fn user(text: &str) -> LanguageModelRequestMessage {
    message(Role::User, vec![MessageContent::Text(text.into())])
}

fn chat(text: &str) -> LanguageModelRequest {
    LanguageModelRequest {
        thread_id: Some("thread-test".into()),
        messages: vec![
            message(Role::System, vec![MessageContent::Text("Be brief.".into())]),
            user(text),
        ],
        thinking_allowed: true,
        ..Default::default()
    }
}

fn text_of(events: &[Event]) -> String {
    events
        .iter()
        .filter_map(|event| match event {
            Event::Text(text) => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

fn thinking_of(events: &[Event]) -> String {
    events
        .iter()
        .filter_map(|event| match event {
            Event::Thinking { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

fn read_file_tool() -> LanguageModelRequestTool {
    LanguageModelRequestTool {
        name: "read_file".into(),
        description: "Reads a file of the project".into(),
        input_schema: json!({"type": "object", "properties": {"path": {"type": "string"}},
                             "required": ["path"]}),
        use_input_streaming: false,
    }
}

fn completion_error(error: &ResponsesError) -> LanguageModelCompletionError {
    error.to_completion_error(PROVIDER.into())
}

#[test]
fn text_answer_with_usage_and_limits() {
    let harness = Harness::start();
    let model = harness.model("gpt-5.5");
    let stream = harness.send(&chat("Hello there"), &model).unwrap();

    let limits = stream.usage_limits.clone().expect("limit headers");
    let labels: Vec<String> = limits.windows.iter().map(|w| w.label()).collect();
    assert_eq!(labels, ["5-hour", "weekly"]);
    assert!(limits.windows.iter().all(|w| w.resets_at.is_some()));
    let credits = limits.credits.clone().expect("credit headers");
    assert!(!credits.has_credits && !credits.unlimited);
    assert!(stream.models_etag.is_some());

    let (events, error) = drain(stream);
    assert!(error.is_none(), "{error:?}");
    assert!(matches!(events.first(), Some(Event::StartMessage { .. })));
    assert!(text_of(&events).contains("Hello there"), "{events:?}");
    let usage = events
        .iter()
        .find_map(|event| match event {
            Event::UsageUpdate(usage) => Some(*usage),
            _ => None,
        })
        .expect("a usage update");
    assert!(usage.input_tokens + usage.cache_read_input_tokens > 0 && usage.output_tokens > 0);
    assert_eq!(events.last(), Some(&Event::Stop(StopReason::EndTurn)));
}

#[test]
fn reasoning_is_streamed_and_replayed_next_turn() {
    let harness = Harness::start();
    let model = harness.model("gpt-5.5");
    let mut request = chat("Why is the sky blue?");
    request.thinking_effort = Some("high".into());
    let (events, error) = harness.complete(&request, &model);
    assert!(error.is_none(), "{error:?}");
    let thinking = thinking_of(&events);
    assert!(
        thinking.contains("\n\n"),
        "two summary parts, separated: {thinking:?}"
    );
    let encrypted = events
        .iter()
        .find_map(|event| match event {
            Event::RedactedThinking { data } => Some(data.clone()),
            _ => None,
        })
        .expect("the reasoning's encrypted content");

    // The next turn carries the reasoning back as the host stores it; the emulator rejects ids.
    request.messages.push(message(
        Role::Assistant,
        vec![
            MessageContent::Thinking {
                text: thinking,
                signature: None,
            },
            MessageContent::RedactedThinking(encrypted),
            MessageContent::Text(text_of(&events)),
        ],
    ));
    request.messages.push(user("And at sunset?"));
    let (events, error) = harness.complete(&request, &model);
    assert!(error.is_none(), "{error:?}");
    assert!(text_of(&events).contains("And at sunset?"));
}

#[test]
fn tool_call_round_trip_over_two_turns() {
    let harness = Harness::start();
    let model = harness.model("gpt-5.2");
    let mut request = chat("Please use the tool to read the readme");
    request.tools = vec![read_file_tool()];

    let (events, error) = harness.complete(&request, &model);
    assert!(error.is_none(), "{error:?}");
    let tool_uses: Vec<&LanguageModelToolUse> = events
        .iter()
        .filter_map(|event| match event {
            Event::ToolUse(tool_use) => Some(tool_use),
            _ => None,
        })
        .collect();
    let (last, partial) = tool_uses.split_last().expect("a tool call");
    assert!(!partial.is_empty() && partial.iter().all(|t| !t.is_input_complete));
    assert!(last.is_input_complete);
    assert_eq!(&*last.name, "read_file");
    // Tool input arrives as Zed's `LanguageModelToolUseInput`, JSON for a function tool.
    match &last.input {
        LanguageModelToolUseInput::Json(input) => assert!(input["path"].is_string(), "{input}"),
        other => panic!("expected JSON tool input, got {other:?}"),
    }
    assert!(
        partial
            .iter()
            .all(|t| matches!(t.input, LanguageModelToolUseInput::Json(_)))
    );
    assert_eq!(events.last(), Some(&Event::Stop(StopReason::ToolUse)));

    let mut assistant = Vec::new();
    for event in &events {
        if let Event::RedactedThinking { data } = event {
            assistant.push(MessageContent::RedactedThinking(data.clone()));
        }
    }
    assistant.push(MessageContent::ToolUse((*last).clone()));
    request.messages.push(message(Role::Assistant, assistant));
    request.messages.push(message(
        Role::User,
        vec![MessageContent::ToolResult(LanguageModelToolResult {
            tool_use_id: last.id.clone(),
            tool_name: last.name.clone(),
            is_error: false,
            content: vec![LanguageModelToolResultContent::Text("# The readme".into())],
            output: None,
        })],
    ));
    let (events, error) = harness.complete(&request, &model);
    assert!(error.is_none(), "{error:?}");
    assert!(text_of(&events).contains("# The readme"), "{events:?}");
    assert_eq!(events.last(), Some(&Event::Stop(StopReason::EndTurn)));
}

#[test]
fn the_emulator_accepts_every_request_the_mapping_builds() {
    let harness = Harness::start();
    let image = LanguageModelImage {
        source: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==".into(),
        size: Some(ImageSize {
            width: 1,
            height: 1,
        }),
    };
    let tool_use = LanguageModelToolUse {
        id: "call_earlier".into(),
        name: "read_file".into(),
        raw_input: r#"{"path":"a.rs"}"#.into(),
        input: LanguageModelToolUseInput::Json(json!({"path": "a.rs"})),
        thought_signature: None,
        is_input_complete: true,
    };
    for model in &harness.models {
        let mut first_turn = vec![MessageContent::Text("Look at this".into())];
        if model.supports_images() {
            first_turn.push(MessageContent::Image(image.clone()));
        }
        let request = LanguageModelRequest {
            thread_id: Some("thread-all".into()),
            messages: vec![
                message(Role::System, vec![MessageContent::Text("Rules.".into())]),
                message(Role::User, first_turn),
                LanguageModelRequestMessage {
                    reasoning_details: Some(json!([{"type": "reasoning", "id": "rs_gone",
                        "summary": [{"type": "summary_text", "text": "s"}], "encrypted_content": "enc-a"}])),
                    ..message(
                        Role::Assistant,
                        vec![
                            MessageContent::RedactedThinking("enc-b".into()),
                            MessageContent::Text("Reading it.".into()),
                            MessageContent::ToolUse(tool_use.clone()),
                            // An orphan call, as after a cancelled turn: dropped, not sent.
                            MessageContent::ToolUse(LanguageModelToolUse {
                                id: "call_cancelled".into(),
                                ..tool_use.clone()
                            }),
                        ],
                    )
                },
                message(
                    Role::User,
                    vec![MessageContent::ToolResult(LanguageModelToolResult {
                        tool_use_id: "call_earlier".into(),
                        tool_name: "read_file".into(),
                        is_error: false,
                        content: vec![LanguageModelToolResultContent::Text("fn main() {}".into())],
                        output: None,
                    })],
                ),
                user("Thanks, now summarise"),
            ],
            tools: vec![read_file_tool()],
            tool_choice: Some(language_model::LanguageModelToolChoice::Auto),
            thinking_allowed: true,
            thinking_effort: Some("xhigh".into()),
            ..Default::default()
        };
        let (events, error) = harness.complete(&request, model);
        assert!(error.is_none(), "{}: {error:?}", model.slug);
        assert!(
            matches!(events.last(), Some(Event::Stop(_))),
            "{}",
            model.slug
        );
    }
}

#[test]
fn images_for_a_text_only_model_fail_before_sending() {
    let harness = Harness::start();
    // Today's real catalog takes images everywhere; Zed's test catalog has a text-only model.
    harness
        .emulator
        .serve_catalog(include_str!(
            "fixtures/real/zed_catalog_test_literal_2.json"
        ))
        .unwrap();
    let models =
        futures::executor::block_on(fetch_models(&harness.http, &harness.config, &harness.auth));
    let Some(text_only) = models.iter().find(|m| !m.supports_images()) else {
        panic!("the catalog has a text-only model");
    };
    let mut request = chat("What is this?");
    request.messages[1]
        .content
        .push(MessageContent::Image(LanguageModelImage {
            source: "AAAA".into(),
            size: None,
        }));
    let before = harness.emulator.stats().responses_requests;
    let error = harness.send(&request, text_only).err().expect("refused");
    assert!(
        matches!(error, ResponsesError::ImagesNotSupported { .. }),
        "{error}"
    );
    assert_eq!(harness.emulator.stats().responses_requests, before);
}

#[test]
fn usage_limit_says_when_it_resets_and_retries_then() {
    let harness = Harness::start();
    harness.emulator.inject(Fault::ResponsesUsageLimit {
        resets_in_secs: 3600,
    });
    let (_, error) = harness.complete(&chat("hi"), &harness.model("gpt-5.5"));
    let error = error.expect("refused");
    let ResponsesError::UsageLimitReached {
        plan,
        resets_at,
        limits,
    } = &error
    else {
        panic!("{error:?}");
    };
    // The refusal's headers show the spent window, for the usage view.
    let spent = limits
        .as_ref()
        .and_then(|limits| limits.window(300))
        .expect("5-hour window");
    assert_eq!(spent.used_percent, 100.0);
    assert_eq!(plan.as_deref(), Some("plus"));
    assert!(resets_at.is_some());
    let message = error.to_string();
    assert!(
        message.starts_with("ChatGPT Plus usage limit reached; resets at ")
            && (message.ends_with("(in 1h 0m)") || message.ends_with("(in 59m)")),
        "{message}"
    );
    // For the host: a rejection with the same words, not retried automatically.
    let host_error = completion_error(&error);
    assert_eq!(host_error.retry_delay(1), None, "{host_error:?}");
    assert!(
        host_error
            .to_string()
            .starts_with("ChatGPT Plus usage limit reached")
    );
}

#[test]
fn usage_not_included_names_the_plan_problem() {
    let harness = Harness::start();
    harness.emulator.inject(Fault::ResponsesStatus {
        status: 403,
        body: json!({"error": {"type": "usage_not_included", "plan_type": "free",
                               "message": "Codex is not included in your plan"}}),
        retry_after_secs: None,
    });
    let (_, error) = harness.complete(&chat("hi"), &harness.model("gpt-5.5"));
    let error = error.expect("refused");
    assert!(
        error
            .to_string()
            .starts_with("your ChatGPT plan (Free) does not include Codex"),
        "{error}"
    );
    assert!(matches!(
        completion_error(&error),
        LanguageModelCompletionError::ProviderRejection {
            category: ProviderErrorCategory::Permission,
            ..
        }
    ));
}

#[test]
fn refused_tokens_are_unauthorized() {
    let harness = Harness::start();
    harness.emulator.inject(Fault::ResponsesUnauthorized);
    let (_, error) = harness.complete(&chat("hi"), &harness.model("gpt-5.5"));
    let error = error.expect("refused");
    assert!(error.is_unauthorized(), "{error:?}");
    assert!(matches!(
        completion_error(&error),
        LanguageModelCompletionError::ProviderRejection {
            category: ProviderErrorCategory::Authentication,
            ..
        }
    ));

    // An expired token is refused the same way, with no fault injected.
    let mut expired = Harness::start();
    expired.auth.access_token = AccessToken::new(expired.emulator.mint_tokens(-60).access_token);
    let (_, error) = expired.complete(&chat("hi"), &expired.model("gpt-5.5"));
    assert!(error.expect("refused").is_unauthorized());
}

#[test]
fn overload_honours_retry_after() {
    let harness = Harness::start();
    harness.emulator.inject(Fault::ResponsesStatus {
        status: 503,
        body: json!({"error": {"code": "server_is_overloaded", "message": "Try again later"}}),
        retry_after_secs: Some(7),
    });
    let (_, error) = harness.complete(&chat("hi"), &harness.model("gpt-5.5"));
    match completion_error(&error.expect("refused")) {
        LanguageModelCompletionError::ProviderRejection {
            retry_after,
            category: ProviderErrorCategory::Overloaded,
            ..
        } => assert_eq!(retry_after, Some(Duration::from_secs(7))),
        other => panic!("{other:?}"),
    }
}

#[test]
fn context_length_exceeded_is_prompt_too_large() {
    let harness = Harness::start();
    let model = harness.model("gpt-5.5");
    harness.emulator.inject(Fault::ResponsesFailed {
        code: "context_length_exceeded".into(),
        message: "Your input exceeds the context window of this model.".into(),
    });
    let (_, error) = harness.complete(&chat("hi"), &model);
    let error = error.expect("failed mid-stream");
    assert!(
        matches!(error, ResponsesError::ContextLengthExceeded { .. }),
        "{error:?}"
    );
    assert!(matches!(
        completion_error(&error),
        LanguageModelCompletionError::ProviderRejection {
            category: ProviderErrorCategory::PromptTooLarge { .. },
            ..
        }
    ));

    harness.emulator.inject(Fault::ResponsesStatus {
        status: 400,
        body: json!({"error": {"code": "context_length_exceeded", "message": "too long"}}),
        retry_after_secs: None,
    });
    let (_, error) = harness.complete(&chat("hi"), &model);
    assert!(matches!(
        completion_error(&error.expect("refused")),
        LanguageModelCompletionError::ProviderRejection {
            category: ProviderErrorCategory::PromptTooLarge { .. },
            ..
        }
    ));
}

#[test]
fn other_rejections_carry_the_backends_message() {
    let harness = Harness::start();
    let mut unknown = harness.model("gpt-5.5");
    unknown.slug = "gpt-imaginary".into();
    let (_, error) = harness.complete(&chat("hi"), &unknown);
    match completion_error(&error.expect("refused")) {
        LanguageModelCompletionError::ProviderRejection {
            message,
            category: ProviderErrorCategory::InvalidRequest,
            ..
        } => assert!(
            message.contains(
                "The 'gpt-imaginary' model is not supported when using Codex with a ChatGPT account."
            ),
            "{message}"
        ),
        other => panic!("{other:?}"),
    }

    harness.emulator.inject(Fault::ResponsesStatus {
        status: 404,
        body: json!({"detail": "Not Found"}),
        retry_after_secs: None,
    });
    let (_, error) = harness.complete(&chat("hi"), &harness.model("gpt-5.5"));
    match completion_error(&error.expect("refused")) {
        LanguageModelCompletionError::ProviderRejection {
            status, message, ..
        } => {
            assert_eq!(status.map(|status| status.as_u16()), Some(404));
            // The request, the status and what to do, with the backend's words (issue 22).
            assert!(
                message.contains("HTTP 404 Not Found (\"Not Found\")"),
                "{message}"
            );
            assert!(message.contains("check --backend-url"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_cut_stream_ends_unexpectedly() {
    let harness = Harness::start();
    harness.emulator.inject(Fault::ResponsesCutStream);
    let (events, error) = harness.complete(&chat("Tell me a story"), &harness.model("gpt-5.5"));
    assert!(!events.is_empty(), "some deltas arrive first");
    assert!(!events.iter().any(|e| matches!(e, Event::Stop(_))));
    let error = error.expect("the cut is an error");
    assert!(
        matches!(
            completion_error(&error),
            LanguageModelCompletionError::StreamEndedUnexpectedly { .. }
        ),
        "{error:?}"
    );
}
