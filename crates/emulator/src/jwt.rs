//! Minting the issuer's JWTs (RFC 7519): `base64url(header).base64url(payload).base64url(sig)`.
//!
//! The claim layout is the real issuer's: `email`, `exp`, `iat`, and the namespaced claims
//! `https://api.openai.com/auth` (`chatgpt_account_id`, `chatgpt_plan_type`, `chatgpt_user_id`)
//! and `https://api.openai.com/profile` (`email`). The signature is "signed-looking": a SHA-256
//! over the signing input and a per-emulator key. Clients never verify it (they decode the
//! payload only), and the emulator recognises its own tokens by remembering them, not by
//! checking the signature.

use super::EmulatedAccount;
use crate::CLIENT_ID;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// The namespaced claim holding the ChatGPT account, plan and user.
pub const AUTH_CLAIM: &str = "https://api.openai.com/auth";
/// The namespaced claim holding the profile (e-mail).
pub const PROFILE_CLAIM: &str = "https://api.openai.com/profile";

/// Which of the issuer's two JWTs to mint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// The OpenID Connect ID token: audience is the client.
    Id,
    /// The access token the backend accepts: audience is the API.
    Access,
}

/// What goes into one token.
pub struct Claims<'a> {
    /// Whose token it is.
    pub account: &'a EmulatedAccount,
    /// The issuer URL (the `iss` claim).
    pub issuer: &'a str,
    /// Issued at, seconds since the epoch.
    pub issued_at: i64,
    /// Expires at, seconds since the epoch.
    pub expires_at: i64,
    /// A unique token id (the `jti` claim), so that two tokens minted in the same second differ.
    pub token_id: &'a str,
}

/// Mints a JWT of the given kind, signed with `key`.
pub fn mint(kind: TokenKind, claims: &Claims<'_>, key: &[u8]) -> String {
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": "emulator"});
    let payload = payload(kind, claims);
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    );
    let signature = Sha256::new()
        .chain_update(key)
        .chain_update(signing_input.as_bytes())
        .finalize();
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn payload(kind: TokenKind, claims: &Claims<'_>) -> Value {
    let account = claims.account;
    let auth = json!({
        "chatgpt_account_id": account.account_id,
        "chatgpt_plan_type": account.plan,
        "chatgpt_user_id": account.user_id,
        "user_id": account.user_id,
    });
    let profile = json!({"email": account.email, "email_verified": true});
    let audience = match kind {
        TokenKind::Id => json!([CLIENT_ID]),
        TokenKind::Access => json!(["https://api.openai.com/v1"]),
    };
    let mut payload = json!({
        "iss": claims.issuer,
        "sub": format!("auth0|{}", account.user_id),
        "aud": audience,
        "iat": claims.issued_at,
        "nbf": claims.issued_at,
        "exp": claims.expires_at,
        "jti": claims.token_id,
        "email": account.email,
        "email_verified": true,
        AUTH_CLAIM: auth,
        PROFILE_CLAIM: profile,
    });
    if kind == TokenKind::Access {
        payload["client_id"] = json!(CLIENT_ID);
        payload["scp"] = json!(["openid", "profile", "email", "offline_access"]);
    } else {
        payload["auth_time"] = json!(claims.issued_at);
    }
    payload
}
