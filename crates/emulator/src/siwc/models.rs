//! `GET /v1/models` on the official API (siwc.md §3, §9.2): the `{"models": […]}` envelope (not
//! the API-key `{"data": […]}`), in the server's order, with one hidden model, for a bearer
//! holding the plan scope. An arrival fault wrapped in
//! [`SiwcFault::OnModels`] answers instead. A test may serve a catalog of its own
//! ([`crate::Emulator::siwc_serve_catalog`]), e.g. one that states capabilities.

use super::admission::{arrival_answer, check_bearer};
use super::faults::{FaultSite, SiwcFault};
use super::state::SiwcState;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::Arc;

/// The catalog (§9.2): two listed models around a hidden one.
pub fn catalog() -> Value {
    json!({"models": [
        {"slug": "gpt-6.1-sol", "display_name": "GPT-6.1 Sol", "visibility": "list",
         "context_window": 272000},
        {"slug": "gpt-fake-hidden", "display_name": "Hidden", "visibility": "hide"},
        {"slug": "gpt-6-luna", "display_name": "GPT-6 Luna", "visibility": "list"},
    ]})
}

/// `GET /v1/models`.
pub async fn list_models(State(state): State<Arc<SiwcState>>, headers: HeaderMap) -> Response {
    state.count(|stats| &mut stats.models_requests);
    if let Some(SiwcFault::OnModels(inner)) = state.take_fault(FaultSite::Models)
        && let Some(answer) = arrival_answer(&inner)
    {
        return answer;
    }
    if let Err(rejection) = check_bearer(&state, &headers) {
        return rejection.into_response();
    }
    Json(state.catalog()).into_response()
}
