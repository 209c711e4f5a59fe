//! [`Label`]: a line of text with a [`Color`] and a [`LabelSize`].
//!
//! Follows `crates/ui/src/components/label/label.rs` and `label_like.rs` of zed-industries/zed
//! (reduced to `new`, `color`, `size`, `weight`, `buffer_font`).

use super::Color;
use gpui::{
    App, FontWeight, IntoElement, ParentElement as _, RenderOnce, SharedString, Styled as _,
    Window, div,
};

/// A label's text size.
#[derive(Debug, Default, PartialEq, Eq, Clone, Copy)]
pub enum LabelSize {
    /// The UI's body size.
    #[default]
    Default,
    /// Larger, for headings and codes.
    Large,
    /// Smaller, for captions.
    Small,
    /// Smallest.
    XSmall,
}

/// A line of text.
#[derive(IntoElement)]
pub struct Label {
    label: SharedString,
    color: Color,
    size: LabelSize,
    weight: Option<FontWeight>,
    buffer_font: bool,
}

impl Label {
    /// A label showing `label`.
    pub fn new(label: impl Into<SharedString>) -> Self {
        Self {
            label: label.into(),
            color: Color::Default,
            size: LabelSize::Default,
            weight: None,
            buffer_font: false,
        }
    }

    /// Its colour.
    pub fn color(mut self, color: Color) -> Self {
        self.color = color;
        self
    }

    /// Its size.
    pub fn size(mut self, size: LabelSize) -> Self {
        self.size = size;
        self
    }

    /// Its font weight.
    pub fn weight(mut self, weight: FontWeight) -> Self {
        self.weight = Some(weight);
        self
    }

    /// Set in the editor's (monospace) font.
    pub fn buffer_font(mut self, _cx: &App) -> Self {
        self.buffer_font = true;
        self
    }
}

impl RenderOnce for Label {
    fn render(self, _window: &mut Window, cx: &mut App) -> impl IntoElement {
        let text = div().text_color(self.color.color(cx));
        let text = match self.size {
            LabelSize::Large => text.text_lg(),
            LabelSize::Default => text.text_sm(),
            LabelSize::Small => text.text_xs(),
            LabelSize::XSmall => text.text_xs(),
        };
        let text = match self.weight {
            Some(weight) => text.font_weight(weight),
            None => text,
        };
        let text = if self.buffer_font {
            text.font_family("monospace")
        } else {
            text
        };
        text.child(self.label)
    }
}
