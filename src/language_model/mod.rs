//! A small mirror of Zed's `language_model` crate: the part of its API a provider implements.
//!
//! Zed's own crate is not published, so this module stands in for it. The type names, method
//! names and meanings are Zed's; once this crate moves into Zed's tree, `use
//! crate::language_model::…` becomes `use language_model::…` and the provider compiles unchanged.
//! It holds no provider logic: only types, traits, and the small registry a host uses to list
//! providers.

mod compaction;
mod errors;
mod events;
mod ids;
mod provider;
mod registry;
mod request;

pub use compaction::*;
pub use errors::*;
pub use events::*;
pub use ids::*;
pub use provider::*;
pub use registry::*;
pub use request::*;

#[cfg(test)]
mod tests;
