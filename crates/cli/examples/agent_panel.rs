//! A demo window in the shape of Zed's agent panel: the provider's configuration view, a model
//! dropdown filled from the provider, a prompt box, and the streamed answer with the reasoning
//! shown apart.
//!
//! ```text
//! cargo run --example agent_panel               # the real ChatGPT service (keychain sign-in)
//! cargo run --example agent_panel -- --emulator # the embedded emulator, offline
//! cargo run --example agent_panel -- --emulator --auto "Explain PKCE"  # signs in and asks
//! ```
//!
//! Everything here is layout; the behaviour is the provider's.

use emulator::Emulator;
use futures::StreamExt as _;
use gpui::{
    App, AppContext as _, Application, Bounds, Context, Entity, FocusHandle, Focusable, FontWeight,
    InteractiveElement as _, IntoElement, KeyDownEvent, ParentElement as _, Render, SharedString,
    StatefulInteractiveElement as _, Styled as _, Task, Window, WindowBounds, WindowOptions, div,
    prelude::FluentBuilder as _, px, rgb, size,
};
use language_model::*;
use openai_subscribed::auth::SignInMethod;
use openai_subscribed::config::Config;
use openai_subscribed::credentials::{CredentialStore, MemoryStore, StoreKind};
use openai_subscribed::provider::{
    ConfigurationView, OpenAiSubscribedProvider, StateOptions, UrlOpener,
};
use reqwest_client::ReqwestHttpClient;
use std::sync::Arc;

