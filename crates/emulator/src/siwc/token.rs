//! `POST /api/accounts/oauth/token` on the official route: the code exchange (siwc.md §1.5) and
//! the refresh with rotation (§1.8), and the tokens both issue (§1.6, §1.7, §9.2).
//!
//! - Only a form body (`application/x-www-form-urlencoded`); a repeated field is refused.
//! - `authorization_code`: the **issued** client id (`dynamic_agent_client` → 400
//!   `invalid_client`, an unknown id → 401 `invalid_client`), a one-time code issued to that
//!   client, the PKCE verifier that hashes to the challenge, the byte-identical `redirect_uri`,
//!   and `resource` = the API. The answer has `access_token`, `refresh_token` (only with the
//!   plan grant, which includes `offline_access`), `id_token` (with the attempt's `nonce`),
//!   `token_type`, `expires_in`, the granted `scope` and `earliest_refresh_at: null`.
//! - `refresh_token`: the issued client id, the current refresh token of that client (a consumed
//!   one → 400 `refresh_token_reused`, a revoked one → 400 `refresh_token_invalidated`, an
//!   unknown one → 400 `invalid_grant`), `resource` required, `scope` refused (§1.8 says to omit
//!   it). It rotates: the answer carries a new refresh token and an ID token without `nonce`.
//! - Errors take the OAuth shape `{"error", "error_description"}` (§1.5, §9.2).

use super::faults::{FaultSite, SiwcFault};
use super::state::{
    API_RESOURCE, DYNAMIC_CLIENT_ID, EMAIL, Grant, NAME, OTHER_SUBJECT, PendingCode,
    RefreshRejection, SUBJECT, SiwcState,
};
use crate::errors::{Rejection, oauth_error};
use crate::issuer::s256;
use crate::state::{now_secs, random_token};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// A fresh set of tokens (its `Debug` shows no token).
#[derive(Clone)]
pub struct TokenSet {
    /// The access token.
    pub access_token: String,
    /// The refresh token, when the grant includes `offline_access`.
    pub refresh_token: Option<String>,
    /// The ID token.
    pub id_token: String,
    /// The granted scope.
    pub grant: Grant,
    /// The access token's lifetime in seconds.
    pub expires_in: i64,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("grant", &self.grant)
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// What goes into one issuance.
pub struct Issuance<'a> {
    /// The issued client id.
    pub client_id: &'a str,
    /// What was granted.
    pub grant: Grant,
    /// The token family.
    pub family: u64,
    /// The attempt's nonce (code exchanges only).
    pub nonce: Option<&'a str>,
    /// The access token's lifetime in seconds (negative: already expired).
    pub lifetime_secs: i64,
}

/// Issues access, refresh and ID tokens, applying a queued ID-token defect when `defects` is
/// [`Defects::Apply`].
pub fn issue(state: &SiwcState, issuance: &Issuance<'_>, defects: Defects) -> TokenSet {
    let issued_at = now_secs();
    let expires_at = issued_at.saturating_add(issuance.lifetime_secs);
    let access_token = state.key.sign(&json!({
        "iss": state.issuer_url,
        "sub": SUBJECT,
        "aud": API_RESOURCE,
        "client_id": issuance.client_id,
        "scope": issuance.grant.scope(),
        "https://api.openai.com/auth": {
            "per_user_salt": random_token("", 12),
            "encrypted_auth_metadata": random_token("", 32),
        },
        "iat": issued_at,
        "nbf": issued_at,
        "exp": expires_at,
        "jti": random_token("", 12),
    }));
    state.remember_access_token(&access_token, issuance.family, expires_at, issuance.grant);
    let refresh_token = (issuance.grant == Grant::Plan)
        .then(|| state.issue_refresh_token(issuance.family, issuance.client_id, issuance.grant));
    let defect = match defects {
        Defects::Apply => state.take_fault(FaultSite::IdToken),
        Defects::Ignore => None,
    };
    let id_token = id_token(state, issuance, issued_at, defect.as_ref());
    TokenSet {
        access_token,
        refresh_token,
        id_token,
        grant: issuance.grant,
        expires_in: issuance.lifetime_secs,
    }
}

/// Whether an issuance takes a queued ID-token defect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Defects {
    /// Takes the next `IdToken…` fault, if one is queued (the token endpoint).
    Apply,
    /// Leaves the queue alone (minted tokens).
    Ignore,
}

