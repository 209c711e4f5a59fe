//! [`Button`]: a labelled, clickable element in one of Zed's [`ButtonStyle`]s.
//!
//! Follows `crates/ui/src/components/button/button.rs` and `button_like.rs` of zed-industries/zed
//! (reduced to `new`, `style`, `label_size`, `start_icon`, `disabled`, `on_click`, and
//! [`FixedWidth::full_width`]). The button's id doubles as its debug selector, so tests find it by
//! id.

use super::{Color, Icon, Label, LabelSize};
use gpui::{
    App, ClickEvent, ElementId, InteractiveElement as _, IntoElement, ParentElement as _,
    RenderOnce, SharedString, StatefulInteractiveElement as _, Styled as _, Window, div,
    prelude::FluentBuilder as _,
};
use theme::ActiveTheme as _;

/// How a button is drawn.
#[derive(Debug, Default, PartialEq, Eq, Clone, Copy)]
pub enum ButtonStyle {
    /// Filled with the element background: the primary action.
    Filled,
    /// A border and no fill.
    Outlined,
    /// No fill until hovered.
    #[default]
    Subtle,
}

type ClickHandler = Box<dyn Fn(&ClickEvent, &mut Window, &mut App) + 'static>;

/// A button with a label.
#[derive(IntoElement)]
pub struct Button {
    id: ElementId,
    label: SharedString,
    style: ButtonStyle,
    label_size: LabelSize,
    start_icon: Option<Icon>,
    disabled: bool,
    full_width: bool,
    on_click: Option<ClickHandler>,
}

/// Zed's `FixedWidth` (`crates/ui/src/traits/fixed.rs`), reduced to `full_width`: an element as
/// wide as its container.
pub trait FixedWidth {
    /// As wide as the container, its content centred.
    fn full_width(self) -> Self;
}

impl FixedWidth for Button {
    fn full_width(mut self) -> Self {
        self.full_width = true;
        self
    }
}

impl Button {
    /// A button `id` showing `label`.
    pub fn new(id: impl Into<ElementId>, label: impl Into<SharedString>) -> Self {
        Self {
            id: id.into(),
            label: label.into(),
            style: ButtonStyle::default(),
            label_size: LabelSize::Default,
            start_icon: None,
            disabled: false,
            full_width: false,
            on_click: None,
        }
    }

    /// Its style.
    pub fn style(mut self, style: ButtonStyle) -> Self {
        self.style = style;
        self
    }

    /// Its label's size.
    pub fn label_size(mut self, size: LabelSize) -> Self {
        self.label_size = size;
        self
    }

    /// An icon before the label.
    pub fn start_icon(mut self, icon: Icon) -> Self {
        self.start_icon = Some(icon);
        self
    }

    /// Whether it can be clicked.
    pub fn disabled(mut self, disabled: bool) -> Self {
        self.disabled = disabled;
        self
    }

    /// What a click does.
    pub fn on_click(
        mut self,
        handler: impl Fn(&ClickEvent, &mut Window, &mut App) + 'static,
    ) -> Self {
        self.on_click = Some(Box::new(handler));
        self
    }
}

impl RenderOnce for Button {
    fn render(self, _window: &mut Window, cx: &mut App) -> impl IntoElement {
        let colors = cx.theme().colors().clone();
        let selector = self.id.to_string();
        let label_color = if self.disabled {
            Color::Disabled
        } else {
            Color::Default
        };
        div()
            .id(self.id)
            .debug_selector(move || selector)
            .flex()
            .flex_row()
            .items_center()
            .gap_1()
            .px_2()
            .py_0p5()
            .rounded_md()
            .border_1()
            .border_color(gpui::transparent_black())
            .when(self.full_width, |button| button.w_full().justify_center())
            .when(self.style == ButtonStyle::Filled, |button| {
                button
                    .bg(colors.element_background)
                    .border_color(colors.border)
            })
            .when(self.style == ButtonStyle::Outlined, |button| {
                button.border_color(colors.border)
            })
            .when(!self.disabled, |button| {
                button
                    .cursor_pointer()
                    .hover(move |style| style.bg(colors.element_hover))
            })
            .children(self.start_icon)
            .child(
                Label::new(self.label)
                    .size(self.label_size)
                    .color(label_color),
            )
            .when_some(
                self.on_click.filter(|_| !self.disabled),
                |button, on_click| button.on_click(on_click),
            )
    }
}
