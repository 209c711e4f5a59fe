//! `POST /api/accounts/oauth/revoke` on the official route (siwc.md §1.9, RFC 7009): a form with
//! `token`, `token_type_hint` and `client_id`, answered by an empty 200 whether or not the token
//! was known (RFC 7009 §2.2). A known token's family stops working: its refresh tokens refuse to
//! rotate and its access tokens answer 401. Fault: 503, revoking nothing.

use super::faults::{FaultSite, SiwcFault};
use super::state::SiwcState;
use super::token::form_fields;
use crate::errors::oauth_error;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// `POST /api/accounts/oauth/revoke`.
pub async fn revoke(
    State(state): State<Arc<SiwcState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.count(|stats| &mut stats.revocations);
    if let Some(SiwcFault::RevokeUnavailable) = state.take_fault(FaultSite::Revoke) {
        return oauth_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "The service is temporarily unavailable.",
        );
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    let fields = match form_fields(&body) {
        Ok(fields) if is_form => fields,
        Ok(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "The revocation endpoint takes an application/x-www-form-urlencoded body.",
            );
        }
        Err(message) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &message),
    };
    for name in ["token", "client_id"] {
        if fields.get(name).is_none_or(|value| value.is_empty()) {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &format!("Missing '{name}'."),
            );
        }
    }
    state.revoke(&fields["token"]);
    StatusCode::OK.into_response()
}
