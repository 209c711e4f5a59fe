//! `demo`: the whole product, offline, against the embedded emulator.
//!
//! With no network and no account it starts the emulator, signs in through the real browser
//! flow (an HTTP client plays the browser: it follows the authorize URL's redirect to the
//! loopback callback), lists the plan's models, streams an answer with reasoning and a tool call
//! over two turns, shows the usage limits, makes the backend refuse the access token so the
//! provider refreshes it silently, and signs out. Each step is printed as it happens, and every
//! step runs the same provider code Zed runs.

use super::context::CommandContext;
use super::event_json::stop_reason_name;
use super::headless::run_headless;
use super::model_listing::{ListingFormat, catalog_listing};
use super::output::{errln, outln};
use super::usage::render_usage;
use anyhow::{Context as _, Result, anyhow, bail};
use emulator::{Emulator, EmulatorOptions, RedirectPorts};
use futures::{AsyncReadExt as _, StreamExt as _};
use gpui::{AppContext as _, AsyncApp};
use http_client::{AsyncBody, HttpClient, HttpRequestExt as _, RedirectPolicy};
use language_model::*;
use openai_subscribed::auth::SignInMethod;
use openai_subscribed::config::Config;
use openai_subscribed::credentials::{CredentialStore, MemoryStore};
use openai_subscribed::models::CacheLocation;
use openai_subscribed::provider::{OpenAiSubscribedProvider, StateOptions, UrlOpener};
use std::io::Write as _;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::Arc;

const STEPS: usize = 7;

fn step(number: usize, title: &str) {
    outln!("\n[{number}/{STEPS}] {title}");
}

