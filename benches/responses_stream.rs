//! Throughput of the streaming path and of token counting.
//!
//! - `sse_to_events`: a generated 50 MB `/responses` stream of realistic deltas → completion
//!   events, fed in 16 KiB chunks as the network would. Side by side: this crate's
//!   `CompletionDecoder`; a baseline from well-known crates (`eventsource-stream` +
//!   `serde_json::Value`) doing the same mapping; and a bare `memchr` newline scan of the same
//!   bytes, the practical ceiling for any line-based parser.
//! - `count_tokens`: a ~100k-token request vs raw tiktoken encoding of the same text.
//! - `bpe_build`: building the `o200k_base` tables once (what the first `count_tokens` pays).
//!
//! Run: `cargo bench --bench responses_stream`. Figures go to `benches/RESULTS.md`.

mod support;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use eventsource_stream::Eventsource as _;
use futures::StreamExt as _;
use language_model::{
    LanguageModelCompletionEvent as Event, LanguageModelRequest, LanguageModelRequestMessage,
    LanguageModelRequestTool, MessageContent, Role, StopReason,
};
use openai_subscribed::responses::{
    CompletionDecoder, TokenCache, count_tokens, count_tokens_uncached,
};
use std::hint::black_box;
use std::time::Duration;

const STREAM_BYTES: usize = 50 * 1024 * 1024;
const CHUNK: usize = 16 * 1024;

fn ours(bytes: &[u8]) -> usize {
    let mut decoder = CompletionDecoder::new();
    let mut events = Vec::new();
    let mut count = 0;
    for chunk in bytes.chunks(CHUNK) {
        decoder.push(chunk, &mut events).unwrap();
        count += events.len();
        events.clear();
    }
    decoder.finish().unwrap();
    count
}

/// The same mapping written the usual way: an SSE crate, then each event into a JSON tree.
fn baseline(bytes: &[u8]) -> usize {
    let chunks = bytes
        .chunks(CHUNK)
        .map(|chunk| Ok::<_, std::convert::Infallible>(bytes::Bytes::copy_from_slice(chunk)));
    let mut stream = futures::stream::iter(chunks).eventsource();
    futures::executor::block_on(async {
        let mut count = 0;
        while let Some(event) = stream.next().await {
            let event = event.unwrap();
            let value: serde_json::Value = serde_json::from_str(&event.data).unwrap();
            let delta = || value["delta"].as_str().unwrap_or_default().to_string();
            let mapped = match value["type"].as_str().unwrap_or_default() {
                "response.output_text.delta" => Some(Event::Text(delta())),
                "response.reasoning_summary_text.delta" => Some(Event::Thinking {
                    text: delta(),
                    signature: None,
                }),
                "response.created" => Some(Event::StartMessage {
                    message_id: value["response"]["id"].as_str().unwrap_or_default().into(),
                }),
                "response.output_item.done" => value["item"]["encrypted_content"]
                    .as_str()
                    .map(|data| Event::RedactedThinking { data: data.into() }),
                "response.completed" => Some(Event::Stop(StopReason::EndTurn)),
                _ => None,
            };
            count += usize::from(black_box(mapped).is_some());
        }
        count
    })
}

/// SSE framing alone, with this crate's parser: events counted, their data untouched.
fn sse_only_ours(bytes: &[u8]) -> usize {
    let mut parser = openai_subscribed::responses::SseParser::new();
    let mut count = 0;
    for chunk in bytes.chunks(CHUNK) {
        parser.push(chunk);
        while let Some(event) = parser.next_event() {
            count += usize::from(!black_box(event.data).is_empty());
        }
    }
    count
}

/// SSE framing alone, with `eventsource-stream`.
fn sse_only_eventsource(bytes: &[u8]) -> usize {
    let chunks = bytes
        .chunks(CHUNK)
        .map(|chunk| Ok::<_, std::convert::Infallible>(bytes::Bytes::copy_from_slice(chunk)));
    let stream = futures::stream::iter(chunks).eventsource();
    futures::executor::block_on(stream.fold(0, |count, event| async move {
        count + usize::from(!black_box(event.unwrap().data).is_empty())
    }))
}

fn ceiling(bytes: &[u8]) -> usize {
    bytes
        .chunks(CHUNK)
        .map(|chunk| memchr::memchr_iter(b'\n', chunk).count())
        .sum()
}

