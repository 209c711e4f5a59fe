//! Why a refresh failed, and whether the user has to sign in again.
//!
//! The issuer's refresh errors come in three shapes — the code in `error` (a string, as RFC 6749
//! §5.2 has it), in `error.code` (an object), or in a top-level `code` — so [`classify_response`]
//! looks in all three. A failure is either [`Permanent`](RefreshError::Permanent): the refresh
//! token is dead and only a new sign-in helps (the expired, reused and invalidated codes,
//! `invalid_grant`, or HTTP 401); or [`Transient`](RefreshError::Transient): keep the credentials
//! and try again on the next request (network errors, timeouts, 5xx, 429, and any answer this crate
//! does not understand — signing someone out on a guess would lose a valid sign-in).

use crate::http_error::{HttpFailure, Request};
use std::fmt;

/// Why the refresh token can no longer be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PermanentReason {
    /// `refresh_token_expired`.
    Expired,
    /// `refresh_token_reused`: it was already spent, perhaps by another process.
    Reused,
    /// `refresh_token_invalidated`: revoked (signed out elsewhere, password change…).
    Invalidated,
    /// `invalid_grant` (RFC 6749 §5.2).
    InvalidGrant,
    /// HTTP 401 without one of the codes above.
    Unauthorized,
    /// `invalid_client` (the official route, siwc.md §1.8): the app's registration is refused.
    ClientRefused,
    /// The official route's renewed ID token could not be trusted (bad signature, another user…).
    UntrustedIdentity,
}

impl PermanentReason {
    /// The reason for a wire error code, if the code is one of the permanent ones.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "refresh_token_expired" => Some(Self::Expired),
            "refresh_token_reused" => Some(Self::Reused),
            "refresh_token_invalidated" => Some(Self::Invalidated),
            "invalid_grant" => Some(Self::InvalidGrant),
            _ => None,
        }
    }
}

impl fmt::Display for PermanentReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Expired => "the sign-in expired",
            Self::Reused => "the sign-in was renewed elsewhere",
            Self::Invalidated => "the sign-in was revoked",
            Self::InvalidGrant => "the sign-in is no longer valid",
            Self::Unauthorized => "the sign-in was refused",
            Self::ClientRefused => "ChatGPT refused this app's registration",
            Self::UntrustedIdentity => "the renewed sign-in could not be trusted",
        })
    }
}

/// Why a refresh could not be completed this time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransientReason {
    /// The request did not reach the issuer or the answer did not come back (connection refused,
    /// DNS, TLS, reset). Holds the transport's message, which never contains a token.
    Network(String),
    /// No answer within the refresh timeout.
    TimedOut,
    /// HTTP 5xx.
    ServerError(u16),
    /// HTTP 429.
    RateLimited,
    /// Another error status that is not one of the permanent refusals, worded by
    /// [`HttpFailure`] (the issuer's code and message, never its raw body).
    Refused(HttpFailure),
    /// An answer this crate does not understand (a malformed success).
    Unexpected(String),
}

impl fmt::Display for TransientReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Network(message) => write!(f, "could not reach ChatGPT ({message})"),
            Self::TimedOut => f.write_str("ChatGPT did not answer in time"),
            Self::ServerError(status) => renewal_failure(*status).fmt(f),
            Self::RateLimited => renewal_failure(429).fmt(f),
            Self::Refused(failure) => failure.fmt(f),
            Self::Unexpected(message) => write!(f, "ChatGPT answered unexpectedly ({message})"),
        }
    }
}

/// A refresh answered `status`, in the wording every HTTP error of this crate shares.
fn renewal_failure(status: u16) -> HttpFailure {
    HttpFailure {
        request: Request::SessionRenewal,
        status,
        code: None,
        message: None,
    }
}

/// A failed refresh.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RefreshError {
    /// The user must sign in again.
    #[error("{0}")]
    Permanent(PermanentReason),
    /// Keep the credentials; the next request tries again.
    #[error("{0}")]
    Transient(TransientReason),
}

