//! The plan's usage: its windows and credits, how to ask the backend for them, and the
//! sentences that tell the user about them.
//!
//! - [`limits`]: [`UsageLimits`], read from the `x-codex-*` headers of a `/responses` answer.
//! - [`wham`]: `GET …/wham/usage` ([`fetch_usage`]) and its parser, for the windows without
//!   sending a chat.
//! - [`sentences`]: "ChatGPT Plus usage limit reached; resets at 14:05 (in 1h 12m)", reset times
//!   and plan display names.
//!
//! `responses` uses this module (a usage-limit refusal carries a snapshot and its sentence);
//! this module uses nothing of `responses`.

pub mod limits;
pub mod sentences;
pub mod wham;

pub use limits::{Credits, UsageLimits, UsageWindow};
pub use sentences::{plan_display_name, reset_time, usage_limit_message};
pub use wham::{UsageFetchError, fetch_usage, parse_usage_answer};
