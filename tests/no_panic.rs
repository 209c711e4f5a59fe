//! No answer from the network may crash the editor (issue 15): property tests that feed every
//! network-facing parser and mapper hostile input — arbitrary JSON in every field (huge, negative,
//! fractional, wrong type, missing, null) and arbitrary bytes — and check each returns a value or
//! an error, never a panic. The real payloads in `tests/fixtures/real/` are the seeds: each test
//! runs them as they are, then with their fields replaced by hostile values.
//!
//! To cover a new answer, describe its fields with [`object_with`] and
//! [`hostile_value`], seed it from its fixture with [`seeded_objects`], and call its parser.
//!
//! Sized to finish well within a minute on 2 cores (see `CASES`).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeZone as _, Utc};
use http_client::StatusCode;
use http_client::http::{HeaderMap, HeaderName, HeaderValue};
use language_model::LanguageModelCompletionError;
use openai_subscribed::models::parse::parse_models_response;
use openai_subscribed::oauth::jwt_claims::{parse_expiry, parse_identity};
use openai_subscribed::oauth::{TokenResponse, TokenSet};
use openai_subscribed::responses::{CompletionDecoder, ResponsesError, ResponsesEvent, SseParser};
use openai_subscribed::usage::{UsageLimits, parse_usage_answer};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::path::Path;

/// Cases per property: enough to hit every hostile kind in every field, small enough for CI.
const CASES: u32 = 96;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        // Failures are reported with the shrunk input; no files are written next to the tests.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap()
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/real")
            .join(name),
    )
    .unwrap_or_else(|error| panic!("fixture {name}: {error}"))
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).unwrap_or_else(|error| panic!("{name}: {error}"))
}

// ---- Generators -------------------------------------------------------------------------------

/// A number as the network might send it: edge integers, fractions, huge and negative values.
fn hostile_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(0)),
        Just(json!(-1)),
        Just(json!(99_999_999_999_999_999u64)),
        Just(json!(u64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(i64::MAX)),
        Just(json!(1.5)),
        Just(json!(-0.5)),
        Just(json!(1e300)),
        Just(json!(-1e300)),
        Just(json!(3600.0)),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("JSON has no NaN", |f| f.is_finite())
            .prop_map(|f| json!(f)),
    ]
}

/// A string as the network might send where a number belongs.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("3600".to_string()),
        Just("-5".to_string()),
        Just("1.5".to_string()),
        Just("NaN".to_string()),
        Just("inf".to_string()),
        Just("1e400".to_string()),
        Just("99999999999999999999999999".to_string()),
        Just(" 7 ".to_string()),
        "[0-9.eE+-]{0,24}",
        any::<String>(),
    ]
}

/// Any JSON value, biased to the kinds that break number handling.
fn hostile_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        3 => hostile_number(),
        2 => hostile_text().prop_map(Value::String),
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..3)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// An object with each named field missing or holding a hostile value.
fn object_with(fields: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop::collection::vec(prop::option::of(hostile_value()), fields.len()).prop_map(move |values| {
        let map: Map<String, Value> = fields
            .iter()
            .zip(values)
            .filter_map(|(name, value)| Some(((*name).to_string(), value?)))
            .collect();
        Value::Object(map)
    })
}

/// `seeds`, each with up to three of its top-level fields (or its listed fields) replaced by
/// hostile values or removed.
fn seeded_objects(seeds: Vec<Value>) -> impl Strategy<Value = Value> {
    let count = seeds.len();
    (
        0..count,
        prop::collection::vec(
            (
                any::<prop::sample::Index>(),
                prop::option::of(hostile_value()),
            ),
            0..4,
        ),
    )
        .prop_map(move |(which, edits)| {
            let mut seed = seeds[which].clone();
            if let Value::Object(map) = &mut seed {
                let keys: Vec<String> = map.keys().cloned().collect();
                for (index, value) in edits {
                    if keys.is_empty() {
                        break;
                    }
                    let key = &keys[index.index(keys.len())];
                    match value {
                        Some(value) => map.insert(key.clone(), value),
                        None => map.remove(key),
                    };
                }
            }
            seed
        })
}

