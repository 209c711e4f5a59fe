//! The OAuth 2.0 issuer: `GET /oauth/authorize`, `POST /oauth/token`, `POST /oauth/revoke`.
//!
//! - Authorize (RFC 6749 §4.1.1, RFC 7636 §4.3): every parameter is checked. By default the user
//!   is taken to have consented at once, so the answer is a 302 to the redirect URI with `code`
//!   and `state` (RFC 6749 §4.1.2), or with `error=access_denied` when that fault is queued.
//!   With [`AuthorizePage::Consent`] it is a consent page instead (see [`super::consent`]) whose
//!   "Continue" and "Cancel" post back to `POST /oauth/authorize`, answered with the same 302
//!   (a code, or `error=access_denied` for "Cancel").
//!   A bad client id or redirect URI is never redirected to (RFC 6749 §4.1.2.1): it gets a 400
//!   page, and so do the other bad parameters, to keep the emulator's answers easy to assert on.
//! - Token, authorization-code grant (RFC 6749 §4.1.3, RFC 7636 §4.6): a form body, as the real
//!   client sends; the verifier must hash to the challenge and the redirect URI must repeat the
//!   authorize one; a code is good for one attempt. Errors take the RFC 6749 §5.2 shape.
//! - Token, refresh grant (RFC 6749 §6): a JSON body with `client_id`, as the real issuer
//!   requires; refresh tokens rotate and are single-use (a second use answers 401
//!   `refresh_token_reused`). Errors take the OpenAI API shape `{"error":{"code",…}}`.
//! - Revoke (RFC 7009): a JSON body `{token, token_type_hint, client_id}`; answers 200 whether
//!   or not the token was known (RFC 7009 §2.2).

use super::RedirectPorts;
use super::consent::{AuthorizePage, Decision, consent_page};
use super::errors::{Rejection, api_error, error_page, oauth_error, raw, raw_body};
use super::faults::{Fault, FaultRoute};
use super::state::{IssuedTokens, PendingCode, RefreshRejection, SharedState};
use crate::CLIENT_ID;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::sync::Arc;
use url::Url;

/// The scopes the Codex client asks for; `offline_access` is what earns a refresh token.
pub const SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// An authorize request whose parameters all checked out.
struct AuthorizeRequest {
    redirect_uri: Url,
    code_challenge: String,
    csrf_state: String,
}

/// `GET /oauth/authorize`: checks the request, then redirects at once or shows the consent page
/// (see [`AuthorizePage`]).
pub async fn authorize(
    State(state): State<Arc<SharedState>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let request = match check_authorize_request(&state, &params) {
        Ok(request) => request,
        Err(page) => return page.into_response(),
    };
    match state.options.authorize_page {
        AuthorizePage::InstantRedirect => redirect_to_client(&state, &request, Decision::Continue),
        AuthorizePage::Consent => {
            let fields: Vec<(String, String)> = params.into_iter().collect();
            consent_page(&state.options.account, &fields)
        }
    }
}

/// `POST /oauth/authorize`: the consent page's form, carrying the authorize request again plus
/// `decision=continue|cancel`. The request is checked again: the form comes from the browser.
pub async fn decide(State(state): State<Arc<SharedState>>, body: Bytes) -> Response {
    let Ok(params) = serde_urlencoded::from_bytes::<HashMap<String, String>>(&body) else {
        return error_page(StatusCode::BAD_REQUEST, "The form could not be read.");
    };
    let request = match check_authorize_request(&state, &params) {
        Ok(request) => request,
        Err(page) => return page.into_response(),
    };
    let Some(decision) = params
        .get("decision")
        .and_then(|value| Decision::parse(value))
    else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "decision must be 'continue' or 'cancel'.",
        );
    };
    redirect_to_client(&state, &request, decision)
}

