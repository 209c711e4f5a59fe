//! Verifying the official issuer's ID token (siwc.md §1.6, §1.8) with `jsonwebtoken` against the
//! issuer's JWKS.
//!
//! Checked, in this order, each failure its own [`IdTokenDefect`]: an RS256 JWT signed by one of
//! the published keys; `iss` = the discovered issuer; `aud` = the issued client id (and `azp`,
//! when present); `exp` not passed and `iat` not in the future, with [`CLOCK_SKEW_SECS`] of
//! skew; `nonce` = this attempt's (a sign-in; a refresh has none); and, for a returning account
//! or a refresh, the same `sub` as before.

use super::CLOCK_SKEW_SECS;
use super::error::IdTokenDefect;
use crate::secret::{IdToken, Nonce};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;

/// What the token must say.
#[derive(Clone, Copy, Debug)]
pub struct Expected<'a> {
    /// The issuer (`iss`), from discovery.
    pub issuer: &'a str,
    /// The issued client id (`aud`, `azp`).
    pub client_id: &'a str,
    /// This sign-in's nonce; `None` on a refresh.
    pub nonce: Option<&'a Nonce>,
    /// The user this account was signed in as, when known.
    pub subject: Option<&'a str>,
}

/// Who a verified ID token names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedIdentity {
    /// The user's stable id (`sub`).
    pub subject: String,
    /// The email, a label only.
    pub email: Option<String>,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    iat: Option<i64>,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

/// Verifies `token` with `keys` (see the module docs); `now` is the Unix time.
pub fn verify(
    token: &IdToken,
    keys: &JwkSet,
    expected: Expected<'_>,
    now: i64,
) -> Result<VerifiedIdentity, IdTokenDefect> {
    let header = decode_header(token.secret())
        .map_err(|_| IdTokenDefect::Malformed("its header cannot be read".into()))?;
    if header.alg != Algorithm::RS256 {
        return Err(IdTokenDefect::Malformed(format!(
            "signed with {:?}, not RS256",
            header.alg
        )));
    }
    let jwk = match &header.kid {
        Some(kid) => keys.find(kid),
        None if keys.keys.len() == 1 => keys.keys.first(),
        None => None,
    }
    .ok_or(IdTokenDefect::UnknownKey)?;
    let key = DecodingKey::from_jwk(jwk)
        .map_err(|_| IdTokenDefect::Malformed("the issuer's key cannot be used".into()))?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.leeway = CLOCK_SKEW_SECS;
    validation.set_issuer(&[expected.issuer]);
    validation.set_audience(&[expected.client_id]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let claims = decode::<Claims>(token.secret(), &key, &validation)
        .map_err(|error| match error.kind() {
            ErrorKind::InvalidSignature => IdTokenDefect::Signature,
            ErrorKind::ExpiredSignature => IdTokenDefect::Expired,
            ErrorKind::InvalidIssuer => IdTokenDefect::Issuer,
            ErrorKind::InvalidAudience => IdTokenDefect::Audience,
            ErrorKind::MissingRequiredClaim(claim) => {
                IdTokenDefect::Malformed(format!("it has no `{claim}` claim"))
            }
            _ => IdTokenDefect::Malformed("its claims cannot be read".into()),
        })?
        .claims;
    let skew = i64::try_from(CLOCK_SKEW_SECS).unwrap_or(0);
    match claims.iat {
        None => return Err(IdTokenDefect::Malformed("it has no `iat` claim".into())),
        Some(iat) if iat > now.saturating_add(skew) => return Err(IdTokenDefect::IssuedInFuture),
        Some(_) => {}
    }
    if claims
        .azp
        .as_deref()
        .is_some_and(|azp| azp != expected.client_id)
    {
        return Err(IdTokenDefect::Audience);
    }
    if let Some(nonce) = expected.nonce
        && claims.nonce.as_deref() != Some(nonce.secret())
    {
        return Err(IdTokenDefect::Nonce);
    }
    if let Some(subject) = expected.subject
        && claims.sub != subject
    {
        return Err(IdTokenDefect::DifferentUser);
    }
    Ok(VerifiedIdentity {
        subject: claims.sub,
        email: claims.email,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_and_unknown_tokens_are_named_not_quoted() {
        let keys: JwkSet = serde_json::from_value(serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig", "n": "sXch", "e": "AQAB"}
        ]}))
        .unwrap();
        let expected = Expected {
            issuer: "https://auth.openai.com",
            client_id: "oaiapp_1",
            nonce: None,
            subject: None,
        };
        let secret = "not-a-jwt-secret";
        let defect = verify(&IdToken::new(secret), &keys, expected, 0).unwrap_err();
        assert!(matches!(defect, IdTokenDefect::Malformed(_)), "{defect:?}");
        assert!(!defect.to_string().contains(secret));
        // A header naming another key.
        use base64::Engine as _;
        let encode = |value: serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
        };
        let token = format!(
            "{}.{}.c2ln",
            encode(serde_json::json!({"alg": "RS256", "kid": "other"})),
            encode(serde_json::json!({"sub": "u"}))
        );
        assert_eq!(
            verify(&IdToken::new(token), &keys, expected, 0),
            Err(IdTokenDefect::UnknownKey)
        );
    }
}
