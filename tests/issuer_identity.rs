//! Every issuer call identifies the client the same way, over real loopback sockets: the code
//! exchange, the device-code request, the token renewal and the revocation all go through one
//! issuer request helper, so the emulated issuer sees the same `User-Agent` (the client's own,
//! never the HTTP library's default) and `Accept` on each.

mod support;

use emulator::Emulator;
use gpui::TestAppContext;
use http_client::HttpClient;
use openai_subscribed::auth::refresh::refresh_tokens;
use openai_subscribed::auth::revoke::revoke_refresh_token;
use openai_subscribed::config::Config;
use openai_subscribed::oauth::{CallbackServerOptions, request_device_code, start_browser_sign_in};
use reqwest_client::ReqwestHttpClient;
use std::sync::Arc;

#[gpui::test]
async fn every_issuer_call_sends_the_clients_user_agent(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();
    let config = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap();
    // A default user agent of the HTTP library that no issuer call may be left with.
    let http: Arc<dyn HttpClient> = ReqwestHttpClient::new("the-http-library-default").unwrap();
    support::allow_parking(cx);

    // The code exchange, through the real browser flow and callback server.
    let sign_in = start_browser_sign_in(
        http.clone(),
        &config,
        &cx.executor(),
        CallbackServerOptions {
            ports: vec![0],
            ..CallbackServerOptions::default()
        },
    )
    .unwrap();
    emulator
        .visit_in_browser(sign_in.authorize_url.as_str())
        .await
        .unwrap();
    let tokens = sign_in.task.await.unwrap();

    // A device-code request.
    request_device_code(http.clone(), &config, &cx.executor())
        .await
        .unwrap();

    // A renewal, then the revocation of the renewed refresh token.
    let renewed = refresh_tokens(&*http, &config, &tokens).await.unwrap();
    revoke_refresh_token(&*http, &config, &renewed.refresh_token)
        .await
        .unwrap();

    let stats = emulator.stats();
    assert_eq!(
        (stats.code_exchanges, stats.refreshes, stats.revocations),
        (1, 1, 1)
    );
    let seen = emulator.issuer_requests();
    let paths: Vec<_> = seen.iter().map(|request| request.path).collect();
    assert_eq!(
        paths,
        [
            "/oauth/token",
            "/api/accounts/deviceauth/usercode",
            "/oauth/token",
            "/oauth/revoke"
        ]
    );
    // The exchange is a form, the others JSON: one helper, each call's own body.
    let content_types: Vec<_> = seen
        .iter()
        .map(|request| request.header("content-type").unwrap_or_default())
        .collect();
    assert_eq!(
        content_types,
        [
            "application/x-www-form-urlencoded",
            "application/json",
            "application/json",
            "application/json"
        ]
    );
    for request in &seen {
        assert_eq!(
            request.header("user-agent"),
            Some(config.user_agent().as_str()),
            "{}",
            request.path
        );
        assert_eq!(
            request.header("accept"),
            Some("application/json"),
            "{}",
            request.path
        );
    }
}
