//! The refresh-token grant on the wire (RFC 6749 §6).
//!
//! `POST {issuer}/oauth/token` with a **JSON** body `{client_id, grant_type: "refresh_token",
//! refresh_token}` (the issuer rejects a body without `client_id`), sent like every issuer
//! request (`oauth::issuer_request`). The answer is a token response whose refresh token
//! replaces the old one: refresh tokens rotate and are single use.
//!
//! This module only speaks the protocol. What a refusal means for the sign-in (sign in again,
//! or keep the credentials and try later), how long a renewal may take, and storing the new set
//! before anything else belong to [`crate::auth`].

use super::issuer_request::{RequestBody, send};
use super::tokens::{TokenResponse, TokenSet};
use crate::config::Config;
use http_client::HttpClient;
use serde::Serialize;

#[derive(Serialize)]
struct RefreshRequest<'a> {
    client_id: &'a str,
    grant_type: &'static str,
    refresh_token: &'a str,
}

/// Why a refresh request gave no new tokens, before anyone decides what that means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefreshFailure {
    /// No answer (connection refused, DNS, TLS, reset): the transport's words, printable.
    Unreachable(String),
    /// The issuer answered an error status; its body (up to the cap) says why.
    Refused {
        /// The HTTP status.
        status: u16,
        /// The answer's body.
        body: Vec<u8>,
    },
    /// A success whose body is not a usable token response.
    Unreadable(String),
}

/// Exchanges `previous.refresh_token` for a new token set. Claims the response omits (the ID
/// token, or the refresh token if the issuer did not rotate it) are kept from `previous`. No
/// time limit here: the caller bounds it.
pub async fn request_refresh(
    http: &dyn HttpClient,
    config: &Config,
    previous: &TokenSet,
) -> Result<TokenSet, RefreshFailure> {
    let body = RequestBody::json(&RefreshRequest {
        client_id: &config.client_id,
        grant_type: "refresh_token",
        refresh_token: previous.refresh_token.secret(),
    });
    let answer = send(http, config, &config.token_url(), body)
        .await
        .map_err(|unreachable| RefreshFailure::Unreachable(unreachable.reason))?;
    if !answer.status.is_success() {
        return Err(RefreshFailure::Refused {
            status: answer.status.as_u16(),
            body: answer.body,
        });
    }
    let response: TokenResponse = serde_json::from_slice(&answer.body).map_err(|_| {
        RefreshFailure::Unreadable("the token answer is not a token response".into())
    })?;
    TokenSet::from_response(response, Some(previous), chrono::Utc::now())
        .map_err(|error| RefreshFailure::Unreadable(error.to_string()))
}
