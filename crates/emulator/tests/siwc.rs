//! The official "Sign in with ChatGPT" route of the emulator over real loopback sockets
//! (siwc.md §9): discovery and JWKS, the authorize checks, the code exchange, refresh with
//! rotation, revocation, the API's preview rules and faults, and the 403 for other routes.

use emulator::{Emulator, SiwcConsent, SiwcFault};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use url::Url;

/// RFC 7636 appendix B: a verifier and its S256 challenge.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT_URI: &str = "http://127.0.0.1:40123/auth/callback";
const HOST_ID: &str = "urn:uuid:4f7c2a3e-9d1b-4c8e-a2f0-1b2c3d4e5f60";
const RESOURCE: &str = "https://api.openai.com/v1";
const SCOPE: &str = "openid profile email offline_access resource.invoke chatgpt.tokens.use.direct";

thread_local! {
    /// One client per test thread (each `#[tokio::test]` has its own runtime on its own
    /// thread): building one loads the native root certificates, which is slow.
    static CLIENT: reqwest::Client = reqwest::Client::builder()
        .redirect_policy(reqwest::redirect::Policy::none())
        // Every wait is bounded: a request the emulator never answers fails the test.
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap();
}

fn client() -> reqwest::Client {
    CLIENT.with(Clone::clone)
}

/// A first registration's authorize URL, with `overrides` (an empty value drops the parameter).
fn authorize_url(emulator: &Emulator, overrides: &[(&str, &str)]) -> Url {
    let mut params = vec![
        ("client_id", "dynamic_agent_client"),
        ("agent_name_hint", "Zed"),
        ("ext_agent_host_id", HOST_ID),
        ("redirect_uri", REDIRECT_URI),
        ("scope", SCOPE),
        ("resource", RESOURCE),
        ("state", "state-123"),
        ("nonce", "nonce-456"),
        ("response_type", "code"),
        ("code_challenge_method", "S256"),
        ("code_challenge", CHALLENGE),
    ];
    for (name, value) in overrides {
        params.retain(|(existing, _)| existing != name);
        if !value.is_empty() {
            params.push((name, value));
        }
    }
    Url::parse_with_params(
        &format!("{}/api/accounts/authorize", emulator.siwc_issuer_url()),
        params,
    )
    .unwrap()
}

/// Opens an authorize URL; returns the status and the redirect's query pairs (or the page).
async fn authorize(url: Url) -> (u16, Vec<(String, String)>, String) {
    let response = client().get(url).send().await.unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|value| Url::parse(value.to_str().unwrap()).unwrap());
    let pairs = location
        .map(|url| url.query_pairs().into_owned().collect())
        .unwrap_or_default();
    (status, pairs, response.text().await.unwrap())
}

fn pair<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

async fn post_form(url: String, form: &[(&str, &str)]) -> (u16, Value) {
    let response = client()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).unwrap())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn get_json(url: String) -> Value {
    let text = client()
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn token_url(emulator: &Emulator) -> String {
    format!("{}/api/accounts/oauth/token", emulator.siwc_issuer_url())
}

async fn exchange(emulator: &Emulator, client_id: &str, code: &str) -> (u16, Value) {
    post_form(
        token_url(emulator),
        &[
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("code", code),
            ("code_verifier", VERIFIER),
            ("redirect_uri", REDIRECT_URI),
            ("resource", RESOURCE),
        ],
    )
    .await
}

async fn refresh(emulator: &Emulator, client_id: &str, refresh_token: &str) -> (u16, Value) {
    post_form(
        token_url(emulator),
        &[
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("refresh_token", refresh_token),
            ("resource", RESOURCE),
        ],
    )
    .await
}

/// Signs in through the authorize endpoint and the code exchange; returns the issued client id
/// and the token answer.
async fn sign_in(emulator: &Emulator) -> (String, Value) {
    let (status, pairs, _) = authorize(authorize_url(emulator, &[])).await;
    assert_eq!(status, 302);
    let client_id = pair(&pairs, "client_id").unwrap().to_string();
    let (status, body) = exchange(emulator, &client_id, pair(&pairs, "code").unwrap()).await;
    assert_eq!(status, 200, "{body}");
    (client_id, body)
}

/// Verifies `token` against the emulator's JWKS; returns its claims.
async fn verify_id_token(
    emulator: &Emulator,
    token: &str,
    audience: &str,
) -> Result<Value, jsonwebtoken::errors::Error> {
    let discovery = get_json(format!(
        "{}/.well-known/openid-configuration",
        emulator.siwc_issuer_url()
    ))
    .await;
    let jwks: JwkSet =
        serde_json::from_value(get_json(discovery["jwks_uri"].as_str().unwrap().to_string()).await)
            .unwrap();
    let header = jsonwebtoken::decode_header(token)?;
    let jwk = jwks.find(header.kid.as_deref().unwrap()).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[discovery["issuer"].as_str().unwrap()]);
    validation.set_audience(&[audience]);
    validation.leeway = 5;
    let data = jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk)?, &validation)?;
    Ok(data.claims)
}

