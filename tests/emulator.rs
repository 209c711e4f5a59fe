//! The embedded emulator over real loopback sockets: each endpoint answers as the spec says,
//! rejects what the real service rejects, and each fault does what it promises.

mod support;

use emulator::{
    AuthorizePage, BrowserVisit, EmulatedAccount, Emulator, EmulatorOptions, Fault, RedirectPorts,
};
use openai_subscribed::config::CLIENT_ID;
use openai_subscribed::config::Config;
use openai_subscribed::oauth::jwt_claims::{PlanType, parse_expiry, parse_identity};
use serde_json::{Value, json};
use url::Url;

/// RFC 7636 appendix B: a verifier and its S256 challenge.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT_URI: &str = "http://localhost:40123/auth/callback";

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect_policy(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn authorize_url(emulator: &Emulator, overrides: &[(&str, &str)]) -> Url {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid profile email offline_access"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("id_token_add_organizations", "true"),
        ("codex_cli_simplified_flow", "true"),
        ("state", "state-123"),
        ("originator", "openai_subscribed"),
    ];
    for (name, value) in overrides {
        params.retain(|(existing, _)| existing != name);
        if !value.is_empty() {
            params.push((name, value));
        }
    }
    Url::parse_with_params(
        Config::with_urls(&emulator.issuer_url(), &emulator.backend_url())
            .unwrap()
            .authorize_url()
            .as_str(),
        params,
    )
    .unwrap()
}

/// Follows the authorize redirect and returns the callback URL's query pairs.
async fn authorize(emulator: &Emulator, overrides: &[(&str, &str)]) -> Vec<(String, String)> {
    let response = client()
        .get(authorize_url(emulator, overrides))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().unwrap();
    let location = Url::parse(location).unwrap();
    assert_eq!(
        location.as_str().split('?').next().unwrap(),
        REDIRECT_URI,
        "redirects to the redirect URI"
    );
    location.query_pairs().into_owned().collect()
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

async fn exchange(emulator: &Emulator, code: &str, verifier: &str, redirect: &str) -> (u16, Value) {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect),
        ("client_id", CLIENT_ID),
        ("code_verifier", verifier),
    ];
    let response = client()
        .post(
            Config::with_urls(&emulator.issuer_url(), &emulator.backend_url())
                .unwrap()
                .token_url(),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).unwrap())
        .send()
        .await
        .unwrap();
    read_json(response).await
}

async fn post_json(url: impl reqwest::IntoUrl, body: &Value) -> (u16, Value) {
    let response = client()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    read_json(response).await
}

async fn refresh(emulator: &Emulator, refresh_token: &str) -> (u16, Value) {
    post_json(
        Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap().token_url(),
        &json!({"client_id": CLIENT_ID, "grant_type": "refresh_token", "refresh_token": refresh_token}),
    )
    .await
}

async fn read_json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn sign_in(emulator: &Emulator) -> Value {
    let pairs = authorize(emulator, &[]).await;
    let code = param(&pairs, "code").unwrap().to_string();
    let (status, tokens) = exchange(emulator, &code, VERIFIER, REDIRECT_URI).await;
    assert_eq!(status, 200, "{tokens}");
    tokens
}

// ---------------------------------------------------------------------------------------------
// Issuer

#[tokio::test]
async fn authorize_redirects_with_a_code_and_the_state() {
    let emulator = Emulator::start().unwrap();
    let pairs = authorize(&emulator, &[]).await;
    assert!(param(&pairs, "code").is_some_and(|code| !code.is_empty()));
    assert_eq!(param(&pairs, "state"), Some("state-123"));
}

#[tokio::test]
async fn authorize_rejects_invalid_parameters_with_a_400_page() {
    let emulator = Emulator::start_with(EmulatorOptions {
        redirect_ports: RedirectPorts::RealIssuer,
        ..Default::default()
    })
    .unwrap();
    let allowed = "http://localhost:1455/auth/callback";
    let cases: &[&[(&str, &str)]] = &[
        &[("redirect_uri", REDIRECT_URI)], // ephemeral port: not on the allow-list
        &[("redirect_uri", allowed), ("client_id", "app_other")],
        &[("redirect_uri", allowed), ("response_type", "token")],
        &[
            ("redirect_uri", allowed),
            ("code_challenge_method", "plain"),
        ],
        &[("redirect_uri", allowed), ("code_challenge", "short")],
        &[("redirect_uri", allowed), ("state", "")],
        &[("redirect_uri", allowed), ("scope", "openid profile email")],
        &[("redirect_uri", "http://127.0.0.1:1455/auth/callback")],
    ];
    for overrides in cases {
        let response = client()
            .get(authorize_url(&emulator, overrides))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{overrides:?}");
        assert!(response.headers().get("location").is_none());
    }
    let ok = client()
        .get(authorize_url(&emulator, &[("redirect_uri", allowed)]))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 302);
}

#[tokio::test]
async fn authorize_denied_fault_redirects_with_access_denied() {
    let emulator = Emulator::start().unwrap();
    emulator.inject(Fault::AuthorizeDenied {
        description: "missing_codex_entitlement".into(),
    });
    let pairs = authorize(&emulator, &[]).await;
    assert_eq!(param(&pairs, "error"), Some("access_denied"));
    assert_eq!(
        param(&pairs, "error_description"),
        Some("missing_codex_entitlement")
    );
    assert_eq!(param(&pairs, "code"), None);
    // One-shot: the next sign-in works.
    assert!(param(&authorize(&emulator, &[]).await, "code").is_some());
}

