//! Many agents on one subscription: the time for 32 concurrent completions on one account against
//! the emulator answering a short-wait 429 (`Retry-After: 1`) above 6 answers at once, through
//! the real provider in a headless gpui app, side by side in one run:
//!
//! - `coordinated`: the provider's default (`RequestCoordination::PerAccount`): the account
//!   pauses on a 429 and the refused request is sent again from the front of the line; the
//!   host never retries.
//! - `independent`: each request on its own (`RequestCoordination::Independent`), retried by the
//!   host after its `retry_after`, as Zed's agent does.
//!
//! The 429s each run earned are printed too. gpui runs on the main thread (its foreground
//! executor drives the provider); criterion runs on another and asks the app for each run.
//!
//! Run: `cargo bench --bench coordinator`. Figures go to `benches/RESULTS.md` and the README.

use criterion::{Criterion, SamplingMode};
use emulator::{ConcurrencyLimit, Emulator};
use futures::StreamExt as _;
use gpui::{Application, AsyncApp};
use language_model::*;
use openai_subscribed::config::Config;
use openai_subscribed::credentials::{CredentialStore, MemoryStore, StoredCredentials};
use openai_subscribed::models::CacheLocation;
use openai_subscribed::oauth::{TokenResponse, TokenSet};
use openai_subscribed::provider::{OpenAiSubscribedProvider, RequestCoordination, StateOptions};
use openai_subscribed::secret::{AccessToken, IdToken, RefreshToken};
use reqwest_client::ReqwestHttpClient;
use std::sync::Arc;
use std::time::{Duration, Instant};

const COMPLETIONS: usize = 32;
const BACKEND_ALLOWS: usize = 6;
const RETRY_AFTER_SECS: u64 = 1;
const HOST_ATTEMPTS: usize = 60;

/// One measured run, asked of the app.
struct Run {
    mode: RequestCoordination,
    reply: std::sync::mpsc::Sender<(Duration, usize)>,
}

fn request(index: usize) -> LanguageModelRequest {
    LanguageModelRequest {
        thread_id: Some(format!("agent-{index}")),
        messages: vec![LanguageModelRequestMessage {
            role: Role::User,
            content: vec![MessageContent::Text(format!("sub-agent {index}"))],
            cache: false,
            reasoning_details: None,
        }],
        ..LanguageModelRequest::default()
    }
}

/// One completion as Zed's agent drives it: a refusal with `retry_after` is waited out and sent
/// again (with coordination, none reaches it).
async fn completion(model: Arc<dyn LanguageModel>, index: usize, cx: AsyncApp) {
    for attempt in 1..=HOST_ATTEMPTS {
        let error = match model.stream_completion(request(index), &cx).await {
            Ok(events) => {
                let events: Vec<_> = events.collect().await;
                match events.into_iter().find_map(Result::err) {
                    None => return,
                    Some(error) => error,
                }
            }
            Err(error) => error,
        };
        match error.retry_delay(attempt) {
            Some(delay) => cx.background_executor().timer(delay).await,
            None => panic!("completion {index} failed: {error}"),
        }
    }
    panic!("completion {index} gave up after {HOST_ATTEMPTS} attempts");
}

fn provider(
    emulator: &Emulator,
    http: Arc<ReqwestHttpClient>,
    coordination: RequestCoordination,
    cx: &mut gpui::App,
) -> Arc<OpenAiSubscribedProvider> {
    let minted = emulator.mint_tokens(3600);
    let response = TokenResponse {
        id_token: Some(IdToken::new(minted.id_token.clone())),
        access_token: AccessToken::new(minted.access_token.clone()),
        refresh_token: Some(RefreshToken::new(minted.refresh_token.clone())),
        expires_in: None,
    };
    let tokens = TokenSet::from_response(response, None, chrono::Utc::now()).unwrap();
    let store: Arc<dyn CredentialStore> = Arc::new(MemoryStore::with(
        &StoredCredentials::from_token_set(&tokens),
    ));
    let config = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap();
    let options = StateOptions {
        cache: CacheLocation::MemoryOnly,
        coordination,
        ..StateOptions::default()
    };
    Arc::new(OpenAiSubscribedProvider::with_options(
        http, store, config, options, cx,
    ))
}

