//! The real payloads of `tests/fixtures/real/` outside the model catalog, read by the crate's
//! own parsers: `/wham/usage` answers, the ID token's auth claims, the device-code answer (its
//! `interval` a string), and the `refresh_token_reused` error. Plus `/wham/usage` over real
//! sockets against the emulator, which must agree with the `x-codex-*` headers it sends.

use base64::Engine as _;
use emulator::{Emulator, Fault};
use gpui::TestAppContext;
use openai_subscribed::auth::refresh_error::classify_response;
use openai_subscribed::auth::{PermanentReason, RefreshError};
use openai_subscribed::backend_request::BackendAuth;
use openai_subscribed::config::Config;
use openai_subscribed::oauth::PlanType;
use openai_subscribed::oauth::jwt_claims::parse_identity;
use openai_subscribed::secret::AccessToken;
use openai_subscribed::usage::{UsageFetchError, UsageWindow, fetch_usage, parse_usage_answer};
use reqwest_client::ReqwestHttpClient;
use std::path::PathBuf;
use std::sync::Arc;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn labels(windows: &[UsageWindow]) -> Vec<String> {
    windows.iter().map(UsageWindow::label).collect()
}

#[test]
fn every_real_wham_usage_answer_is_read_with_windows_labelled_by_length() {
    let now = chrono::Utc::now();
    // (file, window labels in answer order, used percents)
    let cases: [(&str, &[&str], &[f64]); 4] = [
        (
            "wham_usage_quse_captured_2026-07-07.json",
            &["5-hour", "weekly"],
            &[0.0, 98.0],
        ),
        (
            "wham_usage_plus_faithful_shape_rust.json",
            &["5-hour", "weekly"],
            &[23.0, 6.0],
        ),
        // Pro plans: the weekly window arrives as the *primary* one, the secondary is null.
        (
            "wham_usage_pro_weekly_only_live_rust_jsonmacro.CONVERTED.json",
            &["weekly"],
            &[50.0],
        ),
        (
            "wham_usage_prolite_weekly_only_agenthub.json",
            &["weekly"],
            &[52.0],
        ),
    ];
    for (name, expected_labels, expected_used) in cases {
        let usage = parse_usage_answer(&fixture(name), now).unwrap();
        assert_eq!(labels(&usage.windows), *expected_labels, "{name}");
        let used: Vec<f64> = usage.windows.iter().map(|w| w.used_percent).collect();
        assert_eq!(used, *expected_used, "{name}");
        assert!(
            usage.windows.iter().all(|w| w.resets_at.is_some()),
            "{name}"
        );
    }
    let plus =
        parse_usage_answer(&fixture("wham_usage_plus_faithful_shape_rust.json"), now).unwrap();
    let credits = plus.credits.unwrap();
    assert_eq!(credits.balance.as_deref(), Some("0"), "a string balance");
    assert!(!credits.has_credits && !credits.unlimited);
    assert_eq!(
        plus.windows[0].resets_at,
        chrono::DateTime::from_timestamp(1781276043, 0)
    );
}

#[test]
fn the_real_id_token_auth_claims_give_the_plan() {
    // The measured claims subset, inside a JWT as the issuer sends it (signature unchecked).
    let claims: serde_json::Value =
        serde_json::from_slice(&fixture("jwt_id_token_auth_claims_subset_measured.json")).unwrap();
    let payload = serde_json::json!({
        "email": "ada@example.com",
        "https://api.openai.com/auth": claims,
    });
    let encode = |value: &serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
    };
    let jwt = format!(
        "{}.{}.sig",
        encode(&serde_json::json!({"alg": "RS256"})),
        encode(&payload)
    );
    let identity = parse_identity(&jwt).unwrap();
    assert_eq!(identity.plan, Some(PlanType::Plus));
    assert_eq!(identity.email.as_deref(), Some("ada@example.com"));
    assert_eq!(identity.account_id, None, "the subset has no account id");
}

#[test]
fn the_real_refresh_token_reused_error_is_permanent() {
    let body = fixture("err_refresh_token_reused_aether_issue209.CONVERTED.json");
    for status in [400, 401] {
        assert_eq!(
            classify_response(status, &body),
            RefreshError::Permanent(PermanentReason::Reused)
        );
    }
}