/// The ID token (§1.6, §9.2), with `defect` applied.
fn id_token(
    state: &SiwcState,
    issuance: &Issuance<'_>,
    issued_at: i64,
    defect: Option<&SiwcFault>,
) -> String {
    let mut claims = json!({
        "iss": state.issuer_url,
        "aud": issuance.client_id,
        "azp": issuance.client_id,
        "sub": SUBJECT,
        "iat": issued_at,
        "exp": issued_at + 3600,
        "auth_time": issued_at,
        "email": EMAIL,
        "email_verified": true,
        "name": NAME,
    });
    if let Some(nonce) = issuance.nonce {
        claims["nonce"] = json!(nonce);
    }
    match defect {
        Some(SiwcFault::IdTokenWrongIssuer) => claims["iss"] = json!("https://issuer.invalid"),
        Some(SiwcFault::IdTokenWrongAudience) => {
            claims["aud"] = json!("oaiapp_someone_else");
            claims["azp"] = json!("oaiapp_someone_else");
        }
        Some(SiwcFault::IdTokenWrongNonce) => claims["nonce"] = json!("not-this-attempts-nonce"),
        Some(SiwcFault::IdTokenExpired) => {
            claims["iat"] = json!(issued_at - 7200);
            claims["auth_time"] = json!(issued_at - 7200);
            claims["exp"] = json!(issued_at - 3600);
        }
        Some(SiwcFault::IdTokenFutureIat) => {
            claims["iat"] = json!(issued_at + 3600);
            claims["exp"] = json!(issued_at + 7200);
        }
        Some(SiwcFault::IdTokenDifferentSub) => claims["sub"] = json!(OTHER_SUBJECT),
        _ => {}
    }
    let token = state.key.sign(&claims);
    if defect == Some(&SiwcFault::IdTokenBadSignature) {
        super::jwks::spoil_signature(&token)
    } else {
        token
    }
}

/// `POST /api/accounts/oauth/token`: both grants.
pub async fn token(
    State(state): State<Arc<SiwcState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.count(|stats| &mut stats.token_requests);
    match state.take_fault(FaultSite::TokenArrival) {
        Some(SiwcFault::TokenUnavailable) => {
            return oauth_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "The service is temporarily unavailable.",
            );
        }
        Some(SiwcFault::TokenError { status, code }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
            return oauth_error(status, &code, "An error the test asked for.");
        }
        Some(SiwcFault::TokenDelay(delay)) => tokio::time::sleep(delay).await,
        _ => {}
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return invalid_request(
            "The token endpoint takes an application/x-www-form-urlencoded body.",
        );
    }
    let fields = match form_fields(&body) {
        Ok(fields) => fields,
        Err(message) => return invalid_request(&message),
    };
    match fields.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            state.count(|stats| &mut stats.code_exchanges);
            exchange_code(&state, &fields)
        }
        Some("refresh_token") => {
            state.count(|stats| &mut stats.refreshes);
            refresh(&state, &fields)
        }
        Some(_) => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Unsupported grant_type.",
        ),
        None => invalid_request("Missing 'grant_type'."),
    }
}

/// A form's fields; a repeated field or an unreadable form is refused.
pub fn form_fields(body: &[u8]) -> Result<HashMap<String, String>, String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|_| "The form body could not be parsed.".to_string())?;
    let mut fields = HashMap::new();
    for (name, value) in pairs {
        if fields.contains_key(&name) {
            return Err(format!("'{name}' is repeated."));
        }
        fields.insert(name, value);
    }
    Ok(fields)
}

fn invalid_request(message: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_request", message)
}

/// Checks `client_id`: an issued id passes; `dynamic_agent_client` is 400 `invalid_client`
/// (§1.3: an entry point, never used at the token endpoint), any other 401.
pub fn check_client(
    state: &SiwcState,
    fields: &HashMap<String, String>,
) -> Result<String, Rejection> {
    match fields.get("client_id").map(String::as_str) {
        None | Some("") => Err(invalid_request("Missing 'client_id'.").into()),
        Some(DYNAMIC_CLIENT_ID) => Err(Rejection::from(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "dynamic_agent_client is a registration entry point: use the issued client id.",
        ))),
        Some(id) if state.is_issued(id) => Ok(id.to_string()),
        Some(_) => Err(Rejection::from(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Unknown client.",
        ))),
    }
}

fn check_resource(fields: &HashMap<String, String>) -> Result<(), Rejection> {
    match fields.get("resource").map(String::as_str) {
        Some(API_RESOURCE) => Ok(()),
        None | Some("") => Err(invalid_request("Missing 'resource'.").into()),
        Some(_) => Err(Rejection::from(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_target",
            "resource must be https://api.openai.com/v1.",
        ))),
    }
}

