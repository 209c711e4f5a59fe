//! The model catalog: the models the user's plan offers today, fetched from the backend
//! (`GET {backend}/models`, spec §5), cached per account (memory and disk, with the `ETag`),
//! with a bundled fallback list. Nothing about a model is hard-coded by slug anywhere in the
//! crate: everything comes from [`ModelInfo`].
//!
//! - `model_info`: one catalog entry as it arrives on the wire.
//! - [`parse`]: reading an answer entry by entry, keeping listed models sorted by priority.
//! - `lenient`: reading catalog fields whose shape has changed over time.
//! - [`fetch`]: the (conditional) request, with a timeout.
//! - [`cache`]: the per-account cache and its files.
//! - [`fallback`]: the bundled list.
//! - [`catalog`]: the [`ModelCatalog`] entity the provider owns.
//!
//! How the list is printed for a terminal (the `openai-subscribed models` table and JSON) is the
//! command line's business: `crates/cli/src/model_listing.rs`.

pub mod cache;
pub mod catalog;
pub mod fallback;
pub mod fetch;
pub(crate) mod lenient;
pub(crate) mod model_info;
pub mod parse;

pub use cache::CacheLocation;
pub use catalog::{CatalogOptions, CatalogSource, ModelCatalog, RefreshOutcome};
pub use fetch::FetchError;
pub use model_info::*;
