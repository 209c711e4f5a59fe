//! The small part of Zed's `theme` crate the provider's card uses: a [`Theme`] with a light and a
//! dark variant, its [`ThemeColors`] and [`StatusColors`], and [`ActiveTheme`] to read the
//! current one from the app (`cx.theme().colors().border`).
//!
//! Follows (repository zed-industries/zed) `crates/theme/src/theme.rs` (`Theme`, `Appearance`,
//! `ActiveTheme`, `GlobalTheme`), `crates/theme/src/styles/colors.rs` (`ThemeColors`, reduced to
//! the fields used here) and `crates/theme/src/styles/status.rs` (`StatusColors`, reduced). The
//! two variants are named after Zed's default themes and use colours close to theirs (hand-picked
//! here, not read from Zed's theme files). In Zed's tree this module is replaced by
//! `use theme::…`, and the user's theme applies.

use gpui::{App, Global, Hsla, SharedString, rgb};
use std::sync::{Arc, LazyLock};

/// The family Zed's UI text is drawn in: Zed bundles its UI font (`.ZedSans`), which is based on
/// IBM Plex Sans; hosts outside Zed (the examples, the screenshots) name IBM Plex Sans itself
/// (`scripts/setup-screenshots.sh` installs it).
pub const UI_FONT_FAMILY: &str = "IBM Plex Sans";

/// Whether a theme is light or dark.
#[derive(Debug, PartialEq, Eq, Clone, Copy, Default)]
pub enum Appearance {
    /// Dark text on light surfaces.
    #[default]
    Light,
    /// Light text on dark surfaces.
    Dark,
}

impl Appearance {
    /// Whether this is the light appearance.
    pub fn is_light(&self) -> bool {
        matches!(self, Self::Light)
    }
}

/// The colours of surfaces, borders, elements and text.
#[derive(Debug, Clone, PartialEq)]
pub struct ThemeColors {
    /// Element borders.
    pub border: Hsla,
    /// Quieter borders (cards inside panels).
    pub border_variant: Hsla,
    /// Disabled elements' borders.
    pub border_disabled: Hsla,
    /// The app's background.
    pub background: Hsla,
    /// Grounded surfaces (panes, cards).
    pub surface_background: Hsla,
    /// Panels (the agent panel, settings).
    pub panel_background: Hsla,
    /// Element fill (buttons, progress-bar tracks).
    pub element_background: Hsla,
    /// Element fill under the pointer.
    pub element_hover: Hsla,
    /// Element fill while pressed.
    pub element_active: Hsla,
    /// Disabled element fill.
    pub element_disabled: Hsla,
    /// Text.
    pub text: Hsla,
    /// Secondary text.
    pub text_muted: Hsla,
    /// Placeholder text.
    pub text_placeholder: Hsla,
    /// Disabled text.
    pub text_disabled: Hsla,
    /// Accent text (links, emphasis).
    pub text_accent: Hsla,
}

/// The colours that carry a meaning: error, warning, success, info.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusColors {
    /// Errors.
    pub error: Hsla,
    /// Error backgrounds.
    pub error_background: Hsla,
    /// Error borders.
    pub error_border: Hsla,
    /// Warnings.
    pub warning: Hsla,
    /// Warning backgrounds.
    pub warning_background: Hsla,
    /// Warning borders.
    pub warning_border: Hsla,
    /// Success.
    pub success: Hsla,
    /// Information.
    pub info: Hsla,
}

/// A theme: its name, appearance and colours.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    /// "One Light", "One Dark".
    pub name: SharedString,
    /// Light or dark.
    pub appearance: Appearance,
    colors: ThemeColors,
    status: StatusColors,
}

fn hex(color: u32) -> Hsla {
    rgb(color).into()
}

fn with_alpha(color: u32, alpha: f32) -> Hsla {
    let mut color = hex(color);
    color.a = alpha;
    color
}

impl Theme {
    /// The theme's colours.
    pub fn colors(&self) -> &ThemeColors {
        &self.colors
    }

    /// The theme's status colours.
    pub fn status(&self) -> &StatusColors {
        &self.status
    }

