//! Sign-in with ChatGPT, end to end over real loopback sockets: the real callback server, the
//! real HTTP client (which also plays the browser, following the issuer's 302), and the embedded
//! emulator as the issuer.
//!
//! Time: every timeout in `oauth` runs on gpui's executor clock, which the test executor fakes.
//! Timeout tests move it with `advance_clock` (deterministic, instant); waits on real sockets
//! call `allow_parking` first. Only `fixed_ports_fall_back_and_then_fail` touches ports 1455 and
//! 1457; every other test binds an ephemeral port.

mod support;

use emulator::{Emulator, EmulatorOptions, Fault, RedirectPorts};
use futures::channel::mpsc;
use futures::{AsyncReadExt as _, AsyncWriteExt as _, FutureExt as _, StreamExt as _};
use gpui::TestAppContext;
use http_client::{AsyncBody, HttpClient, HttpRequestExt as _, RedirectPolicy, http};
use openai_subscribed::config::Config;
use openai_subscribed::oauth::callback_server::{CallbackOutcome, CallbackServer};
use openai_subscribed::oauth::html_page::Page;
use openai_subscribed::oauth::{
    BrowserSignIn, CallbackServerOptions, DeviceCodeOptions, OAuthError, PlanType,
    request_device_code, start_browser_sign_in,
};
use openai_subscribed::secret::CsrfState;
use reqwest_client::ReqwestHttpClient;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

// ---------------------------------------------------------------------------------------------
// Helpers

fn http_client() -> Arc<dyn HttpClient> {
    ReqwestHttpClient::new("openai-subscribed-tests").unwrap()
}

/// Callback options on an ephemeral port (the emulator accepts any loopback port by default).
fn ephemeral_port() -> CallbackServerOptions {
    CallbackServerOptions {
        ports: vec![0],
        ..CallbackServerOptions::default()
    }
}

fn start(
    cx: &TestAppContext,
    emulator: &Emulator,
    options: CallbackServerOptions,
) -> BrowserSignIn {
    support::allow_parking(cx);
    start_browser_sign_in(
        http_client(),
        &Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap(),
        &cx.executor(),
        options,
    )
    .unwrap()
}

fn query_param(url: &Url, name: &str) -> String {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| panic!("no {name} in the URL"))
}

/// Does what a browser does with the authorize URL: GET it and follow the 302 to the callback.
async fn browse(url: &Url) -> (u16, String) {
    let request = http::Request::get(url.as_str())
        .follow_redirects(RedirectPolicy::FollowAll)
        .body(AsyncBody::empty())
        .unwrap();
    let response = http_client().send(request).await.unwrap();
    let status = response.status().as_u16();
    let mut body = String::new();
    response
        .into_body()
        .read_to_string(&mut body)
        .await
        .unwrap();
    (status, body)
}

/// Asks the issuer for the redirect without following it: the callback URL with a fresh code.
async fn callback_location(authorize_url: &Url) -> Url {
    let request = http::Request::get(authorize_url.as_str())
        .body(AsyncBody::empty())
        .unwrap();
    let response = http_client().send(request).await.unwrap();
    assert_eq!(response.status().as_u16(), 302);
    Url::parse(response.headers()["location"].to_str().unwrap()).unwrap()
}

/// Sends raw bytes to the callback server and reads the whole answer.
async fn raw_request(port: u16, bytes: impl AsRef<[u8]>) -> String {
    let mut stream = async_net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    stream.write_all(bytes.as_ref()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.ok();
    String::from_utf8_lossy(&answer).into_owned()
}

fn status_of(answer: &str) -> u16 {
    answer
        .get(9..12)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"))
}

fn get(target: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n").into_bytes()
}

fn port_is_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

fn assert_no_secret(printed: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!secret.is_empty());
        assert!(!printed.contains(secret), "a secret leaked into: {printed}");
    }
}

/// Runs `future` while moving the fake clock forward by `step` every couple of real
/// milliseconds, for flows that wait on timers between real network round trips (device-code
/// polling). Which polls happen depends only on the emulator, not on timing.
async fn with_clock_running<T>(
    cx: &TestAppContext,
    step: Duration,
    future: impl Future<Output = T>,
) -> T {
    let (ticks_tx, mut ticks) = mpsc::unbounded::<()>();
    std::thread::spawn(move || {
        while ticks_tx.unbounded_send(()).is_ok() {
            std::thread::sleep(Duration::from_millis(2));
        }
    });
    let mut future = pin!(future.fuse());
    loop {
        futures::select! {
            output = future => return output,
            _ = ticks.next() => cx.executor().advance_clock(step),
        }
    }
}

