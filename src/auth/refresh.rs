//! Renewing tokens with a refresh token (RFC 6749 §6).
//!
//! `POST {issuer}/oauth/token` with a **JSON** body `{client_id, grant_type: "refresh_token",
//! refresh_token}` (the issuer rejects a body without `client_id`). The answer is a token response
//! whose refresh token replaces the old one: refresh tokens rotate and are single use, so the
//! caller must store the new set before anything else. Failures are classified by
//! [`super::refresh_error`]. This module sends one request; the timeout, the sharing between
//! callers and the store belong to [`super::State`].

use super::refresh_error::{RefreshError, TransientReason, classify_response};
use crate::config::Config;
use crate::oauth::{TokenResponse, TokenSet};
use futures::AsyncReadExt as _;
use http_client::{AsyncBody, HttpClient, Method, http};
use serde::Serialize;

/// The largest token-endpoint answer read (they are a few kilobytes).
const MAX_RESPONSE_BYTES: u64 = 1024 * 1024;

#[derive(Serialize)]
struct RefreshRequest<'a> {
    client_id: &'a str,
    grant_type: &'static str,
    refresh_token: &'a str,
}

/// Exchanges `previous.refresh_token` for a new token set. Claims the response omits (the ID
/// token, or the refresh token if the issuer did not rotate it) are kept from `previous`.
pub async fn refresh_tokens(
    http: &dyn HttpClient,
    config: &Config,
    previous: &TokenSet,
) -> Result<TokenSet, RefreshError> {
    let body = serde_json::to_vec(&RefreshRequest {
        client_id: &config.client_id,
        grant_type: "refresh_token",
        refresh_token: previous.refresh_token.secret(),
    })
    .expect("a struct of strings serializes");
    let request = http::Request::builder()
        .method(Method::POST)
        .uri(config.token_url().as_str())
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .header("User-Agent", config.user_agent())
        .body(AsyncBody::from(body))
        .map_err(|error| RefreshError::Transient(TransientReason::Unexpected(error.to_string())))?;

    let response = http
        .send(request)
        .await
        .map_err(|error| RefreshError::Transient(TransientReason::Network(format!("{error:#}"))))?;
    let status = response.status();
    let mut bytes = Vec::new();
    response
        .into_body()
        .take(MAX_RESPONSE_BYTES)
        .read_to_end(&mut bytes)
        .await
        .map_err(|error| RefreshError::Transient(TransientReason::Network(error.to_string())))?;

    if !status.is_success() {
        return Err(classify_response(status.as_u16(), &bytes));
    }
    let response: TokenResponse = serde_json::from_slice(&bytes).map_err(|_| {
        RefreshError::Transient(TransientReason::Unexpected(
            "the token answer is not a token response".into(),
        ))
    })?;
    TokenSet::from_response(response, Some(previous), chrono::Utc::now())
        .map_err(|error| RefreshError::Transient(TransientReason::Unexpected(error.to_string())))
}
