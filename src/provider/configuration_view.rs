//! [`ConfigurationView`]: the provider's card in Settings > AI > LLM Providers (and the agent
//! panel), built from the `ui` mirror so its colours follow the theme, light or dark.
//!
//! It renders [`State::status`](super::State::status) and forwards clicks to the state; it holds
//! no logic of its own. It draws no panel around itself (the host's provider list does), and is
//! laid out as Zed's own providers are: signed out, one full-width outlined sign-in button and the
//! other ways quieter below it, in the order [`SignInOffer`] gives (the device code first, after
//! one line of why — `no-browser` — where no browser can work); the device code with its Copy
//! (`copy-device-code`) and Open (`open-verification-page`) buttons; signed in, the account in
//! Zed's `ConfiguredApiCard`. Every clickable element has a debug selector (`continue-with-chatgpt`:
//! the official route's sign-in, the default; `sign-in`: the quieter Codex route — labelled "Try
//! the Codex route again" after a failure —, `sign-in-device`, `reopen-sign-in-page`,
//! `cancel-sign-in`, `sign-out`, `dismiss-plan-notice`, `manage-usage`) so tests can click it;
//! the one-time "You're using your ChatGPT plan" notice (`plan-notice`), "Using ChatGPT plan"
//! (`using-plan`, the official route's place of the usage bars); the account card (`account`),
//! the device code (`device-code`), the error (`sign-in-error`), the usage-limit banner
//! (`limit-reached`), the line naming the window that ran out (`blocking-window`), the warnings
//! past a threshold (`usage-warning`), the rate-limit wait (`rate-limit-wait`) and each usage bar
//! (`usage-bar-0`, …) have one too. While the limit is reached, the window that ran out is drawn
//! in the error colour with "ran out" in its caption, and the others are dimmed.
//!
//! After a usage limit, when another signed-in account has room, the card says so and offers
//! the switch (`switch-offer`, a button; never made by itself).
//!
//! Signed in, the account picker ([`account_picker`]) follows the account card: every signed-in
//! account, switch, sign out of one, add another. Signed out while other accounts stay signed in
//! (an added sign-in was cancelled or failed), it offers them to switch back to.

mod account_picker;

use super::state::State;
use super::status::{
    CODEX_ROUTE_WHY, ConfigurationStatus, DEVICE_CODE_LABEL, PLAN_NOTICE_TITLE, SignInOffer,
    SignInStep, USING_PLAN, UsageBar,
};
use crate::auth::SignInMethod;
use crate::route::Route;
use gpui::{ClickEvent, Div, Entity, FontWeight, Subscription, Task};
use ui::prelude::*;
use ui::{ConfiguredApiCard, ProgressBar};

/// Usage at or above this share of a window is drawn as a warning.
const WARN_AT_PERCENT: f32 = 90.0;

/// The settings card (see the module docs).
pub struct ConfigurationView {
    state: Entity<State>,
    _observe_state: Subscription,
    /// While the card is shown, asks for the usage windows every few minutes (dropped with it).
    _refresh_usage: Task<()>,
}

impl ConfigurationView {
    /// A view of `state` that re-renders whenever it changes.
    pub fn new(state: Entity<State>, cx: &mut Context<Self>) -> Self {
        let observe_state = cx.observe(&state, |_, _, cx| cx.notify());
        let refresh_usage = cx.spawn(async move |this, cx| {
            loop {
                let asked = this.update(cx, |this, cx| {
                    this.state
                        .update(cx, |state, cx| state.refresh_usage_if_due(cx))
                });
                if asked.is_err() {
                    break;
                }
                cx.background_executor()
                    .timer(super::USAGE_REFRESH_INTERVAL)
                    .await;
            }
        });
        Self {
            state,
            _observe_state: observe_state,
            _refresh_usage: refresh_usage,
        }
    }

