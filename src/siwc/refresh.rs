//! The official route's refresh grant (siwc.md §1.8), as one step of [`crate::auth`]'s renewal.
//!
//! `POST` the discovered token endpoint, form `grant_type=refresh_token`, the **issued**
//! `client_id`, `refresh_token` and `resource`; no `scope`. The renewal around it (the
//! cross-process lock, re-reading the store, storing before memory, "sign-out wins", the
//! in-flight guard) is the Codex route's, unchanged.
//!
//! - The answer rotates the refresh token; a missing `scope` keeps the previous plan use, a
//!   present one decides it anew; a missing `id_token` keeps who signed in.
//! - An `id_token` that comes back is verified (no nonce) and must name the same `sub`; one that
//!   cannot be trusted ends the session (nothing of it is stored). When the keys cannot be had,
//!   the rotated tokens are kept (dropping them would spend the sign-in) and the unverified ID
//!   token is not.
//! - Terminal codes end the sign-in in words: the Codex route's (`invalid_grant`, the
//!   `refresh_token_*` codes, HTTP 401) plus `invalid_refresh_token`, `token_expired` and
//!   `invalid_client` (§1.8); network errors and 5xx keep the credentials.

use super::id_token::{Expected, VerifiedIdentity, verify};
use super::issuer::{OfficialIssuer, TokenRequestFailure};
use super::token::{Known, OfficialTokenResponse, token_set};
use crate::auth::refresh_error::{
    PermanentReason, RefreshError, TransientReason, classify_response, error_code,
};
use crate::oauth::TokenSet;

/// Renews `previous` (an official-route token set). Unbounded: the renewal bounds it.
pub(crate) async fn refresh(
    issuer: &OfficialIssuer,
    previous: &TokenSet,
) -> Result<TokenSet, RefreshError> {
    let Some(session) = &previous.official else {
        return Err(RefreshError::Transient(TransientReason::Unexpected(
            "not a Sign in with ChatGPT sign-in".into(),
        )));
    };
    if previous.refresh_token.secret().is_empty() {
        // An identity-only consent granted no refresh token: the sign-in ends with its access
        // token.
        return Err(RefreshError::Permanent(PermanentReason::InvalidGrant));
    }
    let resource = issuer.resource();
    let pairs = [
        ("grant_type", "refresh_token"),
        ("client_id", session.client_id.as_str()),
        ("refresh_token", previous.refresh_token.secret()),
        ("resource", resource.as_str()),
    ];
    let answer = issuer
        .token_request(&pairs)
        .await
        .map_err(|failure| match failure {
            TokenRequestFailure::Discovery(error) => {
                RefreshError::Transient(TransientReason::Network(error.to_string()))
            }
            TokenRequestFailure::Unreachable(unreachable) => {
                RefreshError::Transient(TransientReason::Network(unreachable.reason))
            }
        })?;
    if !answer.is_success() {
        return Err(classify(answer.status.as_u16(), &answer.body));
    }
    let response: OfficialTokenResponse = serde_json::from_slice(&answer.body).map_err(|_| {
        RefreshError::Transient(TransientReason::Unexpected(
            "the token answer is not a token response".into(),
        ))
    })?;
    let mut response = response;
    let identity = match response.id_token().cloned() {
        None => None,
        Some(id_token) => match issuer.jwks().await {
            Ok(keys) => {
                let discovery = issuer.discovery().await.map_err(|error| {
                    RefreshError::Transient(TransientReason::Network(error.to_string()))
                })?;
                let verified = verify(
                    &id_token,
                    &keys,
                    Expected {
                        issuer: &discovery.issuer,
                        client_id: &session.client_id,
                        nonce: None,
                        subject: Some(&session.subject),
                    },
                    chrono::Utc::now().timestamp(),
                )
                .map_err(|defect| {
                    log::warn!("the renewed Sign in with ChatGPT ID token was refused: {defect}");
                    RefreshError::Permanent(PermanentReason::UntrustedIdentity)
                })?;
                Some(verified)
            }
            Err(error) => {
                log::warn!("kept the renewed tokens without their ID token: {error}");
                response.id_token = None;
                None
            }
        },
    };
    let identity = identity.unwrap_or_else(|| VerifiedIdentity {
        subject: session.subject.clone(),
        email: previous.identity.email.clone(),
    });
    token_set(
        response,
        Known {
            client_id: &session.client_id,
            identity,
            plan_use_if_unsaid: session.plan_use,
            previous: Some(previous),
        },
        chrono::Utc::now(),
    )
    .map_err(|reason| RefreshError::Transient(TransientReason::Unexpected(reason)))
}

/// A refused refresh: this route's terminal codes, then the shared classification.
pub(crate) fn classify(status: u16, body: &[u8]) -> RefreshError {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    match parsed.as_ref().and_then(error_code) {
        Some("invalid_refresh_token") => RefreshError::Permanent(PermanentReason::InvalidGrant),
        Some("token_expired") => RefreshError::Permanent(PermanentReason::Expired),
        Some("invalid_client") => RefreshError::Permanent(PermanentReason::ClientRefused),
        _ => classify_response(status, body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_terminal_codes_end_the_sign_in() {
        use PermanentReason::*;
        for (code, reason) in [
            ("invalid_grant", InvalidGrant),
            ("invalid_refresh_token", InvalidGrant),
            ("token_expired", Expired),
            ("refresh_token_expired", Expired),
            ("refresh_token_invalidated", Invalidated),
            ("refresh_token_reused", Reused),
            ("invalid_client", ClientRefused),
        ] {
            let body = serde_json::json!({"error": code, "error_description": "secret-ish"});
            assert_eq!(
                classify(400, body.to_string().as_bytes()),
                RefreshError::Permanent(reason),
                "{code}"
            );
        }
        assert_eq!(
            classify(503, b"{}"),
            RefreshError::Transient(TransientReason::ServerError(503))
        );
    }
}