#[tokio::test]
async fn discovery_names_the_endpoints_and_the_jwks_verifies_a_minted_id_token() {
    let emulator = Emulator::start().unwrap();
    let base = emulator.siwc_issuer_url();
    assert_ne!(
        base,
        emulator.issuer_url(),
        "the official route has its own listener"
    );
    assert_eq!(emulator.siwc_api_url(), format!("{base}/v1"));
    let discovery = get_json(format!("{base}/.well-known/openid-configuration")).await;
    assert_eq!(discovery["issuer"], base);
    assert_eq!(
        discovery["authorization_endpoint"],
        format!("{base}/api/accounts/authorize")
    );
    assert_eq!(
        discovery["token_endpoint"],
        format!("{base}/api/accounts/oauth/token")
    );
    assert_eq!(
        discovery["revocation_endpoint"],
        format!("{base}/api/accounts/oauth/revoke")
    );
    assert_eq!(
        discovery["code_challenge_methods_supported"],
        json!(["S256"])
    );

    let minted = emulator.siwc_mint_tokens(3600);
    assert!(minted.client_id.starts_with("oaiapp_fake_"));
    let claims = verify_id_token(&emulator, &minted.id_token, &minted.client_id)
        .await
        .unwrap();
    assert_eq!(claims["sub"], minted.sub);
    assert_eq!(claims["email"], "dev@example.invalid");
    assert!(!format!("{minted:?}").contains(&minted.access_token));
    // A token signed by another key (here: a spoiled signature) does not verify.
    emulator.inject_siwc(SiwcFault::IdTokenBadSignature);
    let (_, token) = sign_in(&emulator).await;
    let client_id = emulator
        .siwc_stats()
        .issued_client_ids
        .last()
        .unwrap()
        .clone();
    assert!(
        verify_id_token(&emulator, token["id_token"].as_str().unwrap(), &client_id)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn authorize_token_refresh_and_revoke_work_end_to_end() {
    let emulator = Emulator::start().unwrap();
    let (status, pairs, _) = authorize(authorize_url(&emulator, &[])).await;
    assert_eq!(status, 302);
    assert_eq!(pair(&pairs, "state"), Some("state-123"));
    let client_id = pair(&pairs, "client_id").unwrap().to_string();
    assert_eq!(client_id, "oaiapp_fake_1");
    assert!(
        pair(&pairs, "scope")
            .unwrap()
            .contains("chatgpt.tokens.use.direct")
    );
    let code = pair(&pairs, "code").unwrap().to_string();

    // The entry-point id never works at the token endpoint.
    let (status, body) = exchange(&emulator, "dynamic_agent_client", &code).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_client"))
    );
    let (status, body) = exchange(&emulator, &client_id, &code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["earliest_refresh_at"], Value::Null);
    assert!(
        body["scope"]
            .as_str()
            .unwrap()
            .contains("chatgpt.tokens.use.direct")
    );
    let claims = verify_id_token(&emulator, body["id_token"].as_str().unwrap(), &client_id)
        .await
        .unwrap();
    assert_eq!(claims["nonce"], "nonce-456");
    // A code is good once.
    let (status, body2) = exchange(&emulator, &client_id, &code).await;
    assert_eq!(
        (status, body2["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    // Refresh rotates; the consumed token is refused as reused.
    let first = body["refresh_token"].as_str().unwrap().to_string();
    let (status, rotated) = refresh(&emulator, &client_id, &first).await;
    assert_eq!(status, 200, "{rotated}");
    let second = rotated["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(first, second);
    let refreshed_claims =
        verify_id_token(&emulator, rotated["id_token"].as_str().unwrap(), &client_id)
            .await
            .unwrap();
    assert_eq!(refreshed_claims["sub"], claims["sub"]);
    let (status, reused) = refresh(&emulator, &client_id, &first).await;
    assert_eq!(
        (status, reused["error"].as_str()),
        (400, Some("refresh_token_reused"))
    );
    // `scope` on a refresh and a missing `resource` are refused.
    let (status, _) = post_form(
        token_url(&emulator),
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &client_id),
            ("refresh_token", &second),
        ],
    )
    .await;
    assert_eq!(status, 400);
    // A JSON body is refused: the endpoint takes forms only.
    let response = client()
        .post(token_url(&emulator))
        .header("content-type", "application/json")
        .body(
            json!({"grant_type": "refresh_token", "client_id": client_id,
                   "refresh_token": second, "resource": RESOURCE})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);

    // Revocation: an empty 200, and the token stops working.
    let revoke_url = format!("{}/api/accounts/oauth/revoke", emulator.siwc_issuer_url());
    let form = [
        ("token", second.as_str()),
        ("token_type_hint", "refresh_token"),
        ("client_id", client_id.as_str()),
    ];
    let response = client()
        .post(&revoke_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.text().await.unwrap().is_empty());
    let (status, _) = refresh(&emulator, &client_id, &second).await;
    assert_eq!(status, 400);
    // Unknown tokens are revoked "successfully" too (RFC 7009 §2.2).
    let (status, _) = post_form(
        revoke_url,
        &[("token", "rt_unknown"), ("client_id", client_id.as_str())],
    )
    .await;
    assert_eq!(status, 200);
    let stats = emulator.siwc_stats();
    assert_eq!(stats.rotations, 1);
    assert_eq!(stats.revocations, 2);
    assert!(stats.refresh_tokens_revoked >= 1);

    // Re-authorization: the issued id, no agent_name_hint; the redirect omits client_id.
    let (status, pairs, _) = authorize(authorize_url(
        &emulator,
        &[
            ("client_id", &client_id),
            ("agent_name_hint", ""),
            ("id_token_hint", body["id_token"].as_str().unwrap()),
            ("login_hint", "dev@example.invalid"),
        ],
    ))
    .await;
    assert_eq!(status, 302);
    assert_eq!(pair(&pairs, "client_id"), None);
    let (status, _) = exchange(&emulator, &client_id, pair(&pairs, "code").unwrap()).await;
    assert_eq!(status, 200);
    // The same host registering again keeps its issued id.
    let (_, pairs, _) = authorize(authorize_url(&emulator, &[])).await;
    assert_eq!(pair(&pairs, "client_id"), Some(client_id.as_str()));
    assert_eq!(emulator.siwc_stats().issued_client_ids, vec![client_id]);

    // Every request was recorded, with its form.
    let requests = emulator.siwc_requests();
    let first_exchange = requests
        .iter()
        .find(|request| request.path == "/api/accounts/oauth/token")
        .unwrap();
    assert_eq!(first_exchange.method, "POST");
    assert_eq!(
        first_exchange.form_field("grant_type").as_deref(),
        Some("authorization_code")
    );
    assert!(!format!("{first_exchange:?}").contains(VERIFIER));
}

#[tokio::test]
async fn authorize_names_each_bad_parameter() {
    let emulator = Emulator::start().unwrap();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("client_id", "")], "client_id"),
        (&[("client_id", "oaiapp_unknown")], "client_id"),
        (&[("agent_name_hint", "")], "agent_name_hint"),
        (
            &[("ext_agent_host_id", "dev@example.invalid")],
            "ext_agent_host_id",
        ),
        (
            &[("redirect_uri", "http://localhost:40123/auth/callback")],
            "redirect_uri",
        ),
        (
            &[("redirect_uri", "http://127.0.0.1:40123/callback")],
            "redirect_uri",
        ),
        (&[("scope", "openid profile email offline_access")], "scope"),
        (&[("resource", "")], "resource"),
        (
            &[("code_challenge_method", "plain")],
            "code_challenge_method",
        ),
        (&[("code_challenge", "short")], "code_challenge"),
        (&[("state", "")], "state"),
        (&[("nonce", "")], "nonce"),
        (&[("response_type", "token")], "response_type"),
        (&[("id_token_hint", "eyJ")], "id_token_hint"),
    ];
    for (overrides, named) in cases {
        let (status, pairs, page) = authorize(authorize_url(&emulator, overrides)).await;
        assert_eq!(status, 400, "{overrides:?}");
        assert!(pairs.is_empty(), "never redirected: {overrides:?}");
        assert!(
            page.contains(&format!("&#x27;{named}&#x27;")) || page.contains(&format!("'{named}'")),
            "{overrides:?}: {page}"
        );
    }
    // The re-authorization rule: the issued id without agent_name_hint.
    let minted = emulator.siwc_mint_tokens(3600);
    let (status, _, page) = authorize(authorize_url(
        &emulator,
        &[("client_id", &minted.client_id)],
    ))
    .await;
    assert_eq!(status, 400);
    assert!(page.contains("agent_name_hint"));
    assert!(emulator.siwc_stats().issued_client_ids.len() == 1);
}