    /// A click handler that runs `action` on the state.
    fn on_state(
        &self,
        action: impl Fn(&mut State, &mut Context<State>) + 'static,
    ) -> impl Fn(&ClickEvent, &mut Window, &mut App) + 'static {
        let state = self.state.clone();
        move |_, _, cx| state.update(cx, |state, cx| action(state, cx))
    }

    fn button(
        &self,
        id: &'static str,
        label: &'static str,
        style: ButtonStyle,
        action: impl Fn(&mut State, &mut Context<State>) + 'static,
    ) -> Button {
        Button::new(id, label)
            .style(style)
            .on_click(self.on_state(action))
    }
}

fn banner(icon: IconName, color: Color, text: SharedString, selector: &'static str) -> Div {
    h_flex()
        .debug_selector(move || selector.to_string())
        .w_full()
        .items_start()
        .gap_1()
        .child(Icon::new(icon).color(color).size(IconSize::Small))
        // A long message wraps inside the card instead of running past its edge.
        .child(
            div()
                .flex_1()
                .min_w_0()
                .child(Label::new(text).color(color).size(LabelSize::Small)),
        )
}

fn usage_bar(index: usize, bar: &UsageBar, any_blocking: bool, cx: &App) -> Div {
    let mut caption = format!("{}: {:.0}% used", bar.label, bar.used_percent);
    if bar.blocking {
        caption.push_str(" · ran out");
    }
    if let Some(resets) = &bar.resets {
        caption.push_str(&format!(" · {resets}"));
    }
    let fill = if bar.blocking {
        cx.theme().status().error
    } else if any_blocking {
        // Not the window that ran out: drawn quietly, whatever its level.
        cx.theme().colors().text_muted
    } else if bar.used_percent >= WARN_AT_PERCENT {
        cx.theme().status().warning
    } else {
        cx.theme().status().info
    };
    let caption_color = if bar.blocking {
        Color::Error
    } else {
        Color::Muted
    };
    v_flex()
        .gap_1()
        .child(
            Label::new(caption)
                .size(LabelSize::Small)
                .color(caption_color),
        )
        .child(
            ProgressBar::new(
                SharedString::from(format!("usage-bar-{index}")),
                bar.used_percent,
                100.0,
                cx,
            )
            .fg_color(fill),
        )
}

