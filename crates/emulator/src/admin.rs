//! The emulator's own control endpoints, for callers outside the process (the CLI's
//! `openai-subscribed emulator`, the demo, a shell):
//! - `POST /__emulator/faults` with a [`Fault`] as JSON, e.g.
//!   `{"kind":"responses_usage_limit","resets_in_secs":3600}`, queues that fault (204);
//! - `GET /__emulator/stats` answers the [`EmulatorStats`](super::EmulatorStats) as JSON.
//!
//! In-process tests use [`Emulator::inject`](super::Emulator::inject) and
//! [`Emulator::stats`](super::Emulator::stats) instead.

use super::errors::invalid_request;
use super::faults::Fault;
use super::state::SharedState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// `POST /__emulator/faults`.
pub async fn inject_fault(State(state): State<Arc<SharedState>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Fault>(&body) {
        Ok(fault) => {
            state.inject(fault);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(error) => invalid_request(None, &format!("Not a fault: {error}")),
    }
}

/// `GET /__emulator/stats`.
pub async fn stats(State(state): State<Arc<SharedState>>) -> Response {
    Json(state.stats()).into_response()
}