struct EmulatorHandle(#[allow(dead_code)] Arc<Emulator>);
impl gpui::Global for EmulatorHandle {}

struct AgentPanel {
    provider: Arc<OpenAiSubscribedProvider>,
    configuration: Entity<ConfigurationView>,
    focus: FocusHandle,
    selected_model: Option<String>,
    dropdown_open: bool,
    prompt: String,
    reasoning: String,
    answer: String,
    error: Option<SharedString>,
    streaming: Option<Task<()>>,
}

impl AgentPanel {
    fn new(
        provider: Arc<OpenAiSubscribedProvider>,
        window: &mut Window,
        cx: &mut Context<Self>,
    ) -> Self {
        let state = provider.state().clone();
        cx.observe(&state, |_, _, cx| cx.notify()).detach();
        let configuration = cx.new(|cx| ConfigurationView::new(state, cx));
        let focus = cx.focus_handle();
        window.focus(&focus);
        Self {
            provider,
            configuration,
            focus,
            selected_model: None,
            dropdown_open: false,
            prompt: String::new(),
            reasoning: String::new(),
            answer: String::new(),
            error: None,
            streaming: None,
        }
    }

    fn model(&self, cx: &App) -> Option<Arc<dyn LanguageModel>> {
        let models = self.provider.provided_models(cx);
        match &self.selected_model {
            Some(id) => models.into_iter().find(|model| model.id().0.as_ref() == id),
            None => self.provider.default_model(cx),
        }
    }

    fn send(&mut self, cx: &mut Context<Self>) {
        let Some(model) = self.model(cx) else { return };
        let prompt = std::mem::take(&mut self.prompt);
        if prompt.trim().is_empty() {
            return;
        }
        self.reasoning.clear();
        self.answer.clear();
        self.error = None;
        let request = LanguageModelRequest {
            thread_id: Some("agent-panel".into()),
            messages: vec![LanguageModelRequestMessage {
                role: Role::User,
                content: vec![MessageContent::Text(prompt)],
                cache: false,
                reasoning_details: None,
            }],
            thinking_allowed: true,
            ..LanguageModelRequest::default()
        };
        self.streaming = Some(cx.spawn(async move |this, cx| {
            let events = model.stream_completion(request, cx).await;
            let mut events = match events {
                Ok(events) => events,
                Err(error) => {
                    this.update(cx, |this, cx| {
                        this.error = Some(error.to_string().into());
                        cx.notify();
                    })
                    .ok();
                    return;
                }
            };
            while let Some(event) = events.next().await {
                let keep_going = this.update(cx, |this, cx| {
                    match event {
                        Ok(LanguageModelCompletionEvent::Thinking { text, .. }) => {
                            this.reasoning.push_str(&text)
                        }
                        Ok(LanguageModelCompletionEvent::Text(text)) => this.answer.push_str(&text),
                        Ok(_) => {}
                        Err(error) => this.error = Some(error.to_string().into()),
                    }
                    cx.notify();
                });
                if keep_going.is_err() {
                    break;
                }
            }
        }));
        cx.notify();
    }

    fn key_down(&mut self, event: &KeyDownEvent, _: &mut Window, cx: &mut Context<Self>) {
        match event.keystroke.key.as_str() {
            "enter" => self.send(cx),
            "backspace" => {
                self.prompt.pop();
            }
            _ => {
                if let Some(text) = &event.keystroke.key_char {
                    self.prompt.push_str(text);
                }
            }
        }
        cx.notify();
    }
}

impl Focusable for AgentPanel {
    fn focus_handle(&self, _: &App) -> FocusHandle {
        self.focus.clone()
    }
}

fn section(title: &'static str) -> gpui::Div {
    div()
        .text_xs()
        .font_weight(FontWeight::SEMIBOLD)
        .text_color(rgb(0x59636e))
        .child(title)
}

impl Render for AgentPanel {
    fn render(&mut self, _window: &mut Window, cx: &mut Context<Self>) -> impl IntoElement {
        let models = self.provider.provided_models(cx);
        let current = self.model(cx);
        let current_name = current
            .as_ref()
            .map(|model| model.name().0.to_string())
            .unwrap_or_else(|| "No models".into());
        let signed_in = self.provider.is_authenticated(cx);

        let dropdown = div()
            .flex()
            .flex_col()
            .gap_1()
            .child(section("MODEL"))
            .child(
                div()
                    .id("model-dropdown")
                    .px_2()
                    .py_1()
                    .w(px(320.))
                    .border_1()
                    .border_color(rgb(0xd0d7de))
                    .rounded_md()
                    .cursor_pointer()
                    .child(format!("{current_name}  ▾"))
                    .on_click(cx.listener(|this, _, _, cx| {
                        this.dropdown_open = !this.dropdown_open;
                        cx.notify();
                    })),
            )
            .when(self.dropdown_open, |dropdown| {
                dropdown.child(
                    div()
                        .flex()
                        .flex_col()
                        .w(px(320.))
                        .border_1()
                        .border_color(rgb(0xd0d7de))
                        .rounded_md()
                        .children(models.iter().enumerate().map(|(index, model)| {
                            let id = model.id().0.to_string();
                            div()
                                .id(("model", index))
                                .px_2()
                                .py_1()
                                .cursor_pointer()
                                .hover(|style| style.bg(rgb(0xeaeef2)))
                                .child(format!(
                                    "{}  ·  {}k tokens",
                                    model.name(),
                                    model.max_token_count() / 1000
                                ))
                                .on_click(cx.listener(move |this, _, _, cx| {
                                    this.selected_model = Some(id.clone());
                                    this.dropdown_open = false;
                                    cx.notify();
                                }))
                        })),
                )
            });

        let prompt = div()
            .flex()
            .flex_col()
            .gap_1()
            .child(section("PROMPT (type, Enter to send)"))
            .child(
                div()
                    .id("prompt")
                    .track_focus(&self.focus)
                    .on_key_down(cx.listener(Self::key_down))
                    .px_2()
                    .py_1()
                    .min_h(px(32.))
                    .border_1()
                    .border_color(rgb(0x0969da))
                    .rounded_md()
                    .child(if self.prompt.is_empty() {
                        if signed_in {
                            "Ask anything…".to_string()
                        } else {
                            "Sign in first".into()
                        }
                    } else {
                        format!("{}▏", self.prompt)
                    }),
            );

        div()
            .size_full()
            .flex()
            .flex_col()
            .gap_3()
            .p_4()
            .bg(rgb(0xffffff))
            .text_color(rgb(0x1f2328))
            .text_sm()
            .child(
                div()
                    .text_lg()
                    .font_weight(FontWeight::BOLD)
                    .child("ChatGPT Subscription"),
            )
            .child(
                div()
                    .border_1()
                    .border_color(rgb(0xd0d7de))
                    .rounded_md()
                    .child(self.configuration.clone()),
            )
            .child(dropdown)
            .child(prompt)
            .when(!self.reasoning.is_empty(), |panel| {
                panel.child(section("REASONING")).child(
                    div()
                        .p_2()
                        .rounded_md()
                        .bg(rgb(0xf6f8fa))
                        .text_color(rgb(0x59636e))
                        .italic()
                        .child(self.reasoning.clone()),
                )
            })
            .when(!self.answer.is_empty(), |panel| {
                panel
                    .child(section("ANSWER"))
                    .child(div().child(self.answer.clone()))
            })
            .when_some(self.error.clone(), |panel, error| {
                panel.child(div().text_color(rgb(0xcf222e)).child(error))
            })
    }
}

fn main() {
    env_logger::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let use_emulator = args.iter().any(|arg| arg == "--emulator");
    let auto = args.iter().any(|arg| arg == "--auto");
    let auto_prompt = args
        .iter()
        .find(|arg| !arg.starts_with("--"))
        .cloned()
        .unwrap_or_else(|| "Explain in one paragraph why PKCE protects a loopback sign-in.".into());

    let emulator = use_emulator.then(|| Arc::new(Emulator::start().expect("the emulator starts")));
    let config = match &emulator {
        Some(emulator) => {
            Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap()
        }
        None => cli::args::config_from_env().expect("valid OPENAI_SUBSCRIBED_* settings"),
    };
    let http = ReqwestHttpClient::new(&config.user_agent()).expect("an HTTP client");

    Application::new()
        .with_assets(ui::IconAssets)
        .with_http_client(http.clone())
        .run(move |cx: &mut App| {
            // The emulator serves as long as the app runs.
            if let Some(emulator) = emulator.clone() {
                cx.set_global(EmulatorHandle(emulator));
            }
            let (store, opener): (Arc<dyn CredentialStore>, UrlOpener) = match &emulator {
                Some(_) => (
                    Arc::new(MemoryStore::new()),
                    cli::demo::http_browser(http.clone()),
                ),
                None => (StoreKind::Auto.build(&config, None, cx), UrlOpener::System),
            };
            let options = StateOptions {
                url_opener: opener,
                ..StateOptions::default()
            };
            let provider = Arc::new(OpenAiSubscribedProvider::with_options(
                http.clone(),
                store,
                config.clone(),
                options,
                cx,
            ));
            let bounds = Bounds::centered(None, size(px(760.), px(720.)), cx);
            let window = cx
                .open_window(
                    WindowOptions {
                        window_bounds: Some(WindowBounds::Windowed(bounds)),
                        ..WindowOptions::default()
                    },
                    |window, cx| cx.new(|cx| AgentPanel::new(provider.clone(), window, cx)),
                )
                .expect("a window opens");

            if auto {
                // For screenshots and smoke runs: sign in, then ask once the models are there.
                let state = provider.state().clone();
                state.update(cx, |state, cx| state.sign_in(SignInMethod::Browser, cx));
                cx.spawn(async move |cx| {
                    for _ in 0..200 {
                        let ready = state
                            .read_with(cx, |state, cx| {
                                state.is_signed_in(cx)
                                    && state.catalog().read(cx).source()
                                        == openai_subscribed::models::CatalogSource::Network
                            })
                            .unwrap_or(false);
                        if ready {
                            window
                                .update(cx, |panel, _, cx| {
                                    panel.prompt = auto_prompt.clone();
                                    panel.send(cx);
                                })
                                .ok();
                            return;
                        }
                        cx.background_executor()
                            .timer(std::time::Duration::from_millis(50))
                            .await;
                    }
                })
                .detach();
            }
            cx.activate(true);
        });
}