    /// Light or dark.
    pub fn appearance(&self) -> Appearance {
        self.appearance
    }

    /// The variant for `appearance`.
    pub fn default_for(appearance: Appearance) -> Self {
        match appearance {
            Appearance::Light => Self::one_light(),
            Appearance::Dark => Self::one_dark(),
        }
    }

    /// A light variant in the spirit of Zed's "One Light".
    pub fn one_light() -> Self {
        Self {
            name: "One Light".into(),
            appearance: Appearance::Light,
            colors: ThemeColors {
                border: hex(0xc9c9ca),
                border_variant: hex(0xdfdfe0),
                border_disabled: hex(0xd3d3d4),
                background: hex(0xdcdcdd),
                surface_background: hex(0xebebec),
                panel_background: hex(0xebebec),
                element_background: hex(0xebebec),
                element_hover: hex(0xdfdfe0),
                element_active: hex(0xcacaca),
                element_disabled: hex(0xebebec),
                text: hex(0x242529),
                text_muted: hex(0x58585a),
                text_placeholder: hex(0x7e8086),
                text_disabled: hex(0x7e8086),
                text_accent: hex(0x5c78e2),
            },
            status: StatusColors {
                error: hex(0xd36151),
                error_background: hex(0xfbdfd9),
                error_border: hex(0xf6c6bd),
                warning: hex(0xa48819),
                warning_background: hex(0xfaf2e6),
                warning_border: hex(0xf5e8d2),
                success: hex(0x669f59),
                info: hex(0x5c78e2),
            },
        }
    }

    /// A dark variant in the spirit of Zed's "One Dark".
    pub fn one_dark() -> Self {
        Self {
            name: "One Dark".into(),
            appearance: Appearance::Dark,
            colors: ThemeColors {
                border: hex(0x464b57),
                border_variant: hex(0x363c46),
                border_disabled: hex(0x414754),
                background: hex(0x3b414d),
                surface_background: hex(0x2f343e),
                panel_background: hex(0x2f343e),
                element_background: hex(0x2e343e),
                element_hover: hex(0x363c46),
                element_active: hex(0x454a56),
                element_disabled: hex(0x2e343e),
                text: hex(0xdce0e5),
                text_muted: hex(0xa9afbc),
                text_placeholder: hex(0x878a98),
                text_disabled: hex(0x878a98),
                text_accent: hex(0x74ade8),
            },
            status: StatusColors {
                error: hex(0xd07277),
                error_background: with_alpha(0xd07277, 0.1),
                error_border: hex(0x4c2b2c),
                warning: hex(0xdec184),
                warning_background: with_alpha(0xdec184, 0.1),
                warning_border: hex(0x5d4c2f),
                success: hex(0xa1c181),
                info: hex(0x74ade8),
            },
        }
    }
}

/// The app's current theme.
pub struct GlobalTheme(Arc<Theme>);

impl Global for GlobalTheme {}

impl GlobalTheme {
    /// Makes `theme` the app's theme.
    pub fn update_theme(cx: &mut App, theme: Arc<Theme>) {
        cx.set_global(Self(theme));
    }

    /// The app's theme (One Light until one is set).
    pub fn theme(cx: &App) -> &Arc<Theme> {
        static DEFAULT: LazyLock<Arc<Theme>> = LazyLock::new(|| Arc::new(Theme::one_light()));
        cx.try_global::<Self>()
            .map(|global| &global.0)
            .unwrap_or(&DEFAULT)
    }
}

/// Reads the current theme: `cx.theme()`.
pub trait ActiveTheme {
    /// The current theme.
    fn theme(&self) -> &Arc<Theme>;
}

impl ActiveTheme for App {
    fn theme(&self) -> &Arc<Theme> {
        GlobalTheme::theme(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_variants_keep_text_readable_on_their_surfaces() {
        for theme in [Theme::one_light(), Theme::one_dark()] {
            let colors = theme.colors();
            let contrast = (colors.text.l - colors.panel_background.l).abs();
            assert!(contrast > 0.5, "{}: {contrast}", theme.name);
        }
        assert!(Theme::one_light().colors().text.l < Theme::one_dark().colors().text.l);
    }
}