/// Checks every authorize parameter (RFC 6749 §4.1.1, RFC 7636 §4.3); a bad one gets a 400 page,
/// never a redirect (RFC 6749 §4.1.2.1).
fn check_authorize_request(
    state: &SharedState,
    params: &HashMap<String, String>,
) -> Result<AuthorizeRequest, Rejection> {
    let param = |name: &str| params.get(name).map(String::as_str).unwrap_or_default();

    if param("client_id") != CLIENT_ID {
        return Err(Rejection::from(error_page(
            StatusCode::BAD_REQUEST,
            "Unknown client_id.",
        )));
    }
    let redirect_uri = check_redirect_uri(param("redirect_uri"), &state.options.redirect_ports)
        .map_err(|message| Rejection::from(error_page(StatusCode::BAD_REQUEST, &message)))?;
    if param("response_type") != "code" {
        return Err(Rejection::from(error_page(
            StatusCode::BAD_REQUEST,
            "Unsupported response_type: only 'code' is allowed.",
        )));
    }
    check_scope(param("scope"))
        .map_err(|message| Rejection::from(error_page(StatusCode::BAD_REQUEST, &message)))?;
    if param("code_challenge_method") != "S256" {
        return Err(Rejection::from(error_page(
            StatusCode::BAD_REQUEST,
            "code_challenge_method must be S256.",
        )));
    }
    let code_challenge = param("code_challenge");
    if !is_s256_challenge(code_challenge) {
        return Err(Rejection::from(error_page(
            StatusCode::BAD_REQUEST,
            "code_challenge must be the base64url SHA-256 of the verifier (43 characters).",
        )));
    }
    let csrf_state = param("state");
    if csrf_state.is_empty() {
        return Err(Rejection::from(error_page(
            StatusCode::BAD_REQUEST,
            "Missing 'state'.",
        )));
    }
    Ok(AuthorizeRequest {
        redirect_uri,
        code_challenge: code_challenge.to_string(),
        csrf_state: csrf_state.to_string(),
    })
}

/// Sends the browser back to the client (RFC 6749 §4.1.2): with a code when the user continued,
/// with `error=access_denied` when they cancelled or an `AuthorizeDenied` fault is queued.
fn redirect_to_client(
    state: &SharedState,
    request: &AuthorizeRequest,
    decision: Decision,
) -> Response {
    let mut target = request.redirect_uri.clone();
    let denied = match decision {
        Decision::Cancel => Some("you cancelled the sign-in".to_string()),
        Decision::Continue => {
            match state.take_fault(|fault| matches!(fault, Fault::AuthorizeDenied { .. })) {
                Some(Fault::AuthorizeDenied { description }) => Some(description),
                _ => None,
            }
        }
    };
    if let Some(description) = denied {
        target
            .query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair("error_description", &description)
            .append_pair("state", &request.csrf_state);
    } else {
        let code = state.issue_code(PendingCode {
            code_challenge: request.code_challenge.clone(),
            redirect_uri: request.redirect_uri.to_string(),
            client_id: CLIENT_ID.to_string(),
        });
        target
            .query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("scope", &SCOPES.join(" "))
            .append_pair("state", &request.csrf_state);
    }
    // 302 Found, as the real issuer answers (RFC 6749 §4.1.2 examples use 302); after the consent
    // form's POST a browser follows it with a GET, as RFC 9110 §15.4.3 allows.
    (StatusCode::FOUND, [(header::LOCATION, target.to_string())]).into_response()
}

/// The redirect URI must be `http://localhost:{port}/auth/callback` with an allowed port.
fn check_redirect_uri(input: &str, ports: &RedirectPorts) -> Result<Url, String> {
    let url = Url::parse(input).map_err(|_| "redirect_uri is not a valid URL.".to_string())?;
    let port = url.port().unwrap_or(80);
    let registered = url.scheme() == "http"
        && url.host_str() == Some("localhost")
        && url.path() == "/auth/callback"
        && url.query().is_none()
        && url.fragment().is_none();
    if !registered || !ports.allows(port) {
        return Err(format!(
            "redirect_uri is not registered for this client: {input}"
        ));
    }
    Ok(url)
}

