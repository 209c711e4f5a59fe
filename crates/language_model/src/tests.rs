//! A toy provider written against the mirror, as any provider would be: it proves the traits are
//! implementable, object-safe where Zed needs them to be, and usable through the registry.

use super::*;
use anyhow::Result;
use futures::{FutureExt as _, StreamExt as _, future::BoxFuture, stream::BoxStream};
use gpui::{
    AnyView, App, AppContext as _, AsyncApp, Entity, IntoElement, ParentElement as _, Render, Task,
    TestAppContext, Window, div,
};
use std::sync::Arc;

/// Echoes the last user message back, word by word.
struct EchoModel;

impl LanguageModel for EchoModel {
    fn id(&self) -> LanguageModelId {
        "echo".into()
    }
    fn name(&self) -> LanguageModelName {
        "Echo".into()
    }
    fn provider_id(&self) -> LanguageModelProviderId {
        LanguageModelProviderId::new("toy")
    }
    fn provider_name(&self) -> LanguageModelProviderName {
        LanguageModelProviderName::new("Toy")
    }
    fn telemetry_id(&self) -> String {
        "toy/echo".into()
    }
    fn supports_images(&self) -> bool {
        false
    }
    fn supports_tools(&self) -> bool {
        false
    }
    fn supports_tool_choice(&self, _: LanguageModelToolChoice) -> bool {
        false
    }
    fn max_token_count(&self) -> u64 {
        1_000
    }
    fn stream_completion(
        &self,
        request: LanguageModelRequest,
        _: &AsyncApp,
    ) -> BoxFuture<
        'static,
        Result<
            BoxStream<'static, Result<LanguageModelCompletionEvent, LanguageModelCompletionError>>,
            LanguageModelCompletionError,
        >,
    > {
        let Some(last) = request.messages.last() else {
            return futures::future::ready(Err(LanguageModelCompletionError::Other(
                anyhow::anyhow!("empty request"),
            )))
            .boxed();
        };
        let mut events: Vec<_> = last
            .string_contents()
            .split_whitespace()
            .map(|word| Ok(LanguageModelCompletionEvent::Text(format!("{word} "))))
            .collect();
        events.push(Ok(LanguageModelCompletionEvent::Stop(StopReason::EndTurn)));
        futures::future::ready(Ok(futures::stream::iter(events).boxed())).boxed()
    }
}

struct ToyState {
    signed_in: bool,
}

struct ToyView;

impl Render for ToyView {
    fn render(&mut self, _: &mut Window, _: &mut gpui::Context<Self>) -> impl IntoElement {
        div().child("toy settings")
    }
}

struct ToyProvider {
    state: Entity<ToyState>,
}

impl LanguageModelProviderState for ToyProvider {
    type ObservableEntity = ToyState;
    fn observable_entity(&self) -> Option<Entity<ToyState>> {
        Some(self.state.clone())
    }
}

impl LanguageModelProvider for ToyProvider {
    fn id(&self) -> LanguageModelProviderId {
        LanguageModelProviderId::new("toy")
    }
    fn name(&self) -> LanguageModelProviderName {
        LanguageModelProviderName::new("Toy")
    }
    fn default_model(&self, _: &App) -> Option<Arc<dyn LanguageModel>> {
        Some(Arc::new(EchoModel))
    }
    fn default_fast_model(&self, cx: &App) -> Option<Arc<dyn LanguageModel>> {
        self.default_model(cx)
    }
    fn provided_models(&self, cx: &App) -> Vec<Arc<dyn LanguageModel>> {
        self.default_model(cx).into_iter().collect()
    }
    fn is_authenticated(&self, cx: &App) -> bool {
        self.state.read(cx).signed_in
    }
    fn authenticate(&self, cx: &mut App) -> Task<Result<(), AuthenticateError>> {
        if self.is_authenticated(cx) {
            Task::ready(Ok(()))
        } else {
            Task::ready(Err(AuthenticateError::CredentialsNotFound))
        }
    }
    fn settings_view(&self, _: &mut App) -> Option<ProviderSettingsView> {
        Some(ProviderSettingsView::Inline(InlineProviderSettings {
            title: None,
            description: Some(InlineDescription::Text("A toy".into())),
            create_view: Arc::new(|_: &mut Window, cx: &mut App| -> AnyView {
                cx.new(|_| ToyView).into()
            }),
        }))
    }
    fn reset_credentials(&self, cx: &mut App) -> Task<Result<()>> {
        self.state.update(cx, |state, cx| {
            state.signed_in = false;
            cx.notify();
        });
        Task::ready(Ok(()))
    }
}

