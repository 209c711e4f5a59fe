//! [`IconName`]: the built-in icons a provider or its view names.
//!
//! Follows `crates/icons/src/icons.rs` of zed-industries/zed, reduced to the icons this crate
//! uses (same variant names; in Zed's tree this becomes `use icons::IconName`).

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
}
