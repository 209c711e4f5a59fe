//! [`Icon`]: a built-in [`IconName`] in a [`Color`] and an [`IconSize`].
//!
//! Follows `crates/ui/src/components/icon.rs` of zed-industries/zed: an icon is the SVG at its
//! [`IconName::path`], drawn in the icon's colour (gpui's `svg()` fills the shape with the text
//! colour). The app serves the SVGs through its asset source: [`IconAssets`] here (the `icons`
//! stand-in's drawings), Zed's own assets in Zed's tree. An app without them draws nothing for
//! an icon, as Zed would.

use super::Color;
use gpui::{App, AssetSource, IntoElement, RenderOnce, SharedString, Styled as _, Window, px, svg};
use icons::IconName;
use std::borrow::Cow;

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

/// The asset source that serves the `icons` stand-in's SVGs under Zed's paths; give it to the
/// app (`Application::new().with_assets(IconAssets)`).
pub struct IconAssets;

impl AssetSource for IconAssets {
    fn load(&self, path: &str) -> gpui::Result<Option<Cow<'static, [u8]>>> {
        Ok(icons::svg(path).map(Cow::Borrowed))
    }

    fn list(&self, path: &str) -> gpui::Result<Vec<SharedString>> {
        Ok(IconName::ALL
            .iter()
            .map(|icon| icon.path())
            .filter(|asset| asset.starts_with(path))
            .map(SharedString::from)
            .collect())
    }
}

impl RenderOnce for Icon {
    fn render(self, _window: &mut Window, cx: &mut App) -> impl IntoElement {
        let size = match self.size {
            IconSize::XSmall => px(12.),
            IconSize::Small => px(14.),
            IconSize::Medium => px(16.),
        };
        svg()
            .path(self.name.path())
            .flex_none()
            .size(size)
            .text_color(self.color.color(cx))
    }
}
