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

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect_policy(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
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