#[tokio::test]
async fn the_consent_page_posts_back_a_code_or_access_denied() {
    let emulator = Emulator::start_with(EmulatorOptions {
        authorize_page: AuthorizePage::Consent,
        ..EmulatorOptions::default()
    })
    .unwrap();
    let hostile_state = r#"s"><script>alert(1)</script>"#;
    let url = authorize_url(&emulator, &[("state", hostile_state)]);
    let page = client().get(url.clone()).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    for expected in [
        "ada@example.com",
        "ChatGPT Plus",
        r#"value="continue">Continue</button>"#,
        r#"value="cancel">Cancel</button>"#,
        r#"<form method="post" action="/oauth/authorize">"#,
        r#"name="state" value="s&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;""#,
    ] {
        assert!(html.contains(expected), "{expected} in {html}");
    }
    assert!(!html.contains("<script>"), "the request is escaped: {html}");

    // What the page's form posts: the authorize request again, plus the button's decision.
    let decide = |decision: &'static str, overrides: &'static [(&'static str, &'static str)]| {
        let mut form: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        for (name, value) in overrides {
            form.retain(|(existing, _)| existing != name);
            form.push((name.to_string(), value.to_string()));
        }
        form.push(("decision".into(), decision.into()));
        client()
            .post(
                Config::with_urls(&emulator.issuer_url(), &emulator.backend_url())
                    .unwrap()
                    .authorize_url(),
            )
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(form).unwrap())
            .send()
    };
    let location = |response: &reqwest::Response| -> Vec<(String, String)> {
        let location = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
        assert!(location.as_str().starts_with(REDIRECT_URI), "{location}");
        location.query_pairs().into_owned().collect()
    };

    let continued = decide("continue", &[]).await.unwrap();
    assert_eq!(continued.status(), 302);
    let pairs = location(&continued);
    assert_eq!(param(&pairs, "state"), Some(hostile_state));
    let code = param(&pairs, "code").expect("a code").to_string();
    let (status, _) = exchange(&emulator, &code, VERIFIER, REDIRECT_URI).await;
    assert_eq!(
        status, 200,
        "the consent page's code exchanges like any other"
    );

    let cancelled = decide("cancel", &[]).await.unwrap();
    assert_eq!(cancelled.status(), 302);
    let pairs = location(&cancelled);
    assert_eq!(param(&pairs, "error"), Some("access_denied"));
    assert_eq!(param(&pairs, "code"), None);
    assert_eq!(param(&pairs, "state"), Some(hostile_state));

    // The form comes from the browser: it is checked again, and never redirected when bad.
    let unknown = decide("maybe", &[]).await.unwrap();
    assert_eq!(unknown.status(), 400);
    let elsewhere = decide(
        "continue",
        &[("redirect_uri", "http://evil.example/auth/callback")],
    )
    .await
    .unwrap();
    assert_eq!(elsewhere.status(), 400);
    assert!(elsewhere.headers().get("location").is_none());
    assert_eq!(emulator.stats().code_exchanges, 1);
}

#[tokio::test]
async fn code_exchange_issues_jwts_with_the_real_claim_layout() {
    let emulator = Emulator::start().unwrap();
    let tokens = sign_in(&emulator).await;
    for name in ["id_token", "access_token"] {
        let jwt = tokens[name].as_str().unwrap();
        let identity = parse_identity(jwt).unwrap();
        assert_eq!(identity.email.as_deref(), Some("ada@example.com"));
        assert_eq!(identity.account_id.as_deref(), Some("acct_emulated"));
        assert_eq!(identity.plan, Some(PlanType::Plus));
        assert_eq!(identity.user_id.as_deref(), Some("user_emulated"));
        assert!(parse_expiry(jwt).unwrap() > chrono::Utc::now());
    }
    assert!(tokens["refresh_token"].as_str().is_some());
    assert_eq!(tokens["expires_in"], 3600);
    let stats = emulator.stats();
    assert_eq!((stats.token_requests, stats.code_exchanges), (1, 1));
}

