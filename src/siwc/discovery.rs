//! The official issuer's OpenID configuration (`/.well-known/openid-configuration`, siwc.md
//! §1.1): every endpoint the route calls comes from it, and its `issuer` must be the configured
//! issuer exactly (OpenID Connect Discovery §4.3).

use super::error::SiwcError;
use serde::Deserialize;
use url::Url;

/// The endpoints the route uses, as the issuer publishes them.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Discovery {
    /// The issuer identifier; ID tokens carry it as `iss`.
    pub issuer: String,
    /// Where the browser goes to sign in.
    pub authorization_endpoint: Url,
    /// Code exchange and refresh.
    pub token_endpoint: Url,
    /// Revocation at sign-out (absent: nothing to revoke with).
    #[serde(default)]
    pub revocation_endpoint: Option<Url>,
    /// The signing keys of ID tokens.
    pub jwks_uri: Url,
}

impl Discovery {
    /// Reads a discovery document and checks it names `expected` (trailing slashes aside).
    pub(crate) fn parse(body: &[u8], expected: &Url) -> Result<Self, SiwcError> {
        let discovery: Discovery = serde_json::from_slice(body).map_err(|error| {
            SiwcError::Discovery(format!("its answer could not be read: {error}"))
        })?;
        let expected = expected.as_str().trim_end_matches('/');
        if discovery.issuer.trim_end_matches('/') != expected {
            return Err(SiwcError::IssuerMismatch {
                expected: expected.to_string(),
                found: crate::printable::one_line(&discovery.issuer, 200),
            });
        }
        Ok(discovery)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issuer_must_be_the_configured_one() {
        let expected = Url::parse("https://auth.openai.com").unwrap();
        let document = |issuer: &str| {
            serde_json::json!({
                "issuer": issuer,
                "authorization_endpoint": "https://auth.openai.com/api/accounts/authorize",
                "token_endpoint": "https://auth.openai.com/api/accounts/oauth/token",
                "revocation_endpoint": "https://auth.openai.com/api/accounts/oauth/revoke",
                "jwks_uri": "https://auth.openai.com/.well-known/jwks.json",
            })
            .to_string()
        };
        let found =
            Discovery::parse(document("https://auth.openai.com").as_bytes(), &expected).unwrap();
        assert_eq!(
            found.token_endpoint.as_str(),
            "https://auth.openai.com/api/accounts/oauth/token"
        );
        let error =
            Discovery::parse(document("https://evil.example").as_bytes(), &expected).unwrap_err();
        assert!(matches!(error, SiwcError::IssuerMismatch { .. }), "{error}");
        assert!(matches!(
            Discovery::parse(b"<html>", &expected),
            Err(SiwcError::Discovery(_))
        ));
    }
}
