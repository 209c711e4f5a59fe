//! Test support shared by the integration tests that wait on real sockets from `#[gpui::test]`:
//! letting the test executor park ([`allow_parking`]), driving a future or a condition to its
//! end under a bound ([`block`], [`wait_until`]), a stored record from emulator tokens
//! ([`stored_credentials`]), and the browser's side of a sign-in ([`approve_in_browser`]).
//!
//! Each test file includes it with `mod support;`; the official route's tests add
//! `support/siwc.rs` with `#[path]`.

// Each test file uses only some of it.
#![allow(dead_code, unused_imports)]

mod browser;
mod drive;
mod parking;
mod tokens;

pub use browser::approve_in_browser;
pub use drive::{block, block_within, wait_until};
pub use parking::allow_parking;
pub use tokens::stored_credentials;
