//! The per-turn cost of a long agent thread (`benches/support/agent_thread.rs`: 150 realistic
//! turns, deterministic from a seed), side by side in one run:
//!
//! - `request_bytes`: the `POST /responses` body at turns 10, 50 and 150, plain JSON vs zstd
//!   (sizes printed; criterion times the compression of each);
//! - `zstd_level`: compression time at levels 1, 3, 6 and 9 at turn 150 (sizes printed), the
//!   measurement behind `ZSTD_LEVEL`;
//! - `client_cpu_per_turn`: build the request + serialize (+ compress), at turns 10, 50, 150;
//! - `count_tokens_append`: counting a ~100k-token thread after one message was appended, with
//!   the per-text cache vs a full count of the same thread;
//! - `first_request`: the first `POST /responses` of a session against the emulator over
//!   loopback, on a fresh client vs one pre-connected by `http::preconnect`;
//! - `websocket_vs_http`: the whole 150-turn thread replayed against the emulator over the
//!   WebSocket transport (each answer outputs the items the thread's next turn replays, so
//!   every turn can chain), with each frame's bytes on the wire as the emulator received them
//!   (deflated, with its frame header), beside the HTTP+zstd body of the same turn; the client
//!   thread's CPU time per turn for each (Linux: `RUSAGE_THREAD`); and the time to the first
//!   answer event of a thread's first turn with and without a pre-warm.
//!
//! Run: `cargo bench --bench request_cost`. Figures go to `benches/RESULTS.md` and the README.

mod support;

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use emulator::Emulator;
use futures::{FutureExt as _, StreamExt as _};
use openai_subscribed::backend_request::BackendAuth;
use openai_subscribed::config::Config;
use openai_subscribed::models::ModelInfo;
use openai_subscribed::preconnect::preconnect;
use openai_subscribed::responses::websocket::{
    WebSocketPool, prewarm_websocket, send_websocket_request,
};
use openai_subscribed::responses::{
    InputItem, MessageRole, ResponsesRequest, StreamTimeouts, StreamWatch, TokenCache, ZSTD_LEVEL,
    build_request, compress_zstd, count_tokens, count_tokens_uncached, send_request,
};
use openai_subscribed::secret::AccessToken;
use reqwest_client::ReqwestHttpClient;
use std::hint::black_box;
use std::time::{Duration, Instant};
use support::agent_thread::AgentThread;

const SEED: u64 = 13;
const TURNS: [usize; 3] = [10, 50, 150];

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

fn body_at(thread: &AgentThread, model: &ModelInfo, turn: usize) -> Vec<u8> {
    serde_json::to_vec(&build_request(&thread.request_at(turn), model).unwrap()).unwrap()
}

fn quick(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
}