#[tokio::test]
async fn code_exchange_with_a_wrong_verifier_is_rejected_and_burns_the_code() {
    let emulator = Emulator::start().unwrap();
    let pairs = authorize(&emulator, &[]).await;
    let code = param(&pairs, "code").unwrap();
    let wrong = "x".repeat(43);
    let (status, body) = exchange(&emulator, code, &wrong, REDIRECT_URI).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    // A code is good for one attempt, even a failed one.
    let (status, body) = exchange(&emulator, code, VERIFIER, REDIRECT_URI).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn code_exchange_is_single_use_and_checks_the_redirect_uri_and_encoding() {
    let emulator = Emulator::start().unwrap();
    let code = param(&authorize(&emulator, &[]).await, "code")
        .unwrap()
        .to_string();
    let (status, _) = exchange(&emulator, &code, VERIFIER, REDIRECT_URI).await;
    assert_eq!(status, 200);
    let (status, body) = exchange(&emulator, &code, VERIFIER, REDIRECT_URI).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    let code = param(&authorize(&emulator, &[]).await, "code")
        .unwrap()
        .to_string();
    let other = "http://localhost:40124/auth/callback";
    let (status, body) = exchange(&emulator, &code, VERIFIER, other).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    // The code grant is a form; JSON is refused.
    let code = param(&authorize(&emulator, &[]).await, "code")
        .unwrap()
        .to_string();
    let (status, body) = post_json(
        Config::with_urls(&emulator.issuer_url(), &emulator.backend_url())
            .unwrap()
            .token_url(),
        &json!({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
                "client_id": CLIENT_ID, "code_verifier": VERIFIER}),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_is_refused() {
    let emulator = Emulator::start().unwrap();
    let first = sign_in(&emulator).await;
    let first_refresh = first["refresh_token"].as_str().unwrap();

    let (status, second) = refresh(&emulator, first_refresh).await;
    assert_eq!(status, 200, "{second}");
    let second_refresh = second["refresh_token"].as_str().unwrap();
    assert_ne!(second_refresh, first_refresh);
    assert_ne!(second["access_token"], first["access_token"]);
    assert!(second["id_token"].is_string() && second["expires_in"].is_i64());

    let (status, body) = refresh(&emulator, first_refresh).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "refresh_token_reused");
    assert!(body["error"]["message"].is_string());

    // The rotated token still works: reuse does not kill the other process's sign-in.
    let (status, _) = refresh(&emulator, second_refresh).await;
    assert_eq!(status, 200);
    let stats = emulator.stats();
    assert_eq!((stats.refreshes, stats.token_requests), (3, 4));
}

#[tokio::test]
async fn concurrent_refreshes_of_one_token_let_exactly_one_win() {
    let emulator = Emulator::start().unwrap();
    let tokens = emulator.mint_tokens(3600);
    // Both requests are in flight together while the issuer "thinks".
    emulator.set_token_delay(std::time::Duration::from_millis(100));
    let (first, second) = tokio::join!(
        refresh(&emulator, &tokens.refresh_token),
        refresh(&emulator, &tokens.refresh_token)
    );
    let mut statuses = [first.0, second.0];
    statuses.sort();
    assert_eq!(statuses, [200, 401]);
    let loser = if first.0 == 401 { &first.1 } else { &second.1 };
    assert_eq!(loser["error"]["code"], "refresh_token_reused");
    assert_eq!(emulator.stats().refreshes, 2);
}

#[tokio::test]
async fn refresh_requires_client_id_a_json_body_and_a_known_token() {
    let emulator = Emulator::start().unwrap();
    let tokens = emulator.mint_tokens(3600);
    let (status, body) = post_json(
        Config::with_urls(&emulator.issuer_url(), &emulator.backend_url())
            .unwrap()
            .token_url(),
        &json!({"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["message"], "Missing 'client_id'");

    let (status, body) = refresh(&emulator, "rt_never_issued").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_grant"))
    );

    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", CLIENT_ID),
        ("refresh_token", tokens.refresh_token.as_str()),
    ];
    let response = client()
        .post(
            Config::with_urls(&emulator.issuer_url(), &emulator.backend_url())
                .unwrap()
                .token_url(),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    // None of the refused requests spent the token.
    let (status, _) = refresh(&emulator, &tokens.refresh_token).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn revoke_kills_the_refresh_token_and_its_access_tokens() {
    let emulator = Emulator::start().unwrap();
    let tokens = emulator.mint_tokens(3600);
    let (status, _) = models(&emulator, &tokens.access_token, "0.99.0", None).await;
    assert_eq!(status, 200);
    let (status, _) = post_json(
        Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap().revoke_url(),
        &json!({"token": tokens.refresh_token, "token_type_hint": "refresh_token", "client_id": CLIENT_ID}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = refresh(&emulator, &tokens.refresh_token).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "refresh_token_invalidated");
    let (status, _) = models(&emulator, &tokens.access_token, "0.99.0", None).await;
    assert_eq!(status, 401);
    assert_eq!(emulator.stats().revocations, 1);

    let (status, _) = post_json(
        Config::with_urls(&emulator.issuer_url(), &emulator.backend_url())
            .unwrap()
            .revoke_url(),
        &json!({"token": "x", "token_type_hint": "refresh_token"}),
    )
    .await;
    assert_eq!(status, 400, "client_id is required");
}

#[tokio::test]
async fn token_faults_answer_the_given_status_or_never() {
    let emulator = Emulator::start().unwrap();
    let tokens = emulator.mint_tokens(3600);
    emulator.inject(Fault::TokenStatus {
        status: 503,
        body: json!({"error": "temporarily_unavailable"}),
    });
    let (status, body) = refresh(&emulator, &tokens.refresh_token).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (503, Some("temporarily_unavailable"))
    );

    emulator.inject(Fault::TokenHang);
    let hung = client()
        .post(
            Config::with_urls(&emulator.issuer_url(), &emulator.backend_url())
                .unwrap()
                .token_url(),
        )
        .header("content-type", "application/json")
        .body(
            json!({"client_id": CLIENT_ID, "grant_type": "refresh_token",
                     "refresh_token": tokens.refresh_token})
            .to_string(),
        )
        .timeout(std::time::Duration::from_millis(300))
        .send()
        .await;
    assert!(hung.unwrap_err().is_timeout());
    // Neither fault spent the refresh token.
    let (status, _) = refresh(&emulator, &tokens.refresh_token).await;
    assert_eq!(status, 200);
}

// ---------------------------------------------------------------------------------------------
// Device code

#[tokio::test]
async fn device_code_sign_in_polls_pending_then_exchanges_the_code() {
    let emulator = Emulator::start().unwrap();
    let config = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap();
    let (status, start) = post_json(
        config.device_usercode_url(),
        &json!({"client_id": CLIENT_ID}),
    )
    .await;
    assert_eq!(status, 200, "{start}");
    assert_eq!(start["interval"], "5");
    let poll_body =
        json!({"device_auth_id": start["device_auth_id"], "user_code": start["user_code"]});
    for _ in 0..2 {
        let (status, _) = post_json(config.device_token_url(), &poll_body).await;
        assert_eq!(status, 403);
    }
    let (status, approved) = post_json(config.device_token_url(), &poll_body).await;
    assert_eq!(status, 200, "{approved}");
    let code = approved["authorization_code"].as_str().unwrap();
    let verifier = approved["code_verifier"].as_str().unwrap();
    let redirect = config.device_redirect_uri();
    let (status, tokens) = exchange(&emulator, code, verifier, redirect.as_str()).await;
    assert_eq!(status, 200, "{tokens}");
    assert!(tokens["access_token"].is_string());
    let stats = emulator.stats();
    assert_eq!((stats.device_code_requests, stats.device_polls), (1, 3));

    let page = client()
        .get(config.device_verification_url())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
}

#[tokio::test]
async fn device_code_options_and_faults() {
    let emulator = Emulator::start_with(EmulatorOptions {
        device_interval_as_string: false,
        device_interval_secs: 7,
        device_pending_polls: 0,
        ..Default::default()
    })
    .unwrap();
    let config = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap();
    let (_, start) = post_json(
        config.device_usercode_url(),
        &json!({"client_id": CLIENT_ID}),
    )
    .await;
    assert_eq!(start["interval"], 7);
    let (status, _) = post_json(
        config.device_token_url(),
        &json!({"device_auth_id": start["device_auth_id"], "user_code": "WRONG-CODE"}),
    )
    .await;
    assert_eq!(status, 400);

    let (status, _) = post_json(config.device_usercode_url(), &json!({})).await;
    assert_eq!(status, 400, "client_id is required");
    emulator.inject(Fault::DeviceDisabled);
    let (status, _) = post_json(
        config.device_usercode_url(),
        &json!({"client_id": CLIENT_ID}),
    )
    .await;
    assert_eq!(status, 404);
}

// ---------------------------------------------------------------------------------------------
// Models

async fn models(
    emulator: &Emulator,
    access_token: &str,
    client_version: &str,
    if_none_match: Option<&str>,
) -> (u16, reqwest::Response) {
    let mut url = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap();
    url.client_version = client_version.to_string();
    let mut request = client()
        .get(url.models_url())
        .bearer_auth(access_token)
        .header("ChatGPT-Account-Id", "acct_emulated");
    if let Some(etag) = if_none_match {
        request = request.header("If-None-Match", etag);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response)
}

fn slugs(body: &Value) -> Vec<&str> {
    body["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|model| model["slug"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn models_are_filtered_by_client_version_and_revalidate_with_etag() {
    let emulator = Emulator::start().unwrap();
    let access = emulator.mint_tokens(3600).access_token;

    let (status, response) = models(&emulator, &access, "0.99.0", None).await;
    assert_eq!(status, 200);
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    let (_, body) = read_json(response).await;
    let listed = slugs(&body);
    assert!(listed.contains(&"gpt-5.2"));
    assert!(!listed.contains(&"gpt-5.5"), "needs client 0.124.0");
    let hidden = body["models"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["visibility"] == "hide");
    assert!(hidden.count() >= 1);
    for model in body["models"].as_array().unwrap() {
        serde_json::from_value::<openai_subscribed::models::ModelInfo>(model.clone()).unwrap();
    }

    let (_, response) = models(&emulator, &access, "0.124.0", None).await;
    let (_, body) = read_json(response).await;
    assert!(slugs(&body).contains(&"gpt-5.5"));
    assert!(
        !slugs(&body).contains(&"gpt-5.6-sol"),
        "needs client 0.144.0"
    );
    // 0.0.0 is the backend's ungated sentinel: the whole catalog, hidden entries included.
    let (_, response) = models(&emulator, &access, "0.0.0", None).await;
    let (_, body) = read_json(response).await;
    let whole = emulator::models::catalog();
    assert_eq!(slugs(&body).len(), whole.len());
    assert!(slugs(&body).contains(&"gpt-5.6-sol"));

    let (status, response) = models(&emulator, &access, "0.99.0", Some(&etag)).await;
    assert_eq!(status, 304);
    assert_eq!(response.headers()["etag"], etag.as_str());
    let stats = emulator.stats();
    assert_eq!((stats.models_requests, stats.models_not_modified), (4, 1));

    emulator.bump_models_revision();
    let (status, response) = models(&emulator, &access, "0.99.0", Some(&etag)).await;
    assert_eq!(status, 200);
    assert_ne!(response.headers()["etag"], etag.as_str());
}

#[tokio::test]
async fn models_check_the_caller() {
    let emulator = Emulator::start().unwrap();
    let live = emulator.mint_tokens(3600).access_token;
    let expired = emulator.mint_tokens(-60).access_token;
    let (status, _) = models(&emulator, &expired, "0.99.0", None).await;
    assert_eq!(status, 401);
    let (status, _) = models(&emulator, "not-a-token", "0.99.0", None).await;
    assert_eq!(status, 401);
    let response = client()
        .get(
            Config::with_urls(&emulator.issuer_url(), &emulator.backend_url())
                .unwrap()
                .models_url(),
        )
        .bearer_auth(&live)
        .header("ChatGPT-Account-Id", "acct_someone_else")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    emulator.inject(Fault::ModelsStatus { status: 503 });
    let (status, _) = models(&emulator, &live, "0.99.0", None).await;
    assert_eq!(status, 503);
    let (status, _) = models(&emulator, &live, "0.99.0", None).await;
    assert_eq!(status, 200);
}

// ---------------------------------------------------------------------------------------------
// Responses

fn request_body(input: Value) -> Value {
    json!({
        "model": "gpt-5.5",
        "instructions": "You are a helpful assistant.",
        "input": input,
        "tools": [],
        "tool_choice": "auto",
        "parallel_tool_calls": false,
        "store": false,
        "stream": true,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "thread-1",
    })
}

fn user(text: &str) -> Value {
    json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]})
}

async fn respond(emulator: &Emulator, access: &str, body: &Value) -> reqwest::Response {
    client()
        .post(
            Config::with_urls(&emulator.issuer_url(), &emulator.backend_url())
                .unwrap()
                .responses_url(),
        )
        .bearer_auth(access)
        .header("ChatGPT-Account-Id", "acct_emulated")
        .header("OpenAI-Beta", "responses=experimental")
        .header("Accept", "text/event-stream")
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

/// Parses an SSE body, checking that each event's name matches its `type` and that
/// `sequence_number`s count up from 0.
async fn events(response: reqwest::Response) -> Vec<Value> {
    let text = response.text().await.unwrap();
    let mut events = Vec::new();
    for block in text.split("\n\n").filter(|block| !block.trim().is_empty()) {
        let mut lines = block.lines();
        let name = lines.next().unwrap().strip_prefix("event: ").unwrap();
        let data = lines.next().unwrap().strip_prefix("data: ").unwrap();
        let data: Value = serde_json::from_str(data).unwrap();
        assert_eq!(data["type"], name);
        assert_eq!(data["sequence_number"], events.len());
        events.push(data);
    }
    events
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

fn concat(events: &[Value], kind: &str) -> String {
    events
        .iter()
        .filter(|e| e["type"] == kind)
        .map(|e| e["delta"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn responses_rejects_requests_the_real_backend_rejects() {
    let emulator = Emulator::start().unwrap();
    let access = emulator.mint_tokens(3600).access_token;
    let good = request_body(json!([user("hello")]));
    let with = |change: &dyn Fn(&mut Value)| {
        let mut body = good.clone();
        change(&mut body);
        body
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            with(&|b| b["store"] = json!(true)),
            "Store must be set to false",
        ),
        (
            with(&|b| {
                b.as_object_mut().unwrap().remove("store");
            }),
            "Store must be set to false",
        ),
        (
            with(&|b| b["instructions"] = json!("")),
            "Instructions are required",
        ),
        (
            with(&|b| {
                b.as_object_mut().unwrap().remove("instructions");
            }),
            "Instructions are required",
        ),
        (
            with(&|b| b["instructions"] = json!("x".repeat(1_048_577))),
            "string too long",
        ),
        (
            with(&|b| b["model"] = json!("gpt-4o")),
            "The 'gpt-4o' model is not supported",
        ),
        (
            with(
                &|b| b["input"] = json!([{"type": "reasoning", "id": "rs_123", "summary": [], "encrypted_content": "x"}, user("hi")]),
            ),
            "Item with id 'rs_123' not found. Items are not persisted when store is false",
        ),
        (
            with(
                &|b| b["input"] = json!([{"type": "message", "id": "msg_1", "role": "assistant", "content": [{"type": "output_text", "text": "x"}]}]),
            ),
            "Item with id 'msg_1' not found",
        ),
        (
            with(
                &|b| b["input"] = json!([user("hi"), {"type": "function_call_output", "call_id": "call_9", "output": "ok"}]),
            ),
            "No tool call found for function call output with call_id call_9",
        ),
        (
            with(
                &|b| b["input"] = json!([{"type": "message", "role": "user", "content": [{"type": "output_text", "text": "x"}]}]),
            ),
            "Invalid value: 'output_text'",
        ),
        (
            with(&|b| {
                b["tools"] = json!([{"type": "function", "function": {"name": "read_file"}}])
            }),
            "Missing required parameter: 'tools[0].name'",
        ),
        (
            with(&|b| b["reasoning"] = json!({"effort": "max", "summary": "auto"})),
            "Unsupported value: 'max' is not supported with the 'gpt-5.5' model",
        ),
        (
            with(&|b| b["text"] = json!({"verbosity": "loud"})),
            "Unsupported value: 'loud'",
        ),
    ];
    for (body, expected) in cases {
        let response = respond(&emulator, &access, &body).await;
        let (status, answer) = read_json(response).await;
        assert_eq!(status, 400, "{expected}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(expected),
            "{message:?} should contain {expected:?}"
        );
    }

    // The caller is checked first.
    let expired = emulator.mint_tokens(-1).access_token;
    assert_eq!(respond(&emulator, &expired, &good).await.status(), 401);
    assert_eq!(respond(&emulator, "garbage", &good).await.status(), 401);
    let wrong_account = client()
        .post(
            Config::with_urls(&emulator.issuer_url(), &emulator.backend_url())
                .unwrap()
                .responses_url(),
        )
        .bearer_auth(&access)
        .header("ChatGPT-Account-Id", "acct_other")
        .body(good.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_account.status(), 403);
    emulator.revoke_access_tokens();
    assert_eq!(respond(&emulator, &access, &good).await.status(), 401);
}

#[tokio::test]
async fn responses_streams_a_text_answer() {
    let emulator = Emulator::start().unwrap();
    let access = emulator.mint_tokens(3600).access_token;
    let response = respond(
        &emulator,
        &access,
        &request_body(json!([user("hello there, world")])),
    )
    .await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    for name in [
        "x-codex-primary-used-percent",
        "x-codex-primary-window-minutes",
        "x-codex-primary-reset-at",
        "x-codex-secondary-used-percent",
        "x-codex-secondary-window-minutes",
        "x-codex-secondary-reset-at",
        "x-codex-credits-has-credits",
        "x-codex-credits-unlimited",
        "x-codex-credits-balance",
        "x-models-etag",
    ] {
        assert!(headers.contains_key(name), "{name}");
    }
    assert_eq!(headers["x-codex-primary-window-minutes"], "300");
    assert_eq!(headers["x-codex-secondary-window-minutes"], "10080");

    let events = events(response).await;
    let kinds = kinds(&events);
    assert_eq!(kinds[..2], ["response.created", "response.in_progress"]);
    assert_eq!(*kinds.last().unwrap(), "response.completed");
    assert!(!kinds.contains(&"response.reasoning_summary_text.delta"));
    assert!(
        kinds
            .iter()
            .filter(|k| **k == "response.output_text.delta")
            .count()
            > 1
    );
    assert_eq!(
        concat(&events, "response.output_text.delta"),
        "You said: hello there, world"
    );
    let completed = &events.last().unwrap()["response"];
    assert_eq!(completed["status"], "completed");
    let usage = &completed["usage"];
    let input = usage["input_tokens"].as_u64().unwrap();
    let output = usage["output_tokens"].as_u64().unwrap();
    assert!(input > 0 && output > 0);
    assert_eq!(usage["total_tokens"].as_u64(), Some(input + output));
    assert_eq!(usage["input_tokens_details"]["cached_tokens"], 0);
    assert_eq!(usage["output_tokens_details"]["reasoning_tokens"], 0);
    assert_eq!(
        completed["output"][0]["content"][0]["text"],
        "You said: hello there, world"
    );

    // The same prompt_cache_key again: the earlier prefix counts as cached.
    let again = respond(
        &emulator,
        &access,
        &request_body(json!([user("hello there, world")])),
    )
    .await;
    let events = self::events(again).await;
    let usage = &events.last().unwrap()["response"]["usage"];
    assert!(
        usage["input_tokens_details"]["cached_tokens"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert_eq!(emulator.stats().responses_requests, 2);
    let recorded = emulator.last_responses_request().unwrap();
    assert_eq!(recorded.body["prompt_cache_key"], "thread-1");
    assert_eq!(
        recorded.header("openai-beta"),
        Some("responses=experimental")
    );
    assert!(
        !format!("{recorded:?}").contains(&access),
        "Debug hides the bearer token"
    );
}

#[tokio::test]
async fn responses_streams_reasoning_summaries_first() {
    let emulator = Emulator::start().unwrap();
    let access = emulator.mint_tokens(3600).access_token;
    let mut body = request_body(json!([user("think")]));
    body["reasoning"] = json!({"effort": "high", "summary": "auto"});
    let events = events(respond(&emulator, &access, &body).await).await;
    let first_item = events
        .iter()
        .find(|e| e["type"] == "response.output_item.added")
        .unwrap();
    assert_eq!(first_item["item"]["type"], "reasoning");
    let parts: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "response.reasoning_summary_part.added")
        .collect();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[1]["summary_index"], 1);
    assert!(
        events
            .iter()
            .filter(|e| e["type"] == "response.reasoning_summary_text.delta")
            .count()
            > 2
    );
    let completed = &events.last().unwrap()["response"];
    let reasoning = &completed["output"][0];
    assert!(
        reasoning["encrypted_content"]
            .as_str()
            .is_some_and(|c| !c.is_empty())
    );
    assert!(reasoning.get("id").is_some());
    assert!(
        completed["usage"]["output_tokens_details"]["reasoning_tokens"]
            .as_u64()
            .unwrap()
            > 0
    );

    // Sending the reasoning item back without its id (as store:false requires) is accepted.
    let mut returned = reasoning.clone();
    returned.as_object_mut().unwrap().remove("id");
    let mut next = request_body(json!([user("think"), returned, user("again")]));
    next["reasoning"] = json!({"effort": "high", "summary": "auto"});
    assert_eq!(respond(&emulator, &access, &next).await.status(), 200);
}

#[tokio::test]
async fn responses_calls_a_tool_then_quotes_its_output() {
    let emulator = Emulator::start().unwrap();
    let access = emulator.mint_tokens(3600).access_token;
    let tools = json!([{
        "type": "function",
        "name": "read_file",
        "description": "Reads a file",
        "parameters": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]},
        "strict": false,
    }]);
    let mut body = request_body(json!([user("please use the tool")]));
    body["tools"] = tools.clone();
    let events = events(respond(&emulator, &access, &body).await).await;
    assert_eq!(
        concat(&events, "response.function_call_arguments.delta"),
        r#"{"path":"README.md"}"#
    );
    let call = &events.last().unwrap()["response"]["output"][0];
    assert_eq!(call["type"], "function_call");
    assert_eq!(call["name"], "read_file");
    let call_id = call["call_id"].as_str().unwrap();

    let mut follow_up = request_body(json!([
        user("please use the tool"),
        {"type": "function_call", "call_id": call_id, "name": "read_file", "arguments": call["arguments"]},
        {"type": "function_call_output", "call_id": call_id, "output": "# Hello"},
    ]));
    follow_up["tools"] = tools;
    let events = self::events(respond(&emulator, &access, &follow_up).await).await;
    assert_eq!(
        concat(&events, "response.output_text.delta"),
        "The tool returned: # Hello"
    );
}

#[tokio::test]
async fn responses_faults() {
    let emulator = Emulator::start().unwrap();
    let access = emulator.mint_tokens(3600).access_token;
    let body = request_body(json!([user("hello there, how are you today?")]));

    emulator.inject(Fault::ResponsesUsageLimit {
        resets_in_secs: 3600,
    });
    let response = respond(&emulator, &access, &body).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["x-codex-primary-used-percent"], "100");
    let (_, error) = read_json(response).await;
    assert_eq!(error["error"]["type"], "usage_limit_reached");
    assert_eq!(error["error"]["plan_type"], "plus");
    let resets_at = error["error"]["resets_at"].as_i64().unwrap();
    assert!(resets_at > chrono::Utc::now().timestamp());

    emulator.inject(Fault::ResponsesStatus {
        status: 503,
        body: json!({"error": {"code": "server_is_overloaded", "message": "Slow down"}}),
        retry_after_secs: Some(2),
    });
    let response = respond(&emulator, &access, &body).await;
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "2");

    emulator.inject(Fault::ResponsesUnauthorized);
    assert_eq!(respond(&emulator, &access, &body).await.status(), 401);

    emulator.inject(Fault::ResponsesCutStream);
    let events = events(respond(&emulator, &access, &body).await).await;
    let kinds = kinds(&events);
    assert!(kinds.contains(&"response.output_text.delta"));
    assert!(!kinds.contains(&"response.completed"));

    emulator.inject(Fault::ResponsesFailed {
        code: "context_length_exceeded".into(),
        message: "Your input exceeds the context window of this model.".into(),
    });
    let events = self::events(respond(&emulator, &access, &body).await).await;
    let last = events.last().unwrap();
    assert_eq!(last["type"], "response.failed");
    assert_eq!(last["response"]["error"]["code"], "context_length_exceeded");

    // Every fault was one-shot.
    let events = self::events(respond(&emulator, &access, &body).await).await;
    assert_eq!(events.last().unwrap()["type"], "response.completed");
}

// ---------------------------------------------------------------------------------------------
// Admin, options, lifecycle

#[tokio::test]
async fn faults_and_stats_over_http() {
    let emulator = Emulator::start().unwrap();
    let access = emulator.mint_tokens(3600).access_token;
    let faults_url = format!("{}/__emulator/faults", emulator.issuer_url());
    let (status, _) = post_json(
        &faults_url,
        &json!({"kind": "models_status", "status": 502}),
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = post_json(&faults_url, &json!({"kind": "no_such_fault"})).await;
    assert_eq!(status, 400);
    let (status, _) = models(&emulator, &access, "0.99.0", None).await;
    assert_eq!(status, 502);

    let stats = client()
        .get(format!("{}/__emulator/stats", emulator.issuer_url()))
        .send()
        .await
        .unwrap();
    let (_, stats) = read_json(stats).await;
    assert_eq!(stats["models_requests"], 1);
    assert_eq!(stats["token_requests"], 0);
}

#[tokio::test]
async fn a_custom_account_shows_in_tokens_and_is_required_by_the_backend() {
    let emulator = Emulator::start_with(EmulatorOptions {
        account: EmulatedAccount {
            email: "bo@example.com".into(),
            account_id: "acct_team".into(),
            plan: "team".into(),
            user_id: "user_bo".into(),
        },
        access_token_lifetime: std::time::Duration::from_secs(600),
        ..Default::default()
    })
    .unwrap();
    let tokens = sign_in(&emulator).await;
    assert_eq!(tokens["expires_in"], 600);
    let identity = parse_identity(tokens["id_token"].as_str().unwrap()).unwrap();
    assert_eq!(identity.plan, Some(PlanType::Team));
    let (status, _) = models(
        &emulator,
        tokens["access_token"].as_str().unwrap(),
        "0.99.0",
        None,
    )
    .await;
    assert_eq!(status, 403, "the default account id no longer matches");
}

#[test]
fn dropping_the_emulator_frees_its_port() {
    let emulator = Emulator::start().unwrap();
    let address = emulator.address();
    assert!(emulator.issuer_url().ends_with(&address.port().to_string()));
    assert_eq!(
        emulator.backend_url(),
        format!("http://{address}/backend-api/codex")
    );
    fn shareable<T: Send + Sync>(_: &T) {}
    shareable(&emulator);
    drop(emulator);
    std::net::TcpListener::bind(address).expect("the port is free again");
}

#[gpui::test]
async fn serves_gpui_tests_through_the_crates_http_client(cx: &mut gpui::TestAppContext) {
    use futures::AsyncReadExt as _;
    use http_client::{AsyncBody, HttpClient as _, Method};
    use openai_subscribed::backend_request::{BackendAuth, authenticated_request};
    use openai_subscribed::secret::AccessToken;
    use reqwest_client::ReqwestHttpClient;

    // The emulator and the HTTP client run on their own threads: let the test executor wait.
    support::allow_parking(cx);
    let emulator = Emulator::start().unwrap();
    let config = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap();
    let auth = BackendAuth {
        access_token: AccessToken::new(emulator.mint_tokens(3600).access_token),
        account_id: "acct_emulated".into(),
    };
    let client = ReqwestHttpClient::new(&config.user_agent()).unwrap();
    let request = authenticated_request(&config, &auth, Method::GET, &config.models_url())
        .body(AsyncBody::empty())
        .unwrap();
    let mut response = client.send(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let mut body = String::new();
    response.body_mut().read_to_string(&mut body).await.unwrap();
    let body: Value = serde_json::from_str(&body).unwrap();
    assert!(slugs(&body).contains(&"gpt-5.5"));
}

#[tokio::test]
async fn a_paced_stream_arrives_event_by_event() {
    use futures::StreamExt as _;
    let emulator = Emulator::start().unwrap();
    let access = emulator.mint_tokens(3600).access_token;
    emulator.set_stream_pause(std::time::Duration::from_millis(20));
    let response = respond(
        &emulator,
        &access,
        &request_body(json!([user("one two three")])),
    )
    .await;
    let mut chunks = response.bytes_stream();
    let first = chunks.next().await.unwrap().unwrap();
    let first = std::str::from_utf8(&first).unwrap();
    assert!(first.starts_with("event: response.created\n"));
    assert!(
        !first.contains("response.completed"),
        "the rest is still to come"
    );
    let mut rest = Vec::new();
    while let Some(chunk) = chunks.next().await {
        rest.extend_from_slice(&chunk.unwrap());
    }
    assert!(
        String::from_utf8(rest)
            .unwrap()
            .contains("event: response.completed\n")
    );
}

#[tokio::test]
async fn the_browser_stand_in_follows_the_redirect_to_the_callback() {
    let visit = visit_with_the_stand_in(AuthorizePage::InstantRedirect).await;
    assert_eq!(visit.authorize_status, 302);
    assert!(!visit.clicked_continue);
}

#[tokio::test]
async fn the_browser_stand_in_clicks_continue_on_the_consent_page() {
    let visit = visit_with_the_stand_in(AuthorizePage::Consent).await;
    assert_eq!(visit.authorize_status, 200);
    assert!(visit.authorize_body.contains("Continue"));
    assert!(visit.clicked_continue);
}

/// Runs the stand-in browser against a one-shot callback server, as the client's sign-in would
/// run one, and checks that it reached the callback with a code.
async fn visit_with_the_stand_in(authorize_page: AuthorizePage) -> BrowserVisit {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let emulator = Emulator::start_with(EmulatorOptions {
        authorize_page,
        ..EmulatorOptions::default()
    })
    .unwrap();
    // A one-shot callback server, as the client's sign-in would run.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        while !request.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            if socket.read(&mut byte).await.unwrap() == 0 {
                break;
            }
            request.push(byte[0]);
        }
        let page = b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nSigned in";
        socket.write_all(page).await.unwrap();
        String::from_utf8(request).unwrap()
    });
    let redirect = format!("http://localhost:{port}/auth/callback");
    let url = authorize_url(&emulator, &[("redirect_uri", &redirect)]);
    let visit = emulator.visit_in_browser(url.as_str()).await.unwrap();
    assert_eq!(visit.callback_status, Some(200));
    assert_eq!(visit.callback_body.as_deref(), Some("Signed in"));
    let request = server.await.unwrap();
    assert!(request.starts_with("GET /auth/callback?code="), "{request}");
    assert!(request.contains("state=state-123"));
    visit
}

/// What the emulator mints, the crate reads: identity, plan and expiry from both JWTs.
#[test]
fn the_crate_reads_the_tokens_the_emulator_mints() {
    use emulator::jwt::{Claims, TokenKind, mint};
    let account = emulator::EmulatedAccount::default();
    let claims = Claims {
        account: &account,
        issuer: "http://127.0.0.1:1",
        issued_at: 1_700_000_000,
        expires_at: 1_700_003_600,
        token_id: "jti-1",
    };
    for kind in [TokenKind::Id, TokenKind::Access] {
        let token = mint(kind, &claims, b"key");
        assert_eq!(token.split('.').count(), 3);
        let identity = parse_identity(&token).unwrap();
        assert_eq!(identity.email.as_deref(), Some("ada@example.com"));
        assert_eq!(identity.account_id.as_deref(), Some("acct_emulated"));
        assert_eq!(identity.plan, Some(PlanType::Plus));
        assert_eq!(parse_expiry(&token).unwrap().timestamp(), 1_700_003_600);
    }
}

/// Every model of the emulator's catalog parses as the crate reads a catalog entry.
#[test]
fn the_emulators_catalog_parses_as_the_crate_reads_it() {
    for entry in emulator::models::catalog() {
        let model: openai_subscribed::models::ModelInfo = serde_json::from_value(entry).unwrap();
        assert!(!model.slug.is_empty());
    }
}
