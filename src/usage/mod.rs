//! The plan's usage: its windows and credits, how to ask the backend for them, and the
//! sentences that tell the user about them.
//!
//! - [`limits`]: [`UsageLimits`], read from the `x-codex-*` headers of a `/responses` answer.
//! - [`wham`]: `GET …/wham/usage` ([`fetch_usage`]) and its parser, for the windows without
//!   sending a chat.
//! - [`sentences`]: "ChatGPT Plus usage limit reached; resets at 14:05 (in 1h 12m)", reset times
//!   and plan display names.
//! - [`blocking`]: which window a refusal is about ("Weekly limit reached — resets …; your
//!   5-hour window is at 99 %"), or that the answer does not say.
//! - [`warnings`]: the thresholds (80 % and 95 % by default) past which a window is warned about.
//! - [`credits`]: when credits are worth showing, what they are, and the reset credits.
//! - [`switching`]: the hook that offers another signed-in account with room.
//!
//! `responses` uses this module (a usage-limit refusal carries a snapshot and its sentence);
//! this module uses nothing of `responses`.

pub mod blocking;
pub mod credits;
pub mod limits;
pub mod sentences;
pub mod switching;
pub mod warnings;
pub mod wham;

pub use blocking::{BlockingWindow, blocking_window, usage_limit_sentence};
pub use credits::{CREDITS_EXPLAINED, ResetCredits, credits_line};
pub use limits::{Credits, UsageLimits, UsageWindow};
pub use sentences::{plan_display_name, reset_time, usage_limit_message};
pub use switching::{AccountUsage, switch_offer};
pub use warnings::{UsageWarning, UsageWarningThresholds, usage_warnings};
pub use wham::{UsageFetchError, fetch_usage, parse_usage_answer};
