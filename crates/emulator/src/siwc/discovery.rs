//! `GET /.well-known/openid-configuration` and `GET /.well-known/jwks.json` on the official
//! route (siwc.md §1.1, §9.1): where the client finds the authorize, token, revocation and JWKS
//! endpoints, and the keys that sign ID tokens.

use super::faults::{FaultSite, SiwcFault};
use super::state::SiwcState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::Arc;

/// The discovery document for an issuer at `base` (§9.1, as recorded from the real one).
pub fn document(base: &str) -> Value {
    json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/api/accounts/authorize"),
        "token_endpoint": format!("{base}/api/accounts/oauth/token"),
        "revocation_endpoint": format!("{base}/api/accounts/oauth/revoke"),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "code_challenge_methods_supported": ["S256"],
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["none"],
    })
}

/// `GET /.well-known/openid-configuration`.
pub async fn openid_configuration(State(state): State<Arc<SiwcState>>) -> Response {
    state.count(|stats| &mut stats.discovery_requests);
    Json(document(&state.issuer_url)).into_response()
}

/// `GET /.well-known/jwks.json` (faults: 503, an empty key set).
pub async fn jwks(State(state): State<Arc<SiwcState>>) -> Response {
    state.count(|stats| &mut stats.jwks_requests);
    match state.take_fault(FaultSite::Jwks) {
        Some(SiwcFault::JwksUnavailable) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"detail": "The key set is temporarily unavailable."})),
        )
            .into_response(),
        Some(SiwcFault::JwksEmpty) => Json(json!({"keys": []})).into_response(),
        _ => Json(state.key.jwks()).into_response(),
    }
}
