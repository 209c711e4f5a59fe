//! A small mirror of Zed's `language_model` and `language_model_core` crates: the part of their
//! API a provider implements.
//!
//! Zed's crates are not published, so this module stands in for them. Each file names the
//! upstream file it follows (repository zed-industries/zed):
//! - `errors.rs`, `events.rs`, `ids.rs` — `crates/language_model_core/src/language_model_core.rs`
//! - `request.rs` — `crates/language_model_core/src/request.rs` (and `role.rs`)
//! - `compaction.rs` — `crates/language_model_core/src/request.rs`, `…/language_model_core.rs`
//! - `tool_schema.rs` — `crates/language_model_core/src/tool_schema.rs`
//! - `provider.rs` — `crates/language_model/src/language_model.rs`
//! - `registry.rs` — `crates/language_model/src/registry.rs` (reduced)
//! - `icons.rs` — `crates/icons/src/icons.rs` (reduced)
//!
//! Names, signatures and meanings are Zed's; once this crate moves into Zed's tree,
//! `use crate::…` becomes `use language_model::…` (see `docs/zed-drop-in.md`).
//! It holds no provider logic: only types, traits, and the small registry a host uses.

mod compaction;
mod errors;
mod events;
mod ids;
mod provider;
mod registry;
mod request;
mod tool_schema;

pub use compaction::*;
pub use errors::*;
pub use events::*;
pub use icons::IconName;
pub use ids::*;
pub use provider::*;
pub use registry::*;
pub use request::*;
pub use tool_schema::*;

#[cfg(test)]
mod tests;
