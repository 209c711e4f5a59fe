//! The per-turn cost features over real loopback sockets: zstd request bodies (and the fallback
//! to plain JSON after a 415), incremental token counts, and pre-connecting.
//!
//! The threads are the benchmarks' realistic agent threads (`benches/support/agent_thread.rs`),
//! mapped by `build_request`, sent by `send_request_remembering` through the real reqwest client and checked
//! by the emulator as the real backend would.

#[path = "../benches/support/agent_thread.rs"]
mod agent_thread;

use agent_thread::AgentThread;
use emulator::{Emulator, EmulatorOptions, RequestEncodings};
use futures::{FutureExt as _, StreamExt as _};
use openai_subscribed::backend_request::BackendAuth;
use openai_subscribed::config::{Config, RequestCompression};
use openai_subscribed::models::ModelInfo;
use openai_subscribed::preconnect::preconnect;
use openai_subscribed::responses::{
    ResponsesRequest, StreamTimeouts, StreamWatch, TokenCache, ZstdRefusals, build_request,
    count_tokens, count_tokens_uncached, send_request_remembering,
};
use openai_subscribed::secret::AccessToken;
use reqwest_client::ReqwestHttpClient;
use serde_json::Value;
use std::sync::Arc;

struct Harness {
    emulator: Emulator,
    http: Arc<ReqwestHttpClient>,
    auth: BackendAuth,
    /// The refusals of zstd this harness remembers (in memory), as one provider does.
    refusals: ZstdRefusals,
}

impl Harness {
    fn start(options: EmulatorOptions) -> Self {
        let emulator = Emulator::start_with(options).expect("emulator starts");
        let tokens = emulator.mint_tokens(3600);
        Self {
            http: ReqwestHttpClient::new("openai_subscribed-tests").unwrap(),
            auth: BackendAuth {
                access_token: AccessToken::new(tokens.access_token),
                account_id: "acct_emulated".into(),
            },
            refusals: ZstdRefusals::default(),
            emulator,
        }
    }

    fn config(&self, compression: RequestCompression) -> Config {
        Config {
            request_compression: compression,
            ..Config::with_urls(&self.emulator.issuer_url(), &self.emulator.backend_url()).unwrap()
        }
    }

    /// Sends `body` and reads the whole answer; panics on any error.
    fn complete(&self, config: &Config, body: &ResponsesRequest) {
        futures::executor::block_on(async {
            // No stall limits here: the timers never fire.
            let watch = StreamWatch::new(
                StreamTimeouts::default(),
                Arc::new(|_| futures::future::pending().boxed()),
            );
            let stream = send_request_remembering(
                &*self.http,
                config,
                &self.auth,
                body,
                &watch,
                &self.refusals,
            )
            .await
            .expect("the request is accepted");
            let events: Vec<_> = stream.events.collect().await;
            assert!(!events.is_empty());
            assert!(events.iter().all(Result::is_ok), "{events:?}");
        });
    }
}

fn model() -> ModelInfo {
    #[derive(serde::Deserialize)]
    struct Catalog {
        models: Vec<ModelInfo>,
    }
    let catalog: Catalog = serde_json::from_str(emulator::models::CATALOG_JSON).unwrap();
    catalog
        .models
        .into_iter()
        .find(|model| model.slug == "gpt-5.5")
        .unwrap()
}

fn agent_request(turn: usize) -> ResponsesRequest {
    let thread = AgentThread::generate(7, turn);
    build_request(&thread.request_at(turn), &model()).unwrap()
}

#[test]
fn a_zstd_body_reaches_the_emulator_and_decodes_to_the_plain_json() {
    let harness = Harness::start(EmulatorOptions::default());
    let body = agent_request(20);
    let expected = serde_json::to_value(&body).unwrap();

    // Compressed: the default.
    assert_eq!(
        Config::default().request_compression,
        RequestCompression::Zstd
    );
    harness.complete(&harness.config(RequestCompression::Zstd), &body);
    let compressed = harness.emulator.last_responses_request().unwrap();
    assert_eq!(compressed.header("content-encoding"), Some("zstd"));
    let decoded = zstd::decode_all(compressed.wire_body.as_ref()).expect("a zstd frame");
    assert_eq!(serde_json::from_slice::<Value>(&decoded).unwrap(), expected);
    assert_eq!(compressed.body, expected);

    // Plain: configured off.
    harness.complete(&harness.config(RequestCompression::None), &body);
    let plain = harness.emulator.last_responses_request().unwrap();
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(
        serde_json::from_slice::<Value>(&plain.wire_body).unwrap(),
        expected
    );
    assert_eq!(plain.body, compressed.body);
    assert!(
        compressed.wire_body.len() * 2 < plain.wire_body.len(),
        "zstd {} B vs plain {} B",
        compressed.wire_body.len(),
        plain.wire_body.len()
    );
    assert_eq!(harness.emulator.stats().responses_requests, 2);
}