/// The code exchange (§1.5).
fn exchange_code(state: &SiwcState, fields: &HashMap<String, String>) -> Response {
    for name in ["code", "redirect_uri", "code_verifier"] {
        if fields.get(name).is_none_or(|value| value.is_empty()) {
            return invalid_request(&format!("Missing '{name}'."));
        }
    }
    let client_id = match check_client(state, fields) {
        Ok(id) => id,
        Err(answer) => return answer.into_response(),
    };
    if let Err(answer) = check_resource(fields) {
        return answer.into_response();
    }
    // Taken before the remaining checks: a code is good for a single attempt.
    let Some(pending): Option<PendingCode> = state.take_code(&fields["code"]) else {
        return invalid_grant("The authorization code is invalid, expired or already used.");
    };
    if pending.client_id != client_id {
        return invalid_grant("The authorization code was issued to another client.");
    }
    if pending.redirect_uri != fields["redirect_uri"] {
        return invalid_grant("redirect_uri does not match the authorization request's.");
    }
    if s256(&fields["code_verifier"]) != pending.code_challenge {
        return invalid_grant("PKCE verification failed: code_verifier does not match.");
    }
    let tokens = issue(
        state,
        &Issuance {
            client_id: &client_id,
            grant: pending.grant,
            family: state.new_family(),
            nonce: Some(&pending.nonce),
            lifetime_secs: state.access_lifetime_secs,
        },
        Defects::Apply,
    );
    token_answer(&tokens, Completeness::Full)
}

fn invalid_grant(message: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", message)
}

/// The refresh grant with rotation (§1.8).
fn refresh(state: &SiwcState, fields: &HashMap<String, String>) -> Response {
    let client_id = match check_client(state, fields) {
        Ok(id) => id,
        Err(answer) => return answer.into_response(),
    };
    if let Err(answer) = check_resource(fields) {
        return answer.into_response();
    }
    if fields.contains_key("scope") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "Omit 'scope' when refreshing: the grant keeps its scopes.",
        );
    }
    let Some(refresh_token) = fields.get("refresh_token").filter(|t| !t.is_empty()) else {
        return invalid_request("Missing 'refresh_token'.");
    };
    let rotation = match state.rotate(&client_id, refresh_token) {
        Ok(rotation) => rotation,
        Err(RefreshRejection::Reused) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "refresh_token_reused",
                "This refresh token was already used.",
            );
        }
        Err(RefreshRejection::Revoked) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "refresh_token_invalidated",
                "This refresh token was revoked.",
            );
        }
        Err(RefreshRejection::Unknown) => return invalid_grant("The refresh token is invalid."),
    };
    let fault = state.take_fault(FaultSite::Refresh);
    let tokens = issue(
        state,
        &Issuance {
            client_id: &client_id,
            grant: rotation.grant,
            family: rotation.family,
            nonce: None,
            lifetime_secs: state.access_lifetime_secs,
        },
        match fault {
            Some(SiwcFault::RefreshWithoutScopeOrIdToken) => Defects::Ignore,
            _ => Defects::Apply,
        },
    );
    match fault {
        Some(SiwcFault::TokenAnswerLostAfterRotation) => lost_answer(),
        Some(SiwcFault::RefreshWithoutScopeOrIdToken) => {
            token_answer(&tokens, Completeness::WithoutScopeOrIdToken)
        }
        _ => token_answer(&tokens, Completeness::Full),
    }
}

/// What a token answer lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Completeness {
    /// Every field of §9.2.
    Full,
    /// No `scope` and no `id_token` (a refresh may omit both, §1.8).
    WithoutScopeOrIdToken,
}

/// A 200 token answer (§1.5, §9.2).
fn token_answer(tokens: &TokenSet, completeness: Completeness) -> Response {
    let mut body = json!({
        "access_token": tokens.access_token,
        "token_type": "Bearer",
        "expires_in": tokens.expires_in,
        "earliest_refresh_at": Value::Null,
    });
    if let Some(refresh_token) = &tokens.refresh_token {
        body["refresh_token"] = json!(refresh_token);
    }
    if completeness == Completeness::Full {
        body["id_token"] = json!(tokens.id_token);
        body["scope"] = json!(tokens.grant.scope());
    }
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A 200 whose body breaks off at once: the connection drops before the client reads the
/// rotated tokens.
fn lost_answer() -> Response {
    let broken = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("the answer was lost"))
    });
    let mut response = Response::new(Body::from_stream(broken));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
