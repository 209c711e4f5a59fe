//! Token revocation on the wire (RFC 7009).
//!
//! `POST {issuer}/oauth/revoke` with JSON `{token, token_type_hint: "refresh_token", client_id}`,
//! sent like every issuer request (`oauth::issuer_request`). Whether a sign-out waits for it,
//! and for how long, is [`crate::auth`]'s decision.

use super::issuer_request::{RequestBody, send};
use crate::config::Config;
use crate::secret::RefreshToken;
use http_client::HttpClient;
use http_client::http::StatusCode;
use serde::Serialize;

#[derive(Serialize)]
struct RevokeRequest<'a> {
    token: &'a str,
    token_type_hint: &'static str,
    client_id: &'a str,
}

/// Why the issuer did not revoke the token, in words (never the token).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RevokeFailure {
    /// No answer: the transport's words, printable.
    #[error("{0}")]
    Unreachable(String),
    /// The issuer answered an error status.
    #[error("the issuer answered HTTP {0} to the revocation")]
    Refused(StatusCode),
}

/// Asks the issuer to revoke `refresh_token`. No time limit here: the caller bounds it.
pub async fn revoke_token(
    http: &dyn HttpClient,
    config: &Config,
    refresh_token: &RefreshToken,
) -> Result<(), RevokeFailure> {
    let body = RequestBody::json(&RevokeRequest {
        token: refresh_token.secret(),
        token_type_hint: "refresh_token",
        client_id: &config.client_id,
    });
    let answer = send(http, config, &config.revoke_url(), body)
        .await
        .map_err(|unreachable| RevokeFailure::Unreachable(unreachable.reason))?;
    if !answer.status.is_success() {
        return Err(RevokeFailure::Refused(answer.status));
    }
    Ok(())
}
