//! `GET /backend-api/wham/usage`: the plan's usage windows, asked for before any chat.
//!
//! The real backend serves it beside, not under, `/backend-api/codex` (the Codex CLI's
//! `/status` reads it). The answer has the shape of the real captures in
//! `tests/fixtures/real/wham_usage_*.json`: `{user_id, account_id, email, plan_type,
//! rate_limit: {allowed, limit_reached, primary_window, secondary_window},
//! code_review_rate_limit, credits}`, each window
//! `{used_percent, limit_window_seconds, reset_after_seconds, reset_at}`.
//!
//! Its numbers are the ones the next `/responses` answer's `x-codex-*` headers carry (see
//! [`script`](super::script)): a point of the 5-hour window per answer so far, 35 % of the
//! weekly one. Same caller checks as the rest of the backend.

use super::backend_auth;
use super::errors::injected_answer;
use super::faults::{Fault, FaultRoute};
use super::script::{
    PRIMARY_RESETS_IN_SECS, PRIMARY_WINDOW_MINUTES, SECONDARY_RESETS_IN_SECS,
    SECONDARY_WINDOW_MINUTES, primary_used_percent, secondary_used_percent,
};
use super::state::{SharedState, now_secs};
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::Arc;

/// The route, beside the Codex backend (`/backend-api/codex`).
pub const USAGE_PATH: &str = "/backend-api/wham/usage";

/// The longest an answer is held back by [`Emulator::hold_usage_answers`](super::Emulator::hold_usage_answers).
const MAX_HOLD: std::time::Duration = std::time::Duration::from_secs(60);

/// One window as the backend writes it.
fn window(used_percent: f64, window_minutes: u64, resets_in_secs: i64) -> Value {
    json!({
        "used_percent": used_percent,
        "limit_window_seconds": window_minutes * 60,
        "reset_after_seconds": resets_in_secs,
        "reset_at": now_secs() + resets_in_secs,
    })
}

/// `GET /backend-api/wham/usage`.
pub async fn wham_usage(State(state): State<Arc<SharedState>>, headers: HeaderMap) -> Response {
    state.count(|stats| &mut stats.usage_requests);
    state.usage_released(MAX_HOLD).await;
    if let Some(answer) = injected_answer(&state, FaultRoute::Usage, |fault| match fault {
        Fault::UsageStatus { status } => Some(*status),
        _ => None,
    }) {
        return answer;
    }
    if let Err(answer) = backend_auth::check(&state, &headers) {
        return answer.into_response();
    }
    let account = &state.options.account;
    let primary_used = primary_used_percent(&state);
    let secondary_used = secondary_used_percent(&state);
    // A window at 100 % (only with levels a test set) is the plan's limit reached.
    let reached = primary_used >= 100.0 || secondary_used >= 100.0;
    Json(json!({
        "user_id": account.user_id,
        "account_id": account.account_id,
        "email": account.email,
        "plan_type": account.plan,
        "rate_limit": {
            "allowed": !reached,
            "limit_reached": reached,
            "primary_window": window(primary_used, PRIMARY_WINDOW_MINUTES, PRIMARY_RESETS_IN_SECS),
            "secondary_window": window(
                secondary_used,
                SECONDARY_WINDOW_MINUTES,
                SECONDARY_RESETS_IN_SECS,
            ),
        },
        "code_review_rate_limit": null,
        "credits": {"has_credits": false, "unlimited": false, "balance": "0"},
    }))
    .into_response()
}