fn request_bytes(c: &mut Criterion) {
    let thread = AgentThread::generate(SEED, 150);
    let model = model();
    let mut group = c.benchmark_group("request_bytes");
    quick(&mut group);
    for turn in TURNS {
        let json = body_at(&thread, &model, turn);
        let compressed = compress_zstd(&json).unwrap();
        eprintln!(
            "request_bytes turn {turn}: plain {} B, zstd-{ZSTD_LEVEL} {} B, ratio {:.2}x",
            json.len(),
            compressed.len(),
            json.len() as f64 / compressed.len() as f64
        );
        // Where the bytes are: encrypted reasoning is ciphertext in base64, which no compressor
        // can shrink below 6/8 of its size; the rest is text and code.
        let mut request = build_request(&thread.request_at(turn), &model).unwrap();
        let reasoning: usize = request
            .input
            .iter()
            .map(|item| match item {
                InputItem::Reasoning {
                    encrypted_content, ..
                } => encrypted_content.len(),
                _ => 0,
            })
            .sum();
        request
            .input
            .retain(|item| !matches!(item, InputItem::Reasoning { .. }));
        let rest = serde_json::to_vec(&request).unwrap();
        let rest_compressed = compress_zstd(&rest).unwrap();
        eprintln!(
            "request_bytes turn {turn}: encrypted reasoning {reasoning} B ({:.0} % of plain); \
             without it: plain {} B, zstd {} B, ratio {:.2}x",
            100.0 * reasoning as f64 / json.len() as f64,
            rest.len(),
            rest_compressed.len(),
            rest.len() as f64 / rest_compressed.len() as f64
        );
        group.bench_function(BenchmarkId::new("zstd_compress", turn), |b| {
            b.iter(|| compress_zstd(black_box(&json)).unwrap().len())
        });
    }
    group.finish();

    let json = body_at(&thread, &model, 150);
    let mut group = c.benchmark_group("zstd_level");
    quick(&mut group);
    for level in [1, 3, 6, 9] {
        let size = zstd::stream::encode_all(&json[..], level).unwrap().len();
        eprintln!(
            "zstd_level {level} at turn 150: {size} B (ratio {:.2}x)",
            json.len() as f64 / size as f64
        );
        group.bench_function(BenchmarkId::new("turn_150", level), |b| {
            b.iter(|| {
                zstd::stream::encode_all(black_box(&json[..]), level)
                    .unwrap()
                    .len()
            })
        });
    }
    group.finish();
}

fn client_cpu_per_turn(c: &mut Criterion) {
    let thread = AgentThread::generate(SEED, 150);
    let model = model();
    let mut group = c.benchmark_group("client_cpu_per_turn");
    quick(&mut group);
    for turn in TURNS {
        let request = thread.request_at(turn);
        group.bench_function(BenchmarkId::new("build+serialize", turn), |b| {
            b.iter(|| {
                let body = build_request(black_box(&request), &model).unwrap();
                serde_json::to_vec(&body).unwrap().len()
            })
        });
        group.bench_function(BenchmarkId::new("build+serialize+zstd", turn), |b| {
            b.iter(|| {
                let body = build_request(black_box(&request), &model).unwrap();
                let json = serde_json::to_vec(&body).unwrap();
                compress_zstd(&json).unwrap().len()
            })
        });
    }
    group.finish();
}

fn count_tokens_append(c: &mut Criterion) {
    let cache = TokenCache::default();
    let thread = AgentThread::generate(SEED, 150);
    // The first turn whose thread reaches 100k tokens, counted turn by turn as the host does
    // (which also fills the cache, as the earlier turns of a real session did).
    let (turn, request) = (1..=150)
        .map(|turn| (turn, thread.request_at(turn)))
        .find(|(_, request)| count_tokens(request, &cache).unwrap() >= 100_000)
        .expect("the thread reaches 100k tokens");
    let tokens = count_tokens(&request, &cache).unwrap();
    eprintln!("count_tokens_append: turn {turn}, {tokens} tokens, +1 user message per count");
    let mut nonce = 0;
    let mut appended = || {
        nonce += 1;
        let mut grown = request.clone();
        grown.messages.push(AgentThread::new_user_message(nonce));
        grown
    };
    let grown = appended();
    assert_eq!(
        count_tokens(&grown, &cache).unwrap(),
        count_tokens_uncached(&grown, &cache).unwrap()
    );

    let mut group = c.benchmark_group("count_tokens_append");
    quick(&mut group);
    group.bench_function("incremental (cached texts)", |b| {
        b.iter_batched(
            &mut appended,
            |grown| count_tokens(black_box(&grown), &cache).unwrap(),
            criterion::BatchSize::LargeInput,
        )
    });
    group.bench_function("full count", |b| {
        b.iter_batched(
            &mut appended,
            |grown| count_tokens_uncached(black_box(&grown), &cache).unwrap(),
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn first_request(c: &mut Criterion) {
    let emulator = Emulator::start().unwrap();
    let config = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap();
    let tokens = emulator.mint_tokens(3600);
    let auth = BackendAuth {
        access_token: AccessToken::new(tokens.access_token),
        account_id: "acct_emulated".into(),
    };
    let thread = AgentThread::generate(SEED, 2);
    let body = build_request(&thread.request_at(1), &model()).unwrap();
    // No stall limits in the benchmark: the timers never fire.
    let watch = StreamWatch::new(
        StreamTimeouts::default(),
        std::sync::Arc::new(|_| futures::future::pending().boxed()),
    );
    let answer = |http: &ReqwestHttpClient| {
        futures::executor::block_on(async {
            let stream = send_request(http, &config, &auth, &body, &watch)
                .await
                .unwrap();
            stream.events.count().await
        })
    };

    let mut group = c.benchmark_group("first_request");
    quick(&mut group);
    for (name, warm) in [("cold client", false), ("pre-connected client", true)] {
        group.bench_function(name, |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    let http = ReqwestHttpClient::new("bench").unwrap();
                    if warm {
                        futures::executor::block_on(preconnect(&*http, &config)).unwrap();
                    }
                    let start = Instant::now();
                    black_box(answer(&http));
                    total += start.elapsed();
                }
                total
            })
        });
    }
    group.finish();
}

