//! `GET /api/accounts/authorize` on the official route (siwc.md §1.3, §1.4, §9.1): checks every
//! parameter, registers the agent on a first sign-in, and sends the browser back to the client.
//!
//! - `client_id` is `dynamic_agent_client` *with* `agent_name_hint` (a first registration, no
//!   `id_token_hint`), or an id this emulator issued *without* `agent_name_hint` (a
//!   re-authorization, where `id_token_hint`, `login_hint` and `prompt=consent` are accepted).
//! - `ext_agent_host_id` is `urn:uuid:<UUID>`, `urn:ietf:params:oauth:jwk-thumbprint:<…>` or
//!   `did:key:z<…>`; `redirect_uri` is `http://127.0.0.1:<port>/auth/callback` (never
//!   `localhost`); `response_type=code`; the complete scope set; `resource` = the API; S256 PKCE;
//!   `state` and `nonce` present; no parameter repeated.
//! - A bad parameter gets a 400 page naming it, never a redirect (RFC 6749 §4.1.2.1).
//! - Then, by [`SiwcConsent`]: a 302 to `redirect_uri?code&scope&state&client_id` (the issued id
//!   on a first registration only; a host keeps its issued id), `error=access_denied`, an
//!   identity-only grant, or the consent page ([`super::consent_page`]) whose buttons post back
//!   here (`POST`) with `decision`.

use super::consent_page::{Decision, consent_page};
use super::faults::{FaultSite, SiwcFault};
use super::state::{
    API_RESOURCE, DYNAMIC_CLIENT_ID, Grant, PendingCode, REQUESTED_SCOPES, SiwcConsent, SiwcState,
};
use crate::errors::{Rejection, error_page};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Arc;
use url::Url;

/// Which sign-in an authorize request is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Registration {
    /// `dynamic_agent_client`: the agent registers on this host.
    First {
        /// `ext_agent_host_id`.
        host_id: String,
    },
    /// An issued id: a returning account.
    Reauthorization {
        /// The issued id.
        client_id: String,
    },
}

/// An authorize request whose parameters all checked out.
#[derive(Clone, Debug)]
pub struct AuthorizeRequest {
    /// First registration or re-authorization.
    pub registration: Registration,
    /// The redirect URI, byte for byte as sent.
    pub redirect_uri: String,
    /// The S256 challenge.
    pub code_challenge: String,
    /// The client's `state`.
    pub csrf_state: String,
    /// The client's `nonce`.
    pub nonce: String,
    /// `agent_name_hint`, on a first registration.
    pub agent_name: Option<String>,
}

/// `GET /api/accounts/authorize`.
pub async fn authorize(State(state): State<Arc<SiwcState>>, RawQuery(query): RawQuery) -> Response {
    state.count(|stats| &mut stats.authorize_requests);
    let params = match parse_params(query.as_deref().unwrap_or_default().as_bytes()) {
        Ok(params) => params,
        Err(page) => return page.into_response(),
    };
    let request = match check(&state, &params) {
        Ok(request) => request,
        Err(page) => return page.into_response(),
    };
    match state.consent() {
        SiwcConsent::Approve => redirect_to_client(&state, &request, Decision::Continue),
        SiwcConsent::IdentityOnly => {
            redirect_to_client(&state, &request, Decision::ContinueWithoutPlan)
        }
        SiwcConsent::Decline => redirect_to_client(&state, &request, Decision::Cancel),
        SiwcConsent::Page => {
            let fields: Vec<(String, String)> = params.into_iter().collect();
            consent_page(request.agent_name.as_deref(), &fields)
        }
    }
}

/// `POST /api/accounts/authorize`: the consent page's form, the request again plus `decision`.
pub async fn decide(State(state): State<Arc<SiwcState>>, body: Bytes) -> Response {
    let mut params = match parse_params(&body) {
        Ok(params) => params,
        Err(page) => return page.into_response(),
    };
    let Some(decision) = params
        .remove("decision")
        .as_deref()
        .and_then(Decision::parse)
    else {
        return bad_parameter("decision", "must be continue, identity_only or cancel");
    };
    match check(&state, &params) {
        Ok(request) => redirect_to_client(&state, &request, decision),
        Err(page) => page.into_response(),
    }
}

fn parse_params(query: &[u8]) -> Result<HashMap<String, String>, Rejection> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(query).map_err(|_| {
        error_page(
            StatusCode::BAD_REQUEST,
            "The authorization request could not be read.",
        )
    })?;
    let mut params = HashMap::new();
    for (name, value) in pairs {
        if params.contains_key(&name) {
            return Err(reject(&name, "is repeated"));
        }
        params.insert(name, value);
    }
    Ok(params)
}

