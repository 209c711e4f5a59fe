//! The backend's check of who is calling: `Authorization: Bearer <access token>` that the
//! issuer issued, not revoked and not expired, and `ChatGPT-Account-Id` naming the token's
//! account. Shared by `/models` and `/responses`.

use super::errors::{Rejection, api_error};
use super::state::{AccessRejection, SharedState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

/// The header naming the ChatGPT account (workspace) a request is for.
pub const ACCOUNT_HEADER: &str = "chatgpt-account-id";

/// Checks the caller; the error is the backend's answer (401 or 403).
pub fn check(state: &SharedState, headers: &HeaderMap) -> Result<(), Rejection> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty());
    let Some(token) = bearer else {
        return Err(unauthorized(
            "missing_authorization",
            "Missing bearer authentication in header",
        )
        .into());
    };
    match state.check_access_token(token) {
        Ok(()) => {}
        Err(AccessRejection::Expired) => {
            return Err(unauthorized(
                "token_expired",
                "Provided authentication token is expired. Please try signing in again.",
            )
            .into());
        }
        Err(AccessRejection::Revoked) => {
            return Err(unauthorized(
                "token_revoked",
                "Encountered invalidated oauth token for user, failing request",
            )
            .into());
        }
        Err(AccessRejection::Unknown) => {
            return Err(unauthorized(
                "invalid_token",
                "Could not parse your authentication token. Please try signing in again.",
            )
            .into());
        }
    }
    let account = headers
        .get(ACCOUNT_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if account.is_empty() {
        return Err(unauthorized(
            "missing_account_id",
            "Missing the ChatGPT-Account-Id header.",
        )
        .into());
    }
    // The token's own account (tokens of several accounts may be live at once).
    let expected = state
        .access_token_account(token)
        .unwrap_or_else(|| state.options.account.account_id.clone());
    if account != expected {
        return Err(api_error(
            StatusCode::FORBIDDEN,
            "invalid_request_error",
            Some("account_mismatch"),
            None,
            "You do not have access to this workspace.",
        )
        .into());
    }
    Ok(())
}

/// A 401 answer.
pub fn unauthorized(code: &str, message: &str) -> Response {
    api_error(
        StatusCode::UNAUTHORIZED,
        "invalid_request_error",
        Some(code),
        None,
        message,
    )
}