/// Runs `future` for at most `limit` of real time (a thread keeps the time: the executor's clock
/// is fake), panicking with `what` when it is not done by then.
async fn within_real_time<T>(limit: Duration, what: &str, future: impl Future<Output = T>) -> T {
    let (expired_tx, expired) = futures::channel::oneshot::channel::<()>();
    std::thread::spawn(move || {
        std::thread::sleep(limit);
        expired_tx.send(()).ok();
    });
    let mut future = pin!(future.fuse());
    let mut expired = expired.fuse();
    futures::select! {
        output = future => output,
        _ = expired => panic!("{what} did not happen within {limit:?}"),
    }
}

/// Raises this process's soft limit on open files to at least `wanted` (up to the hard limit),
/// for tests that hold many sockets open.
fn allow_open_files(wanted: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `getrlimit` and `setrlimit` only read and write the struct passed by reference.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        if limit.rlim_cur < wanted {
            limit.rlim_cur = wanted.min(limit.rlim_max);
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
        }
        assert!(
            limit.rlim_cur >= wanted,
            "this test needs {wanted} open files; the hard limit is {}",
            limit.rlim_max
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Browser flow

#[gpui::test]
async fn browser_sign_in_end_to_end(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();
    let sign_in = start(cx, &emulator, ephemeral_port());
    let port = sign_in.port;
    let url = sign_in.authorize_url.clone();
    assert_eq!(url.path(), "/oauth/authorize");
    assert_eq!(
        query_param(&url, "redirect_uri"),
        format!("http://localhost:{port}/auth/callback")
    );
    assert_eq!(query_param(&url, "code_challenge_method"), "S256");
    let state = query_param(&url, "state");
    assert_no_secret(&format!("{sign_in:?}"), &[&state]);

    let (status, page) = browse(&url).await;
    let tokens = sign_in.task.await.unwrap();

    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Signed in"), "{page}");
    assert!(page.contains("ada@example.com"), "{page}");
    assert_eq!(tokens.identity.email.as_deref(), Some("ada@example.com"));
    assert_eq!(tokens.identity.account_id.as_deref(), Some("acct_emulated"));
    assert_eq!(tokens.identity.plan, Some(PlanType::Plus));
    assert_eq!(tokens.identity.user_id.as_deref(), Some("user_emulated"));
    assert!(tokens.expires_at > chrono::Utc::now());
    assert_no_secret(
        &format!("{tokens:?}"),
        &[
            tokens.access_token.secret(),
            tokens.refresh_token.secret(),
            tokens.id_token.as_ref().unwrap().secret(),
        ],
    );
    assert_eq!(emulator.stats().code_exchanges, 1);
    assert!(port_is_free(port));
}

#[gpui::test]
async fn hostile_and_broken_callbacks_do_not_stop_the_sign_in(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();
    let sign_in = start(cx, &emulator, ephemeral_port());
    let port = sign_in.port;
    let state = query_param(&sign_in.authorize_url, "state");
    let mut task = sign_in.task;

    // A connection that sends nothing stays open while everything else is served...
    let mut silent = async_net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    // ...and so does one that sends half a request.
    let mut half = async_net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    half.write_all(b"GET /auth/callback?code=x").await.unwrap();

    // 50 connections at once, each with a forged state.
    let forged: Vec<String> = futures::future::join_all((0..50).map(|i| {
        raw_request(
            port,
            get(&format!("/auth/callback?code=c{i}&state=forged{i}")),
        )
    }))
    .await;
    for answer in &forged {
        assert_eq!(status_of(answer), 400, "{answer}");
        assert!(answer.contains("Connection: close"), "{answer}");
    }

    let cases: Vec<(Vec<u8>, u16)> = vec![
        // A stale tab: wrong state.
        (get("/auth/callback?code=stale&state=old-state"), 400),
        // The right state but no code.
        (get(&format!("/auth/callback?state={state}")), 400),
        // An error with HTML in it but a forged state: refused, nothing reflected.
        (
            get("/auth/callback?error=access_denied&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E&state=x"),
            400,
        ),
        // Other paths and methods.
        (get("/favicon.ico"), 404),
        (
            format!("POST /auth/callback?code=c&state={state} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello")
                .into_bytes(),
            405,
        ),
        // Raw non-UTF-8 bytes in the request line, and bytes that are not HTTP at all.
        (b"GET /auth/callback?code=\xff\xfe&state=\xc3\x28 HTTP/1.1\r\n\r\n".to_vec(), 400),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n".to_vec(), 400),
        // 64 KiB of headers.
        (
            {
                let mut request = b"GET /auth/callback HTTP/1.1\r\nHost: localhost\r\n".to_vec();
                while request.len() < 64 * 1024 {
                    request.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
                }
                request.extend_from_slice(b"\r\n");
                request
            },
            431,
        ),
    ];
    for (request, expected) in &cases {
        let answer = raw_request(port, request).await;
        assert_eq!(status_of(&answer), *expected, "{answer}");
        assert!(!answer.contains("<script>"), "{answer}");
    }

    // Nothing so far ended the sign-in.
    assert!(futures::poll!(&mut task).is_pending());

    // The silent and the half-sent connections time out on their own (408) without ending the
    // sign-in.
    cx.executor()
        .advance_clock(CallbackServerOptions::default().read_timeout + Duration::from_secs(1));
    for stream in [&mut silent, &mut half] {
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.unwrap();
        assert_eq!(status_of(&String::from_utf8_lossy(&answer)), 408);
    }
    assert!(futures::poll!(&mut task).is_pending());

    // A connection still open when the sign-in ends is closed with the server.
    let mut lingering = async_net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();

    // The real callback, sent one byte at a time.
    let location = callback_location(&sign_in.authorize_url).await;
    let code = query_param(&location, "code");
    let request = get(&format!(
        "{}?{}",
        location.path(),
        location.query().unwrap()
    ));
    let mut browser = async_net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    browser.set_nodelay(true).unwrap();
    for byte in &request {
        browser.write_all(std::slice::from_ref(byte)).await.unwrap();
        browser.flush().await.unwrap();
    }
    let mut page = Vec::new();
    browser.read_to_end(&mut page).await.unwrap();
    let page = String::from_utf8_lossy(&page);
    assert_eq!(status_of(&page), 200, "{page}");
    assert!(page.contains("Signed in"), "{page}");

    let tokens = task.await.unwrap();
    assert_eq!(tokens.identity.email.as_deref(), Some("ada@example.com"));
    assert_eq!(emulator.stats().code_exchanges, 1);

    let mut rest = Vec::new();
    lingering.read_to_end(&mut rest).await.ok();
    assert!(rest.is_empty());
    assert!(port_is_free(port));
    assert_no_secret(&format!("{tokens:?}"), &[&code, &state]);
}

#[gpui::test]
async fn idle_connections_do_not_shut_out_the_browser(cx: &mut TestAppContext) {
    const IDLE: usize = 500;
    // The test holds the idle connections, the server at most `MAX_CONNECTIONS` of its own.
    allow_open_files(2048);
    let emulator = Emulator::start().unwrap();
    let sign_in = start(cx, &emulator, ephemeral_port());
    let port = sign_in.port;
    let mut task = sign_in.task;

    // 500 connections held open: half send nothing, half a partial request line.
    let mut idle = Vec::with_capacity(IDLE);
    within_real_time(
        Duration::from_secs(60),
        "opening the idle connections",
        async {
            for i in 0..IDLE {
                let mut stream = async_net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .unwrap();
                if i % 2 == 1 {
                    stream.write_all(b"GET /auth/callback?co").await.unwrap();
                }
                idle.push(stream);
            }
        },
    )
    .await;
    assert!(futures::poll!(&mut task).is_pending());

    // The real redirect still gets its answer, and the sign-in completes.
    let location = callback_location(&sign_in.authorize_url).await;
    let request = get(&format!(
        "{}?{}",
        location.path(),
        location.query().unwrap()
    ));
    let page = within_real_time(
        Duration::from_secs(30),
        "the answer to the real redirect",
        raw_request(port, request),
    )
    .await;
    assert_eq!(status_of(&page), 200, "{page}");
    assert!(page.contains("Signed in"), "{page}");
    let tokens = within_real_time(Duration::from_secs(30), "the end of the sign-in", task)
        .await
        .unwrap();
    assert_eq!(tokens.identity.email.as_deref(), Some("ada@example.com"));
    assert_eq!(emulator.stats().code_exchanges, 1);
    drop(idle);
    assert!(port_is_free(port));
}

#[gpui::test]
async fn an_error_callback_is_escaped_and_ends_the_sign_in(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();
    let sign_in = start(cx, &emulator, ephemeral_port());
    let state = query_param(&sign_in.authorize_url, "state");
    let answer = raw_request(
        sign_in.port,
        get(&format!(
            "/auth/callback?error=access_denied&error_description=%3Cscript%3Ealert(%27x%27)%3C%2Fscript%3E&state={state}"
        )),
    )
    .await;
    assert_eq!(status_of(&answer), 403, "{answer}");
    assert!(!answer.contains("<script>"), "{answer}");
    assert!(
        answer.contains("&lt;script&gt;alert('x')&lt;/script&gt;"),
        "{answer}"
    );

    let error = sign_in.task.await.unwrap_err();
    assert!(
        matches!(&error, OAuthError::AccessDenied { description: Some(d) } if d.contains("<script>")),
        "{error:?}"
    );
    assert_no_secret(&format!("{error:?} {error}"), &[&state]);
    assert!(port_is_free(sign_in.port));
}

#[gpui::test]
async fn a_plan_without_codex_is_explained(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();
    emulator.inject(Fault::AuthorizeDenied {
        description: "missing_codex_entitlement".into(),
    });
    let sign_in = start(cx, &emulator, ephemeral_port());
    let (status, page) = browse(&sign_in.authorize_url).await;
    assert_eq!(status, 403);
    assert!(page.contains("does not include Codex"), "{page}");
    let error = sign_in.task.await.unwrap_err();
    assert_eq!(error, OAuthError::NoCodexEntitlement);
    assert!(error.to_string().contains("plan does not include Codex"));
    assert_eq!(emulator.stats().code_exchanges, 0);
}

#[gpui::test]
async fn an_issuer_error_on_the_exchange_is_shown(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();
    emulator.inject(Fault::TokenStatus {
        status: 400,
        body: serde_json::json!({"error": "invalid_grant", "error_description": "Code <expired>"}),
    });
    let sign_in = start(cx, &emulator, ephemeral_port());
    let state = query_param(&sign_in.authorize_url, "state");
    let (status, page) = browse(&sign_in.authorize_url).await;
    assert_eq!(status, 502);
    assert!(page.contains("Code &lt;expired&gt;"), "{page}");
    let error = sign_in.task.await.unwrap_err();
    assert_no_secret(&format!("{error:?} {error}"), &[&state]);
    match error {
        OAuthError::IssuerError {
            status,
            code,
            message,
        } => {
            assert_eq!(status, Some(400));
            assert_eq!(code.as_deref(), Some("invalid_grant"));
            assert_eq!(message, "Code <expired>");
        }
        other => panic!("{other:?}"),
    }
}

#[gpui::test]
async fn an_issuer_that_never_answers_the_exchange_is_reported(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();
    emulator.inject(Fault::TokenHang);
    let sign_in = start(cx, &emulator, ephemeral_port());
    let state = query_param(&sign_in.authorize_url, "state");
    // The exchange's own time limit runs on the fake clock: keep it moving.
    let ((status, page), result) = with_clock_running(
        cx,
        Duration::from_secs(1),
        futures::future::join(browse(&sign_in.authorize_url), sign_in.task),
    )
    .await;
    assert_eq!(status, 502);
    assert!(page.contains("no answer within 30 s"), "{page}");
    let error = result.unwrap_err();
    assert!(
        matches!(&error, OAuthError::IssuerUnreachable { url, .. } if url.ends_with("/oauth/token")),
        "{error:?}"
    );
    assert_no_secret(&format!("{error:?} {error}"), &[&state]);
    assert!(port_is_free(sign_in.port));
}

#[gpui::test]
async fn an_unreachable_issuer_is_named(cx: &mut TestAppContext) {
    // A port nothing listens on: bind one, note it, free it.
    let dead_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let issuer = format!("http://127.0.0.1:{dead_port}");
    let config = Config::with_urls(&issuer, &format!("{issuer}/backend-api/codex")).unwrap();
    support::allow_parking(cx);
    let error = request_device_code(http_client(), &config, &cx.executor())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, OAuthError::IssuerUnreachable { url, .. } if url.contains(&dead_port.to_string())),
        "{error:?}"
    );
}

