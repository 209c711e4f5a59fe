//! The provider's settings card alone, in one state and one theme, for screenshots and visual
//! checks. Every state is reached through the real code against the embedded emulator (no
//! state is faked): the card shows what `State::status()` says.
//!
//! ```text
//! cargo run --example card -- --state signed-out --theme dark
//! ```
//! States: `signed-out`, `browser` (signing in by browser), `device-code`, `error`,
//! `signed-in` (with usage bars), `limit` (usage limit reached), `weekly-limit` (the weekly
//! window ran out while the 5-hour one is at 99 %: the card names and marks it), `warning` (the
//! weekly window past the 80 % warning), `rate-limit` (waiting for ChatGPT's rate limit),
//! `official` (signed in by Sign in with ChatGPT, with the one-time plan notice), `no-browser`
//! (signed out on a machine reached over SSH: the card says why and offers the device code
//! first), `accounts` (three accounts signed in, one by Sign in with ChatGPT: the account
//! picker), `switch-offer` (the active account hit its limit; another signed-in one has room and
//! the card offers the switch). Every other state is drawn as on a machine where a browser works, whatever the machine
//! rendering it. Themes: `light`, `dark`.
//! `scripts/screenshots.sh` renders all of them into `docs/`.

use emulator::{EmulatedAccount, Emulator, Fault, UsageLevels};
use futures::StreamExt as _;
use gpui::{
    App, AppContext as _, Application, Bounds, Context, Entity, IntoElement, ParentElement as _,
    Render, Styled as _, Window, WindowBounds, WindowOptions, div, px, size,
};
use language_model::*;
use openai_subscribed::auth::SignInMethod;
use openai_subscribed::config::Config;
use openai_subscribed::credentials::MemoryStore;
use openai_subscribed::models::CacheLocation;
use openai_subscribed::oauth::BrowserAvailability;
use openai_subscribed::provider::{
    ConfigurationView, OpenAiSubscribedProvider, PlanNotice, StateOptions, UrlOpener,
};
use reqwest_client::ReqwestHttpClient;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use theme::{ActiveTheme as _, Appearance, GlobalTheme, Theme};

/// Which state to show.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CardState {
    SignedOut,
    Browser,
    DeviceCode,
    Error,
    SignedIn,
    Limit,
    /// Signed in by Sign in with ChatGPT: the route, "Using ChatGPT plan" and the one-time notice.
    Official,
    WeeklyLimit,
    Warning,
    RateLimit,
    /// Signed out over SSH: no browser can work, so the device code comes first.
    NoBrowser,
    /// Three accounts signed in (two on the Codex route, one by Sign in with ChatGPT).
    Accounts,
    /// Two accounts; the active one hit its usage limit, the other has room.
    SwitchOffer,
}

impl CardState {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "signed-out" => Self::SignedOut,
            "browser" => Self::Browser,
            "device-code" => Self::DeviceCode,
            "error" => Self::Error,
            "signed-in" => Self::SignedIn,
            "limit" => Self::Limit,
            "official" => Self::Official,
            "weekly-limit" => Self::WeeklyLimit,
            "warning" => Self::Warning,
            "rate-limit" => Self::RateLimit,
            "no-browser" => Self::NoBrowser,
            "accounts" => Self::Accounts,
            "switch-offer" => Self::SwitchOffer,
            _ => return None,
        })
    }
}

struct EmulatorHandle(#[allow(dead_code)] Arc<Emulator>);
impl gpui::Global for EmulatorHandle {}

struct CardWindow {
    card: Entity<ConfigurationView>,
}

impl Render for CardWindow {
    fn render(&mut self, _window: &mut Window, cx: &mut Context<Self>) -> impl IntoElement {
        let colors = cx.theme().colors();
        div()
            .size_full()
            .p_4()
            .font_family(theme::UI_FONT_FAMILY)
            .bg(colors.background)
            .child(
                div()
                    .rounded_md()
                    .border_1()
                    .border_color(colors.border_variant)
                    .bg(colors.panel_background)
                    .child(
                        div()
                            .px_3()
                            .pt_2()
                            .text_sm()
                            .text_color(colors.text)
                            .child("ChatGPT Subscription"),
                    )
                    // The provider list's padding; the card draws no panel of its own.
                    .child(div().px_3().pt_1().pb_3().child(self.card.clone())),
            )
    }
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|arg| arg == name)
        .and_then(|at| args.get(at + 1))
        .cloned()
}

