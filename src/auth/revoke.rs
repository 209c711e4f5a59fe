//! Revoking the refresh token on sign-out (RFC 7009), best effort.
//!
//! The request (`POST {issuer}/oauth/revoke`) is [`crate::oauth::token_revocation`]'s. Sign-out
//! never waits for it and never fails because of it: the local credentials are deleted either
//! way, and a token that could not be revoked still expires on its own.

use crate::config::Config;
use crate::oauth::token_revocation::{RevokeFailure, revoke_token};
use crate::secret::RefreshToken;
use http_client::HttpClient;

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

/// Asks the issuer to revoke `refresh_token` ([`crate::oauth::token_revocation`]); the caller
/// bounds how long it may take and decides what a failure means for the sign-out.
pub async fn revoke_refresh_token(
    http: &dyn HttpClient,
    config: &Config,
    refresh_token: &RefreshToken,
) -> Result<(), RevokeFailure> {
    revoke_token(http, config, refresh_token).await
}

/// Revokes `tokens`' refresh token on their own route: the Codex route's endpoint, or the
/// official issuer's discovered one with its issued client id (siwc.md §1.9).
pub(crate) async fn revoke_tokens(
    http: &dyn HttpClient,
    config: &Config,
    official: &crate::siwc::OfficialIssuer,
    tokens: &crate::oauth::TokenSet,
) -> Result<(), RevokeFailure> {
    match tokens.route() {
        crate::route::Route::CodexBackend => {
            revoke_refresh_token(http, config, &tokens.refresh_token).await
        }
        crate::route::Route::SignInWithChatGpt => {
            crate::siwc::revoke::revoke(official, tokens).await
        }
    }
}
