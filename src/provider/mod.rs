//! Zed's provider: [`OpenAiSubscribedProvider`] (`LanguageModelProvider`), its models
//! ([`OpenAiSubscribedModel`], `LanguageModel`), the provider [`State`] entity the host observes,
//! and the [`ConfigurationView`] shown in the agent settings.
//!
//! How the pieces meet:
//! - [`State`] owns the auth state machine ([`crate::auth::State`]), the model catalog
//!   ([`crate::models::ModelCatalog`]) and the last usage-limit snapshot, and re-notifies when
//!   either changes, so a view observes one entity.
//! - [`OpenAiSubscribedModel`]'s `stream_completion` asks the auth state for fresh credentials,
//!   sends the request through [`crate::responses`], retries once after a forced refresh on 401,
//!   and records the answer's usage limits and model-catalog `ETag` on the state. On the
//!   official route a usage limit that ends the stream after text is recorded as one before it
//!   (`mid_stream_refusal`), so the card shows the same banner.
//! - Every request first takes a place in the account's budget ([`account_coordinator`]: how
//!   many go at once adapts, and a short-wait 429 pauses the account and sends the refused
//!   request again), then one of its model's 16 places in flight ([`request_limiter`]); the rest
//!   wait in line, reporting `Queued { position }`. `compact` (explicit compaction) goes through
//!   the model's line.
//! - [`ConfigurationView`] renders [`State::status`] and holds no logic of its own.
//!
//! Registering the provider with a host is one call:
//!
//! ```no_run
//! # fn f(cx: &mut gpui::App) {
//! use openai_subscribed::credentials::KeychainStore;
//! use openai_subscribed::provider::register;
//! use std::sync::Arc;
//!
//! let provider = register(
//!     cx.http_client(),
//!     Arc::new(KeychainStore::new(openai_subscribed::config::DEFAULT_ISSUER, cx)),
//!     openai_subscribed::config::Config::default(),
//!     cx,
//! );
//! # }
//! ```

pub mod account_coordinator;
mod account_set;
mod compaction;
mod completion;
mod configuration_view;
mod language_model_provider;
mod mid_stream_refusal;
mod model;
pub(crate) mod model_capabilities;
pub mod request_limiter;
mod state;
mod status;
mod usage_cache;

pub use account_coordinator::{AccountCoordinator, RequestCoordination};
pub use account_set::{AccountChoice, AccountSummary};
pub use configuration_view::ConfigurationView;
pub use language_model_provider::{OpenAiSubscribedProvider, register};
pub use model::OpenAiSubscribedModel;
pub use state::{PlanNotice, State, StateOptions, SwitchOffer, USAGE_REFRESH_INTERVAL, UrlOpener};
pub use status::{
    CODEX_ROUTE_WHY, ConfigurationStatus, PLAN_NOTICE_TEXT, PLAN_NOTICE_TITLE, SignInStep,
    USING_PLAN, blocking_window_line, describe_reset, rate_limit_wait_line, usage_bars,
    warning_lines,
};