fn main() {
    let emulator = Arc::new(Emulator::start().unwrap());
    emulator.set_concurrency_limit(Some(ConcurrencyLimit {
        max_in_flight: BACKEND_ALLOWS,
        retry_after_secs: RETRY_AFTER_SECS,
    }));
    // Answers of about 0.3 s, as a short agent turn streams.
    emulator.set_stream_pause(Duration::from_millis(20));
    let http = ReqwestHttpClient::new("openai-subscribed-bench").unwrap();
    let (runs, mut asked) = futures::channel::mpsc::unbounded::<Run>();

    Application::headless()
        .with_http_client(http.clone())
        .run(move |cx| {
            let coordinated =
                provider(&emulator, http.clone(), RequestCoordination::PerAccount, cx);
            let independent = provider(
                &emulator,
                http.clone(),
                RequestCoordination::Independent,
                cx,
            );
            let emulator = emulator.clone();
            cx.spawn(async move |cx| {
                let mut models = Vec::new();
                for provider in [&coordinated, &independent] {
                    cx.update(|cx| provider.authenticate(cx))
                        .unwrap()
                        .await
                        .unwrap();
                    provider
                        .state()
                        .update(cx, |state, cx| state.refresh_models(cx))
                        .unwrap()
                        .await
                        .unwrap();
                    models.push(cx.update(|cx| provider.default_model(cx)).unwrap().unwrap());
                }
                while let Some(run) = asked.next().await {
                    let model = match run.mode {
                        RequestCoordination::PerAccount => models[0].clone(),
                        RequestCoordination::Independent => models[1].clone(),
                    };
                    let before = emulator.stats().rate_limited_responses;
                    let started = Instant::now();
                    let all: Vec<_> = (0..COMPLETIONS)
                        .map(|index| completion(model.clone(), index, cx.clone()))
                        .collect();
                    futures::future::join_all(all).await;
                    let refused = emulator.stats().rate_limited_responses - before;
                    run.reply.send((started.elapsed(), refused)).ok();
                }
                cx.update(|cx| cx.quit()).ok();
            })
            .detach();

            std::thread::spawn(move || {
                let mut criterion = Criterion::default().configure_from_args();
                let mut group = criterion.benchmark_group("coordinator_32_completions");
                group.sample_size(10);
                group.sampling_mode(SamplingMode::Flat);
                group.warm_up_time(Duration::from_millis(1));
                group.measurement_time(Duration::from_secs(20));
                for (name, mode) in [
                    ("coordinated", RequestCoordination::PerAccount),
                    ("independent", RequestCoordination::Independent),
                ] {
                    let mut refusals = Vec::new();
                    group.bench_function(name, |b| {
                        b.iter_custom(|iterations| {
                            let mut total = Duration::ZERO;
                            for _ in 0..iterations {
                                let (reply, answer) = std::sync::mpsc::channel();
                                runs.unbounded_send(Run { mode, reply }).unwrap();
                                let (took, refused) = answer
                                    .recv_timeout(Duration::from_secs(300))
                                    .expect("the run finished");
                                total += took;
                                refusals.push(refused);
                            }
                            total
                        })
                    });
                    eprintln!(
                        "{name}: 429s per run of {COMPLETIONS} completions: {refusals:?} \
                         (backend allowing {BACKEND_ALLOWS} at a time, Retry-After \
                         {RETRY_AFTER_SECS} s)"
                    );
                }
                group.finish();
                criterion.final_summary();
                // Closing the channel ends the app's loop, which quits.
                drop(runs);
            });
        });
}