fn sse_to_events(c: &mut Criterion) {
    let bytes = support::stream(STREAM_BYTES);
    assert_eq!(
        ours(&bytes),
        baseline(&bytes) + 1,
        "both paths must see the same events"
    );
    let mut group = c.benchmark_group("sse_to_events");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.measurement_time(Duration::from_secs(10));
    group.warm_up_time(Duration::from_secs(1));
    group.bench_function(BenchmarkId::new("openai_subscribed", "50MB"), |b| {
        b.iter(|| ours(black_box(&bytes)))
    });
    group.bench_function(
        BenchmarkId::new("eventsource_stream+serde_json_value", "50MB"),
        |b| b.iter(|| baseline(black_box(&bytes))),
    );
    group.bench_function(BenchmarkId::new("memchr_newline_scan", "50MB"), |b| {
        b.iter(|| ceiling(black_box(&bytes)))
    });
    group.finish();

    // The SSE stage alone: the evidence for hand-writing the parser (see `src/responses/sse.rs`).
    assert_eq!(sse_only_ours(&bytes), sse_only_eventsource(&bytes));
    let mut group = c.benchmark_group("sse_framing_only");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.measurement_time(Duration::from_secs(8));
    group.warm_up_time(Duration::from_secs(1));
    group.bench_function(
        BenchmarkId::new("openai_subscribed::SseParser", "50MB"),
        |b| b.iter(|| sse_only_ours(black_box(&bytes))),
    );
    group.bench_function(BenchmarkId::new("eventsource_stream", "50MB"), |b| {
        b.iter(|| sse_only_eventsource(black_box(&bytes)))
    });
    group.finish();
}

/// A ~100k-token request: a system prompt, turns of prose and code, and tools.
fn large_request() -> (LanguageModelRequest, String) {
    let mut rng = support::Rng::new();
    let mut all_text = String::new();
    let mut messages = Vec::new();
    let mut sequence = 0;
    for turn in 0..40 {
        let mut bytes = Vec::new();
        support::text_deltas(&mut rng, &mut sequence, 10_000, &mut bytes);
        let text = String::from_utf8(bytes).unwrap();
        all_text.push_str(&text);
        messages.push(LanguageModelRequestMessage {
            role: if turn == 0 {
                Role::System
            } else if turn % 2 == 1 {
                Role::User
            } else {
                Role::Assistant
            },
            content: vec![MessageContent::Text(text)],
            cache: false,
            reasoning_details: None,
        });
    }
    let tools: Vec<LanguageModelRequestTool> = (0..10)
        .map(|n| LanguageModelRequestTool {
            name: format!("tool_{n}"),
            description: "Reads a file from the project and returns its contents.".into(),
            input_schema: serde_json::json!({"type": "object", "properties": {
                "path": {"type": "string", "description": "The file's path"}}, "required": ["path"]}),
            use_input_streaming: false,
        })
        .collect();
    for tool in &tools {
        all_text.push_str(&tool.name);
        all_text.push_str(&tool.description);
        all_text.push_str(&tool.input_schema.to_string());
    }
    let request = LanguageModelRequest {
        messages,
        tools,
        ..Default::default()
    };
    (request, all_text)
}

fn token_counting(c: &mut Criterion) {
    let (request, all_text) = large_request();
    let bpe = tiktoken_rs::o200k_base().unwrap();
    let cache = TokenCache::default();
    let tokens = count_tokens(&request, &cache).unwrap();
    eprintln!("count_tokens request: {tokens} tokens");
    let mut group = c.benchmark_group("count_tokens");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.measurement_time(Duration::from_secs(10));
    // A full count (every text encoded), as before the per-text cache: the figure the raw
    // encode below is the baseline of. The cached count is `benches/request_cost.rs`.
    group.bench_function("count_tokens_100k", |b| {
        b.iter(|| count_tokens_uncached(black_box(&request), &cache).unwrap())
    });
    group.bench_function("raw_tiktoken_encode_100k", |b| {
        b.iter(|| bpe.encode_ordinary(black_box(&all_text)).len())
    });
    group.finish();

    let mut group = c.benchmark_group("bpe_build");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("o200k_base", |b| {
        b.iter(|| tiktoken_rs::o200k_base().unwrap())
    });
    group.finish();
}

criterion_group!(benches, sse_to_events, token_counting);
criterion_main!(benches);