impl Render for ConfigurationView {
    fn render(&mut self, _window: &mut Window, cx: &mut Context<Self>) -> impl IntoElement {
        let state = self.state.read(cx);
        let status = state.status(cx);
        let accounts = state.accounts();
        let can_add = state.can_add_account();
        let switch_offer = state.switch_offer(cx);
        let offer = SignInOffer::for_availability(state.browser_availability());
        // No panel of its own: the host (Zed's provider list) draws the surface around it.
        let panel = v_flex()
            .gap_2()
            .w_full()
            .text_color(cx.theme().colors().text);
        match status {
            ConfigurationStatus::Loading => {
                panel.child(Label::new("Loading your ChatGPT sign-in…").color(Color::Muted))
            }
            ConfigurationStatus::SignedOut { error } => {
                let continue_with_chatgpt = |style: ButtonStyle| {
                    self.button(
                        "continue-with-chatgpt",
                        "Continue with ChatGPT",
                        style,
                        |state, cx| state.sign_in_with_route(Route::SignInWithChatGpt, cx),
                    )
                    .start_icon(
                        Icon::new(IconName::AiOpenAi)
                            .size(IconSize::Small)
                            .color(Color::Muted),
                    )
                };
                let device_code = |style: ButtonStyle| {
                    self.button("sign-in-device", DEVICE_CODE_LABEL, style, |state, cx| {
                        state.sign_in(SignInMethod::DeviceCode, cx)
                    })
                };
                let codex_route = self
                    .button(
                        "sign-in",
                        // After a failure the same button is the retry.
                        if error.is_some() {
                            "Try the Codex route again"
                        } else {
                            "Use the Codex route"
                        },
                        ButtonStyle::Subtle,
                        |state, cx| state.sign_in_with_route(Route::CodexBackend, cx),
                    )
                    .label_size(LabelSize::Small);
                let panel = panel
                    .child(
                        Label::new(
                            "Use your ChatGPT plan in the agent: no API key needed. Requests \
                             count against your plan's usage limits.",
                        )
                        .color(Color::Muted),
                    )
                    .when_some(error.clone(), |panel, error| {
                        panel.child(banner(
                            IconName::XCircle,
                            Color::Error,
                            error,
                            "sign-in-error",
                        ))
                    });
                let why_codex = Label::new(CODEX_ROUTE_WHY)
                    .size(LabelSize::XSmall)
                    .color(Color::Muted);
                // Other accounts stay signed in: switching back is one click.
                let panel = panel.when(!accounts.is_empty(), |panel| {
                    panel.child(self.account_picker(accounts, false))
                });
                match offer {
                    // The official route, full width; the Codex route's two ways quieter below.
                    SignInOffer::BrowserFirst => panel
                        .child(continue_with_chatgpt(ButtonStyle::Outlined).full_width())
                        .child(
                            v_flex()
                                .gap_0p5()
                                .child(h_flex().gap_1().child(codex_route).child(
                                    device_code(ButtonStyle::Subtle).label_size(LabelSize::Small),
                                ))
                                .child(div().px_2().child(why_codex)),
                        ),
                    // No browser can work here: say so, and offer the device code first.
                    SignInOffer::DeviceCodeFirst { why } => panel
                        .child(banner(IconName::Warning, Color::Muted, why, "no-browser"))
                        .child(device_code(ButtonStyle::Outlined).full_width())
                        .child(
                            v_flex()
                                .gap_0p5()
                                .child(
                                    h_flex().gap_1().child(
                                        continue_with_chatgpt(ButtonStyle::Subtle)
                                            .label_size(LabelSize::Small),
                                    ),
                                )
                                .child(h_flex().gap_1().child(codex_route))
                                .child(div().px_2().child(why_codex)),
                        ),
                }
            }
            ConfigurationStatus::SigningIn { step } => {
                let panel = match step {
                    SignInStep::Starting { .. } => panel.child(
                        h_flex()
                            .gap_1()
                            .child(Icon::new(IconName::LoadCircle).color(Color::Muted))
                            .child(Label::new("Signing in…")),
                    ),
                    // The URL carries the sign-in's `state`: it is opened, never shown.
                    SignInStep::ApproveInBrowser { .. } => panel
                        .child(
                            h_flex()
                                .gap_1()
                                .child(Icon::new(IconName::ArrowUpRight).color(Color::Accent))
                                .child(Label::new(
                                    "Signing in… approve the sign-in in your browser.",
                                )),
                        )
                        .child(
                            Label::new("No browser window? Open the page again.")
                                .size(LabelSize::Small)
                                .color(Color::Muted),
                        )
                        .child(
                            self.button(
                                "reopen-sign-in-page",
                                "Open the sign-in page",
                                ButtonStyle::Outlined,
                                |state, cx| state.reopen_sign_in_page(cx),
                            )
                            .start_icon(
                                Icon::new(IconName::ArrowUpRight)
                                    .size(IconSize::Small)
                                    .color(Color::Muted),
                            )
                            .full_width(),
                        ),
                    SignInStep::EnterDeviceCode {
                        verification_url,
                        user_code,
                    } => panel
                        .child(Label::new(format!(
                            "Visit {verification_url} and enter this code:"
                        )))
                        .child(
                            h_flex()
                                .gap_2()
                                .child(
                                    h_flex()
                                        .debug_selector(|| "device-code".to_string())
                                        .px_2()
                                        .py_1()
                                        .rounded_md()
                                        .border_1()
                                        .border_color(cx.theme().colors().border_variant)
                                        .bg(cx.theme().colors().element_background)
                                        .child(
                                            Label::new(user_code)
                                                .size(LabelSize::Large)
                                                .weight(FontWeight::BOLD)
                                                .buffer_font(cx),
                                        ),
                                )
                                .child(
                                    self.button(
                                        "copy-device-code",
                                        "Copy",
                                        ButtonStyle::Outlined,
                                        |state, cx| state.copy_device_code(cx),
                                    )
                                    .start_icon(
                                        Icon::new(IconName::Copy)
                                            .size(IconSize::Small)
                                            .color(Color::Muted),
                                    ),
                                )
                                .child(
                                    self.button(
                                        "open-verification-page",
                                        "Open",
                                        ButtonStyle::Outlined,
                                        |state, cx| state.open_verification_page(cx),
                                    )
                                    .start_icon(
                                        Icon::new(IconName::ArrowUpRight)
                                            .size(IconSize::Small)
                                            .color(Color::Muted),
                                    ),
                                ),
                        ),
                };
                panel.child(h_flex().child(self.button(
                    "cancel-sign-in",
                    "Cancel",
                    ButtonStyle::Subtle,
                    |state, cx| state.cancel_sign_in(cx),
                )))
            }
            ConfigurationStatus::SignedIn {
                account,
                usage,
                credits,
                limit_reached,
                notices,
                route,
                plan_notice,
                blocking_window,
                warnings,
                rate_limit_wait,
            } => panel
                .child(
                    div().debug_selector(|| "account".to_string()).child(
                        ConfiguredApiCard::new("sign-out", account)
                            .button_label("Sign Out")
                            .on_click(self.on_state(|state, cx| state.sign_out(cx).detach())),
                    ),
                )
                .child(
                    Label::new(format!("Route: {}", route.label()))
                        .size(LabelSize::Small)
                        .color(Color::Muted),
                )
                .when(can_add || accounts.len() > 1, |panel| {
                    // With one account, only "Add account".
                    panel.child(self.account_picker(accounts, can_add))
                })
                .when_some(plan_notice, |panel, notice| {
                    panel.child(
                        v_flex()
                            .debug_selector(|| "plan-notice".to_string())
                            .gap_1()
                            .p_2()
                            .rounded_md()
                            .border_1()
                            .border_color(cx.theme().colors().border)
                            .bg(cx.theme().colors().element_background)
                            .child(Label::new(PLAN_NOTICE_TITLE).weight(FontWeight::BOLD))
                            .child(Label::new(notice).size(LabelSize::Small))
                            .child(h_flex().child(self.button(
                                "dismiss-plan-notice",
                                "Got it",
                                ButtonStyle::Filled,
                                |state, cx| state.dismiss_plan_notice(cx),
                            ))),
                    )
                })
                .when_some(limit_reached, |panel, limit| {
                    panel.child(banner(
                        IconName::Warning,
                        Color::Warning,
                        limit,
                        "limit-reached",
                    ))
                })
                .when_some(switch_offer, |panel, offer| {
                    panel.child(self.switch_offer(offer))
                })
                .when(route == Route::SignInWithChatGpt, |panel| {
                    // No usage figures on this route: where the bars would be, the plan and
                    // the link to manage its usage.
                    panel.child(
                        h_flex()
                            .debug_selector(|| "using-plan".to_string())
                            .gap_2()
                            .child(Label::new(USING_PLAN).size(LabelSize::Small))
                            .child(self.button(
                                "manage-usage",
                                "Manage usage",
                                ButtonStyle::Outlined,
                                |state, cx| state.open_manage_usage(cx),
                            )),
                    )
                })
                .when_some(blocking_window, |panel, line| {
                    panel.child(banner(
                        IconName::XCircle,
                        Color::Error,
                        line,
                        "blocking-window",
                    ))
                })
                .when_some(rate_limit_wait, |panel, line| {
                    panel.child(banner(
                        IconName::LoadCircle,
                        Color::Warning,
                        line,
                        "rate-limit-wait",
                    ))
                })
                .children(warnings.into_iter().map(|warning| {
                    banner(IconName::Warning, Color::Warning, warning, "usage-warning")
                }))
                .children({
                    let any_blocking = usage.iter().any(|bar| bar.blocking);
                    usage
                        .iter()
                        .enumerate()
                        .map(|(i, bar)| usage_bar(i, bar, any_blocking, cx))
                        .collect::<Vec<_>>()
                })
                .when_some(credits, |panel, credits| {
                    panel.child(
                        Label::new(credits)
                            .size(LabelSize::Small)
                            .color(Color::Muted),
                    )
                })
                .children(
                    notices
                        .into_iter()
                        .map(|notice| banner(IconName::Warning, Color::Warning, notice, "notice")),
                ),
        }
    }
}
