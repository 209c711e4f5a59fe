//! [`ProgressBar`]: a track with a fill showing `value` of `max_value`.
//!
//! Follows `crates/ui/src/components/progress/progress_bar.rs` of zed-industries/zed.

use gpui::{
    App, ElementId, Hsla, InteractiveElement as _, IntoElement, ParentElement as _, RenderOnce,
    Styled as _, Window, div, px, relative,
};
use theme::ActiveTheme as _;

/// A horizontal progress bar.
#[derive(IntoElement)]
pub struct ProgressBar {
    id: ElementId,
    value: f32,
    max_value: f32,
    bg_color: Hsla,
    fg_color: Hsla,
}

impl ProgressBar {
    /// A bar `id` at `value` of `max_value`, in the theme's colours.
    pub fn new(id: impl Into<ElementId>, value: f32, max_value: f32, cx: &App) -> Self {
        Self {
            id: id.into(),
            value,
            max_value,
            bg_color: cx.theme().colors().background,
            fg_color: cx.theme().status().info,
        }
    }

    /// The track's colour.
    pub fn bg_color(mut self, color: Hsla) -> Self {
        self.bg_color = color;
        self
    }

    /// The fill's colour.
    pub fn fg_color(mut self, color: Hsla) -> Self {
        self.fg_color = color;
        self
    }
}

impl RenderOnce for ProgressBar {
    fn render(self, _window: &mut Window, _cx: &mut App) -> impl IntoElement {
        let fraction = if self.max_value > 0.0 {
            (self.value / self.max_value).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let id = self.id.to_string();
        div()
            .debug_selector(move || id)
            .w_full()
            .h(px(8.))
            .p(px(1.))
            .rounded_full()
            .bg(self.bg_color)
            .child(
                div()
                    .h_full()
                    .rounded_full()
                    .w(relative(fraction))
                    .bg(self.fg_color),
            )
    }
}
