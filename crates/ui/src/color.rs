//! [`Color`]: a meaning (muted, error, success…) resolved to the active theme's colour.
//!
//! Follows `crates/ui/src/styles/color.rs` of zed-industries/zed (reduced to the variants used).

use gpui::{App, Hsla};
use theme::ActiveTheme as _;

/// A semantic colour, resolved against the current theme at render time.
#[derive(Debug, Default, PartialEq, Eq, Clone, Copy)]
pub enum Color {
    /// The theme's text colour.
    #[default]
    Default,
    /// Accent text.
    Accent,
    /// Disabled text.
    Disabled,
    /// Errors.
    Error,
    /// Secondary text.
    Muted,
    /// Placeholder text.
    Placeholder,
    /// Success.
    Success,
    /// Warnings.
    Warning,
}

impl Color {
    /// The colour in the current theme.
    pub fn color(&self, cx: &App) -> Hsla {
        let theme = cx.theme();
        match self {
            Self::Default => theme.colors().text,
            Self::Accent => theme.colors().text_accent,
            Self::Disabled => theme.colors().text_disabled,
            Self::Error => theme.status().error,
            Self::Muted => theme.colors().text_muted,
            Self::Placeholder => theme.colors().text_placeholder,
            Self::Success => theme.status().success,
            Self::Warning => theme.status().warning,
        }
    }
}