fn main() {
    env_logger::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let state_name = flag(&args, "--state").unwrap_or_else(|| "signed-out".into());
    let card_state = CardState::parse(&state_name).unwrap_or_else(|| {
        eprintln!("unknown --state {state_name}");
        std::process::exit(2)
    });
    let appearance = match flag(&args, "--theme").as_deref() {
        Some("dark") => Appearance::Dark,
        _ => Appearance::Light,
    };

    let emulator = Arc::new(Emulator::start().expect("the emulator starts"));
    let config = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url())
        .unwrap()
        .with_official_urls(&emulator.siwc_issuer_url(), &emulator.siwc_api_url())
        .unwrap();
    let http = ReqwestHttpClient::new(&config.user_agent()).expect("an HTTP client");

    Application::new()
        .with_assets(ui::IconAssets)
        .with_http_client(http.clone())
        .run(move |cx: &mut App| {
            cx.set_global(EmulatorHandle(emulator.clone()));
            GlobalTheme::update_theme(cx, Arc::new(Theme::default_for(appearance)));
            let url_opener = match card_state {
                // Nobody follows the sign-in page: the card waits in "approve in your browser".
                CardState::Browser => UrlOpener::Custom(Rc::new(|_, _| {})),
                _ => cli::demo::http_browser(http.clone()),
            };
            let options = StateOptions {
                url_opener,
                cache: CacheLocation::MemoryOnly,
                browser: match card_state {
                    CardState::NoBrowser => BrowserAvailability::RemoteSession,
                    _ => BrowserAvailability::Available,
                },
                plan_notice: match card_state {
                    CardState::Accounts => PlanNotice::Dismissed,
                    _ => PlanNotice::NotDismissed,
                },
                ..StateOptions::default()
            };
            let provider = Arc::new(OpenAiSubscribedProvider::with_options(
                http.clone(),
                Arc::new(MemoryStore::new()),
                config.clone(),
                options,
                cx,
            ));
            let state = provider.state().clone();
            match card_state {
                CardState::SignedOut | CardState::NoBrowser => {}
                CardState::Browser => {
                    state.update(cx, |state, cx| state.sign_in(SignInMethod::Browser, cx))
                }
                CardState::DeviceCode => {
                    state.update(cx, |state, cx| state.sign_in(SignInMethod::DeviceCode, cx))
                }
                CardState::Error => {
                    emulator.inject(Fault::AuthorizeDenied {
                        description: "missing_codex_entitlement".into(),
                    });
                    state.update(cx, |state, cx| state.sign_in(SignInMethod::Browser, cx));
                }
                CardState::Accounts => {
                    state.update(cx, |state, cx| state.sign_in(SignInMethod::Browser, cx));
                    add_accounts(provider.clone(), emulator.clone(), cx);
                }
                CardState::SwitchOffer => {
                    state.update(cx, |state, cx| state.sign_in(SignInMethod::Browser, cx));
                    offer_a_switch(provider.clone(), emulator.clone(), cx);
                }
                CardState::Official => state.update(cx, |state, cx| {
                    state.sign_in(SignInMethod::SignInWithChatGpt, cx)
                }),
                CardState::SignedIn
                | CardState::Limit
                | CardState::WeeklyLimit
                | CardState::Warning
                | CardState::RateLimit => {
                    match card_state {
                        CardState::Limit => emulator.inject(Fault::ResponsesUsageLimit {
                            resets_in_secs: 72 * 60,
                        }),
                        CardState::WeeklyLimit => emulator.inject(Fault::ResponsesWindowLimit {
                            window_minutes: 10_080,
                            resets_in_secs: (4 * 24 + 23) * 3600,
                            other_used_percent: 99.0,
                        }),
                        CardState::Warning => emulator.set_usage_levels(Some(UsageLevels {
                            five_hour_used_percent: 41.0,
                            weekly_used_percent: 93.0,
                        })),
                        CardState::RateLimit => emulator.inject(Fault::ResponsesStatus {
                            status: 429,
                            body: serde_json::json!({"error": {"type": "rate_limit_exceeded",
                                "message": "Rate limit reached. Please try again in 60s."}}),
                            retry_after_secs: Some(60),
                        }),
                        _ => {}
                    }
                    state.update(cx, |state, cx| state.sign_in(SignInMethod::Browser, cx));
                    ask_once_signed_in(provider.clone(), cx);
                }
            }

            let height = match card_state {
                CardState::Accounts => px(420.),
                CardState::SwitchOffer => px(470.),
                _ => px(340.),
            };
            let bounds = Bounds::centered(None, size(px(560.), height), cx);
            cx.open_window(
                WindowOptions {
                    window_bounds: Some(WindowBounds::Windowed(bounds)),
                    ..WindowOptions::default()
                },
                |_, cx| {
                    let card = cx.new(|cx| ConfigurationView::new(state.clone(), cx));
                    cx.new(|_| CardWindow { card })
                },
            )
            .expect("a window opens");
            cx.activate(true);
        });
}

