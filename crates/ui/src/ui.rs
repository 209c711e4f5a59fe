//! The small part of Zed's `ui` crate the provider's card is built from: [`Label`], [`Button`],
//! [`Icon`], [`Color`], [`ProgressBar`], [`ConfiguredApiCard`] and the `h_flex`/`v_flex` stacks.
//!
//! Each file names the upstream file it follows (repository zed-industries/zed, `crates/ui/src/`).
//! Names, builder methods and meanings are Zed's, so moving the card into Zed's tree is a change
//! of imports (`use ui::prelude::*;`, see `docs/zed-drop-in.md`). Colours come from the active
//! [`Theme`](theme::Theme), never from constants.

mod button;
mod color;
mod configured_api_card;
mod icon;
mod label;
mod progress_bar;
mod stack;

pub use button::{Button, ButtonStyle, FixedWidth};
pub use color::Color;
pub use configured_api_card::ConfiguredApiCard;
pub use icon::{Icon, IconAssets, IconSize};
pub use label::{Label, LabelSize};
pub use progress_bar::ProgressBar;
pub use stack::{h_flex, v_flex};

pub use icons::IconName;

/// What a view built from these components imports (Zed's `ui::prelude`).
pub mod prelude {
    pub use super::{
        Button, ButtonStyle, Color, FixedWidth, Icon, IconName, IconSize, Label, LabelSize, h_flex,
        v_flex,
    };
    pub use gpui::prelude::*;
    pub use gpui::{
        AnyElement, App, Context, ElementId, IntoElement, ParentElement, RenderOnce, SharedString,
        Styled, Window, div, px, relative,
    };
    pub use theme::ActiveTheme;
}
