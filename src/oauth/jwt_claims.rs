//! Reading the claims the issuer puts in its JWTs.
//!
//! The payload is decoded without verifying the signature: the token came straight from the
//! issuer over TLS, and the backend verifies it on every request anyway. A malformed token is an
//! [`InvalidJwt`] error, never a panic; numeric claims go through `network_number`.
use crate::network_number;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The claim namespace holding the ChatGPT account, user and plan.
pub const AUTH_CLAIM: &str = "https://api.openai.com/auth";
/// The claim namespace holding the profile (a fallback source of the email).
pub const PROFILE_CLAIM: &str = "https://api.openai.com/profile";

/// Why a token's claims could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the issuer sent a malformed token: {reason}")]
pub struct InvalidJwt {
    reason: &'static str,
}

impl InvalidJwt {
    fn new(reason: &'static str) -> Self {
        Self { reason }
    }
}

/// A ChatGPT plan, as named in the `chatgpt_plan_type` claim.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum PlanType {
    /// Free.
    Free,
    /// Go.
    Go,
    /// Plus.
    Plus,
    /// Pro.
    Pro,
    /// Team.
    Team,
    /// Business.
    Business,
    /// Enterprise.
    Enterprise,
    /// Edu.
    Edu,
    /// A plan this crate does not know by name.
    Other(String),
}

impl From<String> for PlanType {
    fn from(value: String) -> Self {
        match value.to_ascii_lowercase().as_str() {
            "free" => Self::Free,
            "go" => Self::Go,
            "plus" => Self::Plus,
            "pro" => Self::Pro,
            "team" => Self::Team,
            "business" => Self::Business,
            "enterprise" => Self::Enterprise,
            "edu" => Self::Edu,
            _ => Self::Other(value),
        }
    }
}

impl From<PlanType> for String {
    fn from(plan: PlanType) -> Self {
        match plan {
            PlanType::Other(name) => name,
            known => known.wire_name().to_string(),
        }
    }
}

impl PlanType {
    /// The claim's value, e.g. `"plus"`.
    pub fn wire_name(&self) -> &str {
        match self {
            Self::Free => "free",
            Self::Go => "go",
            Self::Plus => "plus",
            Self::Pro => "pro",
            Self::Team => "team",
            Self::Business => "business",
            Self::Enterprise => "enterprise",
            Self::Edu => "edu",
            Self::Other(name) => name,
        }
    }
}

impl fmt::Display for PlanType {
    /// The name people know, e.g. "Plus".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::Free => "Free",
            Self::Go => "Go",
            Self::Plus => "Plus",
            Self::Pro => "Pro",
            Self::Team => "Team",
            Self::Business => "Business",
            Self::Enterprise => "Enterprise",
            Self::Edu => "Edu",
            Self::Other(name) => name,
        };
        f.write_str(name)
    }
}

/// Who signed in, read from the ID token (or the access token, which carries the same claims).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityClaims {
    /// The user's email.
    pub email: Option<String>,
    /// The ChatGPT account (workspace) id, sent as `ChatGPT-Account-Id`.
    pub account_id: Option<String>,
    /// The plan.
    pub plan: Option<PlanType>,
    /// The ChatGPT user id.
    pub user_id: Option<String>,
}

#[derive(Deserialize)]
struct RawClaims {
    email: Option<String>,
    /// Raw JSON, read through [`network_number`]: a float or string `exp` is an unusable expiry,
    /// not an unreadable token.
    #[serde(default)]
    exp: Option<serde_json::Value>,
    #[serde(rename = "https://api.openai.com/auth")]
    auth: Option<RawAuthClaims>,
    #[serde(rename = "https://api.openai.com/profile")]
    profile: Option<RawProfileClaims>,
}

#[derive(Deserialize)]
struct RawAuthClaims {
    chatgpt_account_id: Option<String>,
    chatgpt_plan_type: Option<String>,
    chatgpt_user_id: Option<String>,
    user_id: Option<String>,
}

#[derive(Deserialize)]
struct RawProfileClaims {
    email: Option<String>,
}