/// [`bad_parameter`] on its way out of a check.
fn reject(name: &str, problem: &str) -> Rejection {
    bad_parameter(name, problem).into()
}

/// A 400 page naming the bad parameter.
fn bad_parameter(name: &str, problem: &str) -> Response {
    error_page(
        StatusCode::BAD_REQUEST,
        &format!("Invalid authorization request: the '{name}' parameter {problem}."),
    )
}

/// Checks every parameter of §1.3.
fn check(
    state: &SiwcState,
    params: &HashMap<String, String>,
) -> Result<AuthorizeRequest, Rejection> {
    let param = |name: &str| params.get(name).map(String::as_str).unwrap_or_default();
    let present = |name: &str| params.contains_key(name);

    let host_id = param("ext_agent_host_id");
    let registration = match param("client_id") {
        "" => return Err(reject("client_id", "is missing")),
        DYNAMIC_CLIENT_ID => {
            if param("agent_name_hint").trim().is_empty() {
                return Err(reject(
                    "agent_name_hint",
                    "is required on a first registration (client_id=dynamic_agent_client)",
                ));
            }
            if present("id_token_hint") {
                return Err(reject(
                    "id_token_hint",
                    "belongs to a re-authorization with the issued client id",
                ));
            }
            Registration::First {
                host_id: host_id.to_string(),
            }
        }
        issued if state.is_issued(issued) => {
            if present("agent_name_hint") {
                return Err(reject(
                    "agent_name_hint",
                    "must be omitted on a re-authorization with the issued client id",
                ));
            }
            Registration::Reauthorization {
                client_id: issued.to_string(),
            }
        }
        _ => {
            return Err(reject("client_id", "is not a client this issuer knows"));
        }
    };
    if !is_host_id(host_id) {
        return Err(reject(
            "ext_agent_host_id",
            "must be urn:uuid:<UUID>, urn:ietf:params:oauth:jwk-thumbprint:<thumbprint> or did:key:<key>",
        ));
    }
    let redirect_uri = param("redirect_uri");
    check_redirect_uri(redirect_uri).map_err(|problem| reject("redirect_uri", &problem))?;
    if param("response_type") != "code" {
        return Err(reject("response_type", "must be 'code'"));
    }
    check_scope(param("scope")).map_err(|problem| reject("scope", &problem))?;
    if param("resource") != API_RESOURCE {
        return Err(reject("resource", "must be https://api.openai.com/v1"));
    }
    if param("code_challenge_method") != "S256" {
        return Err(reject("code_challenge_method", "must be S256"));
    }
    let code_challenge = param("code_challenge");
    if code_challenge.len() != 43
        || !code_challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(reject(
            "code_challenge",
            "must be the base64url SHA-256 of the verifier (43 characters)",
        ));
    }
    for name in ["state", "nonce"] {
        if param(name).is_empty() {
            return Err(reject(name, "is missing"));
        }
    }
    if present("prompt") && param("prompt") != "consent" {
        return Err(reject("prompt", "may only be 'consent'"));
    }
    Ok(AuthorizeRequest {
        registration,
        redirect_uri: redirect_uri.to_string(),
        code_challenge: code_challenge.to_string(),
        csrf_state: param("state").to_string(),
        nonce: param("nonce").to_string(),
        agent_name: params.get("agent_name_hint").cloned(),
    })
}

/// `ext_agent_host_id`'s accepted forms (§1.2).
pub fn is_host_id(value: &str) -> bool {
    if let Some(uuid) = value.strip_prefix("urn:uuid:") {
        let groups: Vec<&str> = uuid.split('-').collect();
        return groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
            && groups
                .iter()
                .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    if let Some(thumbprint) = value.strip_prefix("urn:ietf:params:oauth:jwk-thumbprint:") {
        return !thumbprint.is_empty()
            && thumbprint
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':'));
    }
    if let Some(key) = value.strip_prefix("did:key:z") {
        return !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric());
    }
    false
}

/// `http://127.0.0.1:<port>/auth/callback`, nothing else (§1.3).
fn check_redirect_uri(input: &str) -> Result<(), String> {
    let url = Url::parse(input).map_err(|_| "is not a URL".to_string())?;
    if url.host_str() == Some("localhost") {
        return Err("must use 127.0.0.1, never localhost".into());
    }
    let valid = url.scheme() == "http"
        && url.host_str() == Some("127.0.0.1")
        && url.port().is_some()
        && url.path() == "/auth/callback"
        && url.query().is_none()
        && url.fragment().is_none();
    if valid {
        Ok(())
    } else {
        Err("must be http://127.0.0.1:<port>/auth/callback".into())
    }
}