fn check_scope(scope: &str) -> Result<(), String> {
    let requested: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
    if let Some(unknown) = requested.iter().find(|s| !SCOPES.contains(s)) {
        return Err(format!("Unknown scope: {unknown}"));
    }
    if !requested.contains(&"openid") || !requested.contains(&"offline_access") {
        return Err("scope must include 'openid' and 'offline_access'.".into());
    }
    Ok(())
}

/// A base64url-encoded SHA-256 digest: 43 characters of the base64url alphabet
/// (RFC 7636 §4.2).
fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A verifier uses the unreserved characters and has 43 to 128 of them (RFC 7636 §4.1).
fn is_valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// `BASE64URL(SHA256(verifier))` (RFC 7636 §4.2).
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// How the token request's body was encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BodyEncoding {
    Form,
    Json,
}

/// `POST /oauth/token`: both grants. The answer leaves after the answer delay
/// ([`SharedState::token_answer_delay`]): by then a refresh has rotated the token, as a real
/// issuer has once it read the request.
pub async fn token(
    State(state): State<Arc<SharedState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let answer = process_token_request(state.clone(), headers, body).await;
    let delay = state.token_answer_delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    answer
}

async fn process_token_request(
    state: Arc<SharedState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.record_issuer_request("/oauth/token", &headers);
    state.count(|stats| &mut stats.token_requests);
    match state.take_fault(|fault| {
        matches!(fault, Fault::TokenStatus { .. } | Fault::TokenHang)
            || fault.is_raw_answer_for(FaultRoute::Token)
    }) {
        Some(Fault::TokenHang) => return std::future::pending().await,
        Some(Fault::TokenStatus { status, body }) => return raw(status, body),
        Some(Fault::RawAnswer {
            status,
            content_type,
            body,
            ..
        }) => return raw_body(status, &content_type, body),
        _ => {}
    }
    let delay = state.token_delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }

    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let (encoding, fields) = if content_type.starts_with("application/x-www-form-urlencoded") {
        match serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) {
            Ok(pairs) => (BodyEncoding::Form, pairs.into_iter().collect()),
            Err(_) => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "The form body could not be parsed.",
                );
            }
        }
    } else if content_type.starts_with("application/json") {
        match serde_json::from_slice::<Map<String, Value>>(&body) {
            Ok(object) => (BodyEncoding::Json, string_fields(object)),
            Err(_) => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "The JSON body could not be parsed.",
                );
            }
        }
    } else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Unsupported content type: send a form or JSON body.",
        );
    };

    match fields.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            state.count(|stats| &mut stats.code_exchanges);
            if encoding != BodyEncoding::Form {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "The authorization_code grant takes an application/x-www-form-urlencoded body.",
                );
            }
            exchange_code(&state, &fields)
        }
        Some("refresh_token") => {
            state.count(|stats| &mut stats.refreshes);
            if encoding != BodyEncoding::Json {
                return refresh_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "The refresh_token grant takes a JSON body.",
                );
            }
            refresh(&state, &fields)
        }
        Some(_) => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Unsupported grant_type.",
        ),
        None => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing 'grant_type'.",
        ),
    }
}

/// The string-valued fields of a JSON object (other values are dropped: they are not valid
/// token-request parameters).
fn string_fields(object: Map<String, Value>) -> HashMap<String, String> {
    object
        .into_iter()
        .filter_map(|(key, value)| match value {
            Value::String(text) => Some((key, text)),
            _ => None,
        })
        .collect()
}

/// The authorization-code grant (RFC 6749 §4.1.3, RFC 7636 §4.5–4.6).
fn exchange_code(state: &SharedState, fields: &HashMap<String, String>) -> Response {
    for name in ["code", "redirect_uri", "client_id", "code_verifier"] {
        if fields.get(name).is_none_or(|value| value.is_empty()) {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &format!("Missing '{name}'."),
            );
        }
    }
    if fields["client_id"] != CLIENT_ID {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Unknown client.",
        );
    }
    // Taken before any other check: a code is good for a single attempt.
    let Some(pending) = state.take_code(&fields["code"]) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "The authorization code is invalid, expired or already used.",
        );
    };
    if pending.client_id != fields["client_id"] {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "The authorization code was issued to another client.",
        );
    }
    if pending.redirect_uri != fields["redirect_uri"] {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "redirect_uri does not match the one the code was issued for.",
        );
    }
    let verifier = &fields["code_verifier"];
    if !is_valid_verifier(verifier) || s256(verifier) != pending.code_challenge {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "PKCE verification failed: code_verifier does not match the code_challenge.",
        );
    }
    token_answer(state.issue_new_grant())
}