#[gpui::test]
async fn the_callback_server_serves_any_oauth_flow(cx: &mut TestAppContext) {
    // The server on its own, as another OAuth flow would use it: its own path, its own page.
    support::allow_parking(cx);
    let options = CallbackServerOptions {
        ports: vec![0],
        path: "/oauth2/done".into(),
        ..CallbackServerOptions::default()
    };
    let server = CallbackServer::bind(options, cx.executor()).unwrap();
    let port = server.port();
    assert_eq!(
        server.redirect_uri().as_str(),
        format!("http://localhost:{port}/oauth2/done")
    );
    let state = CsrfState::generate();
    let target = format!("/oauth2/done?code=abc%2Bdef&state={}", state.secret());
    let waiting = cx
        .executor()
        .spawn(server.wait_for_callback(CsrfState::new(state.secret())));

    let old_path = raw_request(port, get("/auth/callback?code=x")).await;
    assert_eq!(status_of(&old_path), 404);
    let browser = cx.executor().spawn(raw_request(port, get(&target)));
    let callback = waiting.await.unwrap();
    match callback.outcome {
        CallbackOutcome::Code(code) => assert_eq!(code.secret(), "abc+def"),
        other => panic!("{other:?}"),
    }
    callback
        .responder
        .respond(Page::success("Done", "Linked <your> account."))
        .await;
    let page = browser.await;
    assert_eq!(status_of(&page), 200);
    assert!(page.contains("Linked &lt;your&gt; account."), "{page}");
    assert!(port_is_free(port));
}