#[tokio::test]
async fn consent_modes_decline_grant_identity_only_or_show_the_page() {
    let emulator = Emulator::start().unwrap();
    emulator.set_siwc_consent(SiwcConsent::Decline);
    let (status, pairs, _) = authorize(authorize_url(&emulator, &[])).await;
    assert_eq!(status, 302);
    assert_eq!(pair(&pairs, "error"), Some("access_denied"));
    assert_eq!(pair(&pairs, "state"), Some("state-123"));
    assert_eq!(pair(&pairs, "code"), None);

    emulator.set_siwc_consent(SiwcConsent::IdentityOnly);
    let (client_id, body) = sign_in(&emulator).await;
    assert_eq!(body["scope"], "openid profile email");
    assert!(body.get("refresh_token").is_none());
    assert!(client_id.starts_with("oaiapp_fake_"));

    emulator.set_siwc_consent(SiwcConsent::Page);
    let (status, pairs, page) = authorize(authorize_url(&emulator, &[])).await;
    assert_eq!(status, 200);
    assert!(pairs.is_empty());
    for button in ["continue", "identity_only", "cancel"] {
        assert!(page.contains(&format!(r#"value="{button}""#)), "{page}");
    }
    // The browser stand-in clicks "Continue" and follows the redirect to the callback.
    let callback = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = callback.local_addr().unwrap().port();
    let served = tokio::spawn(async move {
        let app = axum::Router::new().route(
            "/auth/callback",
            axum::routing::get(|| async { "signed in" }),
        );
        axum::serve(callback, app).await.ok();
    });
    let redirect_uri = format!("http://127.0.0.1:{port}/auth/callback");
    let visit = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        emulator.visit_in_browser(
            authorize_url(&emulator, &[("redirect_uri", &redirect_uri)]).as_str(),
        ),
    )
    .await
    .unwrap()
    .unwrap();
    served.abort();
    assert!(visit.clicked_continue);
    assert_eq!(visit.callback_status, Some(200));
    let redirected = visit.redirected_to.unwrap();
    let pairs: Vec<(String, String)> = redirected.query_pairs().into_owned().collect();
    assert!(
        pair(&pairs, "scope")
            .unwrap()
            .contains("chatgpt.tokens.use.direct")
    );
}

#[tokio::test]
async fn authorize_faults_spoil_the_redirect() {
    let emulator = Emulator::start().unwrap();
    emulator.inject_siwc(SiwcFault::WrongState);
    let (_, pairs, _) = authorize(authorize_url(&emulator, &[])).await;
    assert_ne!(pair(&pairs, "state"), Some("state-123"));
    emulator.inject_siwc(SiwcFault::DuplicateState);
    let (_, pairs, _) = authorize(authorize_url(&emulator, &[])).await;
    assert_eq!(pairs.iter().filter(|(key, _)| key == "state").count(), 2);
    let other_host = "urn:uuid:00000000-0000-4000-8000-000000000001";
    emulator.inject_siwc(SiwcFault::OmitClientIdOnFirstSignIn);
    let (_, pairs, _) = authorize(authorize_url(
        &emulator,
        &[("ext_agent_host_id", other_host)],
    ))
    .await;
    assert!(pair(&pairs, "code").is_some());
    assert_eq!(pair(&pairs, "client_id"), None);
    let issued = emulator.siwc_stats().issued_client_ids[0].clone();
    let reauthorize = [("client_id", issued.as_str()), ("agent_name_hint", "")];
    emulator.inject_siwc(SiwcFault::ClientIdOnReauthorization);
    let (_, pairs, _) = authorize(authorize_url(&emulator, &reauthorize)).await;
    assert_eq!(pair(&pairs, "client_id"), Some(issued.as_str()));
    emulator.inject_siwc(SiwcFault::DifferentClientIdOnReauthorization);
    let (_, pairs, _) = authorize(authorize_url(&emulator, &reauthorize)).await;
    assert!(pair(&pairs, "client_id").is_some_and(|id| id != issued));
}

#[tokio::test]
async fn other_routes_answer_403_route_not_supported() {
    let emulator = Emulator::start().unwrap();
    for (method, path) in [
        ("POST", "/v1/chat/completions"),
        ("GET", "/backend-api/codex/models"),
        ("POST", "/oauth/token"),
        ("DELETE", "/api/accounts/oauth/token"),
    ] {
        let response = client()
            .request(
                method.parse().unwrap(),
                format!("{}{path}", emulator.siwc_issuer_url()),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 403, "{method} {path}");
        let request_id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(request_id.starts_with("req_fake_"));
        let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        assert_eq!(
            body["error"]["code"],
            "subscription_sharing_route_not_supported"
        );
    }
    assert_eq!(emulator.siwc_stats().unsupported_route_requests, 4);
    // The Codex route is untouched.
    let response = client()
        .post(format!("{}/oauth/token", emulator.issuer_url()))
        .send()
        .await
        .unwrap();
    assert_ne!(response.status().as_u16(), 403);
}

// ---------------------------------------------------------------------------------------------
// The API: /v1/models and /v1/responses.

/// The request §9.2 gives, with the user's text.
fn responses_body(user_text: &str) -> Value {
    json!({"model":"gpt-6.1-sol","instructions":"You are a coding assistant.","store":false,
        "stream":true,
        "input":[{"type":"additional_tools","role":"developer","tools":[{"type":"namespace",
            "name":"zed","description":"editor tools","tools":[{"type":"function",
            "name":"read_file","strict":false,"parameters":{"type":"object",
            "properties":{"path":{"type":"string"}},"required":["path"]}}]}]},
          {"type":"message","role":"user","content":[{"type":"input_text","text":user_text}]}]})
}

/// What `/v1/responses` answered: status, headers and the events (type, data).
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    fn events(&self) -> Vec<(String, Value)> {
        self.body
            .split("\n\n")
            .filter(|frame| !frame.trim().is_empty())
            .map(|frame| {
                let mut kind = String::new();
                let mut data = Value::Null;
                for line in frame.lines() {
                    if let Some(rest) = line.strip_prefix("event: ") {
                        kind = rest.to_string();
                    } else if let Some(rest) = line.strip_prefix("data: ") {
                        data = serde_json::from_str(rest).unwrap();
                    }
                }
                (kind, data)
            })
            .collect()
    }

    fn kinds(&self) -> Vec<String> {
        self.events().into_iter().map(|(kind, _)| kind).collect()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

async fn post_responses(emulator: &Emulator, bearer: &str, body: &Value) -> Answer {
    let response = client()
        .post(format!("{}/responses", emulator.siwc_api_url()))
        .bearer_auth(bearer)
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    // A cut stream still ends its body cleanly; a read error would be a different fault.
    let body = response.text().await.unwrap_or_default();
    Answer {
        status,
        headers,
        body,
    }
}

async fn get_models(emulator: &Emulator, bearer: &str) -> (u16, Value) {
    let response = client()
        .get(format!("{}/models", emulator.siwc_api_url()))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap())
}

#[tokio::test]
async fn models_need_a_live_plan_token_and_keep_the_server_order() {
    let emulator = Emulator::start().unwrap();
    let tokens = emulator.siwc_mint_tokens(3600);
    let (status, body) = get_models(&emulator, &tokens.access_token).await;
    assert_eq!(status, 200);
    let slugs: Vec<&str> = body["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|model| model["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["gpt-6.1-sol", "gpt-fake-hidden", "gpt-6-luna"]);
    assert_eq!(body["models"][1]["visibility"], "hide");
    assert!(body.get("data").is_none());

    let (status, body) = get_models(&emulator, "not-a-token").await;
    assert_eq!(status, 401);
    assert!(body["detail"].is_string());
    let expired = emulator.siwc_mint_tokens(-10);
    assert_eq!(get_models(&emulator, &expired.access_token).await.0, 401);
    // Identity only: a valid token without the plan scope.
    emulator.set_siwc_consent(SiwcConsent::IdentityOnly);
    let (_, identity) = sign_in(&emulator).await;
    let (status, body) = get_models(&emulator, identity["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 401);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("chatgpt.tokens.use.direct")
    );
    // Revoked access tokens stop working; the refresh token still rotates.
    emulator.siwc_revoke_access_tokens();
    assert_eq!(get_models(&emulator, &tokens.access_token).await.0, 401);
    let (status, _) = refresh(&emulator, &tokens.client_id, &tokens.refresh_token).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_test_may_serve_a_catalog_of_its_own() {
    let emulator = Emulator::start().unwrap();
    let tokens = emulator.siwc_mint_tokens(3600);
    let catalog = json!({"models": [{"slug": "gpt-own", "display_name": "Own",
        "visibility": "list", "input_modalities": ["text", "image"]}]});
    emulator.siwc_serve_catalog(catalog.clone());
    let (status, body) = get_models(&emulator, &tokens.access_token).await;
    assert_eq!(status, 200);
    assert_eq!(body, catalog);
    // Still behind the bearer check.
    assert_eq!(get_models(&emulator, "not-a-token").await.0, 401);
}

#[tokio::test]
async fn responses_stream_text_and_namespaced_tool_calls() {
    let emulator = Emulator::start().unwrap();
    let tokens = emulator.siwc_mint_tokens(3600);
    let answer = post_responses(
        &emulator,
        &tokens.access_token,
        &responses_body("Hello there"),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.headers["content-type"], "text/event-stream");
    assert!(
        answer.headers["x-request-id"]
            .to_str()
            .unwrap()
            .starts_with("req_fake_")
    );
    assert!(
        !answer
            .headers
            .keys()
            .any(|name| name.as_str().starts_with("x-codex") || name.as_str().contains("ratelimit")),
        "no rate-limit headers"
    );
    let kinds = answer.kinds();
    assert_eq!(kinds.first().map(String::as_str), Some("response.created"));
    assert_eq!(kinds.last().map(String::as_str), Some("response.completed"));
    assert!(!kinds.iter().any(|kind| kind.starts_with("codex.")));
    let text: String = answer
        .events()
        .iter()
        .filter(|(kind, _)| kind == "response.output_text.delta")
        .map(|(_, data)| data["delta"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(text, "You said: Hello there");
    let (_, completed) = answer.events().pop().unwrap();
    assert_eq!(completed["response"]["status"], "completed");
    assert_eq!(completed["response"]["model"], "gpt-6.1-sol");
    assert!(
        completed["response"]["usage"]["total_tokens"]
            .as_u64()
            .unwrap()
            > 0
    );

    // A tool the user names: a namespaced function call.
    let answer = post_responses(
        &emulator,
        &tokens.access_token,
        &responses_body("Open main.rs with read_file"),
    )
    .await;
    let events = answer.events();
    let (_, added) = events
        .iter()
        .find(|(kind, _)| kind == "response.output_item.added")
        .unwrap();
    assert_eq!(added["item"]["type"], "function_call");
    assert_eq!(added["item"]["namespace"], "zed");
    assert_eq!(added["item"]["name"], "read_file");
    let (_, done) = events
        .iter()
        .find(|(kind, _)| kind == "response.function_call_arguments.done")
        .unwrap();
    let arguments: Value = serde_json::from_str(done["arguments"].as_str().unwrap()).unwrap();
    assert!(arguments["path"].is_string());
    let call_id = added["item"]["call_id"].as_str().unwrap().to_string();

    // The tool's output comes back (with the call echoed, namespace included): text again.
    let mut body = responses_body("Open main.rs with read_file");
    let input = body["input"].as_array_mut().unwrap();
    input.push(
        json!({"type":"function_call","namespace":"zed","name":"read_file",
                      "call_id":call_id,"arguments":"{\"path\":\"main.rs\"}"}),
    );
    input.push(json!({"type":"function_call_output","call_id":call_id,"output":"fn main() {}"}));
    let answer = post_responses(&emulator, &tokens.access_token, &body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.contains("The tool returned: fn main() {}"));

    // The request was recorded with its bearer header and JSON body.
    let recorded = emulator
        .siwc_requests()
        .into_iter()
        .rfind(|request| request.path == "/v1/responses")
        .unwrap();
    assert_eq!(recorded.header("accept"), Some("text/event-stream"));
    assert_eq!(recorded.json()["store"], false);
    assert!(!format!("{recorded:?}").contains(&tokens.access_token));

    // No bearer: 401 with a detail, before any check of the body.
    let answer = post_responses(&emulator, "", &json!({})).await;
    assert_eq!(answer.status, 401);
    assert!(answer.json()["detail"].is_string());
}

#[tokio::test]
async fn each_preview_rule_violation_is_its_own_400_with_param() {
    let emulator = Emulator::start().unwrap();
    let token = emulator.siwc_mint_tokens(3600).access_token;
    let unsupported = "subscription_sharing_unsupported_capability";
    let mut cases: Vec<(Value, &str, Option<&str>)> = Vec::new();
    let mut with =
        |change: &dyn Fn(&mut Value), param: &'static str, code: Option<&'static str>| {
            let mut body = responses_body("hi");
            change(&mut body);
            cases.push((body, param, code));
        };
    with(&|b| b["store"] = json!(true), "store", None);
    with(
        &|b| {
            b.as_object_mut().unwrap().remove("store");
        },
        "store",
        None,
    );
    with(&|b| b["stream"] = json!(false), "stream", None);
    with(&|b| b["input"] = json!("hi"), "input", None);
    for field in [
        "background",
        "conversation",
        "max_output_tokens",
        "max_tool_calls",
        "metadata",
        "moderation",
        "multi_agent",
        "prompt",
        "prompt_cache_retention",
        "safety_identifier",
        "temperature",
        "top_logprobs",
        "top_p",
        "truncation",
        "user",
        "previous_response_id",
    ] {
        with(&move |b| b[field] = json!(1), field, Some(unsupported));
    }
    with(
        &|b| b["service_tier"] = json!("flex"),
        "service_tier",
        Some(unsupported),
    );
    with(
        &|b| {
            b["input"].as_array_mut().unwrap().insert(
                0,
                json!({"type":"message","role":"system","content":"Be brief."}),
            )
        },
        "input",
        Some(unsupported),
    );
    with(
        &|b| {
            b["input"]
                .as_array_mut()
                .unwrap()
                .push(json!({"type":"agent_message","content":"x"}))
        },
        "input",
        Some(unsupported),
    );
    with(
        &|b| b["tools"] = json!([{"type":"function","name":"read_file","parameters":{}}]),
        "tools",
        Some(unsupported),
    );
    for tool in [
        "image_generation",
        "file_search",
        "code_interpreter",
        "computer_use_preview",
        "mcp",
        "tool_search",
    ] {
        with(
            &move |b| b["tools"] = json!([{"type": tool}]),
            "tools",
            Some(unsupported),
        );
    }
    with(
        &|b| {
            b["input"].as_array_mut().unwrap().push(
                json!({"type":"function_call","name":"read_file","call_id":"c","arguments":"{}"}),
            )
        },
        "input",
        Some(unsupported),
    );
    let params: Vec<String> = cases
        .iter()
        .map(|(_, param, _)| param.to_string())
        .collect();
    for (body, param, code) in cases {
        let answer = post_responses(&emulator, &token, &body).await;
        assert_eq!(answer.status, 400, "{param}: {}", answer.body);
        let error = &answer.json()["error"];
        assert_eq!(error["param"], param, "{}", answer.body);
        assert_eq!(error["code"].as_str(), code, "{}", answer.body);
        assert_eq!(error["type"], "invalid_request_error");
    }
    // Each refusal is noted by its param, for tests that show a client never met one.
    assert_eq!(emulator.siwc_stats().rule_refusals, params);
    // Namespaced top-level tools and web search are fine.
    let mut body = responses_body("hi");
    body["tools"] = json!([{"type":"web_search"},{"type":"namespace","name":"zed","tools":[
        {"type":"function","name":"grep","parameters":{"type":"object","properties":{}}}]}]);
    body["service_tier"] = json!("priority");
    assert_eq!(post_responses(&emulator, &token, &body).await.status, 200);
    assert_eq!(emulator.siwc_stats().rule_refusals.len(), params.len());
}

// ---------------------------------------------------------------------------------------------
// Faults.

#[tokio::test]
async fn token_endpoint_faults() {
    let emulator = Emulator::start().unwrap();
    let tokens = emulator.siwc_mint_tokens(3600);
    let client_id = tokens.client_id.clone();

    emulator.inject_siwc(SiwcFault::TokenError {
        status: 400,
        code: "invalid_grant".into(),
    });
    let (status, body) = refresh(&emulator, &client_id, &tokens.refresh_token).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    emulator.inject_siwc(SiwcFault::TokenUnavailable);
    let (status, _) = refresh(&emulator, &client_id, &tokens.refresh_token).await;
    assert_eq!(status, 503);
    // Neither fault consumed the refresh token.
    emulator.inject_siwc(SiwcFault::TokenDelay(std::time::Duration::from_millis(300)));
    let started = std::time::Instant::now();
    let (status, rotated) = refresh(&emulator, &client_id, &tokens.refresh_token).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));

    // Without scope or ID token: the client keeps its previous scope.
    emulator.inject_siwc(SiwcFault::RefreshWithoutScopeOrIdToken);
    let second = rotated["refresh_token"].as_str().unwrap();
    let (status, answer) = refresh(&emulator, &client_id, second).await;
    assert_eq!(status, 200);
    assert!(answer.get("scope").is_none() && answer.get("id_token").is_none());
    assert!(answer["refresh_token"].is_string() && answer["access_token"].is_string());

    // The answer is lost after the rotation: the old token is now reused.
    emulator.inject_siwc(SiwcFault::TokenAnswerLostAfterRotation);
    let third = answer["refresh_token"].as_str().unwrap();
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", client_id.as_str()),
        ("refresh_token", third),
        ("resource", RESOURCE),
    ];
    let lost = match client()
        .post(token_url(&emulator))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).unwrap())
        .send()
        .await
    {
        Ok(response) => response.bytes().await.is_err(),
        Err(_) => true,
    };
    assert!(lost, "the client never reads the rotated tokens");
    let (status, body) = refresh(&emulator, &client_id, third).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("refresh_token_reused"))
    );
    assert_eq!(emulator.siwc_stats().rotations, 3);
}