fn decode_payload(jwt: &str) -> Result<RawClaims, InvalidJwt> {
    let mut parts = jwt.split('.');
    let (Some(_header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(InvalidJwt::new("expected three dot-separated parts"));
    };
    // Some issuers pad; base64url without padding is the JWS rule (RFC 7515 §2).
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| InvalidJwt::new("the payload is not base64url"))?;
    serde_json::from_slice(&bytes).map_err(|_| InvalidJwt::new("the payload is not a JSON object"))
}

/// Reads who signed in from a JWT.
pub fn parse_identity(jwt: &str) -> Result<IdentityClaims, InvalidJwt> {
    let raw = decode_payload(jwt)?;
    let auth = raw.auth;
    Ok(IdentityClaims {
        email: raw
            .email
            .or(raw.profile.and_then(|profile| profile.email))
            .map(|email| crate::printable::one_line(&email, 320)),
        account_id: auth.as_ref().and_then(|a| a.chatgpt_account_id.clone()),
        plan: auth
            .as_ref()
            .and_then(|a| a.chatgpt_plan_type.as_deref())
            .map(|plan| PlanType::from(crate::printable::one_line(plan, 40))),
        user_id: auth.and_then(|a| a.chatgpt_user_id.or(a.user_id)),
    })
}

/// Reads the `exp` claim (seconds since the epoch) of a JWT.
pub fn parse_expiry(jwt: &str) -> Result<DateTime<Utc>, InvalidJwt> {
    let exp = decode_payload(jwt)?
        .exp
        .filter(|exp| !exp.is_null())
        .ok_or_else(|| InvalidJwt::new("the token has no expiry"))?;
    network_number::unix_time(Some(&exp), "the token's exp claim")
        .ok_or_else(|| InvalidJwt::new("the token's expiry is not a usable time"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn jwt(payload: serde_json::Value) -> String {
        format!(
            "{}.{}.sig",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#),
            URL_SAFE_NO_PAD.encode(payload.to_string())
        )
    }

    #[test]
    fn reads_the_real_claim_layout() {
        let token = jwt(serde_json::json!({
            "email": "ada@example.com",
            "exp": 1_900_000_000,
            AUTH_CLAIM: {
                "chatgpt_account_id": "acct-1",
                "chatgpt_plan_type": "plus",
                "chatgpt_user_id": "user-1"
            }
        }));
        let claims = parse_identity(&token).unwrap();
        assert_eq!(claims.email.as_deref(), Some("ada@example.com"));
        assert_eq!(claims.account_id.as_deref(), Some("acct-1"));
        assert_eq!(claims.plan, Some(PlanType::Plus));
        assert_eq!(claims.plan.unwrap().to_string(), "Plus");
        assert_eq!(claims.user_id.as_deref(), Some("user-1"));
        assert_eq!(parse_expiry(&token).unwrap().timestamp(), 1_900_000_000);
    }

    #[test]
    fn falls_back_to_the_profile_email_and_keeps_unknown_plans() {
        let token = jwt(serde_json::json!({
            PROFILE_CLAIM: {"email": "bo@example.com"},
            AUTH_CLAIM: {"chatgpt_plan_type": "galaxy"}
        }));
        let claims = parse_identity(&token).unwrap();
        assert_eq!(claims.email.as_deref(), Some("bo@example.com"));
        assert_eq!(claims.plan, Some(PlanType::Other("galaxy".into())));
    }

    #[test]
    fn malformed_tokens_are_errors_not_panics() {
        for bad in [
            "",
            "a",
            "a.b",
            "a.b.c.d",
            "a.!!!.c",
            "a.bm90IGpzb24.c",
            "..",
            "a..c",
        ] {
            assert!(parse_identity(bad).is_err(), "{bad:?}");
        }
        let no_exp = jwt(serde_json::json!({"email": "x@example.com"}));
        assert!(parse_expiry(&no_exp).is_err());
        let huge = jwt(serde_json::json!({"exp": i64::MAX}));
        assert!(parse_expiry(&huge).is_err());
    }
}