#[test]
fn a_415_to_zstd_is_retried_plain_once_and_remembered() {
    let harness = Harness::start(EmulatorOptions {
        request_encodings: RequestEncodings::IdentityOnly,
        ..Default::default()
    });
    let config = harness.config(RequestCompression::Zstd);
    let body = agent_request(3);

    // The first request goes out compressed, is refused with 415, and is resent plain.
    harness.complete(&config, &body);
    assert_eq!(harness.emulator.stats().responses_requests, 2);
    let retried = harness.emulator.last_responses_request().unwrap();
    assert_eq!(retried.header("content-encoding"), None);
    assert_eq!(retried.body, serde_json::to_value(&body).unwrap());

    // The refusal is remembered: the next request goes out plain at once.
    harness.complete(&config, &body);
    assert_eq!(harness.emulator.stats().responses_requests, 3);
    assert_eq!(
        harness
            .emulator
            .last_responses_request()
            .unwrap()
            .header("content-encoding"),
        None
    );
}

#[test]
fn an_unknown_content_encoding_gets_a_415_naming_the_accepted_ones() {
    use http_client::HttpClient as _;
    let harness = Harness::start(EmulatorOptions::default());
    let config = Config::with_urls(
        &harness.emulator.issuer_url(),
        &harness.emulator.backend_url(),
    )
    .unwrap();
    let request = openai_subscribed::backend_request::authenticated_request(
        &config,
        &harness.auth,
        http_client::Method::POST,
        &config.responses_url(),
    )
    .header("Content-Encoding", "br")
    .header("Content-Type", "application/json")
    .body(http_client::AsyncBody::from("{}"))
    .unwrap();
    let response = futures::executor::block_on(harness.http.send(request)).unwrap();
    assert_eq!(response.status().as_u16(), 415);
    assert_eq!(
        response.headers()["accept-encoding"].to_str().unwrap(),
        "zstd, identity"
    );
}

#[test]
fn incremental_counts_equal_full_counts_as_the_thread_grows() {
    let cache = TokenCache::default();
    let thread = AgentThread::generate(11, 24);
    for turn in [1, 2, 3, 8, 16, 24] {
        let mut request = thread.request_at(turn);
        assert_eq!(
            count_tokens(&request, &cache).unwrap(),
            count_tokens_uncached(&request, &cache).unwrap(),
            "turn {turn}"
        );
        request
            .messages
            .push(AgentThread::new_user_message(turn as u64));
        assert_eq!(
            count_tokens(&request, &cache).unwrap(),
            count_tokens_uncached(&request, &cache).unwrap(),
            "turn {turn} plus one message"
        );
    }
}

#[test]
fn a_pre_connected_client_serves_the_first_request() {
    let harness = Harness::start(EmulatorOptions::default());
    let config = Config::with_urls(
        &harness.emulator.issuer_url(),
        &harness.emulator.backend_url(),
    )
    .unwrap();
    futures::executor::block_on(preconnect(&*harness.http, &config)).expect("pre-connects");
    harness.complete(&config, &agent_request(1));
    assert_eq!(harness.emulator.stats().responses_requests, 1);
}

#[test]
fn a_long_thread_sent_plain_is_accepted() {
    let harness = Harness::start(EmulatorOptions::default());
    let body = agent_request(170);
    harness.complete(&harness.config(RequestCompression::None), &body);
    let received = harness.emulator.last_responses_request().unwrap();
    assert!(
        received.wire_body.len() > 2 * 1024 * 1024,
        "{}",
        received.wire_body.len()
    );
}