// ---------------------------------------------------------------------------------------------
// Ports, cancellation, timeouts

use emulator::callback_ports;

#[gpui::test]
async fn fixed_ports_fall_back_and_then_fail(cx: &mut TestAppContext) {
    // The only test here that uses the issuer's real ports; the steps run one after another.
    // Other test binaries use them too (cli, browser): hold the shared lock.
    let _ports = callback_ports::PortLock::acquire();
    assert!(
        port_is_free(1455) && port_is_free(1457),
        "ports 1455 and 1457 must be free to run this test"
    );
    let emulator = Emulator::start_with(EmulatorOptions {
        redirect_ports: RedirectPorts::RealIssuer,
        ..EmulatorOptions::default()
    })
    .unwrap();

    // 1455 taken: 1457 is used, and the real-issuer allow-list accepts it end to end.
    let taken = std::net::TcpListener::bind("127.0.0.1:1455").unwrap();
    let sign_in = start(cx, &emulator, CallbackServerOptions::default());
    assert_eq!(sign_in.port, 1457);
    assert_eq!(
        query_param(&sign_in.authorize_url, "redirect_uri"),
        "http://localhost:1457/auth/callback"
    );
    let (status, _) = browse(&sign_in.authorize_url).await;
    assert_eq!(status, 200);
    sign_in.task.await.unwrap();
    assert!(port_is_free(1457));

    // Both taken: an error that names both and suggests the device code.
    let taken_too = std::net::TcpListener::bind("127.0.0.1:1457").unwrap();
    let error = start_browser_sign_in(
        http_client(),
        &Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap(),
        &cx.executor(),
        CallbackServerOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        error,
        OAuthError::PortsBusy {
            ports: vec![1455, 1457]
        }
    );
    let message = error.to_string();
    assert!(message.contains("1455 and 1457"), "{message}");
    assert!(message.contains("device-code"), "{message}");
    drop((taken, taken_too));
}