// ---- Error bodies and headers -----------------------------------------------------------------

const ERROR_BODIES: &[&str] = &[
    "err401_detail_could_not_parse_token_issue.json",
    "err401_detail_unauthorized_issue41975.json",
    "err401_token_invalidated_issue3654.json",
    "err429_usage_limit_reached_free_no_promo_key_issue.json",
    "err429_usage_limit_reached_free_promo_object_issue.json",
    "err429_usage_limit_reached_team_promo_null_issue.json",
    "xharness_stream-error_server_is_overloaded.json",
];

/// The `error` objects of the real bodies, to mutate field by field.
fn real_error_details() -> Vec<Value> {
    ERROR_BODIES
        .iter()
        .filter_map(|name| fixture_json(name).get("error").cloned())
        .filter(Value::is_object)
        .collect()
}

/// Every way the mapping is used: the message, the host's error, the retry timing.
fn use_error(error: &ResponsesError) {
    let _ = error.to_string();
    let _ = format!("{error:?}");
    let _ = error.is_unauthorized();
    let host_error = error.to_completion_error_at("ChatGPT".into(), now());
    let _ = host_error.retry_delay(1).map(|after| after.as_secs());
    if let LanguageModelCompletionError::ProviderRejection { retry_after, .. } = &host_error {
        let _ = retry_after.map(|after| after.as_secs());
    }
    let _ = host_error.to_string();
}

fn error_status() -> impl Strategy<Value = StatusCode> {
    prop_oneof![
        Just(StatusCode::TOO_MANY_REQUESTS),
        Just(StatusCode::UNAUTHORIZED),
        Just(StatusCode::SERVICE_UNAVAILABLE),
        (100u16..=999).prop_map(|code| StatusCode::from_u16(code).unwrap()),
    ]
}

fn header_map(pairs: &[(String, String)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            map.insert(name, value);
        }
    }
    map
}

#[test]
fn the_real_error_bodies_are_read() {
    for name in ERROR_BODIES {
        let error = ResponsesError::from_http(
            StatusCode::TOO_MANY_REQUESTS,
            &HeaderMap::new(),
            &fixture(name),
            now(),
        );
        use_error(&error);
    }
    let error = ResponsesError::from_http(
        StatusCode::TOO_MANY_REQUESTS,
        &HeaderMap::new(),
        &fixture("err429_usage_limit_reached_free_promo_object_issue.json"),
        now(),
    );
    assert!(
        matches!(
            error,
            ResponsesError::UsageLimitReached {
                resets_at: Some(_),
                ..
            }
        ),
        "{error:?}"
    );
}

