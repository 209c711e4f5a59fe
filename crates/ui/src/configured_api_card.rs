//! [`ConfiguredApiCard`]: the "configured account" row a provider's settings show once set up — a
//! check mark, what is configured, and a button to undo it (here: "Sign Out").
//!
//! Follows `crates/ui/src/components/ai/configured_api_card.rs` of zed-industries/zed (without its
//! tooltip and component preview).

use super::{Button, ButtonStyle, Color, Icon, IconName, Label, LabelSize, h_flex};
use gpui::{
    App, ClickEvent, ElementId, IntoElement, ParentElement as _, RenderOnce, SharedString,
    Styled as _, Window, prelude::FluentBuilder as _,
};
use theme::ActiveTheme as _;

type ClickHandler = Box<dyn Fn(&ClickEvent, &mut Window, &mut App) + 'static>;

/// A configured account or key, with the button that removes it.
#[derive(IntoElement)]
pub struct ConfiguredApiCard {
    label: SharedString,
    button_id: Option<ElementId>,
    button_label: Option<SharedString>,
    disabled: bool,
    on_click: Option<ClickHandler>,
}

impl ConfiguredApiCard {
    /// A card saying `label` ("Signed in as ada@example.com · Plus").
    pub fn new(label: impl Into<SharedString>) -> Self {
        Self {
            label: label.into(),
            button_id: None,
            button_label: None,
            disabled: false,
            on_click: None,
        }
    }

    /// What the button does.
    pub fn on_click(
        mut self,
        handler: impl Fn(&ClickEvent, &mut Window, &mut App) + 'static,
    ) -> Self {
        self.on_click = Some(Box::new(handler));
        self
    }

    /// The button's label (Zed's default: "Reset Key").
    pub fn button_label(mut self, button_label: impl Into<SharedString>) -> Self {
        self.button_label = Some(button_label.into());
        self
    }

    /// The button's id (this crate's addition, so tests can click it by selector).
    pub fn button_id(mut self, id: impl Into<ElementId>) -> Self {
        self.button_id = Some(id.into());
        self
    }

    /// Whether the button can be clicked.
    pub fn disabled(mut self, disabled: bool) -> Self {
        self.disabled = disabled;
        self
    }
}

impl RenderOnce for ConfiguredApiCard {
    fn render(self, _window: &mut Window, cx: &mut App) -> impl IntoElement {
        let button_label = self.button_label.unwrap_or_else(|| "Reset Key".into());
        let button_id = self
            .button_id
            .unwrap_or_else(|| ElementId::Name(format!("id-{button_label}").into()));
        h_flex()
            .min_w_0()
            .mt_0p5()
            .p_1()
            .justify_between()
            .rounded_md()
            .flex_wrap()
            .border_1()
            .border_color(cx.theme().colors().border)
            .bg(cx.theme().colors().background)
            .child(
                h_flex()
                    .min_w_0()
                    .gap_1()
                    .child(Icon::new(IconName::Check).color(Color::Success))
                    .child(Label::new(self.label)),
            )
            .child(
                Button::new(button_id, button_label)
                    .style(ButtonStyle::Subtle)
                    .label_size(LabelSize::Small)
                    .disabled(self.disabled)
                    .when_some(self.on_click, |button, on_click| button.on_click(on_click)),
            )
    }
}
