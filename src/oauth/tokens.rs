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
    /// `network_number`: a wrong type here must not fail the sign-in.
    #[serde(default)]
    pub expires_in: Option<serde_json::Value>,
}

/// A complete, checked set of tokens for one account.
#[derive(Clone, Debug)]
pub struct TokenSet {
    /// The ID token, when this set came from the issuer. `None` for a set loaded from a
    /// credential store: only the email and plan it names are kept there.
    pub id_token: Option<IdToken>,
    /// The access token.
    pub access_token: AccessToken,
    /// The refresh token.
    pub refresh_token: RefreshToken,
    /// When the access token expires (its `exp` claim, else `expires_in`).
    pub expires_at: DateTime<Utc>,
    /// Who signed in.
    pub identity: IdentityClaims,
    /// The official route's registration and plan use; `None` for a Codex-route sign-in.
    pub official: Option<crate::siwc::OfficialSession>,
}

impl TokenSet {
    /// The route these tokens belong to.
    pub fn route(&self) -> crate::route::Route {
        match self.official {
            Some(_) => crate::route::Route::SignInWithChatGpt,
            None => crate::route::Route::CodexBackend,
        }
    }
}

impl TokenSet {
    /// Checks a token response and reads its claims. `previous` fills what a refresh may omit
    /// (the ID token, or the refresh token when the issuer does not rotate it).
    pub fn from_response(
        response: TokenResponse,
        previous: Option<&TokenSet>,
        now: DateTime<Utc>,
    ) -> Result<Self, InvalidJwt> {
        let id_token = response
            .id_token
            .filter(|token| !token.secret().is_empty())
            .or_else(|| previous.and_then(|previous| previous.id_token.clone()));
        let refresh_token = match (response.refresh_token, previous) {
            (Some(token), _) => token,
            (None, Some(previous)) => previous.refresh_token.clone(),
            (None, None) => RefreshToken::new(""),
        };
        // The ID token names the user; the access token carries the same auth claims, so it
        // serves when the ID token is missing.
        let mut identity = match &id_token {
            Some(id_token) => parse_identity(id_token.secret())?,
            None => parse_identity(response.access_token.secret())?,
        };
        if (identity.account_id.is_none() || identity.plan.is_none())
            && let Ok(from_access) = parse_identity(response.access_token.secret())
        {
            identity.account_id = identity.account_id.or(from_access.account_id);
            identity.plan = identity.plan.or(from_access.plan);
            identity.email = identity.email.or(from_access.email);
        }
        // A refresh of a stored sign-in may name less than the sign-in did (no ID token was
        // kept): what the tokens do not say is still who signed in.
        if let Some(previous) = previous {
            let known = &previous.identity;
            identity.email = identity.email.or_else(|| known.email.clone());
            identity.account_id = identity.account_id.or_else(|| known.account_id.clone());
            identity.plan = identity.plan.or_else(|| known.plan.clone());
            identity.user_id = identity.user_id.or_else(|| known.user_id.clone());
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
            official: None,
        })
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn jwt(payload: serde_json::Value) -> String {
        let encode = |value: serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
        };
        format!(
            "{}.{}.sig",
            encode(serde_json::json!({"alg": "RS256"})),
            encode(payload)
        )
    }

    #[test]
    fn a_refresh_without_an_id_token_keeps_who_signed_in() {
        let now = Utc::now();
        let exp = now.timestamp() + 3600;
        let id = jwt(serde_json::json!({"email": "ada@example.com",
            "https://api.openai.com/auth": {"chatgpt_account_id": "acct", "chatgpt_plan_type": "pro"}}));
        let first = TokenSet::from_response(
            TokenResponse {
                id_token: Some(IdToken::new(id)),
                access_token: AccessToken::new(jwt(serde_json::json!({"exp": exp}))),
                refresh_token: Some(RefreshToken::new("r1")),
                expires_in: None,
            },
            None,
            now,
        )
        .unwrap();
        // As loaded from a store (no ID token kept), then refreshed with an access token that
        // names nobody.
        let stored = TokenSet {
            id_token: None,
            ..first
        };
        let refreshed = TokenSet::from_response(
            TokenResponse {
                id_token: None,
                access_token: AccessToken::new(jwt(serde_json::json!({"exp": exp + 60}))),
                refresh_token: Some(RefreshToken::new("r2")),
                expires_in: None,
            },
            Some(&stored),
            now,
        )
        .unwrap();
        assert!(refreshed.id_token.is_none());
        assert_eq!(refreshed.identity.email.as_deref(), Some("ada@example.com"));
        assert_eq!(refreshed.identity.account_id.as_deref(), Some("acct"));
        assert_eq!(refreshed.identity.plan, Some(super::super::PlanType::Pro));
        assert_eq!(refreshed.refresh_token.secret(), "r2");
    }
}