#[gpui::test]
async fn cancelling_or_dropping_releases_the_port(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();

    let sign_in = start(cx, &emulator, ephemeral_port());
    let mut open = async_net::TcpStream::connect(("127.0.0.1", sign_in.port))
        .await
        .unwrap();
    sign_in.cancel.cancel();
    assert_eq!(sign_in.task.await.unwrap_err(), OAuthError::Cancelled);
    assert!(port_is_free(sign_in.port));
    let mut rest = Vec::new();
    open.read_to_end(&mut rest).await.ok();
    assert!(
        rest.is_empty(),
        "an open connection is closed, not answered"
    );

    let sign_in = start(cx, &emulator, ephemeral_port());
    let port = sign_in.port;
    assert!(!port_is_free(port));
    drop(sign_in.task);
    cx.run_until_parked();
    assert!(port_is_free(port));
}

#[gpui::test]
async fn the_wait_times_out(cx: &mut TestAppContext) {
    let emulator = Emulator::start().unwrap();
    let sign_in = start(cx, &emulator, ephemeral_port());
    let mut task = sign_in.task;

    cx.executor().advance_clock(Duration::from_secs(4 * 60));
    assert!(futures::poll!(&mut task).is_pending());
    cx.executor().advance_clock(Duration::from_secs(61));
    let error = task.await.unwrap_err();
    assert_eq!(
        error,
        OAuthError::TimedOut {
            after: Duration::from_secs(5 * 60)
        }
    );
    assert!(error.to_string().contains("5 min"));
    assert!(port_is_free(sign_in.port));
}

