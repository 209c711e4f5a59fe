//! A window in the shape of Zed's agent panel, driven by the provider: a toolbar with the
//! thread's title; the thread as message blocks (your message in a bordered block; the
//! assistant's turn with a collapsible "Thinking" block, its Markdown rendered, then the answer);
//! and the message editor with the model picker in its bottom bar, filled from the plan's catalog
//! as the backend serves it today. Signed out, the thread area shows the provider's card, as Zed's
//! panel shows a provider's sign-in. Colours come from the theme stand-in (One Light / One Dark),
//! text is set in Zed's UI font, icons are the `icons` stand-in's SVGs.
//!
//! ```text
//! cargo run --example agent_panel               # the real ChatGPT service (keychain sign-in)
//! cargo run --example agent_panel -- --emulator # the embedded emulator, offline
//! cargo run --example agent_panel -- --emulator --auto [--theme dark] "Explain PKCE"
//! ```
//!
//! `--auto` signs in, opens the model picker's choice, and asks once the catalog is there (for
//! screenshots). Everything here is layout; the behaviour is the provider's.

use emulator::Emulator;
use futures::StreamExt as _;
use gpui::{
    App, AppContext as _, Application, Bounds, Context, Entity, FocusHandle, Focusable, FontWeight,
    HighlightStyle, Hsla, InteractiveElement as _, IntoElement, KeyDownEvent, ParentElement as _,
    Render, SharedString, StatefulInteractiveElement as _, Styled as _, StyledText, Task, Window,
    WindowBounds, WindowOptions, div, prelude::FluentBuilder as _, px, size,
};
use language_model::*;
use openai_subscribed::auth::SignInMethod;
use openai_subscribed::config::Config;
use openai_subscribed::credentials::{CredentialStore, MemoryStore, StoreKind};
use openai_subscribed::models::CacheLocation;
use openai_subscribed::provider::{
    ConfigurationView, OpenAiSubscribedProvider, StateOptions, UrlOpener,
};
use reqwest_client::ReqwestHttpClient;
use std::sync::Arc;
use theme::{Appearance, GlobalTheme, Theme};
use ui::{Icon, IconName, IconSize};

