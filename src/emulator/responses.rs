//! `POST {backend}/responses` (being written).

use super::state::SharedState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// `POST {backend}/responses`.
pub async fn create_response(State(state): State<Arc<SharedState>>) -> Response {
    state.count(|stats| &mut stats.responses_requests);
    StatusCode::NOT_IMPLEMENTED.into_response()
}
