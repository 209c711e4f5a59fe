//! Revocation at sign-out (siwc.md §1.9): `POST` the discovered `revocation_endpoint`, form
//! `token=<refresh token>`, `token_type_hint=refresh_token`, the issued `client_id`. An empty
//! 200 is success (also for a token already dead). The access token is not revoked as well.
//! Whether the sign-out waits, and what a failure means, is [`crate::auth`]'s decision: the
//! sign-in is forgotten locally either way.

use super::issuer::OfficialIssuer;
use crate::oauth::TokenSet;
use crate::oauth::token_revocation::RevokeFailure;

/// Asks the official issuer to revoke `tokens`' refresh token. Unbounded: the caller bounds it.
pub(crate) async fn revoke(
    issuer: &OfficialIssuer,
    tokens: &TokenSet,
) -> Result<(), RevokeFailure> {
    let Some(session) = &tokens.official else {
        return Err(RevokeFailure::Unreachable(
            "not a Sign in with ChatGPT sign-in".into(),
        ));
    };
    if tokens.refresh_token.secret().is_empty() {
        // An identity-only sign-in holds no refresh token: nothing to revoke.
        return Ok(());
    }
    let pairs = [
        ("token", tokens.refresh_token.secret()),
        ("token_type_hint", "refresh_token"),
        ("client_id", session.client_id.as_str()),
    ];
    match issuer.revocation_request(&pairs).await {
        Ok(Some(answer)) if answer.is_success() => Ok(()),
        Ok(Some(answer)) => Err(RevokeFailure::Refused(answer.status)),
        Ok(None) => Err(RevokeFailure::Unreachable(
            "the sign-in server publishes no revocation endpoint".into(),
        )),
        Err(reason) => Err(RevokeFailure::Unreachable(reason)),
    }
}
