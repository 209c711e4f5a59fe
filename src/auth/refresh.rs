//! Renewing tokens with a refresh token (RFC 6749 §6): what the answer means for the sign-in.
//!
//! The request itself is [`crate::oauth::token_refresh`]'s (sent like every issuer request).
//! This module turns its failures into a [`RefreshError`] with [`super::refresh_error`]: a dead
//! refresh token means signing in again, anything else keeps the credentials for another try.
//! The new refresh token replaces the old one (they rotate and are single use), so the caller
//! must store the new set before anything else. The timeout, the sharing between callers and
//! the store belong to [`super::State`].

use super::refresh_error::{RefreshError, TransientReason, classify_response};
use crate::config::Config;
use crate::oauth::TokenSet;
use crate::oauth::token_refresh::{RefreshFailure, request_refresh};
use http_client::HttpClient;

/// Exchanges `previous.refresh_token` for a new token set. Claims the response omits (the ID
/// token, or the refresh token if the issuer did not rotate it) are kept from `previous`.
pub async fn refresh_tokens(
    http: &dyn HttpClient,
    config: &Config,
    previous: &TokenSet,
) -> Result<TokenSet, RefreshError> {
    request_refresh(http, config, previous)
        .await
        .map_err(|failure| match failure {
            RefreshFailure::Unreachable(reason) => {
                RefreshError::Transient(TransientReason::Network(reason))
            }
            RefreshFailure::Refused { status, body } => classify_response(status, &body),
            RefreshFailure::Unreadable(reason) => {
                RefreshError::Transient(TransientReason::Unexpected(reason))
            }
        })
}