/// Once Ada is signed in, adds the official route's account, then Bob's on the Codex route
/// (each through the real sign-in against the emulator), then asks once for the usage bars.
fn add_accounts(provider: Arc<OpenAiSubscribedProvider>, emulator: Arc<Emulator>, cx: &mut App) {
    cx.spawn(async move |cx| {
        let state = provider.state().clone();
        let count = |cx: &mut gpui::AsyncApp| {
            state
                .read_with(cx, |state, _| state.accounts().len())
                .unwrap_or(0)
        };
        let steps: [&dyn Fn(); 2] = [&|| {}, &|| {
            emulator.set_account(EmulatedAccount {
                email: "bob@example.com".into(),
                account_id: "acct_bob".into(),
                plan: "pro".into(),
                user_id: "user_bob".into(),
            })
        }];
        let methods = [SignInMethod::SignInWithChatGpt, SignInMethod::Browser];
        for (listed, (step, method)) in steps.into_iter().zip(methods).enumerate() {
            for _ in 0..400 {
                if count(cx) > listed {
                    break;
                }
                cx.background_executor()
                    .timer(Duration::from_millis(50))
                    .await;
            }
            step();
            state
                .update(cx, |state, cx| state.add_account(method, cx))
                .ok();
        }
        cx.update(|cx| ask_once_signed_in(provider.clone(), cx))
            .ok();
    })
    .detach();
}

/// Once Ada is signed in, adds Bob (Codex route), switches back to Ada, and sends one request
/// that her plan's usage limit refuses: the card then offers Bob, who has room.
fn offer_a_switch(provider: Arc<OpenAiSubscribedProvider>, emulator: Arc<Emulator>, cx: &mut App) {
    cx.spawn(async move |cx| {
        let state = provider.state().clone();
        let wait_for = async |cx: &mut gpui::AsyncApp, accounts: usize| {
            for _ in 0..400 {
                let listed = state
                    .read_with(cx, |state, _| state.accounts().len())
                    .unwrap_or(0);
                if listed >= accounts {
                    return;
                }
                cx.background_executor()
                    .timer(Duration::from_millis(50))
                    .await;
            }
        };
        wait_for(cx, 1).await;
        emulator.set_account(EmulatedAccount {
            email: "bob@example.com".into(),
            account_id: "acct_bob".into(),
            plan: "pro".into(),
            user_id: "user_bob".into(),
        });
        state
            .update(cx, |state, cx| state.add_account(SignInMethod::Browser, cx))
            .ok();
        wait_for(cx, 2).await;
        state
            .update(cx, |state, cx| {
                if let Some(ada) = state.accounts().first() {
                    let ada = ada.id.clone();
                    state.switch_account(&ada, cx);
                }
            })
            .ok();
        emulator.inject(Fault::ResponsesUsageLimit {
            resets_in_secs: 72 * 60,
        });
        cx.update(|cx| ask_once_signed_in(provider.clone(), cx))
            .ok();
    })
    .detach();
}

/// Once signed in, one short request: its answer (or refusal) carries the usage headers.
fn ask_once_signed_in(provider: Arc<OpenAiSubscribedProvider>, cx: &mut App) {
    cx.spawn(async move |cx| {
        for _ in 0..400 {
            let model = cx
                .update(|cx| {
                    provider
                        .is_authenticated(cx)
                        .then(|| provider.default_model(cx))
                        .flatten()
                })
                .ok()
                .flatten();
            if let Some(model) = model {
                let request = LanguageModelRequest {
                    messages: vec![LanguageModelRequestMessage {
                        role: Role::User,
                        content: vec![MessageContent::Text("Hello".into())],
                        cache: false,
                        reasoning_details: None,
                    }],
                    ..LanguageModelRequest::default()
                };
                if let Ok(mut events) = model.stream_completion(request, cx).await {
                    while events.next().await.is_some() {}
                }
                return;
            }
            cx.background_executor()
                .timer(Duration::from_millis(50))
                .await;
        }
    })
    .detach();
}
