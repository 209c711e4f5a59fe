//! The plan's limits as a test sets them: the usage levels the windows report, a refusal by
//! window, and a short-wait rate limit above a number of concurrent `/responses` requests.
//!
//! - [`UsageLevels`] ([`Emulator::set_usage_levels`](super::Emulator::set_usage_levels)): what
//!   the 5-hour and weekly windows report, in `/wham/usage` and every answer's `x-codex-*`
//!   headers, instead of the scripted values (for warnings past a threshold).
//! - [`Fault::ResponsesWindowLimit`](super::Fault::ResponsesWindowLimit): a 429
//!   `usage_limit_reached` whose headers show which window ran out (at 100 %) and the other one
//!   at any level, as the real backend's do (`tests/fixtures/real/err429_headers_*`).
//! - [`ConcurrencyLimit`] ([`Emulator::set_concurrency_limit`](super::Emulator::set_concurrency_limit)):
//!   above `max_in_flight` answers streaming at once for the account, a `/responses` request is
//!   answered 429 `rate_limit_exceeded` with `Retry-After` (what the backend does to many agents
//!   on one subscription). Each refusal is counted in [`EmulatorStats::rate_limited_responses`].
//!
//! [`EmulatorStats::rate_limited_responses`]: super::EmulatorStats::rate_limited_responses

use super::errors::Rejection;
use super::script::{
    PRIMARY_RESETS_IN_SECS, PRIMARY_WINDOW_MINUTES, SECONDARY_RESETS_IN_SECS,
    SECONDARY_WINDOW_MINUTES,
};
use super::state::{SharedState, now_secs};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;
use serde_json::json;
use std::sync::Arc;

/// What the windows report, in percent.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UsageLevels {
    /// The 5-hour window.
    pub five_hour_used_percent: f64,
    /// The weekly window.
    pub weekly_used_percent: f64,
}

/// The short-wait rate limit above a number of concurrent requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConcurrencyLimit {
    /// How many answers may stream at once for the account.
    pub max_in_flight: usize,
    /// The `Retry-After` of the refusal, in seconds.
    pub retry_after_secs: u64,
}

/// The limits a test set, and the account's answers in flight.
#[derive(Default)]
pub struct Limits {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    levels: Option<UsageLevels>,
    concurrency: Option<ConcurrencyLimit>,
    in_flight: usize,
    refused: usize,
}

/// An answer counted against the account's concurrency until dropped.
pub struct AccountSlot {
    state: Arc<SharedState>,
}

impl Drop for AccountSlot {
    fn drop(&mut self) {
        let mut inner = self.state.limits.inner.lock();
        inner.in_flight = inner.in_flight.saturating_sub(1);
    }
}

impl Limits {
    /// Sets (or, with `None`, clears) the usage levels.
    pub fn set_levels(&self, levels: Option<UsageLevels>) {
        self.inner.lock().levels = levels;
    }

    /// The usage levels a test set.
    pub fn levels(&self) -> Option<UsageLevels> {
        self.inner.lock().levels
    }

    /// Sets (or clears) the concurrency limit.
    pub fn set_concurrency(&self, limit: Option<ConcurrencyLimit>) {
        self.inner.lock().concurrency = limit;
    }

    /// How many requests were refused for going over the concurrency limit.
    pub fn refused(&self) -> usize {
        self.inner.lock().refused
    }
}

/// Counts a request against the account's concurrency, or, above the limit, the 429 it gets.
pub fn admit(state: &Arc<SharedState>) -> Result<AccountSlot, Rejection> {
    let mut inner = state.limits.inner.lock();
    if let Some(limit) = inner.concurrency
        && inner.in_flight >= limit.max_in_flight
    {
        inner.refused = inner.refused.saturating_add(1);
        return Err(rate_limited(limit.retry_after_secs).into());
    }
    inner.in_flight = inner.in_flight.saturating_add(1);
    Ok(AccountSlot {
        state: state.clone(),
    })
}

/// A short-wait 429, as the backend answers too many requests at once.
fn rate_limited(retry_after_secs: u64) -> Response {
    let mut answer = (
        StatusCode::TOO_MANY_REQUESTS,
        axum::Json(json!({
            "error": {
                "type": "rate_limit_exceeded",
                "code": "rate_limit_exceeded",
                "param": null,
                "message": format!(
                    "Rate limit reached for requests. Please try again in {retry_after_secs}s."
                ),
            }
        })),
    )
        .into_response();
    answer
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    answer
}

/// The 429 `usage_limit_reached` of one spent window (`window_minutes`: 300 or 10080), whose
/// headers show it at 100 % and the other window at `other_used_percent`.
pub fn window_limit(
    state: &SharedState,
    window_minutes: u64,
    resets_in_secs: i64,
    other_used_percent: f64,
) -> Response {
    let now = now_secs();
    let resets_at = now.saturating_add(resets_in_secs);
    let weekly_spent = window_minutes == SECONDARY_WINDOW_MINUTES;
    let (primary, secondary) = if weekly_spent {
        (
            (other_used_percent, now + PRIMARY_RESETS_IN_SECS),
            (100.0, resets_at),
        )
    } else {
        (
            (100.0, resets_at),
            (other_used_percent, now + SECONDARY_RESETS_IN_SECS),
        )
    };
    let mut answer = (
        StatusCode::TOO_MANY_REQUESTS,
        axum::Json(json!({
            "error": {
                "type": "usage_limit_reached",
                "message": "The usage limit has been reached",
                "plan_type": state.options.account.plan,
                "resets_at": resets_at,
                "eligible_promo": null,
                "resets_in_seconds": resets_in_secs,
            }
        })),
    )
        .into_response();
    let headers = answer.headers_mut();
    insert(headers, "x-codex-active-limit", "codex".into());
    insert(
        headers,
        "x-codex-plan-type",
        state.options.account.plan.clone(),
    );
    for (which, minutes, (used, reset)) in [
        ("primary", PRIMARY_WINDOW_MINUTES, primary),
        ("secondary", SECONDARY_WINDOW_MINUTES, secondary),
    ] {
        insert(
            headers,
            &format!("x-codex-{which}-used-percent"),
            used.to_string(),
        );
        insert(
            headers,
            &format!("x-codex-{which}-window-minutes"),
            minutes.to_string(),
        );
        insert(
            headers,
            &format!("x-codex-{which}-reset-at"),
            reset.to_string(),
        );
    }
    insert(headers, "x-codex-credits-has-credits", "False".into());
    insert(headers, "x-codex-credits-unlimited", "False".into());
    answer
}

fn insert(headers: &mut HeaderMap, name: &str, value: String) {
    if let (Ok(name), Ok(value)) = (
        HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(&value),
    ) {
        headers.insert(name, value);
    }
}