/// CPU time of the calling thread (the client's work; the emulator runs on its own threads).
fn thread_cpu() -> Duration {
    #[cfg(target_os = "linux")]
    {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: `usage` is a valid, writable `rusage`; RUSAGE_THREAD is Linux's.
        let usage = unsafe {
            libc::getrusage(libc::RUSAGE_THREAD, usage.as_mut_ptr());
            usage.assume_init()
        };
        let time = |t: libc::timeval| {
            Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
        };
        time(usage.ru_utime) + time(usage.ru_stime)
    }
    #[cfg(not(target_os = "linux"))]
    {
        Duration::ZERO
    }
}

/// The items the model made that `next` replays after `this`'s input: the answer to `this`.
fn answer_items(
    this: &ResponsesRequest,
    next: Option<&ResponsesRequest>,
) -> Vec<serde_json::Value> {
    let Some(next) = next else {
        return Vec::new();
    };
    next.input
        .iter()
        .skip(this.input.len())
        .take_while(|item| match item {
            InputItem::Reasoning { .. } | InputItem::FunctionCall { .. } => true,
            InputItem::Message { role, .. } => *role == MessageRole::Assistant,
            _ => false,
        })
        .map(|item| serde_json::to_value(item).unwrap())
        .collect()
}

fn websocket_vs_http(_: &mut Criterion) {
    let thread = AgentThread::generate(SEED, 150);
    let model = model();
    let emulator = Emulator::start().unwrap();
    let config = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap();
    let tokens = emulator.mint_tokens(3600);
    let auth = BackendAuth {
        access_token: AccessToken::new(tokens.access_token),
        account_id: "acct_emulated".into(),
    };
    let watch = StreamWatch::new(
        StreamTimeouts::default(),
        std::sync::Arc::new(|_| futures::future::pending().boxed()),
    );
    let requests: Vec<ResponsesRequest> = (1..=150)
        .map(|turn| build_request(&thread.request_at(turn), &model).unwrap())
        .collect();

    // HTTP + zstd: the body of every turn (headers left out), built, serialized, compressed.
    let mut http_bytes = Vec::new();
    let cpu = thread_cpu();
    for turn in 1..=150 {
        let body = build_request(&thread.request_at(turn), &model).unwrap();
        let json = serde_json::to_vec(&body).unwrap();
        http_bytes.push(compress_zstd(&json).unwrap().len() as u64);
    }
    let http_cpu = thread_cpu().saturating_sub(cpu);

    // WebSocket: every turn sent over the thread's socket, its answer read to the end.
    let pool = std::sync::Arc::new(WebSocketPool::default());
    let mut websocket_cpu = Duration::ZERO;
    for (index, request) in requests.iter().enumerate() {
        let items = answer_items(request, requests.get(index + 1));
        emulator.inject(emulator::Fault::WebSocketOutputItems { items });
        let turn = index + 1;
        let cpu = thread_cpu();
        futures::executor::block_on(async {
            let body = build_request(&thread.request_at(turn), &model).unwrap();
            let answer = send_websocket_request(&pool, &config, &auth, &body, &watch)
                .await
                .unwrap();
            answer.events.count().await
        });
        websocket_cpu += thread_cpu().saturating_sub(cpu);
    }
    let frames = emulator.websocket_frames();
    assert_eq!(frames.len(), 150);
    let chained = frames
        .iter()
        .filter(|frame| frame.previous_response_id().is_some())
        .count();
    let websocket_bytes: Vec<u64> = frames.iter().map(|frame| frame.wire_bytes).collect();
    for turn in [1, 50, 150] {
        let (ws, http) = (websocket_bytes[turn - 1], http_bytes[turn - 1]);
        eprintln!(
            "websocket_vs_http turn {turn}: WebSocket {ws} B, HTTP+zstd {http} B ({:.0}x fewer)",
            http as f64 / ws as f64
        );
    }
    let (ws_total, http_total): (u64, u64) =
        (websocket_bytes.iter().sum(), http_bytes.iter().sum());
    eprintln!(
        "websocket_vs_http 150 turns: WebSocket {ws_total} B, HTTP+zstd {http_total} B \
         ({:.0}x fewer); {chained} of 150 frames chained",
        http_total as f64 / ws_total as f64
    );
    where_the_websocket_bytes_go(&frames, ws_total);
    eprintln!(
        "websocket_vs_http client CPU per turn: WebSocket {:?}, HTTP+zstd {:?}",
        websocket_cpu / 150,
        http_cpu / 150
    );

    // Time to the first answer event of a thread's first turn, cold vs pre-warmed.
    let first_event = |warm: bool, thread_id: String| {
        let pool = std::sync::Arc::new(WebSocketPool::default());
        let mut body = requests[0].clone();
        body.prompt_cache_key = Some(thread_id);
        futures::executor::block_on(async {
            if warm {
                prewarm_websocket(&pool, &config, &auth, &body, &watch)
                    .await
                    .unwrap();
            }
            let start = Instant::now();
            let mut answer = send_websocket_request(&pool, &config, &auth, &body, &watch)
                .await
                .unwrap();
            answer.events.next().await;
            let elapsed = start.elapsed();
            answer.events.count().await;
            elapsed
        })
    };
    for (name, warm) in [("without pre-warm", false), ("with pre-warm", true)] {
        let mut times: Vec<Duration> = (0..20)
            .map(|run| first_event(warm, format!("first-turn-{warm}-{run}")))
            .collect();
        times.sort();
        eprintln!(
            "websocket_vs_http first answer event of turn 1 {name}: median {:?} (20 runs)",
            times[10]
        );
    }
}

