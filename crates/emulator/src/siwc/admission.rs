//! Admission on the official API (siwc.md §5.2, §5.3, §9.4): the bearer check every `/v1`
//! request passes first, and the answers of the arrival faults.
//!
//! - No bearer, or one the emulator did not issue, an expired or revoked one, or one granted
//!   without `chatgpt.tokens.use.direct`: 401 `{"detail": "…"}` (the admission shape).
//! - The arrival faults answer in the shapes §9.4 gives: a structured
//!   `{"error": {"type", "code", "message", "param"}}` for the listed codes, `{"detail": …}` for
//!   the region (403) and routing (503) admissions.

use super::faults::SiwcFault;
use super::state::{AccessRejection, SiwcState};
use crate::errors::{Rejection, api_error};
use axum::Json;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The observed text of the usage-limit error (siwc.md §5.3).
pub const LIMIT_MESSAGE: &str = "The ChatGPT user has reached their Subscription Sharing usage \
     limit. Ask the user to try again after their usage resets.";
/// The usage-limit code (§5.3).
pub const LIMIT_CODE: &str = "subscription_sharing_usage_limit_exceeded";

/// An admission answer: `status` with `{"detail": message}`.
pub fn detail(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"detail": message}))).into_response()
}

/// Checks the `Authorization: Bearer` header.
pub fn check_bearer(state: &SiwcState, headers: &HeaderMap) -> Result<(), Rejection> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default();
    if token.is_empty() {
        return Err(detail(StatusCode::UNAUTHORIZED, "Missing bearer token.").into());
    }
    state.check_access_token(token).map_err(|rejection| {
        let message = match rejection {
            AccessRejection::Unknown => "The access token is not valid.",
            AccessRejection::Expired => "The access token has expired.",
            AccessRejection::Revoked => "The access token was revoked.",
            AccessRejection::NoPlanScope => {
                "The access token does not grant chatgpt.tokens.use.direct."
            }
        };
        Rejection::from(detail(StatusCode::UNAUTHORIZED, message))
    })
}

/// The answer of an arrival fault (`InvalidUser` … `InvalidAuthorizationContext`), if `fault`
/// is one.
pub fn arrival_answer(fault: &SiwcFault) -> Option<Response> {
    let structured = |status: StatusCode, code: &str, message: &str| {
        let kind = if status.is_server_error() {
            "server_error"
        } else {
            "invalid_request_error"
        };
        api_error(status, kind, Some(code), None, message)
    };
    Some(match fault {
        SiwcFault::InvalidUser => structured(
            StatusCode::UNAUTHORIZED,
            "subscription_sharing_invalid_user",
            "The ChatGPT user could not be validated for subscription sharing.",
        ),
        SiwcFault::NotEligible => structured(
            StatusCode::FORBIDDEN,
            "subscription_sharing_user_not_eligible",
            "The ChatGPT user's plan is not eligible for subscription sharing.",
        ),
        SiwcFault::ScopeNotAuthorized => structured(
            StatusCode::FORBIDDEN,
            "chatpass_v2_scope_not_authorized",
            "The authorization does not cover this request.",
        ),
        SiwcFault::Region => detail(
            StatusCode::FORBIDDEN,
            "Subscription sharing is not available in your region.",
        ),
        SiwcFault::LimitBeforeStream => {
            structured(StatusCode::TOO_MANY_REQUESTS, LIMIT_CODE, LIMIT_MESSAGE)
        }
        SiwcFault::UsageUnavailable => structured(
            StatusCode::SERVICE_UNAVAILABLE,
            "subscription_sharing_usage_unavailable",
            "Usage information is temporarily unavailable.",
        ),
        SiwcFault::UserUnavailable => structured(
            StatusCode::SERVICE_UNAVAILABLE,
            "subscription_sharing_user_unavailable",
            "The ChatGPT user is temporarily unavailable.",
        ),
        SiwcFault::RoutingOff => detail(
            StatusCode::SERVICE_UNAVAILABLE,
            "Direct routing is not enabled.",
        ),
        SiwcFault::UnsupportedCapability => api_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("subscription_sharing_unsupported_capability"),
            Some("model"),
            "This model is not available with subscription sharing.",
        ),
        SiwcFault::RouteNotSupported => structured(
            StatusCode::FORBIDDEN,
            "subscription_sharing_route_not_supported",
            "This route is not supported with subscription sharing.",
        ),
        SiwcFault::InvalidAuthorizationContext => structured(
            StatusCode::FORBIDDEN,
            "chatpass_v2_invalid_authorization_context",
            "The authorization context is not valid for this request.",
        ),
        _ => return None,
    })
}