/// The refresh grant (RFC 6749 §6), with rotation.
fn refresh(state: &SharedState, fields: &HashMap<String, String>) -> Response {
    match fields.get("client_id").map(String::as_str) {
        None | Some("") => {
            return refresh_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Missing 'client_id'",
            );
        }
        Some(CLIENT_ID) => {}
        Some(_) => {
            return refresh_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Unknown client.",
            );
        }
    }
    let Some(refresh_token) = fields.get("refresh_token").filter(|t| !t.is_empty()) else {
        return refresh_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing 'refresh_token'",
        );
    };
    match state.refresh(refresh_token) {
        Ok(tokens) => token_answer(tokens),
        Err(RefreshRejection::Reused) => refresh_error(
            StatusCode::UNAUTHORIZED,
            "refresh_token_reused",
            "Your refresh token has already been used to generate a new access token. \
             Please try signing in again.",
        ),
        Err(RefreshRejection::Revoked) => refresh_error(
            StatusCode::UNAUTHORIZED,
            "refresh_token_invalidated",
            "Your refresh token has been invalidated. Please try signing in again.",
        ),
        Err(RefreshRejection::Unknown) => refresh_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "The refresh token is invalid. Please try signing in again.",
        ),
    }
}

fn refresh_error(status: StatusCode, code: &str, message: &str) -> Response {
    api_error(status, "invalid_request_error", Some(code), None, message)
}

/// A successful token answer (RFC 6749 §5.1).
fn token_answer(tokens: IssuedTokens) -> Response {
    let mut response = Json(json!({
        "id_token": tokens.id_token,
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "expires_in": tokens.expires_in,
        "token_type": "Bearer",
        "scope": SCOPES.join(" "),
    }))
    .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `POST /oauth/revoke` (RFC 7009).
pub async fn revoke(
    State(state): State<Arc<SharedState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.record_issuer_request("/oauth/revoke", &headers);
    state.count(|stats| &mut stats.revocations);
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    let fields = match serde_json::from_slice::<Map<String, Value>>(&body) {
        Ok(object) if is_json => string_fields(object),
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "The revoke request takes a JSON body.",
            );
        }
    };
    match fields.get("client_id").map(String::as_str) {
        Some(CLIENT_ID) => {}
        None | Some("") => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Missing 'client_id'",
            );
        }
        Some(_) => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Unknown client.",
            );
        }
    }
    let Some(token) = fields.get("token").filter(|t| !t.is_empty()) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing 'token'",
        );
    };
    state.revoke(token);
    Json(json!({})).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7636_appendix_b_known_answer() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn redirect_uris_follow_the_allow_list() {
        let any = RedirectPorts::AnyLoopback;
        let real = RedirectPorts::RealIssuer;
        assert!(check_redirect_uri("http://localhost:1455/auth/callback", &real).is_ok());
        assert!(check_redirect_uri("http://localhost:1457/auth/callback", &real).is_ok());
        assert!(check_redirect_uri("http://localhost:40000/auth/callback", &real).is_err());
        assert!(check_redirect_uri("http://localhost:40000/auth/callback", &any).is_ok());
        for bad in [
            "https://localhost:1455/auth/callback",
            "http://evil.example:1455/auth/callback",
            "http://localhost:1455/other",
            "http://localhost:1455/auth/callback?x=1",
            "not a url",
        ] {
            assert!(check_redirect_uri(bad, &any).is_err(), "{bad}");
        }
    }
}