/// Deflates `texts` one message after another, as permessage-deflate does (level 9, sync
/// flush, the context kept), and returns the bytes of each without the `00 00 ff ff` tail.
fn deflated_sizes<'a>(texts: impl Iterator<Item = &'a [u8]>) -> Vec<u64> {
    use std::io::Write as _;
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    texts
        .map(|text| {
            encoder.write_all(text).unwrap();
            encoder.flush().unwrap();
            let size = encoder.get_ref().len() as u64 - 4;
            encoder.get_mut().clear();
            size
        })
        .collect()
}

/// `frame` serialized with its fields in the order the Codex CLI writes them
/// (`codex-websocket.md` §2.1): `type`, `model`, `instructions`, `previous_response_id`,
/// `input`, `tools`, then every other field.
fn codex_cli_field_order(frame: &serde_json::Value) -> Vec<u8> {
    const FIRST: [&str; 6] = [
        "type",
        "model",
        "instructions",
        "previous_response_id",
        "input",
        "tools",
    ];
    let object = frame.as_object().expect("a frame is a JSON object");
    let rest = object.keys().filter(|key| !FIRST.contains(&key.as_str()));
    let members: Vec<String> = FIRST
        .iter()
        .copied()
        .filter(|key| object.contains_key(*key))
        .chain(rest.map(String::as_str))
        .map(|key| {
            format!(
                "{}:{}",
                serde_json::to_string(key).unwrap(),
                serde_json::to_string(&object[key]).unwrap()
            )
        })
        .collect();
    format!("{{{}}}", members.join(",")).into_bytes()
}