#[gpui::test]
async fn a_toy_provider_implements_the_mirror(cx: &mut TestAppContext) {
    let state = cx.new(|_| ToyState { signed_in: true });
    let provider = Arc::new(ToyProvider { state });
    cx.update(|cx| {
        let registry = LanguageModelRegistry::global(cx);
        let registered = provider.clone();
        registry.update(cx, |registry, cx| {
            registry.register_provider(registered, cx)
        });
    });

    let (models, authenticated) = cx.update(|cx| {
        let registry = LanguageModelRegistry::global(cx);
        let models = registry.read(cx).available_models(cx);
        (models, provider.authenticate(cx))
    });
    assert!(authenticated.await.is_ok());
    assert_eq!(models.len(), 1);
    let model = models[0].clone();
    assert_eq!(model.name().0.as_ref(), "Echo");
    assert!(model.supported_effort_levels().is_empty());
    assert_eq!(model.default_effort_level(), None);

    let request = LanguageModelRequest {
        messages: vec![LanguageModelRequestMessage {
            role: Role::User,
            content: vec![MessageContent::Text("hello toy world".into())],
            cache: false,
            reasoning_details: None,
        }],
        ..LanguageModelRequest::default()
    };
    // Zed's default: a provider that cannot count says so with `None`.
    let tokens = model
        .count_input_tokens(request.clone(), &cx.to_async())
        .await;
    assert_eq!(tokens.unwrap(), None);
    let stream = model
        .stream_completion(request, &cx.to_async())
        .await
        .unwrap();
    let events: Vec<_> = stream.map(|event| event.unwrap()).collect().await;
    assert_eq!(
        events,
        [
            LanguageModelCompletionEvent::Text("hello ".into()),
            LanguageModelCompletionEvent::Text("toy ".into()),
            LanguageModelCompletionEvent::Text("world ".into()),
            LanguageModelCompletionEvent::Stop(StopReason::EndTurn),
        ]
    );

    let reset = cx.update(|cx| provider.reset_credentials(cx));
    reset.await.unwrap();
    assert!(!cx.update(|cx| provider.is_authenticated(cx)));
    let authenticated = cx.update(|cx| provider.authenticate(cx));
    assert!(matches!(
        authenticated.await,
        Err(AuthenticateError::CredentialsNotFound)
    ));
}

#[test]
fn rejections_are_classified_and_retried_as_upstream_says() {
    use http_client::StatusCode;
    use std::time::Duration;
    let provider = LanguageModelProviderName::new("Toy");

    // A 429 without a wait backs off exponentially from 5 s, capped at 40 s.
    let limited = LanguageModelCompletionError::from_http_status(
        provider.clone(),
        StatusCode::TOO_MANY_REQUESTS,
        "slow down".into(),
        None,
    );
    assert!(matches!(
        limited,
        LanguageModelCompletionError::ProviderRejection {
            category: ProviderErrorCategory::RateLimit,
            ..
        }
    ));
    assert_eq!(limited.retry_delay(0), None);
    assert_eq!(limited.retry_delay(1), Some(Duration::from_secs(5)));
    assert_eq!(limited.retry_delay(3), Some(Duration::from_secs(20)));
    assert_eq!(limited.retry_delay(10), Some(Duration::from_secs(40)));

    // A provider's own wait is honoured as is.
    let overloaded = LanguageModelCompletionError::from_http_status(
        provider.clone(),
        StatusCode::SERVICE_UNAVAILABLE,
        "busy".into(),
        Some(Duration::from_secs(20)),
    );
    assert_eq!(overloaded.retry_delay(1), Some(Duration::from_secs(20)));

    // A status-less rejection with an unknown code and no wait is not retried.
    let refused = LanguageModelCompletionError::from_provider_response(
        provider.clone(),
        None,
        Some("usage_limit_reached".into()),
        "limit reached".into(),
        None,
    );
    assert_eq!(refused.retry_delay(1), None);
    assert_eq!(refused.to_string(), "limit reached");

    // Context-window messages are recognised whatever the status.
    let too_long = LanguageModelCompletionError::from_http_status(
        provider,
        StatusCode::BAD_REQUEST,
        "prompt is too long: 250000 tokens > 200000 maximum".into(),
        None,
    );
    assert!(matches!(
        too_long,
        LanguageModelCompletionError::ProviderRejection {
            category: ProviderErrorCategory::PromptTooLarge {
                tokens: Some(250_000)
            },
            ..
        }
    ));
}

#[test]
fn tool_input_and_results_read_old_and_new_shapes() {
    let json: LanguageModelToolUseInput =
        serde_json::from_value(serde_json::json!({"type": "json", "value": {"a": 1}})).unwrap();
    assert_eq!(json.as_json(), Some(&serde_json::json!({"a": 1})));
    // Older threads stored the bare arguments.
    let bare: LanguageModelToolUseInput =
        serde_json::from_value(serde_json::json!({"path": "a.rs"})).unwrap();
    assert_eq!(bare.to_display_json(), serde_json::json!({"path": "a.rs"}));
    let text = LanguageModelToolUseInput::Text("patch".into());
    assert!(text.parse::<serde_json::Value>().is_err());
    let round: LanguageModelToolUseInput =
        serde_json::from_value(serde_json::to_value(&text).unwrap()).unwrap();
    assert_eq!(round, text);

    // A tool result's content used to be one value; it is a list now, and both read back.
    let single = serde_json::json!({
        "tool_use_id": "c", "tool_name": "t", "is_error": false,
        "content": {"Text": "hello"}, "output": null
    });
    let result: LanguageModelToolResult = serde_json::from_value(single).unwrap();
    assert_eq!(result.text_contents(), "hello");
    let list: LanguageModelToolResult =
        serde_json::from_value(serde_json::to_value(&result).unwrap()).unwrap();
    assert_eq!(list, result);
}
