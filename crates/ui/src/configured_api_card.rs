//! [`ConfiguredApiCard`]: the "configured account" row a provider's settings show once set up — a
//! check mark, what is configured, and a button with an undo arrow that removes it (here: "Sign
//! Out").
//!
//! Follows `crates/ui/src/components/ai/configured_api_card.rs` of zed-industries/zed (without its
//! tooltip, tab index and component preview): `new(id, label)`, the id being the button's; the row
//! translucent (the theme's background at half opacity) inside a `border_variant` outline, so it
//! sits on whatever panel hosts it; the button subtle, small, with a muted [`IconName::Undo`].

use super::{Button, Color, Icon, IconName, IconSize, Label, LabelSize, h_flex};
use gpui::{
    App, ClickEvent, ElementId, IntoElement, ParentElement as _, RenderOnce, SharedString,
    Styled as _, Window, prelude::FluentBuilder as _,
};
use theme::ActiveTheme as _;

type ClickHandler = Box<dyn Fn(&ClickEvent, &mut Window, &mut App) + 'static>;

/// A configured account or key, with the button that removes it.
#[derive(IntoElement)]
pub struct ConfiguredApiCard {
    id: ElementId,
    label: SharedString,
    button_label: Option<SharedString>,
    disabled: bool,
    on_click: Option<ClickHandler>,
}

impl ConfiguredApiCard {
    /// A card saying `label` ("Signed in as ada@example.com · Plus"), its button being `id`
    /// (which tests click by that name).
    pub fn new(id: impl Into<ElementId>, label: impl Into<SharedString>) -> Self {
        Self {
            id: id.into(),
            label: label.into(),
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

    /// Whether the button can be clicked.
    pub fn disabled(mut self, disabled: bool) -> Self {
        self.disabled = disabled;
        self
    }
}

impl RenderOnce for ConfiguredApiCard {
    fn render(self, _window: &mut Window, cx: &mut App) -> impl IntoElement {
        let button_label = self.button_label.unwrap_or_else(|| "Reset Key".into());
        h_flex()
            .min_w_0()
            .mt_0p5()
            .p_1()
            .justify_between()
            .rounded_md()
            .flex_wrap()
            .border_1()
            .border_color(cx.theme().colors().border_variant)
            .bg(cx.theme().colors().background.opacity(0.5))
            .child(
                h_flex()
                    .min_w_0()
                    .gap_1()
                    .child(Icon::new(IconName::Check).color(Color::Success))
                    .child(Label::new(self.label)),
            )
            .child(
                Button::new(self.id, button_label)
                    .label_size(LabelSize::Small)
                    .start_icon(
                        Icon::new(IconName::Undo)
                            .size(IconSize::Small)
                            .color(Color::Muted),
                    )
                    .disabled(self.disabled)
                    .when_some(self.on_click, |button, on_click| button.on_click(on_click)),
            )
    }
}
