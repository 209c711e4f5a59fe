//! [`IconName`]: the built-in icons a provider or its view names.
//!
//! Follows `crates/icons/src/icons.rs` of zed-industries/zed, reduced to the icons this crate
//! uses (same variant names; in Zed's tree this becomes `use icons::IconName`). As in Zed, each
//! icon is an SVG at `icons/{snake_case_name}.svg` ([`IconName::path`]). Zed ships its own
//! artwork in its assets; the stand-in ships simple 16×16 line drawings of its own under the same
//! names (`crates/icons/icons/`), drawn for this workspace (not copies of Zed's or OpenAI's
//! artwork), and hands them out by path ([`svg`]) for the `ui` stand-in's asset source.

/// A built-in icon of Zed's icon set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IconName {
    /// OpenAI's mark.
    AiOpenAi,
    /// The generic assistant icon.
    ZedAssistant,
    /// A check mark.
    Check,
    /// A warning triangle.
    Warning,
    /// An external-link arrow.
    ArrowUpRight,
    /// A copy glyph.
    Copy,
    /// A user silhouette.
    Person,
    /// A circled cross (error).
    XCircle,
    /// A spinning-arrow loader.
    LoadCircle,
    /// A curved arrow back (what `ConfiguredApiCard`'s button shows).
    Undo,
    /// A chevron pointing down (an open disclosure, a menu).
    ChevronDown,
    /// A chevron pointing right (a closed disclosure).
    ChevronRight,
    /// An arrow up (send).
    ArrowUp,
    /// A plus (new thread).
    Plus,
}

impl IconName {
    /// Every icon.
    pub const ALL: [IconName; 14] = [
        IconName::AiOpenAi,
        IconName::ZedAssistant,
        IconName::Check,
        IconName::Warning,
        IconName::ArrowUpRight,
        IconName::Copy,
        IconName::Person,
        IconName::XCircle,
        IconName::LoadCircle,
        IconName::Undo,
        IconName::ChevronDown,
        IconName::ChevronRight,
        IconName::ArrowUp,
        IconName::Plus,
    ];

    /// The icon's asset path, as Zed names it: `icons/ai_open_ai.svg`.
    pub fn path(self) -> &'static str {
        match self {
            IconName::AiOpenAi => "icons/ai_open_ai.svg",
            IconName::ZedAssistant => "icons/zed_assistant.svg",
            IconName::Check => "icons/check.svg",
            IconName::Warning => "icons/warning.svg",
            IconName::ArrowUpRight => "icons/arrow_up_right.svg",
            IconName::Copy => "icons/copy.svg",
            IconName::Person => "icons/person.svg",
            IconName::XCircle => "icons/x_circle.svg",
            IconName::LoadCircle => "icons/load_circle.svg",
            IconName::Undo => "icons/undo.svg",
            IconName::ChevronDown => "icons/chevron_down.svg",
            IconName::ChevronRight => "icons/chevron_right.svg",
            IconName::ArrowUp => "icons/arrow_up.svg",
            IconName::Plus => "icons/plus.svg",
        }
    }

    fn svg(self) -> &'static [u8] {
        match self {
            IconName::AiOpenAi => include_bytes!("../icons/ai_open_ai.svg"),
            IconName::ZedAssistant => include_bytes!("../icons/zed_assistant.svg"),
            IconName::Check => include_bytes!("../icons/check.svg"),
            IconName::Warning => include_bytes!("../icons/warning.svg"),
            IconName::ArrowUpRight => include_bytes!("../icons/arrow_up_right.svg"),
            IconName::Copy => include_bytes!("../icons/copy.svg"),
            IconName::Person => include_bytes!("../icons/person.svg"),
            IconName::XCircle => include_bytes!("../icons/x_circle.svg"),
            IconName::LoadCircle => include_bytes!("../icons/load_circle.svg"),
            IconName::Undo => include_bytes!("../icons/undo.svg"),
            IconName::ChevronDown => include_bytes!("../icons/chevron_down.svg"),
            IconName::ChevronRight => include_bytes!("../icons/chevron_right.svg"),
            IconName::ArrowUp => include_bytes!("../icons/arrow_up.svg"),
            IconName::Plus => include_bytes!("../icons/plus.svg"),
        }
    }
}

/// The SVG at an asset `path` ([`IconName::path`]), if it is one of these icons.
pub fn svg(path: &str) -> Option<&'static [u8]> {
    IconName::ALL
        .iter()
        .find(|icon| icon.path() == path)
        .map(|icon| icon.svg())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_icon_has_an_svg_under_zeds_path() {
        for icon in IconName::ALL {
            let path = icon.path();
            assert!(
                path.starts_with("icons/") && path.ends_with(".svg"),
                "{path}"
            );
            let svg = std::str::from_utf8(svg(path).unwrap()).unwrap();
            assert!(
                svg.starts_with("<svg ") && svg.contains("viewBox=\"0 0 16 16\""),
                "{path}"
            );
        }
        assert_eq!(svg("icons/nothing.svg"), None);
    }
}
