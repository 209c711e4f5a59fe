//! The official token endpoint's answer (siwc.md §1.5, §1.8) as a [`TokenSet`].
//!
//! The access token is an opaque bearer here (its `exp`, when it is a readable JWT, else
//! `expires_in`, gives the expiry); who signed in comes from the *verified* ID token; plan use
//! from the answer's granted `scope` (absent on a refresh: the previous one stands).

use super::id_token::VerifiedIdentity;
use super::session::{OfficialSession, PlanUse};
use crate::network_number;
use crate::oauth::{IdentityClaims, TokenSet};
use crate::secret::{AccessToken, IdToken, RefreshToken};
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// The token endpoint's success body.
#[derive(Deserialize)]
pub(crate) struct OfficialTokenResponse {
    pub access_token: AccessToken,
    #[serde(default)]
    pub refresh_token: Option<RefreshToken>,
    #[serde(default)]
    pub id_token: Option<IdToken>,
    #[serde(default)]
    pub expires_in: Option<serde_json::Value>,
    #[serde(default)]
    pub scope: Option<String>,
}

impl OfficialTokenResponse {
    /// The ID token, if the answer carries a non-empty one.
    pub fn id_token(&self) -> Option<&IdToken> {
        self.id_token
            .as_ref()
            .filter(|token| !token.secret().is_empty())
    }
}

/// What the answer is combined with.
pub(crate) struct Known<'a> {
    /// The issued client id.
    pub client_id: &'a str,
    /// Who the verified ID token (or the previous sign-in) names.
    pub identity: VerifiedIdentity,
    /// Plan use when the answer carries no `scope`.
    pub plan_use_if_unsaid: PlanUse,
    /// The set being refreshed (its refresh token stands if none comes back).
    pub previous: Option<&'a TokenSet>,
}

/// Builds the token set; `Err` says what is wrong with the answer (no token in it).
pub(crate) fn token_set(
    response: OfficialTokenResponse,
    known: Known<'_>,
    now: DateTime<Utc>,
) -> Result<TokenSet, String> {
    if response.access_token.secret().is_empty() {
        return Err("the answer had no access token".into());
    }
    let plan_use = response
        .scope
        .as_deref()
        .map_or(known.plan_use_if_unsaid, PlanUse::from_scope);
    let refresh_token = match (response.refresh_token.clone(), known.previous) {
        (Some(token), _) if !token.secret().is_empty() => token,
        (_, Some(previous)) => previous.refresh_token.clone(),
        // An identity-only consent grants no `offline_access`: nothing to refresh with.
        (_, None) => RefreshToken::new(""),
    };
    let expires_at = match crate::oauth::jwt_claims::parse_expiry(response.access_token.secret()) {
        Ok(expiry) => expiry,
        Err(_) => network_number::delay(response.expires_in.as_ref(), "expires_in")
            .and_then(|delay| network_number::after(now, delay))
            .ok_or("the answer did not say when the access token expires")?,
    };
    let email = known.identity.email.clone().or_else(|| {
        known
            .previous
            .and_then(|previous| previous.identity.email.clone())
    });
    let id_token = response.id_token().cloned().or_else(|| {
        known
            .previous
            .and_then(|previous| previous.id_token.clone())
    });
    Ok(TokenSet {
        id_token,
        access_token: response.access_token,
        refresh_token,
        expires_at,
        identity: IdentityClaims {
            email,
            account_id: None,
            plan: None,
            user_id: Some(known.identity.subject.clone()),
        },
        official: Some(OfficialSession {
            client_id: known.client_id.to_string(),
            subject: known.identity.subject,
            plan_use,
        }),
    })
}