/// The header of a masked client frame (RFC 6455 §5.2) carrying `payload` bytes: two bytes,
/// the extended length, and the 4-byte mask.
fn client_frame_header_bytes(payload: u64) -> u64 {
    let extended_length = match payload {
        0..=125 => 0,
        126..=65_535 => 2,
        _ => 8,
    };
    2 + extended_length + 4
}

/// What the WebSocket bytes are: the new items themselves, the instructions and tool schemas
/// every frame repeats (a back-reference while the previous frame's copy is within deflate's
/// 32 KiB window, a full copy when a large tool output pushed it out), and the frame headers.
fn where_the_websocket_bytes_go(frames: &[emulator::WebSocketFrame], total: u64) {
    let text = |value: &serde_json::Value| serde_json::to_vec(value).unwrap();
    let inputs: Vec<Vec<u8>> = frames
        .iter()
        .map(|frame| text(&frame.frame["input"]))
        .collect();
    let items_alone: u64 = deflated_sizes(inputs.iter().map(Vec::as_slice))
        .iter()
        .sum();
    let without_repeats: Vec<Vec<u8>> = frames
        .iter()
        .map(|frame| {
            let mut frame = frame.frame.clone();
            if let Some(object) = frame.as_object_mut() {
                object.remove("instructions");
                object.remove("tools");
            }
            text(&frame)
        })
        .collect();
    let no_repeats: u64 = deflated_sizes(without_repeats.iter().map(Vec::as_slice))
        .iter()
        .sum();
    let repeated =
        text(&frames[0].frame["instructions"]).len() + text(&frames[0].frame["tools"]).len();
    let large = inputs
        .iter()
        .filter(|input| input.len() > 32 * 1024 - repeated)
        .count();
    // The same frames with their fields in the Codex CLI's order (`codex-websocket.md` §2.1:
    // instructions, then `previous_response_id`, the input, the tools, then the rest), deflated
    // the same way, each with a masked client frame's header: the Codex CLI's layout measured on
    // this thread, beside ours.
    let codex_order: Vec<Vec<u8>> = frames
        .iter()
        .map(|frame| codex_cli_field_order(&frame.frame))
        .collect();
    let codex_total: u64 = deflated_sizes(codex_order.iter().map(Vec::as_slice))
        .iter()
        .map(|&payload| payload + client_frame_header_bytes(payload))
        .sum();
    eprintln!(
        "websocket_vs_http 150 turns in the Codex CLI's field order (same frames, same deflate): \
         {codex_total} B, ours {total} B ({:+.1} %)",
        (total as f64 / codex_total as f64 - 1.0) * 100.0
    );
    eprintln!(
        "websocket_vs_http where the bytes go: the new items alone, deflated one after another \
         {items_alone} B; whole frames without instructions and tools {no_repeats} B; with them \
         (what is sent) {total} B. Instructions + tools: {repeated} B of JSON in every frame; \
         {large} of 150 inputs are longer than the rest of deflate's 32 KiB window"
    );
}

criterion_group!(
    benches,
    websocket_vs_http,
    request_bytes,
    client_cpu_per_turn,
    count_tokens_append,
    first_request
);
criterion_main!(benches);
