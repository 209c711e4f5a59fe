//! [`ConfigurationView`]: the agent-settings panel for the provider.
//!
//! It renders [`State::status`](super::State::status) and forwards clicks to the state; it holds
//! no logic of its own. Every clickable element has a debug selector (`sign-in` — labelled "Try
//! again" after a failure —, `sign-in-device`, `cancel-sign-in`, `sign-out`) so tests can click
//! it; the account line (`account`), the device code (`device-code`) and the error
//! (`sign-in-error`) have one too.

use super::state::State;
use super::status::{ConfigurationStatus, SignInStep, UsageBar};
use crate::auth::SignInMethod;
use gpui::{
    App, ClickEvent, Context, Div, Entity, FontWeight, InteractiveElement as _, IntoElement,
    ParentElement as _, Render, SharedString, Stateful, StatefulInteractiveElement as _,
    Styled as _, Subscription, Window, div, prelude::FluentBuilder as _, px, relative, rgb,
};

const TEXT: u32 = 0x1f2328;
const MUTED: u32 = 0x59636e;
const ACCENT: u32 = 0x0969da;
const DANGER: u32 = 0xcf222e;
const TRACK: u32 = 0xd0d7de;

/// The settings panel (see the module docs).
pub struct ConfigurationView {
    state: Entity<State>,
    _observe_state: Subscription,
}

impl ConfigurationView {
    /// A view of `state` that re-renders whenever it changes.
    pub fn new(state: Entity<State>, cx: &mut Context<Self>) -> Self {
        let observe_state = cx.observe(&state, |_, _, cx| cx.notify());
        Self {
            state,
            _observe_state: observe_state,
        }
    }

    fn button(
        &self,
        id: &'static str,
        label: &'static str,
        primary: bool,
        action: impl Fn(&mut State, &mut Context<State>) + 'static,
    ) -> Stateful<Div> {
        let state = self.state.clone();
        div()
            .id(id)
            .debug_selector(move || id.to_string())
            .px_3()
            .py_1()
            .rounded_md()
            .border_1()
            .border_color(rgb(if primary { ACCENT } else { TRACK }))
            .when(primary, |button| {
                button.bg(rgb(ACCENT)).text_color(rgb(0xffffff))
            })
            .when(!primary, |button| button.text_color(rgb(TEXT)))
            .cursor_pointer()
            .child(label)
            .on_click(move |_: &ClickEvent, _: &mut Window, cx: &mut App| {
                state.update(cx, |state, cx| action(state, cx));
            })
    }
}

fn line(text: impl Into<SharedString>, color: u32) -> Div {
    div().text_sm().text_color(rgb(color)).child(text.into())
}

fn usage_bar(bar: &UsageBar) -> Div {
    let used = bar.used_percent / 100.0;
    let fill = if bar.used_percent >= 90.0 {
        DANGER
    } else {
        ACCENT
    };
    let mut caption = format!("{}: {:.0}% used", bar.label, bar.used_percent);
    if let Some(resets) = &bar.resets {
        caption.push_str(&format!(" · {resets}"));
    }
    div()
        .flex()
        .flex_col()
        .gap_1()
        .child(line(caption, MUTED))
        .child(
            div()
                .w(px(240.))
                .h(px(6.))
                .rounded_sm()
                .bg(rgb(TRACK))
                .child(div().h_full().rounded_sm().w(relative(used)).bg(rgb(fill))),
        )
}

impl Render for ConfigurationView {
    fn render(&mut self, _window: &mut Window, cx: &mut Context<Self>) -> impl IntoElement {
        let status = self.state.read(cx).status(cx);
        let panel = div().flex().flex_col().gap_2().p_4().text_color(rgb(TEXT));
        match status {
            ConfigurationStatus::Loading => {
                panel.child(line("Loading your ChatGPT sign-in…", MUTED))
            }
            ConfigurationStatus::SignedOut { error } => panel
                .child(line(
                    "Use your ChatGPT Plus, Pro or Team plan in the agent: no API key needed. \
                     Requests count against your plan's usage limits.",
                    MUTED,
                ))
                .when_some(error.clone(), |panel, error| {
                    panel.child(line(error, DANGER).debug_selector(|| "sign-in-error".to_string()))
                })
                .child(
                    div()
                        .flex()
                        .gap_2()
                        .child(self.button(
                            "sign-in",
                            // After a failure the same button is the retry.
                            if error.is_some() {
                                "Try again"
                            } else {
                                "Sign in with ChatGPT"
                            },
                            true,
                            |state, cx| state.sign_in(SignInMethod::Browser, cx),
                        ))
                        .child(self.button(
                            "sign-in-device",
                            "Use a device code",
                            false,
                            |state, cx| state.sign_in(SignInMethod::DeviceCode, cx),
                        )),
                ),
            ConfigurationStatus::SigningIn { step } => {
                let panel = match step {
                    SignInStep::Starting { .. } => panel.child(line("Signing in…", TEXT)),
                    SignInStep::ApproveInBrowser { authorize_url } => panel
                        .child(line(
                            "Signing in… approve the sign-in in your browser.",
                            TEXT,
                        ))
                        .child(line(
                            format!("If no browser opened, visit {authorize_url}"),
                            MUTED,
                        )),
                    SignInStep::EnterDeviceCode {
                        verification_url,
                        user_code,
                    } => panel
                        .child(line(
                            format!("Visit {verification_url} and enter this code:"),
                            TEXT,
                        ))
                        .child(
                            div()
                                .debug_selector(|| "device-code".to_string())
                                .text_xl()
                                .font_weight(FontWeight::BOLD)
                                .child(user_code),
                        ),
                };
                panel.child(div().flex().child(self.button(
                    "cancel-sign-in",
                    "Cancel",
                    false,
                    |state, cx| state.cancel_sign_in(cx),
                )))
            }
            ConfigurationStatus::SignedIn {
                account,
                usage,
                credits,
                limit_reached,
                notices,
            } => panel
                .child(
                    div()
                        .debug_selector(|| "account".to_string())
                        .font_weight(FontWeight::SEMIBOLD)
                        .child(account),
                )
                .when_some(limit_reached, |panel, limit| {
                    panel.child(line(limit, DANGER))
                })
                .children(usage.iter().map(usage_bar))
                .when_some(credits, |panel, credits| panel.child(line(credits, MUTED)))
                .children(notices.into_iter().map(|notice| line(notice, DANGER)))
                .child(div().flex().child(self.button(
                    "sign-out",
                    "Sign Out",
                    false,
                    |state, cx| state.sign_out(cx).detach(),
                ))),
        }
    }
}