// ---------------------------------------------------------------------------------------------
// Device code

#[gpui::test]
async fn device_sign_in_polls_until_approved(cx: &mut TestAppContext) {
    // The emulator's defaults: the interval arrives as the string "5", and two polls are
    // answered "pending" before the approval.
    let emulator = Emulator::start().unwrap();
    let config = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap();
    support::allow_parking(cx);

    let code = request_device_code(http_client(), &config, &cx.executor())
        .await
        .unwrap();
    assert_eq!(code.interval(), Duration::from_secs(5));
    assert_eq!(
        code.verification_url().as_str(),
        format!("{}/codex/device", emulator.issuer_url())
    );
    let user_code = code.user_code().to_string();
    assert!(!user_code.is_empty());
    assert_no_secret(&format!("{code:?}"), &[&user_code]);

    let started = cx.executor().now();
    let sign_in = code.wait_for_approval(
        http_client(),
        &config,
        &cx.executor(),
        DeviceCodeOptions::default(),
    );
    let tokens = with_clock_running(cx, Duration::from_secs(1), sign_in.task)
        .await
        .unwrap();
    assert_eq!(tokens.identity.email.as_deref(), Some("ada@example.com"));
    assert_eq!(tokens.identity.plan, Some(PlanType::Plus));
    let stats = emulator.stats();
    assert_eq!(stats.device_polls, 3);
    assert_eq!(stats.code_exchanges, 1);
    // Three polls, each after a full interval.
    assert!(cx.executor().now() - started >= Duration::from_secs(15));
}

#[gpui::test]
async fn device_sign_in_disabled_times_out_and_cancels(cx: &mut TestAppContext) {
    let emulator = Emulator::start_with(EmulatorOptions {
        device_pending_polls: u32::MAX,
        device_interval_as_string: false,
        ..EmulatorOptions::default()
    })
    .unwrap();
    let config = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap();
    support::allow_parking(cx);

    emulator.inject(Fault::DeviceDisabled);
    let error = request_device_code(http_client(), &config, &cx.executor())
        .await
        .unwrap_err();
    assert_eq!(error, OAuthError::DeviceCodeDisabled);
    assert!(error.to_string().contains("browser sign-in"));

    let code = request_device_code(http_client(), &config, &cx.executor())
        .await
        .unwrap();
    assert_eq!(code.interval(), Duration::from_secs(5));
    let sign_in = code.wait_for_approval(
        http_client(),
        &config,
        &cx.executor(),
        DeviceCodeOptions {
            time_limit: Duration::from_secs(30),
        },
    );
    let error = with_clock_running(cx, Duration::from_secs(1), sign_in.task)
        .await
        .unwrap_err();
    assert_eq!(
        error,
        OAuthError::TimedOut {
            after: Duration::from_secs(30)
        }
    );
    // "Pending" answers kept it polling until the limit (how many fit depends on how the fake
    // clock and the real round trips interleave, so only "some" is asserted).
    assert!(emulator.stats().device_polls >= 1);

    let code = request_device_code(http_client(), &config, &cx.executor())
        .await
        .unwrap();
    let user_code = code.user_code().to_string();
    let sign_in = code.wait_for_approval(
        http_client(),
        &config,
        &cx.executor(),
        DeviceCodeOptions::default(),
    );
    assert_no_secret(&format!("{sign_in:?}"), &[&user_code]);
    sign_in.cancel.cancel();
    assert_eq!(sign_in.task.await.unwrap_err(), OAuthError::Cancelled);
}