/// The complete scope set, nothing unknown (§1.3).
fn check_scope(scope: &str) -> Result<(), String> {
    let requested: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
    if let Some(unknown) = requested.iter().find(|s| !REQUESTED_SCOPES.contains(s)) {
        return Err(format!("holds an unknown scope '{unknown}'"));
    }
    if let Some(missing) = REQUESTED_SCOPES.iter().find(|s| !requested.contains(s)) {
        return Err(format!("lacks '{missing}' (send the complete set)"));
    }
    Ok(())
}

/// Sends the browser back to the client (§1.4), applying a queued authorize fault.
fn redirect_to_client(
    state: &SiwcState,
    request: &AuthorizeRequest,
    decision: Decision,
) -> Response {
    let fault = state.take_fault(FaultSite::Authorize);
    let mut target = match Url::parse(&request.redirect_uri) {
        Ok(url) => url,
        Err(_) => return bad_parameter("redirect_uri", "is not a URL"),
    };
    let csrf_state = if fault == Some(SiwcFault::WrongState) {
        format!("not-{}", request.csrf_state)
    } else {
        request.csrf_state.clone()
    };
    {
        let mut query = target.query_pairs_mut();
        let grant = match decision {
            Decision::Cancel => None,
            Decision::Continue => Some(Grant::Plan),
            Decision::ContinueWithoutPlan => Some(Grant::IdentityOnly),
        };
        match grant {
            None => {
                query
                    .append_pair("error", "access_denied")
                    .append_pair("error_description", "The user declined.")
                    .append_pair("state", &csrf_state);
            }
            Some(grant) => {
                let (client_id, sent_client_id) = match &request.registration {
                    Registration::First { host_id } => {
                        let issued = state.register(host_id);
                        let sent = (fault != Some(SiwcFault::OmitClientIdOnFirstSignIn))
                            .then(|| issued.clone());
                        (issued, sent)
                    }
                    Registration::Reauthorization { client_id } => {
                        let sent = match fault {
                            Some(SiwcFault::ClientIdOnReauthorization) => Some(client_id.clone()),
                            Some(SiwcFault::DifferentClientIdOnReauthorization) => {
                                Some(state.register_without_host())
                            }
                            _ => None,
                        };
                        (client_id.clone(), sent)
                    }
                };
                let code = state.issue_code(PendingCode {
                    client_id,
                    redirect_uri: request.redirect_uri.clone(),
                    code_challenge: request.code_challenge.clone(),
                    nonce: request.nonce.clone(),
                    grant,
                });
                query
                    .append_pair("code", &code)
                    .append_pair("scope", grant.scope())
                    .append_pair("state", &csrf_state);
                if let Some(client_id) = sent_client_id {
                    query.append_pair("client_id", &client_id);
                }
            }
        }
        if fault == Some(SiwcFault::DuplicateState) {
            query.append_pair("state", &csrf_state);
        }
    }
    (StatusCode::FOUND, [(header::LOCATION, target.to_string())]).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_ids_take_the_three_documented_forms() {
        for good in [
            "urn:uuid:4f7c2a3e-9d1b-4c8e-a2f0-1b2c3d4e5f60",
            "urn:ietf:params:oauth:jwk-thumbprint:sha-256:NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        ] {
            assert!(is_host_id(good), "{good}");
        }
        for bad in [
            "",
            "dev@example.invalid",
            "urn:uuid:not-a-uuid",
            "did:web:example.com",
            "urn:ietf:params:oauth:jwk-thumbprint:",
        ] {
            assert!(!is_host_id(bad), "{bad}");
        }
    }

    #[test]
    fn redirect_uris_are_loopback_ip_callbacks() {
        assert!(check_redirect_uri("http://127.0.0.1:1455/auth/callback").is_ok());
        assert!(check_redirect_uri("http://127.0.0.1:54321/auth/callback").is_ok());
        let localhost = check_redirect_uri("http://localhost:1455/auth/callback").unwrap_err();
        assert!(localhost.contains("never localhost"));
        for bad in [
            "https://127.0.0.1:1455/auth/callback",
            "http://127.0.0.1:1455/callback",
            "http://127.0.0.1/auth/callback",
            "http://127.0.0.1:1455/auth/callback?x=1",
        ] {
            assert!(check_redirect_uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scope_must_be_the_complete_set() {
        assert!(check_scope(&REQUESTED_SCOPES.join(" ")).is_ok());
        assert!(check_scope("openid profile email offline_access").is_err());
        assert!(check_scope(&format!("{} extra", REQUESTED_SCOPES.join(" "))).is_err());
    }
}