/// The body of issue 15: a reset delay no clock can hold is an unknown reset time.
#[test]
fn an_absurd_reset_delay_is_an_unknown_reset_time() {
    let body = br#"{"error":{"type":"usage_limit_reached","plan_type":"plus","resets_in_seconds":99999999999999999}}"#;
    let error = ResponsesError::from_http(
        StatusCode::TOO_MANY_REQUESTS,
        &HeaderMap::new(),
        body,
        now(),
    );
    assert!(
        matches!(
            error,
            ResponsesError::UsageLimitReached {
                resets_at: None,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .starts_with("ChatGPT Plus usage limit reached; reset time unknown"),
        "{error}"
    );
    // A wrong type in a number field keeps the rest of the error.
    let body = br#"{"error":{"type":"usage_limit_reached","plan_type":"pro","resets_at":"soon","resets_in_seconds":-5}}"#;
    let error = ResponsesError::from_http(
        StatusCode::TOO_MANY_REQUESTS,
        &HeaderMap::new(),
        body,
        now(),
    );
    assert!(
        matches!(&error, ResponsesError::UsageLimitReached { plan: Some(plan), resets_at: None, .. } if plan == "pro"),
        "{error:?}"
    );
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn error_bodies_and_headers_never_panic(
        status in error_status(),
        detail in prop_oneof![
            seeded_objects(real_error_details()),
            object_with(&["type", "code", "message", "plan_type", "resets_at", "resets_in_seconds"]),
        ],
        kind in prop_oneof![
            Just(json!("usage_limit_reached")),
            Just(json!("usage_not_included")),
            Just(json!("rate_limit_exceeded")),
            Just(json!("server_is_overloaded")),
            hostile_value(),
        ],
        shape in 0..4u8,
        retry_after in hostile_text(),
        raw in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut detail = detail;
        if let Value::Object(map) = &mut detail {
            map.insert("type".into(), kind);
        }
        let body = match shape {
            0 => json!({ "error": detail }).to_string().into_bytes(),
            1 => json!({ "detail": detail }).to_string().into_bytes(),
            2 => detail.to_string().into_bytes(),
            _ => raw,
        };
        let headers = header_map(&[("retry-after".into(), retry_after)]);
        use_error(&ResponsesError::from_http(status, &headers, &body, now()));
    }

    #[test]
    fn failed_events_never_panic(
        code in prop::option::of(prop_oneof![
            Just("rate_limit_exceeded".to_string()),
            Just("usage_limit_reached".to_string()),
            any::<String>(),
        ]),
        delay in hostile_text(),
        unit in prop_oneof![Just("s"), Just("ms"), Just("m"), Just(""), Just("h")],
        prefix in any::<String>(),
    ) {
        let message = format!("{prefix}Please try again in {delay}{unit}.");
        use_error(&ResponsesError::from_code(code.as_deref(), Some(&message)));
    }

    #[test]
    fn usage_headers_never_panic(
        values in prop::collection::vec(prop::option::of(hostile_text()), 12),
        seeded in any::<bool>(),
    ) {
        const NAMES: [&str; 12] = [
            "x-codex-primary-used-percent",
            "x-codex-primary-window-minutes",
            "x-codex-primary-reset-at",
            "x-codex-primary-reset-after-seconds",
            "x-codex-secondary-used-percent",
            "x-codex-secondary-window-minutes",
            "x-codex-secondary-reset-at",
            "x-codex-secondary-reset-after-seconds",
            "x-codex-credits-has-credits",
            "x-codex-credits-unlimited",
            "x-codex-credits-balance",
            "retry-after",
        ];
        let mut pairs = if seeded { real_limit_headers() } else { Vec::new() };
        for (name, value) in NAMES.iter().zip(values) {
            if let Some(value) = value {
                pairs.retain(|(existing, _)| existing != name);
                pairs.push(((*name).to_string(), value));
            }
        }
        let headers = header_map(&pairs);
        if let Some(limits) = UsageLimits::from_headers(&headers, now()) {
            for window in &limits.windows {
                prop_assert!((0.0..=100.0).contains(&window.used_percent));
                let _ = window.label();
                if let Some(at) = window.resets_at {
                    let _ = openai_subscribed::usage::reset_time(at, now());
                }
            }
            let _ = serde_json::to_string(&limits).unwrap();
        }
        let error = ResponsesError::from_http(StatusCode::TOO_MANY_REQUESTS, &headers, b"", now());
        use_error(&error);
    }
}

/// The headers of the real 429 (`name: value` lines after the status line).
fn real_limit_headers() -> Vec<(String, String)> {
    String::from_utf8_lossy(&fixture("err429_headers_free_plan_codex-proxy_issue65.txt"))
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .filter(|(name, _)| name.starts_with("x-codex-") || name == "retry-after")
        .collect()
}

#[test]
fn the_real_limit_headers_are_read() {
    let limits = UsageLimits::from_headers(&header_map(&real_limit_headers()), now())
        .expect("the real 429 carries limit headers");
    assert_eq!(limits.windows[0].window_minutes, Some(10080));
    assert_eq!(limits.windows[0].used_percent, 100.0);
}

// ---- /wham/usage ------------------------------------------------------------------------------

const WHAM_USAGE: &[&str] = &[
    "wham_usage_plus_faithful_shape_rust.json",
    "wham_usage_pro_weekly_only_live_rust_jsonmacro.CONVERTED.json",
    "wham_usage_prolite_weekly_only_agenthub.json",
    "wham_usage_quse_captured_2026-07-07.json",
    "wham_rate-limit-reset-credits_quse_captured_2026-07-07.json",
];

/// The real windows (`rate_limit.primary_window` / `secondary_window`), to mutate field by field.
fn real_usage_windows() -> Vec<Value> {
    WHAM_USAGE
        .iter()
        .flat_map(|name| {
            let answer = fixture_json(name);
            ["primary_window", "secondary_window"]
                .into_iter()
                .filter_map(|which| answer["rate_limit"].get(which).cloned())
                .filter(Value::is_object)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn use_limits(limits: &UsageLimits) {
    for window in &limits.windows {
        assert!((0.0..=100.0).contains(&window.used_percent));
        let _ = window.label();
        if let Some(at) = window.resets_at {
            let _ = openai_subscribed::usage::reset_time(at, now());
        }
    }
    let _ = serde_json::to_string(limits).unwrap();
}

#[test]
fn the_real_usage_answers_are_read() {
    for name in WHAM_USAGE {
        if let Ok(limits) = parse_usage_answer(&fixture(name), now()) {
            use_limits(&limits);
        }
    }
    let limits =
        parse_usage_answer(&fixture("wham_usage_plus_faithful_shape_rust.json"), now()).unwrap();
    assert_eq!(limits.windows.len(), 2);
    // A reset no clock can hold is unknown; the window is still shown.
    let absurd = json!({"rate_limit": {"primary_window": {"used_percent": 100,
        "limit_window_seconds": u64::MAX, "reset_after_seconds": 99_999_999_999_999_999u64}}});
    let limits = parse_usage_answer(absurd.to_string().as_bytes(), now()).unwrap();
    assert_eq!(limits.windows.len(), 1);
    assert_eq!(limits.windows[0].resets_at, None);
    assert_eq!(limits.windows[0].used_percent, 100.0);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn usage_answers_with_hostile_fields_never_panic(
        windows in prop::collection::vec(
            prop_oneof![
                seeded_objects(real_usage_windows()),
                object_with(&["used_percent", "limit_window_seconds", "reset_at", "reset_after_seconds"]),
                hostile_value(),
            ],
            2,
        ),
        credits in prop_oneof![
            object_with(&["has_credits", "unlimited", "balance"]),
            hostile_value(),
        ],
        envelope in hostile_value(),
        wrap in any::<bool>(),
    ) {
        let body = if wrap {
            json!({"plan_type": "plus", "credits": credits,
                "rate_limit": {"primary_window": windows[0], "secondary_window": windows[1]}})
        } else {
            envelope
        };
        if let Ok(limits) = parse_usage_answer(body.to_string().as_bytes(), now()) {
            use_limits(&limits);
        }
    }
}

// ---- SSE framing and events -------------------------------------------------------------------

const SSE_FIXTURES: &[&str] = &[
    "codex_cli_responses_fixture_handwritten.sse",
    "xharness_codex-summary.sse",
    "zed_compaction_stream_test_literal.sse",
];

/// The `data:` payloads of the real streams that are JSON objects.
fn real_event_payloads() -> Vec<Value> {
    SSE_FIXTURES
        .iter()
        .flat_map(|name| {
            String::from_utf8_lossy(&fixture(name))
                .lines()
                .filter_map(|line| line.strip_prefix("data:"))
                .filter_map(|data| serde_json::from_str::<Value>(data.trim()).ok())
                .filter(Value::is_object)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Feeds `body` to a fresh decoder in chunks cut at `cuts`, as a socket would deliver it.
fn decode_in_chunks(body: &[u8], cuts: &[prop::sample::Index]) {
    let mut points: Vec<usize> = cuts.iter().map(|cut| cut.index(body.len() + 1)).collect();
    points.push(0);
    points.push(body.len());
    points.sort_unstable();
    let mut decoder = CompletionDecoder::new();
    let mut out = Vec::new();
    for pair in points.windows(2) {
        if decoder.push(&body[pair[0]..pair[1]], &mut out).is_err() {
            return;
        }
    }
    let _ = decoder.finish();
    let _ = decoder.buffered_len();
}

#[test]
fn the_real_streams_decode() {
    for name in SSE_FIXTURES {
        decode_in_chunks(&fixture(name), &[]);
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn sse_framing_never_panics(
        body in prop::collection::vec(
            prop_oneof![
                Just(b"data: ".to_vec()),
                Just(b"\n".to_vec()),
                Just(b"\r\n".to_vec()),
                Just(b"\r".to_vec()),
                Just(b":".to_vec()),
                Just(b"event: x\n".to_vec()),
                prop::collection::vec(any::<u8>(), 0..16),
            ],
            0..24,
        ),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let body = body.concat();
        let mut parser = SseParser::new();
        let mut points: Vec<usize> = cuts.iter().map(|cut| cut.index(body.len() + 1)).collect();
        points.push(0);
        points.push(body.len());
        points.sort_unstable();
        for pair in points.windows(2) {
            parser.push(&body[pair[0]..pair[1]]);
            while let Some(event) = parser.next_event() {
                let _ = event.data.len();
            }
        }
        decode_in_chunks(&body, &cuts);
    }

    #[test]
    fn events_with_hostile_fields_never_panic(
        events in prop::collection::vec(
            prop_oneof![
                seeded_objects(real_event_payloads()),
                (
                    prop_oneof![
                        Just("response.created"),
                        Just("response.output_item.added"),
                        Just("response.output_item.done"),
                        Just("response.output_text.delta"),
                        Just("response.reasoning_summary_part.added"),
                        Just("response.reasoning_summary_text.delta"),
                        Just("response.function_call_arguments.delta"),
                        Just("response.completed"),
                        Just("response.incomplete"),
                        Just("response.failed"),
                        Just("error"),
                    ],
                    object_with(&[
                        "delta", "output_index", "summary_index", "item", "response", "code",
                        "message", "error",
                    ]),
                )
                    .prop_map(|(kind, mut event)| {
                        event["type"] = json!(kind);
                        event
                    }),
            ],
            1..8,
        ),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let mut body = String::new();
        for event in &events {
            let data = event.to_string();
            let _ = ResponsesEvent::parse(&data);
            body.push_str(&format!("event: {}\ndata: {data}\n\n", event["type"]));
        }
        decode_in_chunks(body.as_bytes(), &cuts);
    }
}

// ---- The catalog ------------------------------------------------------------------------------

const CATALOGS: &[&str] = &[
    "codex_models_bundled_2026-07-09_3380969a.json",
    "codex_models_bundled_2026-08-05_2b915a2e.json",
    "codex_models_bundled_core_2025-12-19_e3d34457.json",
    "codex_models_bundled_core_2026-03-17_77061641.json",
    "zed_catalog_test_literal_1.json",
    "zed_catalog_test_literal_2.json",
    "zed_catalog_test_literal_3.json",
];

fn real_catalog_entries() -> Vec<Value> {
    CATALOGS
        .iter()
        .flat_map(|name| {
            fixture_json(name)["models"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn the_real_catalogs_parse() {
    for name in CATALOGS {
        let parsed = parse_models_response(&fixture(name)).unwrap();
        for model in &parsed.listed {
            let _ = model.max_token_count();
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn catalog_entries_with_hostile_fields_never_panic(
        entries in prop::collection::vec(
            prop_oneof![
                seeded_objects(real_catalog_entries()),
                object_with(&[
                    "slug", "display_name", "visibility", "priority", "context_window",
                    "effective_context_window_percent", "supported_reasoning_levels",
                    "input_modalities", "default_reasoning_level",
                ]),
            ],
            0..6,
        ),
        envelope in hostile_value(),
        wrap in any::<bool>(),
    ) {
        let body = if wrap { json!({ "models": entries }) } else { envelope };
        if let Ok(parsed) = parse_models_response(body.to_string().as_bytes()) {
            for model in &parsed.listed {
                prop_assert!(model.max_token_count() <= model.context_window_tokens());
                let _ = model.supports_images();
            }
        }
    }
}

// ---- Token answers and JWT claims -------------------------------------------------------------

/// An unsigned JWT carrying `claims` (the client never checks the signature).
fn jwt(claims: &Value) -> String {
    format!(
        "{}.{}.sig",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

fn hostile_claims() -> impl Strategy<Value = Value> {
    let real = fixture_json("jwt_id_token_auth_claims_subset_measured.json");
    (
        object_with(&["email", "exp", "iat", "sub"]),
        prop_oneof![
            seeded_objects(vec![real]),
            object_with(&[
                "chatgpt_account_id",
                "chatgpt_plan_type",
                "chatgpt_user_id",
                "user_id",
            ]),
            hostile_value(),
        ],
    )
        .prop_map(|(mut claims, auth)| {
            claims["https://api.openai.com/auth"] = auth;
            claims
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn jwt_claims_never_panic(claims in hostile_claims(), garbage in any::<String>()) {
        let token = jwt(&claims);
        let _ = parse_identity(&token);
        if let Ok(expiry) = parse_expiry(&token) {
            let _ = expiry.to_rfc3339();
        }
        let _ = parse_identity(&garbage);
        let _ = parse_expiry(&garbage);
    }

    #[test]
    fn token_answers_never_panic(
        access in hostile_claims(),
        id in hostile_claims(),
        answer in object_with(&["token_type", "scope", "expires_in", "refresh_token"]),
        raw_tokens in any::<bool>(),
    ) {
        let mut answer = answer;
        if raw_tokens {
            answer["access_token"] = json!("not.a.jwt");
        } else {
            answer["access_token"] = json!(jwt(&access));
            answer["id_token"] = json!(jwt(&id));
        }
        if let Ok(response) = serde_json::from_value::<TokenResponse>(answer)
            && let Ok(tokens) = TokenSet::from_response(response, None, now())
        {
            let _ = tokens.expires_at.to_rfc3339();
        }
    }
}

/// The real token answer: `expires_in` is honoured when the access token has no usable `exp`.
#[test]
fn the_real_token_answer_shape_is_read() {
    let real = fixture_json("device_auth_measured_sequence.json");
    let mut answer = real["POST https://auth.openai.com/oauth/token (elided by source)"].clone();
    answer["access_token"] = json!(jwt(&json!({"exp": "tomorrow", "email": "ada@example.com"})));
    answer["id_token"] = json!(jwt(&json!({"email": "ada@example.com"})));
    let response: TokenResponse = serde_json::from_value(answer).unwrap();
    let tokens = TokenSet::from_response(response, None, now()).unwrap();
    assert_eq!(tokens.expires_at, now() + chrono::TimeDelta::seconds(86400));
}

// ---- The emulator under hostile requests, over real sockets -----------------------------------

/// One HTTP/1.1 request over a fresh loopback connection; the answer's status code, or `None`
/// when the connection closed without one (as it does when a handler panics).
fn status_of(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<u16> {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .ok()?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

/// One emulator for every case: its address, its backend path and a live bearer token.
fn shared_emulator() -> (String, String, String) {
    use emulator::Emulator;
    use std::sync::OnceLock;
    static EMULATOR: OnceLock<(Emulator, String, String, String)> = OnceLock::new();
    let (_, address, backend_path, bearer) = EMULATOR.get_or_init(|| {
        let emulator = Emulator::start().unwrap();
        let bearer = format!("Bearer {}", emulator.mint_tokens(3600).access_token);
        let issuer = url::Url::parse(&emulator.issuer_url()).unwrap();
        let address = format!("{}:{}", issuer.host_str().unwrap(), issuer.port().unwrap());
        let backend = url::Url::parse(&emulator.backend_url()).unwrap();
        let backend_path = backend.path().trim_end_matches('/').to_string();
        (emulator, address, backend_path, bearer)
    });
    (address.clone(), backend_path.clone(), bearer.clone())
}

/// A request body: hostile JSON in the fields each endpoint reads, or arbitrary bytes.
fn hostile_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        object_with(&[
            "model",
            "input",
            "instructions",
            "stream",
            "store",
            "tools",
            "reasoning",
            "include",
            "text",
            "prompt_cache_key",
            "tool_choice",
            "parallel_tool_calls",
        ])
        .prop_map(|body| body.to_string().into_bytes()),
        object_with(&[
            "grant_type",
            "code",
            "code_verifier",
            "redirect_uri",
            "client_id",
            "refresh_token",
            "device_auth_id",
            "user_code",
            "token",
        ])
        .prop_map(|body| body.to_string().into_bytes()),
        hostile_value().prop_map(|body| body.to_string().into_bytes()),
        prop::collection::vec(any::<u8>(), 0..64),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..config() })]

    #[test]
    fn the_emulator_answers_hostile_requests_with_4xx(
        endpoint in 0..6usize,
        body in hostile_body(),
        form in any::<bool>(),
    ) {
        let (address, backend_path, bearer) = shared_emulator();
        let content_type = if form { "application/x-www-form-urlencoded" } else { "application/json" };
        let (method, path) = match endpoint {
            0 => ("POST", format!("{backend_path}/responses")),
            1 => ("POST", "/oauth/token".to_string()),
            2 => ("POST", "/oauth/revoke".to_string()),
            3 => ("POST", "/api/accounts/deviceauth/usercode".to_string()),
            4 => ("POST", "/api/accounts/deviceauth/token".to_string()),
            _ => ("GET", format!("{backend_path}/models?client_version={}",
                url::form_urlencoded::byte_serialize(&body).collect::<String>())),
        };
        let status = status_of(
            &address,
            method,
            &path,
            &[("Content-Type", content_type), ("Authorization", bearer.as_str())],
            &body,
        );
        let status = status.expect("the emulator answered (no panic closed the connection)");
        prop_assert!(status < 500, "{method} {path} answered {status}");
    }

    /// Faults posted with hostile numbers are refused with 4xx or queued; either way the next
    /// request is answered (a queued absurd fault must not crash the handler that plays it).
    #[test]
    fn the_emulator_survives_hostile_faults(
        kind in prop_oneof![
            Just(json!("responses_usage_limit")),
            Just(json!("responses_status")),
            Just(json!("models_status")),
            hostile_value(),
        ],
        fields in object_with(&["resets_in_secs", "status", "retry_after_secs", "body"]),
    ) {
        let (address, backend_path, bearer) = shared_emulator();
        let mut fault = fields;
        fault["kind"] = kind;
        let json = [("Content-Type", "application/json"), ("Authorization", bearer.as_str())];
        let injected = status_of(&address, "POST", "/__emulator/faults", &json, fault.to_string().as_bytes())
            .expect("the fault endpoint answered");
        prop_assert!(injected < 500, "{injected}");
        let request = json!({"model": "gpt-5.5", "instructions": "x", "input": [], "stream": true, "store": false});
        let answered = status_of(&address, "POST", &format!("{backend_path}/responses"), &json, request.to_string().as_bytes());
        prop_assert!(answered.is_some(), "the next request was answered");
        let models = status_of(&address, "GET", &format!("{backend_path}/models?client_version=0.1.0"), &json, b"");
        prop_assert!(models.is_some(), "the next request was answered");
    }
}

/// The emulator once panicked adding an absurd delay to its clock (issue 15): it now answers.
#[test]
fn the_emulator_plays_an_absurd_usage_limit_fault() {
    // Its own emulator: the shared one's fault queue is busy with the property tests.
    let emulator = emulator::Emulator::start().unwrap();
    let bearer = format!("Bearer {}", emulator.mint_tokens(3600).access_token);
    let issuer = url::Url::parse(&emulator.issuer_url()).unwrap();
    let address = format!("{}:{}", issuer.host_str().unwrap(), issuer.port().unwrap());
    let backend_url = url::Url::parse(&emulator.backend_url()).unwrap();
    let backend_path = backend_url.path().trim_end_matches('/');
    let json = [
        ("Content-Type", "application/json"),
        ("Authorization", bearer.as_str()),
    ];
    for resets_in_secs in [i64::MAX, i64::MIN] {
        let fault = json!({"kind": "responses_usage_limit", "resets_in_secs": resets_in_secs});
        let injected = status_of(
            &address,
            "POST",
            "/__emulator/faults",
            &json,
            fault.to_string().as_bytes(),
        );
        assert_eq!(injected, Some(204));
        let request = json!({"model": "gpt-5.5", "instructions": "x", "input": [], "stream": true, "store": false});
        let answered = status_of(
            &address,
            "POST",
            &format!("{backend_path}/responses"),
            &json,
            request.to_string().as_bytes(),
        );
        assert_eq!(answered, Some(429));
    }
}
