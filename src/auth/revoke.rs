//! Revoking the refresh token on sign-out (RFC 7009), best effort.
//!
//! `POST {issuer}/oauth/revoke` with JSON `{token, token_type_hint: "refresh_token", client_id}`.
//! Sign-out never waits for it and never fails because of it: the local credentials are deleted
//! either way, and a token that could not be revoked still expires on its own.

use crate::config::Config;
use crate::secret::RefreshToken;
use anyhow::{Result, bail};
use http_client::{AsyncBody, HttpClient, Method, http};
use serde::Serialize;

/// How a sign-out went at the issuer. The local sign-in is deleted either way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Revocation {
    /// The issuer revoked the refresh token.
    Revoked,
    /// Nobody was signed in: there was nothing to revoke.
    NothingToRevoke,
    /// The issuer could not be reached, refused, or did not answer in time (the reason, in
    /// words): the token stays valid at the issuer until it expires.
    Failed(String),
}

#[derive(Serialize)]
struct RevokeRequest<'a> {
    token: &'a str,
    token_type_hint: &'static str,
    client_id: &'a str,
}

/// Asks the issuer to revoke `refresh_token`.
pub async fn revoke_refresh_token(
    http: &dyn HttpClient,
    config: &Config,
    refresh_token: &RefreshToken,
) -> Result<()> {
    let body = serde_json::to_vec(&RevokeRequest {
        token: refresh_token.secret(),
        token_type_hint: "refresh_token",
        client_id: &config.client_id,
    })?;
    let request = http::Request::builder()
        .method(Method::POST)
        .uri(config.revoke_url().as_str())
        .header("Content-Type", "application/json")
        .header("User-Agent", config.user_agent())
        .body(AsyncBody::from(body))?;
    let response = http.send(request).await?;
    if !response.status().is_success() {
        bail!(
            "the issuer answered HTTP {} to the revocation",
            response.status()
        );
    }
    Ok(())
}