/// A one-shot loopback issuer answering the device-code request with `body`.
fn serve_once(body: Vec<u8>) -> (String, std::thread::JoinHandle<String>) {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        let mut request = Vec::new();
        let mut buffer = [0; 4096];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let read = stream.read(&mut buffer).unwrap();
            assert!(read > 0, "the request ended early");
            request.extend_from_slice(&buffer[..read]);
        }
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n",
            body.len()
        )
        .unwrap();
        stream.write_all(&body).unwrap();
        String::from_utf8_lossy(&request).into_owned()
    });
    (url, server)
}

#[gpui::test]
async fn the_real_device_code_answer_with_a_string_interval_is_read(cx: &mut TestAppContext) {
    cx.executor().allow_parking();
    let sequence: serde_json::Value =
        serde_json::from_slice(&fixture("device_auth_measured_sequence.json")).unwrap();
    let answer = &sequence["POST https://auth.openai.com/api/accounts/deviceauth/usercode"];
    assert!(answer["interval"].is_string());
    let (url, server) = serve_once(serde_json::to_vec(answer).unwrap());
    let config = Config::with_urls(&url, &format!("{url}/backend-api/codex")).unwrap();
    let http: Arc<dyn http_client::HttpClient> = ReqwestHttpClient::new("tests").unwrap();
    let code = cx
        .update(|cx| {
            openai_subscribed::oauth::request_device_code(http, &config, cx.background_executor())
        })
        .await
        .unwrap();
    assert_eq!(code.user_code(), "9F29-9M6JA");
    assert_eq!(code.interval(), std::time::Duration::from_secs(5));
    let request = server.join().unwrap();
    assert!(
        request.starts_with("POST /api/accounts/deviceauth/usercode "),
        "{request}"
    );
}

fn backend_auth(emulator: &Emulator) -> BackendAuth {
    BackendAuth {
        access_token: AccessToken::new(emulator.mint_tokens(3600).access_token),
        account_id: "acct_emulated".into(),
    }
}

#[tokio::test]
async fn wham_usage_over_sockets_agrees_with_the_answer_headers() {
    let emulator = Emulator::start().unwrap();
    let config = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap();
    assert_eq!(
        config.usage_url().as_str(),
        format!("{}/backend-api/wham/usage", emulator.issuer_url()),
        "one backend URL serves both"
    );
    let http = ReqwestHttpClient::new("tests").unwrap();
    let auth = backend_auth(&emulator);

    let before_any_chat = fetch_usage(http.as_ref(), &config, &auth).await.unwrap();
    assert_eq!(labels(&before_any_chat.windows), ["5-hour", "weekly"]);
    assert_eq!(before_any_chat.window(300).unwrap().used_percent, 0.0);

    // One chat: its answer's headers and a later /wham/usage report the same windows.
    let body = serde_json::json!({
        "model": "gpt-5.5", "instructions": "Be brief.", "store": false, "stream": true,
        "input": [{"type": "message", "role": "user",
                   "content": [{"type": "input_text", "text": "hi"}]}],
    });
    let answer = reqwest::Client::new()
        .post(config.responses_url().as_str())
        .bearer_auth(auth.access_token.secret())
        .header("ChatGPT-Account-Id", &auth.account_id)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let from_headers =
        openai_subscribed::usage::UsageLimits::from_headers(answer.headers(), chrono::Utc::now())
            .unwrap();
    let after = fetch_usage(http.as_ref(), &config, &auth).await.unwrap();
    for (header, fetched) in from_headers.windows.iter().zip(&after.windows) {
        assert_eq!(header.window_minutes, fetched.window_minutes);
        assert_eq!(header.used_percent, fetched.used_percent);
        let drift = (header.resets_at.unwrap() - fetched.resets_at.unwrap()).num_seconds();
        assert!(drift.abs() <= 60, "{drift}");
    }
    assert_eq!(after.window(300).unwrap().used_percent, 1.0);

    // The same caller checks as the rest of the backend; a failure is an error, not a panic.
    let mut expired = backend_auth(&emulator);
    expired.access_token = AccessToken::new(emulator.mint_tokens(-1).access_token);
    assert_eq!(
        fetch_usage(http.as_ref(), &config, &expired).await,
        Err(UsageFetchError::Unauthorized(401))
    );
    emulator.inject(Fault::UsageStatus { status: 503 });
    assert!(matches!(
        fetch_usage(http.as_ref(), &config, &auth).await,
        Err(UsageFetchError::Status { status: 503, .. })
    ));
    assert_eq!(emulator.stats().usage_requests, 4);
}