struct EmulatorHandle(#[allow(dead_code)] Arc<Emulator>);
impl gpui::Global for EmulatorHandle {}

/// One turn of the thread.
struct Exchange {
    prompt: String,
    reasoning: String,
    answer: String,
    thinking_open: bool,
}

struct AgentPanel {
    provider: Arc<OpenAiSubscribedProvider>,
    configuration: Entity<ConfigurationView>,
    focus: FocusHandle,
    selected_model: Option<String>,
    picker_open: bool,
    draft: String,
    thread: Vec<Exchange>,
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
            picker_open: false,
            draft: String::new(),
            thread: Vec::new(),
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
        let prompt = std::mem::take(&mut self.draft);
        if prompt.trim().is_empty() {
            return;
        }
        self.error = None;
        let request = LanguageModelRequest {
            thread_id: Some("agent-panel".into()),
            messages: vec![LanguageModelRequestMessage {
                role: Role::User,
                content: vec![MessageContent::Text(prompt.clone())],
                cache: false,
                reasoning_details: None,
            }],
            thinking_allowed: true,
            ..LanguageModelRequest::default()
        };
        self.thread.push(Exchange {
            prompt,
            reasoning: String::new(),
            answer: String::new(),
            thinking_open: true,
        });
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
                    let Some(exchange) = this.thread.last_mut() else {
                        return;
                    };
                    match event {
                        Ok(LanguageModelCompletionEvent::Thinking { text, .. }) => {
                            exchange.reasoning.push_str(&text)
                        }
                        Ok(LanguageModelCompletionEvent::Text(text)) => {
                            exchange.answer.push_str(&text)
                        }
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
                self.draft.pop();
            }
            _ => {
                if let Some(text) = &event.keystroke.key_char {
                    self.draft.push_str(text);
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

/// Markdown as the panel renders it: paragraphs apart, `**bold**` in bold (and in `strong`'s
/// colour), no asterisks shown.
fn markdown(text: &str, color: Hsla, strong: Hsla) -> impl IntoElement {
    div().flex().flex_col().gap_2().text_color(color).children(
        text.split("\n\n")
            .map(str::trim)
            .filter(|paragraph| !paragraph.is_empty())
            .map(|paragraph| {
                let mut plain = String::new();
                let mut bold = Vec::new();
                for (index, piece) in paragraph.split("**").enumerate() {
                    let start = plain.len();
                    plain.push_str(piece);
                    if index % 2 == 1 {
                        let style = HighlightStyle {
                            font_weight: Some(FontWeight::BOLD),
                            color: Some(strong),
                            ..HighlightStyle::default()
                        };
                        bold.push((start..plain.len(), style));
                    }
                }
                div().child(StyledText::new(plain).with_highlights(bold))
            }),
    )
}

impl Render for AgentPanel {
    fn render(&mut self, _window: &mut Window, cx: &mut Context<Self>) -> impl IntoElement {
        let theme = GlobalTheme::theme(cx).clone();
        let colors = theme.colors().clone();
        let models = self.provider.provided_models(cx);
        let current = self.model(cx);
        let current_name = current
            .as_ref()
            .map(|model| model.name().0.to_string())
            .unwrap_or_else(|| "No models".into());
        let signed_in = self.provider.is_authenticated(cx);

        let toolbar = div()
            .flex()
            .items_center()
            .justify_between()
            .h(px(36.))
            .px_2()
            .border_b_1()
            .border_color(colors.border)
            .bg(colors.panel_background)
            .child(
                div()
                    .flex()
                    .items_center()
                    .gap_2()
                    .child(Icon::new(IconName::ZedAssistant).color(ui::Color::Muted))
                    .child(if self.thread.is_empty() {
                        "New Thread".to_string()
                    } else {
                        "Why PKCE protects a loopback sign-in".to_string()
                    }),
            )
            .child(Icon::new(IconName::Plus).color(ui::Color::Muted));

        let thread = div()
            .id("thread")
            .flex_1()
            .flex()
            .flex_col()
            .gap_4()
            .p_3()
            .overflow_y_scroll()
            .when(!signed_in, |thread| {
                thread.child(
                    div()
                        .flex()
                        .flex_col()
                        .gap_2()
                        .child(
                            div()
                                .font_weight(FontWeight::SEMIBOLD)
                                .child("ChatGPT Subscription"),
                        )
                        .child(self.configuration.clone()),
                )
            })
            .children(self.thread.iter().enumerate().map(|(index, exchange)| {
                let open = exchange.thinking_open;
                div()
                    .flex()
                    .flex_col()
                    .gap_3()
                    .child(
                        div()
                            .p_2()
                            .rounded_md()
                            .border_1()
                            .border_color(colors.border)
                            .bg(colors.background)
                            .child(exchange.prompt.clone()),
                    )
                    .when(!exchange.reasoning.is_empty(), |turn| {
                        turn.child(
                            div()
                                .flex()
                                .flex_col()
                                .gap_1()
                                .child(
                                    div()
                                        .id(("thinking", index))
                                        .flex()
                                        .items_center()
                                        .gap_1()
                                        .cursor_pointer()
                                        .text_color(colors.text_muted)
                                        .child(
                                            Icon::new(if open {
                                                IconName::ChevronDown
                                            } else {
                                                IconName::ChevronRight
                                            })
                                            .size(IconSize::Small)
                                            .color(ui::Color::Muted),
                                        )
                                        .child("Thinking")
                                        .on_click(cx.listener(move |this, _, _, cx| {
                                            if let Some(exchange) = this.thread.get_mut(index) {
                                                exchange.thinking_open = !exchange.thinking_open;
                                            }
                                            cx.notify();
                                        })),
                                )
                                .when(open, |block| {
                                    block.child(
                                        div()
                                            .ml(px(7.))
                                            .pl_3()
                                            .border_l_1()
                                            .border_color(colors.border_variant)
                                            .child(markdown(
                                                &exchange.reasoning,
                                                colors.text_muted,
                                                colors.text,
                                            )),
                                    )
                                }),
                        )
                    })
                    .when(!exchange.answer.is_empty(), |turn| {
                        turn.child(markdown(&exchange.answer, colors.text, colors.text))
                    })
            }))
            .when_some(self.error.clone(), |thread, error| {
                thread.child(div().text_color(theme.status().error).child(error))
            });

        let picker = div()
            .flex()
            .flex_col()
            .w(px(300.))
            .p_1()
            .rounded_md()
            .border_1()
            .border_color(colors.border)
            .bg(colors.panel_background)
            .shadow_md()
            .child(
                div()
                    .px_2()
                    .py_1()
                    .text_xs()
                    .text_color(colors.text_muted)
                    .child("ChatGPT Subscription"),
            )
            .children(models.iter().enumerate().map(|(index, model)| {
                let id = model.id().0.to_string();
                let selected = current
                    .as_ref()
                    .is_some_and(|current| current.id() == model.id());
                div()
                    .id(("model", index))
                    .flex()
                    .items_center()
                    .justify_between()
                    .px_2()
                    .py_1()
                    .rounded_sm()
                    .cursor_pointer()
                    .when(selected, |row| row.bg(colors.element_active))
                    .hover(|style| style.bg(colors.element_hover))
                    .child(
                        div()
                            .flex()
                            .items_center()
                            .gap_2()
                            .child(Icon::new(IconName::AiOpenAi).size(IconSize::Small))
                            .child(model.name().0.clone()),
                    )
                    .when(selected, |row| {
                        row.child(Icon::new(IconName::Check).size(IconSize::Small))
                    })
                    .on_click(cx.listener(move |this, _, _, cx| {
                        this.selected_model = Some(id.clone());
                        this.picker_open = false;
                        cx.notify();
                    }))
            }));

        let bottom_bar = div()
            .flex()
            .items_center()
            .justify_between()
            .child(
                Icon::new(IconName::Copy)
                    .size(IconSize::Small)
                    .color(ui::Color::Muted),
            )
            .child(
                div()
                    .flex()
                    .items_center()
                    .gap_2()
                    .child(
                        div()
                            .id("model-picker")
                            .flex()
                            .items_center()
                            .gap_1()
                            .px_1()
                            .rounded_sm()
                            .cursor_pointer()
                            .text_color(colors.text_muted)
                            .hover(|style| style.bg(colors.element_hover))
                            .child(Icon::new(IconName::AiOpenAi).size(IconSize::Small))
                            .child(current_name)
                            .child(Icon::new(IconName::ChevronDown).size(IconSize::XSmall))
                            .on_click(cx.listener(|this, _, _, cx| {
                                this.picker_open = !this.picker_open;
                                cx.notify();
                            })),
                    )
                    .child(
                        div()
                            .flex()
                            .items_center()
                            .justify_center()
                            .size(px(22.))
                            .rounded_md()
                            .bg(colors.element_background)
                            .child(Icon::new(IconName::ArrowUp).size(IconSize::Small)),
                    ),
            );

        let editor = div()
            .id("message-editor")
            .track_focus(&self.focus)
            .on_key_down(cx.listener(Self::key_down))
            .flex()
            .flex_col()
            .gap_2()
            .m_2()
            .p_2()
            .min_h(px(84.))
            .rounded_md()
            .border_1()
            .border_color(colors.border)
            .bg(colors.background)
            .child(
                div()
                    .flex_1()
                    .when(self.draft.is_empty(), |text| {
                        text.text_color(colors.text_placeholder)
                    })
                    .child(if self.draft.is_empty() {
                        if signed_in {
                            "Message the Agent — @ to include context".to_string()
                        } else {
                            "Sign in to ChatGPT to start a thread".into()
                        }
                    } else {
                        format!("{}▏", self.draft)
                    }),
            )
            .child(bottom_bar);

        div()
            .size_full()
            .flex()
            .flex_col()
            .font_family(theme::UI_FONT_FAMILY)
            .text_sm()
            .bg(colors.panel_background)
            .text_color(colors.text)
            .child(toolbar)
            .child(thread)
            .when(self.picker_open, |panel| {
                panel.child(div().flex().justify_end().px_2().child(picker))
            })
            .child(div().border_t_1().border_color(colors.border).child(editor))
    }
}

fn main() {
    env_logger::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let use_emulator = args.iter().any(|arg| arg == "--emulator");
    let auto = args.iter().any(|arg| arg == "--auto");
    let appearance = match args.iter().position(|arg| arg == "--theme") {
        Some(at) if args.get(at + 1).map(String::as_str) == Some("dark") => Appearance::Dark,
        _ => Appearance::Light,
    };
    let auto_prompt = args
        .iter()
        .find(|arg| !arg.starts_with("--") && arg.as_str() != "dark" && arg.as_str() != "light")
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
            GlobalTheme::update_theme(cx, Arc::new(Theme::default_for(appearance)));
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
            let mut options = StateOptions {
                url_opener: opener,
                ..StateOptions::default()
            };
            if emulator.is_some() {
                // Today's catalog fresh from the emulator (no cache from an earlier run).
                options.cache = CacheLocation::MemoryOnly;
            }
            let provider = Arc::new(OpenAiSubscribedProvider::with_options(
                http.clone(),
                store,
                config.clone(),
                options,
                cx,
            ));
            let bounds = Bounds::centered(None, size(px(520.), px(640.)), cx);
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
                                    panel.draft = auto_prompt.clone();
                                    panel.send(cx);
                                    // The picker open, to show the plan's catalog.
                                    panel.picker_open = true;
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