#[tokio::test]
async fn id_token_and_jwks_faults() {
    let emulator = Emulator::start().unwrap();
    // Each defect spoils the next ID token in its own way.
    for fault in [
        SiwcFault::IdTokenWrongIssuer,
        SiwcFault::IdTokenWrongAudience,
        SiwcFault::IdTokenExpired,
    ] {
        emulator.inject_siwc(fault.clone());
        let (client_id, body) = sign_in(&emulator).await;
        let verified =
            verify_id_token(&emulator, body["id_token"].as_str().unwrap(), &client_id).await;
        assert!(verified.is_err(), "{fault:?}");
    }
    let claims_after = async |fault: SiwcFault| {
        emulator.inject_siwc(fault);
        let (client_id, body) = sign_in(&emulator).await;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.insecure_disable_signature_validation();
        validation.validate_exp = false;
        validation.set_audience(&[client_id]);
        jsonwebtoken::decode::<Value>(
            body["id_token"].as_str().unwrap(),
            &DecodingKey::from_secret(b""),
            &validation,
        )
        .unwrap()
        .claims
    };
    assert_ne!(
        claims_after(SiwcFault::IdTokenWrongNonce).await["nonce"],
        "nonce-456"
    );
    let now = chrono_now();
    assert!(
        claims_after(SiwcFault::IdTokenFutureIat).await["iat"]
            .as_i64()
            .unwrap()
            > now + 60
    );
    assert_eq!(
        claims_after(SiwcFault::IdTokenDifferentSub).await["sub"],
        "user-fake-2"
    );

    let jwks_url = format!("{}/.well-known/jwks.json", emulator.siwc_issuer_url());
    emulator.inject_siwc(SiwcFault::JwksUnavailable);
    let response = client().get(&jwks_url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 503);
    emulator.inject_siwc(SiwcFault::JwksEmpty);
    assert_eq!(get_json(jwks_url.clone()).await, json!({"keys": []}));
    assert_eq!(get_json(jwks_url).await["keys"][0]["kid"], "fake-1");
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn revoke_unavailable_revokes_nothing() {
    let emulator = Emulator::start().unwrap();
    let tokens = emulator.siwc_mint_tokens(3600);
    emulator.inject_siwc(SiwcFault::RevokeUnavailable);
    let (status, _) = post_form(
        format!("{}/api/accounts/oauth/revoke", emulator.siwc_issuer_url()),
        &[
            ("token", tokens.refresh_token.as_str()),
            ("token_type_hint", "refresh_token"),
            ("client_id", tokens.client_id.as_str()),
        ],
    )
    .await;
    assert_eq!(status, 503);
    let (status, _) = refresh(&emulator, &tokens.client_id, &tokens.refresh_token).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn api_faults_answer_before_the_stream() {
    let emulator = Emulator::start().unwrap();
    let token = emulator.siwc_mint_tokens(3600).access_token;
    let cases: [(SiwcFault, u16, Option<&str>); 11] = [
        (
            SiwcFault::InvalidUser,
            401,
            Some("subscription_sharing_invalid_user"),
        ),
        (
            SiwcFault::NotEligible,
            403,
            Some("subscription_sharing_user_not_eligible"),
        ),
        (
            SiwcFault::ScopeNotAuthorized,
            403,
            Some("chatpass_v2_scope_not_authorized"),
        ),
        (SiwcFault::Region, 403, None),
        (
            SiwcFault::LimitBeforeStream,
            429,
            Some("subscription_sharing_usage_limit_exceeded"),
        ),
        (
            SiwcFault::UsageUnavailable,
            503,
            Some("subscription_sharing_usage_unavailable"),
        ),
        (
            SiwcFault::UserUnavailable,
            503,
            Some("subscription_sharing_user_unavailable"),
        ),
        (SiwcFault::RoutingOff, 503, None),
        (
            SiwcFault::UnsupportedCapability,
            400,
            Some("subscription_sharing_unsupported_capability"),
        ),
        (
            SiwcFault::RouteNotSupported,
            403,
            Some("subscription_sharing_route_not_supported"),
        ),
        (
            SiwcFault::InvalidAuthorizationContext,
            403,
            Some("chatpass_v2_invalid_authorization_context"),
        ),
    ];
    for (fault, status, code) in cases {
        emulator.inject_siwc(fault.clone());
        let answer = post_responses(&emulator, &token, &responses_body("hi")).await;
        assert_eq!(answer.status, status, "{fault:?}");
        assert!(answer.headers.contains_key("x-request-id"));
        let body = answer.json();
        match code {
            Some(code) => assert_eq!(body["error"]["code"], code, "{fault:?}"),
            None => assert!(body["detail"].is_string(), "{fault:?}"),
        }
        if fault == SiwcFault::UnsupportedCapability {
            assert_eq!(body["error"]["param"], "model");
        }
        if fault == SiwcFault::LimitBeforeStream {
            assert!(
                body["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains("reached their Subscription Sharing usage limit")
            );
        }
        // One-shot: the next request streams.
        assert_eq!(
            post_responses(&emulator, &token, &responses_body("hi"))
                .await
                .status,
            200
        );
    }
    // Wrapped for /v1/models, it leaves /v1/responses alone.
    emulator.inject_siwc(SiwcFault::OnModels(Box::new(SiwcFault::Region)));
    assert_eq!(
        post_responses(&emulator, &token, &responses_body("hi"))
            .await
            .status,
        200
    );
    let (status, body) = get_models(&emulator, &token).await;
    assert_eq!(status, 403);
    assert!(body["detail"].is_string());
    assert_eq!(get_models(&emulator, &token).await.0, 200);
}

#[tokio::test]
async fn api_faults_inside_the_stream() {
    let emulator = Emulator::start().unwrap();
    let token = emulator.siwc_mint_tokens(3600).access_token;
    let text = "one two three four five six seven eight";

    emulator.inject_siwc(SiwcFault::LimitMidStream);
    let answer = post_responses(&emulator, &token, &responses_body(text)).await;
    assert_eq!(answer.status, 200);
    let kinds = answer.kinds();
    assert!(
        kinds
            .iter()
            .any(|kind| kind == "response.output_text.delta")
    );
    assert_eq!(&kinds[kinds.len() - 2..], ["error", "response.failed"]);
    let (_, failed) = answer.events().pop().unwrap();
    assert_eq!(failed["response"]["status"], "failed");
    assert_eq!(
        failed["response"]["error"]["code"],
        "subscription_sharing_usage_limit_exceeded"
    );

    emulator.inject_siwc(SiwcFault::Incomplete);
    let answer = post_responses(&emulator, &token, &responses_body(text)).await;
    assert_eq!(
        answer.kinds().last().map(String::as_str),
        Some("response.incomplete")
    );

    emulator.inject_siwc(SiwcFault::Cut);
    let answer = post_responses(&emulator, &token, &responses_body(text)).await;
    let kinds = answer.kinds();
    assert_eq!(
        kinds.last().map(String::as_str),
        Some("response.output_text.delta")
    );
    assert!(!kinds.iter().any(|kind| {
        matches!(
            kind.as_str(),
            "response.completed" | "response.failed" | "response.incomplete" | "error"
        )
    }));

    emulator.inject_siwc(SiwcFault::OmitContentType);
    let answer = post_responses(&emulator, &token, &responses_body(text)).await;
    assert_eq!(answer.status, 200);
    assert!(!answer.headers.contains_key("content-type"));
    assert_eq!(
        answer.kinds().last().map(String::as_str),
        Some("response.completed")
    );
}

#[tokio::test]
async fn a_standing_fault_lasts_until_cleared() {
    let emulator = Emulator::start().unwrap();
    let token = emulator.siwc_mint_tokens(3600).access_token;
    emulator.inject_siwc_standing(SiwcFault::RoutingOff);
    for _ in 0..3 {
        let answer = post_responses(&emulator, &token, &responses_body("hi")).await;
        assert_eq!(answer.status, 503);
    }
    emulator.clear_siwc_faults();
    let answer = post_responses(&emulator, &token, &responses_body("hi")).await;
    assert_eq!(answer.status, 200);
}
