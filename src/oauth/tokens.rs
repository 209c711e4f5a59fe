//! The tokens a successful sign-in or refresh yields, with what they say about the user.

use super::jwt_claims::{IdentityClaims, InvalidJwt, parse_expiry, parse_identity};
use crate::network_number;
use crate::secret::{AccessToken, IdToken, RefreshToken};
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// The issuer's token endpoint answer (RFC 6749 §5.1), as it arrives.
#[derive(Deserialize)]
pub struct TokenResponse {
    /// The OpenID Connect ID token (absent on some refreshes).
    pub id_token: Option<IdToken>,
    /// The access token.
    pub access_token: AccessToken,
    /// The (rotated) refresh token.
    pub refresh_token: Option<RefreshToken>,
    /// Seconds until the access token expires, when the issuer says. Raw JSON, read through
    /// [`network_number`](crate::network_number): a wrong type here must not fail the sign-in.
    #[serde(default)]
    pub expires_in: Option<serde_json::Value>,
}

/// A complete, checked set of tokens for one account.
#[derive(Clone, Debug)]
pub struct TokenSet {
    /// The ID token.
    pub id_token: IdToken,
    /// The access token.
    pub access_token: AccessToken,
    /// The refresh token.
    pub refresh_token: RefreshToken,
    /// When the access token expires (its `exp` claim, else `expires_in`).
    pub expires_at: DateTime<Utc>,
    /// Who signed in.
    pub identity: IdentityClaims,
}

impl TokenSet {
    /// Checks a token response and reads its claims. `previous` fills what a refresh may omit
    /// (the ID token, or the refresh token when the issuer does not rotate it).
    pub fn from_response(
        response: TokenResponse,
        previous: Option<&TokenSet>,
        now: DateTime<Utc>,
    ) -> Result<Self, InvalidJwt> {
        let id_token = match (response.id_token, previous) {
            (Some(id_token), _) => id_token,
            (None, Some(previous)) => previous.id_token.clone(),
            (None, None) => IdToken::new(""),
        };
        let refresh_token = match (response.refresh_token, previous) {
            (Some(token), _) => token,
            (None, Some(previous)) => previous.refresh_token.clone(),
            (None, None) => RefreshToken::new(""),
        };
        // The ID token names the user; the access token carries the same auth claims, so it
        // serves when the ID token is missing.
        let mut identity = if id_token.secret().is_empty() {
            parse_identity(response.access_token.secret())?
        } else {
            parse_identity(id_token.secret())?
        };
        if (identity.account_id.is_none() || identity.plan.is_none())
            && let Ok(from_access) = parse_identity(response.access_token.secret())
        {
            identity.account_id = identity.account_id.or(from_access.account_id);
            identity.plan = identity.plan.or(from_access.plan);
            identity.email = identity.email.or(from_access.email);
        }
        let expires_at = match parse_expiry(response.access_token.secret()) {
            Ok(expiry) => expiry,
            Err(error) => {
                match network_number::delay(response.expires_in.as_ref(), "expires_in")
                    .and_then(|delay| network_number::after(now, delay))
                {
                    Some(expires_at) => expires_at,
                    None => return Err(error),
                }
            }
        };
        Ok(Self {
            id_token,
            access_token: response.access_token,
            refresh_token,
            expires_at,
            identity,
        })
    }
}
