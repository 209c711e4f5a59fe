//! The card's account picker (with one account, only "Add account"): the signed-in accounts (the active one checked), a click on
//! another to switch to it, "Sign out" beside each one that is not active (the active one's is
//! the account card's), and "Add account" (the official route's sign-in, or the Codex route's,
//! quieter). Selectors: `account-picker`, `switch-account-N`, `sign-out-account-N`,
//! `add-account`, `add-account-codex`. Also the switch offered after a usage limit
//! (`switch-offer`, its button `switch-to-account`).

use super::ConfigurationView;
use crate::auth::SignInMethod;
use crate::provider::{AccountSummary, SwitchOffer};
use gpui::Div;
use ui::prelude::*;

impl ConfigurationView {
    /// "bob@example.com has room (…): switch to it to go on now." with the button that does.
    pub(super) fn switch_offer(&self, offer: SwitchOffer) -> Div {
        let account = offer.account.clone();
        v_flex()
            .debug_selector(|| "switch-offer".to_string())
            .gap_1()
            .child(
                Label::new(format!("{}.", offer.sentence))
                    .size(LabelSize::Small)
                    .color(Color::Muted),
            )
            .child(
                h_flex().child(
                    Button::new("switch-to-account", format!("Switch to {}", offer.label))
                        .style(ButtonStyle::Outlined)
                        .start_icon(
                            Icon::new(IconName::Person)
                                .size(IconSize::Small)
                                .color(Color::Muted),
                        )
                        .on_click(self.on_state(move |state, cx| {
                            state.switch_account(&account, cx);
                        })),
                ),
            )
    }

    /// The picker, for the accounts listed (and "Add account" when the store can keep another).
    pub(super) fn account_picker(&self, accounts: Vec<AccountSummary>, can_add: bool) -> Div {
        // One account: nothing to pick from, only the way to add another.
        let accounts = if accounts.len() > 1 || !can_add {
            accounts
        } else {
            Vec::new()
        };
        let listed = !accounts.is_empty();
        let rows = accounts.into_iter().enumerate().map(|(position, account)| {
            let details = match &account.plan {
                Some(plan) => format!("{plan} · {}", account.route.label()),
                None => account.route.label().to_string(),
            };
            let id = account.id.clone();
            let switch = Button::new(
                SharedString::from(format!("switch-account-{position}")),
                account.label.clone(),
            )
            .style(if account.active {
                ButtonStyle::Filled
            } else {
                ButtonStyle::Subtle
            })
            .start_icon(
                Icon::new(if account.active {
                    IconName::Check
                } else {
                    IconName::Person
                })
                .size(IconSize::Small)
                .color(if account.active {
                    Color::Accent
                } else {
                    Color::Muted
                }),
            )
            .on_click(self.on_state(move |state, cx| {
                state.switch_account(&id, cx);
            }));
            let id = account.id.clone();
            h_flex()
                .debug_selector(move || format!("account-row-{position}"))
                .gap_2()
                .child(switch)
                .child(
                    Label::new(details)
                        .size(LabelSize::XSmall)
                        .color(Color::Muted),
                )
                .when(!account.active, |row| {
                    row.child(
                        Button::new(
                            SharedString::from(format!("sign-out-account-{position}")),
                            "Sign out",
                        )
                        .style(ButtonStyle::Subtle)
                        .label_size(LabelSize::XSmall)
                        .on_click(self.on_state(move |state, cx| {
                            state.sign_out_account(&id, cx).detach();
                        })),
                    )
                })
        });
        v_flex()
            .debug_selector(|| "account-picker".to_string())
            .gap_1()
            .when(listed, |picker| {
                picker.child(
                    Label::new("Accounts")
                        .size(LabelSize::Small)
                        .color(Color::Muted),
                )
            })
            .children(rows)
            .when(can_add, |picker| {
                picker.child(
                    h_flex()
                        .gap_1()
                        .child(
                            self.button(
                                "add-account",
                                "Add account",
                                ButtonStyle::Outlined,
                                |state, cx| state.add_account(SignInMethod::SignInWithChatGpt, cx),
                            )
                            .start_icon(
                                Icon::new(IconName::Plus)
                                    .size(IconSize::Small)
                                    .color(Color::Muted),
                            ),
                        )
                        .child(
                            self.button(
                                "add-account-codex",
                                "Add by the Codex route",
                                ButtonStyle::Subtle,
                                |state, cx| state.add_account(SignInMethod::Browser, cx),
                            )
                            .label_size(LabelSize::Small),
                        ),
                )
            })
    }
}
