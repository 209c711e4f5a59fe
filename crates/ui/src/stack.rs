//! `h_flex` and `v_flex`: a row and a column of children.
//!
//! Follows `crates/ui/src/components/stack.rs` of zed-industries/zed.

use gpui::{Div, Styled as _, div};

/// A horizontal stack, children centred on the cross axis.
pub fn h_flex() -> Div {
    div().flex().flex_row().items_center()
}

/// A vertical stack.
pub fn v_flex() -> Div {
    div().flex().flex_col()
}