/// The error code of an OAuth error body, wherever the issuer put it.
pub(crate) fn error_code(body: &serde_json::Value) -> Option<&str> {
    match body.get("error") {
        Some(serde_json::Value::String(code)) => Some(code.as_str()),
        Some(serde_json::Value::Object(error)) => error.get("code").and_then(|c| c.as_str()),
        _ => None,
    }
    .or_else(|| body.get("code").and_then(|c| c.as_str()))
}

/// Classifies a non-success answer of the token endpoint.
pub fn classify_response(status: u16, body: &[u8]) -> RefreshError {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let code = parsed.as_ref().and_then(error_code);
    if let Some(reason) = code.and_then(PermanentReason::from_code) {
        return RefreshError::Permanent(reason);
    }
    match status {
        401 => RefreshError::Permanent(PermanentReason::Unauthorized),
        429 => RefreshError::Transient(TransientReason::RateLimited),
        500..=599 => RefreshError::Transient(TransientReason::ServerError(status)),
        _ => RefreshError::Transient(TransientReason::Refused(HttpFailure {
            code: code.map(crate::http_error::printable),
            ..HttpFailure::from_body(Request::SessionRenewal, status, body)
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_the_code_in_each_shape() {
        for body in [
            json!({"error": "refresh_token_reused"}),
            json!({"error": {"code": "refresh_token_reused", "message": "x"}}),
            json!({"code": "refresh_token_reused"}),
        ] {
            assert_eq!(
                classify_response(400, body.to_string().as_bytes()),
                RefreshError::Permanent(PermanentReason::Reused),
                "{body}"
            );
        }
    }

    #[test]
    fn permanent_and_transient_table() {
        use PermanentReason::*;
        use RefreshError::{Permanent, Transient};
        let cases = [
            (
                400,
                json!({"error": "refresh_token_expired"}),
                Permanent(Expired),
            ),
            (
                400,
                json!({"error": "refresh_token_invalidated"}),
                Permanent(Invalidated),
            ),
            (
                400,
                json!({"error": "invalid_grant"}),
                Permanent(InvalidGrant),
            ),
            (401, json!({}), Permanent(Unauthorized)),
            (
                401,
                json!({"error": "refresh_token_expired"}),
                Permanent(Expired),
            ),
            (500, json!({}), Transient(TransientReason::ServerError(500))),
            (
                503,
                json!({"error": "unavailable"}),
                Transient(TransientReason::ServerError(503)),
            ),
            (429, json!({}), Transient(TransientReason::RateLimited)),
            (
                400,
                json!({"error": "invalid_request"}),
                Transient(TransientReason::Refused(HttpFailure {
                    request: Request::SessionRenewal,
                    status: 400,
                    code: Some("invalid_request".into()),
                    message: None,
                })),
            ),
        ];
        for (status, body, expected) in cases {
            assert_eq!(
                classify_response(status, body.to_string().as_bytes()),
                expected,
                "{status} {body}"
            );
        }
        // A body that is not JSON at all.
        assert_eq!(
            classify_response(502, b"<html>bad gateway</html>"),
            Transient(TransientReason::ServerError(502))
        );
        // Worded with the request, the status and a next step; the page is never shown.
        assert_eq!(
            classify_response(502, b"<html>bad gateway</html>").to_string(),
            "the request for the session renewal failed: the ChatGPT sign-in server answered \
             HTTP 502 Bad Gateway; try again in a few minutes"
        );
        let refused = classify_response(
            418,
            br#"{"error":{"code":"teapot","message":"\u001b[2JI am a teapot"}}"#,
        )
        .to_string();
        assert!(
            refused.ends_with(
                "HTTP 418 I'm a teapot (teapot: \"[2JI am a teapot\"); try again; if it keeps \
                 failing, sign in again"
            ),
            "{refused}"
        );
    }
}