/// Runs the demo; the emulator lives as long as the run.
pub fn run(context: CommandContext) -> ExitCode {
    let emulator = match Emulator::start_with(EmulatorOptions {
        redirect_ports: RedirectPorts::RealIssuer,
        ..EmulatorOptions::default()
    }) {
        Ok(emulator) => Arc::new(emulator),
        Err(error) => {
            errln!("error: could not start the embedded emulator: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    let http = context.http.clone();
    run_headless(http, async move |cx| demo(context, emulator, cx).await)
}

async fn demo(context: CommandContext, emulator: Arc<Emulator>, cx: &mut AsyncApp) -> Result<()> {
    step(
        1,
        "Starting the embedded emulator of the issuer and the backend",
    );
    outln!("    issuer:  {}", emulator.issuer_url());
    outln!("    backend: {}", emulator.backend_url());

    let cache_dir = tempfile::tempdir().context("could not create a cache directory")?;
    let store = Arc::new(MemoryStore::new());
    let options = StateOptions {
        cache: CacheLocation::Directory(cache_dir.path().to_path_buf()),
        url_opener: http_browser(context.http.clone()),
        ..StateOptions::default()
    };
    let store_for_provider: Arc<dyn CredentialStore> = store.clone();
    let provider = cx.update(|cx| {
        OpenAiSubscribedProvider::with_options(
            context.http.clone(),
            store_for_provider,
            // The demo shows the HTTP path's steps (its refresh after a refused request among
            // them); `chat --interactive` shows the WebSocket transport.
            Config {
                transport: openai_subscribed::config::Transport::Http,
                ..Config::with_urls(&emulator.issuer_url(), &emulator.backend_url())
                    .and_then(|config| {
                        config.with_official_urls(
                            &emulator.siwc_issuer_url(),
                            &emulator.siwc_api_url(),
                        )
                    })
                    .unwrap()
            },
            options,
            cx,
        )
    })?;
    let state = provider.state().clone();
    let auth = state.read_with(cx, |state, _| state.auth().clone())?;

    step(
        2,
        "Signing in with ChatGPT (browser flow, PKCE, loopback callback)",
    );
    let authenticated = cx.update(|cx| provider.authenticate(cx))?.await;
    outln!(
        "    stored sign-in: {}",
        if authenticated.is_ok() {
            "found"
        } else {
            "none (as expected on a first run)"
        }
    );
    state.update(cx, |state, cx| state.sign_in(SignInMethod::Browser, cx))?;
    super::wait::wait_for(
        &auth,
        cx,
        |auth, _| super::wait::sign_in_outcome(auth),
        || {},
    )
    .await??;
    let account = state.read_with(cx, |state, cx| state.status(cx).lines().join("\n    "))?;
    outln!("    {account}");

    step(
        3,
        "The models the plan offers (fetched from the backend's catalog)",
    );
    let refresh = state.update(cx, |state, cx| state.refresh_models(cx))?;
    refresh.await.map_err(|error| anyhow!(error.to_string()))?;
    let listing = state.read_with(cx, |state, cx| {
        catalog_listing(state.catalog().read(cx), ListingFormat::Text)
    })?;
    for line in listing.lines() {
        outln!("    {line}");
    }

    step(4, "A chat with reasoning and a tool call, over two turns");
    let model = cx
        .update(|cx| provider.default_model(cx))?
        .ok_or_else(|| anyhow!("the catalog is empty"))?;
    outln!("    model: {} ({})", model.name(), model.id());
    let tool = LanguageModelRequestTool {
        name: "read_file".into(),
        description: "Reads a file of the project".into(),
        input_schema: serde_json::json!({
            "type": "object",
            "properties": {"path": {"type": "string"}},
            "required": ["path"]
        }),
        use_input_streaming: false,
    };
    let user = LanguageModelRequestMessage {
        role: Role::User,
        content: vec![MessageContent::Text(
            "Use the read_file tool to read README.md, then summarise it.".into(),
        )],
        cache: false,
        reasoning_details: None,
    };
    let mut request = LanguageModelRequest {
        thread_id: Some("demo-thread".into()),
        messages: vec![user],
        tools: vec![tool],
        thinking_allowed: true,
        ..LanguageModelRequest::default()
    };
    let first_turn = run_turn(model.as_ref(), request.clone(), cx).await?;
    let tool_use = first_turn
        .tool_uses
        .first()
        .cloned()
        .ok_or_else(|| anyhow!("the model did not call the tool"))?;
    let mut assistant = first_turn.replay;
    assistant.push(MessageContent::ToolUse(tool_use.clone()));
    request.messages.push(LanguageModelRequestMessage {
        role: Role::Assistant,
        content: assistant,
        cache: false,
        reasoning_details: None,
    });
    request.messages.push(LanguageModelRequestMessage {
        role: Role::User,
        content: vec![MessageContent::ToolResult(LanguageModelToolResult {
            tool_use_id: tool_use.id.clone(),
            tool_name: tool_use.name.clone(),
            is_error: false,
            content: vec![LanguageModelToolResultContent::Text(
                "# openai_subscribed\nUse your ChatGPT subscription in Zed.".into(),
            )],
            output: None,
        })],
        cache: false,
        reasoning_details: None,
    });
    outln!("    (the host runs the tool and sends its result back)");
    run_turn(model.as_ref(), request, cx).await?;

    step(
        5,
        "Usage limits, as the backend reported them with the answer",
    );
    let usage = state.read_with(cx, |state, _| state.usage().cloned())?;
    match usage {
        Some(usage) => {
            for line in render_usage(&usage, chrono::Utc::now()).lines() {
                outln!("    {line}");
            }
        }
        None => bail!("the answer carried no usage-limit headers"),
    }

    step(
        6,
        "The backend refuses the access token: one silent refresh, one retry",
    );
    let before = emulator.stats();
    emulator.revoke_access_tokens();
    let retry = LanguageModelRequest {
        thread_id: Some("demo-thread".into()),
        messages: vec![LanguageModelRequestMessage {
            role: Role::User,
            content: vec![MessageContent::Text("Say hello.".into())],
            cache: false,
            reasoning_details: None,
        }],
        ..LanguageModelRequest::default()
    };
    run_turn(model.as_ref(), retry, cx).await?;
    let after = emulator.stats();
    outln!(
        "    refresh requests: {} -> {}; /responses requests: {} -> {} (the refused one and its retry)",
        before.refreshes,
        after.refreshes,
        before.responses_requests,
        after.responses_requests
    );

    step(
        7,
        "Signing out: revoke, forget the tokens, the usage and the cached models",
    );
    let sign_out = state.update(cx, |state, cx| state.sign_out(cx))?;
    sign_out.await.map_err(|error| anyhow!(error.to_string()))?;
    let stored = store.read(cx).await?;
    let status = state.read_with(cx, |state, cx| state.status(cx).lines().join(" "))?;
    outln!(
        "    {status} Stored sign-in: {}.",
        if stored.is_some() {
            "still there (bug!)"
        } else {
            "none"
        }
    );
    // Revocation is best effort and runs in the background; give it a moment to land.
    for _ in 0..50 {
        if emulator.stats().revocations > 0 {
            break;
        }
        cx.background_executor()
            .timer(std::time::Duration::from_millis(20))
            .await;
    }
    outln!(
        "    revocations seen by the issuer: {}",
        emulator.stats().revocations
    );
    outln!("\nDemo complete.");
    Ok(())
}

/// What one turn produced that the next turn needs.
struct Turn {
    tool_uses: Vec<LanguageModelToolUse>,
    /// Content to replay on the assistant message (the encrypted reasoning).
    replay: Vec<MessageContent>,
}

/// Streams one completion, printing each event as it arrives.
async fn run_turn(
    model: &dyn LanguageModel,
    request: LanguageModelRequest,
    cx: &mut AsyncApp,
) -> Result<Turn> {
    let mut events = model
        .stream_completion(request, cx)
        .await
        .map_err(|error| anyhow!(error))?;
    let mut turn = Turn {
        tool_uses: Vec::new(),
        replay: Vec::new(),
    };
    let mut current = "";
    let mut stdout = std::io::stdout();
    while let Some(event) = events.next().await {
        let event = event.map_err(|error| anyhow!(error))?;
        let label = match &event {
            LanguageModelCompletionEvent::Thinking { .. } => "reasoning",
            LanguageModelCompletionEvent::Text(_) => "answer",
            _ => "",
        };
        if !label.is_empty() && label != current {
            write!(stdout, "\n    {label}: ").ok();
            current = label;
        }
        match event {
            LanguageModelCompletionEvent::Thinking { text, .. } => {
                write!(stdout, "{}", text.replace('\n', " ")).ok();
            }
            LanguageModelCompletionEvent::Text(text) => {
                write!(stdout, "{}", text.replace('\n', " ")).ok();
            }
            LanguageModelCompletionEvent::RedactedThinking { data } => {
                turn.replay.push(MessageContent::RedactedThinking(data));
            }
            LanguageModelCompletionEvent::ToolUse(tool_use) if tool_use.is_input_complete => {
                write!(
                    stdout,
                    "\n    tool call: {}({})",
                    tool_use.name,
                    tool_use.input.to_display_json()
                )
                .ok();
                current = "";
                turn.tool_uses.push(tool_use);
            }
            LanguageModelCompletionEvent::UsageUpdate(usage) => {
                write!(
                    stdout,
                    "\n    tokens: {} in ({} of them from the prompt cache), {} out",
                    usage.input_tokens + usage.cache_read_input_tokens,
                    usage.cache_read_input_tokens,
                    usage.output_tokens
                )
                .ok();
                current = "";
            }
            LanguageModelCompletionEvent::Stop(reason) => {
                writeln!(stdout, "\n    stop: {}", stop_reason_name(reason)).ok();
            }
            _ => {}
        }
        stdout.flush().ok();
    }
    Ok(turn)
}

/// The demo's "browser": follows the authorize URL's redirect to the loopback callback with an
/// HTTP client, as a person's browser would after they approve.
pub fn http_browser(http: Arc<dyn HttpClient>) -> UrlOpener {
    UrlOpener::Custom(Rc::new(move |url, cx| {
        let http = http.clone();
        let url = url.clone();
        outln!("    browser: opening {}…", truncate(url.as_str(), 72));
        cx.background_spawn(async move {
            match follow(http.as_ref(), &url).await {
                Ok(page) => outln!("    browser: the callback page says \"{page}\""),
                Err(error) => outln!("    browser: {error:#}"),
            }
        })
        .detach();
    }))
}

async fn follow(http: &dyn HttpClient, url: &url::Url) -> Result<String> {
    let request = http_client::Request::builder()
        .uri(url.as_str())
        .follow_redirects(RedirectPolicy::FollowAll)
        .body(AsyncBody::empty())?;
    let mut response = http.send(request).await?;
    let mut body = String::new();
    response.body_mut().read_to_string(&mut body).await?;
    let title = body
        .split("<title>")
        .nth(1)
        .and_then(|rest| rest.split("</title>").next())
        .unwrap_or("(no title)")
        .to_string();
    Ok(title)
}

fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        text.to_string()
    } else {
        format!("{}…", &text[..max])
    }
}
