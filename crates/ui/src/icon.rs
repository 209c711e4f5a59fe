//! [`Icon`]: a built-in [`IconName`] in a [`Color`] and an [`IconSize`].
//!
//! Follows `crates/ui/src/components/icon.rs` of zed-industries/zed. Zed draws each icon from an
//! SVG in its assets; this crate ships no assets, so each icon is drawn as a Unicode glyph of the
//! same meaning. In Zed's tree the real SVGs take their place.

use super::Color;
use gpui::{App, IntoElement, ParentElement as _, RenderOnce, Styled as _, Window, div, px};
use icons::IconName;

/// An icon's size.
#[derive(Debug, Default, PartialEq, Eq, Clone, Copy)]
pub enum IconSize {
    /// 12 px.
    XSmall,
    /// 14 px.
    Small,
    /// 16 px.
    #[default]
    Medium,
}

/// A built-in icon.
#[derive(IntoElement)]
pub struct Icon {
    name: IconName,
    color: Color,
    size: IconSize,
}

impl Icon {
    /// The icon `name`.
    pub fn new(name: IconName) -> Self {
        Self {
            name,
            color: Color::Default,
            size: IconSize::Medium,
        }
    }

    /// Its colour.
    pub fn color(mut self, color: Color) -> Self {
        self.color = color;
        self
    }

    /// Its size.
    pub fn size(mut self, size: IconSize) -> Self {
        self.size = size;
        self
    }
}

fn glyph(name: IconName) -> &'static str {
    match name {
        IconName::AiOpenAi => "◎",
        IconName::ZedAssistant => "✦",
        IconName::Check => "✓",
        IconName::Warning => "⚠",
        IconName::ArrowUpRight => "↗",
        IconName::Copy => "⧉",
        IconName::Person => "●",
        IconName::XCircle => "✕",
        IconName::LoadCircle => "◌",
    }
}

impl RenderOnce for Icon {
    fn render(self, _window: &mut Window, cx: &mut App) -> impl IntoElement {
        let size = match self.size {
            IconSize::XSmall => px(12.),
            IconSize::Small => px(14.),
            IconSize::Medium => px(16.),
        };
        div()
            .flex()
            .items_center()
            .justify_center()
            .size(size)
            .text_size(size)
            .line_height(size)
            .text_color(self.color.color(cx))
            .child(glyph(self.name))
    }
}
