//! [`ResponsesError`]: every way a `POST /responses` can fail, in words a user can act on, and
//! its mapping onto the host's [`LanguageModelCompletionError`].
//!
//! The backend answers errors in three places, all funnelled here:
//! - the HTTP status and JSON body of a refused request ([`ResponsesError::from_http`]):
//!   `{"error":{"type"|"code","message","plan_type","resets_at"|"resets_in_seconds"}}` or
//!   `{"detail":"…"}`;
//! - a `response.failed` event (`response.error {code, message}`) or an `error` event mid-stream
//!   ([`ResponsesError::from_code`]);
//! - the transport (connection, read, a stream that stops before `response.completed`).
//!
//! [`ResponsesError::to_completion_error`] builds the host's error the way Zed's own providers do
//! (`from_http_status` / `from_provider_response`, so the category is derived in one place). The
//! host retries automatically after a rejection's `retry_after`, *as is*; so only short waits
//! carry one (an overload's `Retry-After`, a rate limit's "try again in 20s"). A plan's usage
//! limit, which resets in hours, is a rejection without `retry_after` and without the 429
//! status (which the host would back off and retry on): the agent shows its message
//! ("ChatGPT Plus usage limit reached; resets at 14:05 (in 1h 12m)") and stops.

use super::stall::Stall;
use crate::http_error::{HttpFailure, Request};
use crate::network_number;
use crate::usage::{UsageLimits, plan_display_name, usage_limit_sentence};
use chrono::{DateTime, Local, Utc};
use http_client::StatusCode;
use http_client::http::HeaderMap;
use language_model::{LanguageModelCompletionError, LanguageModelProviderName};
use std::time::Duration;
use thiserror::Error;

/// Why a Responses request failed.
#[derive(Error, Debug)]
pub enum ResponsesError {
    /// 401: the access token was refused. The caller refreshes the token once and retries once.
    #[error("the ChatGPT sign-in was refused ({message}); sign in again")]
    Unauthorized {
        /// What the backend said.
        message: String,
    },
    /// 429 `usage_limit_reached`: the plan's limit is used up until `resets_at`.
    #[error("{}", usage_limit_sentence(plan.as_deref(), *resets_at, limits.as_ref(), Local::now()))]
    UsageLimitReached {
        /// The plan, as the backend names it (`plus`, `pro`, `team`…).
        plan: Option<String>,
        /// When the limit resets.
        resets_at: Option<DateTime<Utc>>,
        /// The limit headers of the refusal (the spent window at 100%), for the usage view.
        limits: Option<UsageLimits>,
    },
    /// `usage_not_included`: the account's plan has no Codex access.
    #[error(
        "your ChatGPT plan{} does not include Codex; upgrade the plan or sign in with another account",
        plan.as_deref().map(|plan| format!(" ({})", plan_display_name(plan))).unwrap_or_default()
    )]
    UsageNotIncluded {
        /// The plan, when the backend said.
        plan: Option<String>,
    },
    /// A short-term rate limit (429 without a plan limit, or `rate_limit_exceeded`).
    #[error("ChatGPT is rate limiting requests{}", retry_suffix(*retry_after))]
    RateLimited {
        /// When to try again, if the backend said.
        retry_after: Option<Duration>,
    },
    /// 503 `server_is_overloaded` / `slow_down`: transient, retry after `retry_after`.
    #[error("the ChatGPT backend is overloaded{}", retry_suffix(*retry_after))]
    Overloaded {
        /// From `Retry-After`, when present.
        retry_after: Option<Duration>,
    },
    /// `context_length_exceeded`: the conversation does not fit the model's window.
    #[error("the conversation is too long for this model: {message}")]
    ContextLengthExceeded {
        /// What the backend said.
        message: String,
    },
    /// A 4xx that is none of the refusals above, in the words of [`HttpFailure`]: the request,
    /// the status, the backend's own message (which names what was wrong) when it sent one, and
    /// what to do.
    #[error("{}", http_failure(*status, message))]
    BadRequest {
        /// The HTTP status.
        status: StatusCode,
        /// The message the answer carried for people, printable and bounded, if any.
        message: Option<String>,
    },
    /// A 5xx other than overload, worded like [`Self::BadRequest`].
    #[error("{}", http_failure(*status, message))]
    Server {
        /// The HTTP status.
        status: StatusCode,
        /// The message the answer carried for people, printable and bounded, if any.
        message: Option<String>,
    },
    /// `response.failed` or an `error` event with a code not covered above.
    #[error("the response failed ({code}): {message}")]
    Failed {
        /// The backend's error code.
        code: String,
        /// What the backend said.
        message: String,
    },
    /// The system prompt is over the backend's size cap; refused before sending.
    #[error(
        "the instructions are {chars} characters long, over the backend's limit of {limit}; shorten the system prompt or rules"
    )]
    InstructionsTooLong {
        /// Their length in characters.
        chars: usize,
        /// The cap.
        limit: usize,
    },
    /// The request has images but the model takes text only; refused before sending.
    #[error("{model} does not accept images; remove them or pick a model that does")]
    ImagesNotSupported {
        /// The model's slug.
        model: String,
    },
    /// The request could not be sent (connection refused, DNS, TLS…).
    #[error("could not reach the ChatGPT backend at {host}: {error:#}")]
    Send {
        /// The host the request went to.
        host: String,
        /// The transport error.
        error: anyhow::Error,
    },
    /// A phase of the answer took longer than its limit (see [`StreamTimeouts`]).
    ///
    /// [`StreamTimeouts`]: super::StreamTimeouts
    #[error(transparent)]
    Stalled(#[from] Stall),
    /// One SSE line or event was larger than [`MAX_EVENT_BYTES`]: the stream is stopped rather
    /// than buffered without bound.
    ///
    /// [`MAX_EVENT_BYTES`]: super::MAX_EVENT_BYTES
    #[error(
        "the ChatGPT backend sent one event larger than {} MiB; the answer was stopped to keep memory bounded — try again",
        limit / (1024 * 1024)
    )]
    EventTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// Reading the streamed answer failed.
    #[error("reading the answer failed: {0}")]
    Read(#[from] std::io::Error),
    /// An event was not the JSON the backend documents.
    #[error("the backend sent an event this client cannot read: {0}")]
    Deserialize(#[from] serde_json::Error),
    /// The stream closed before `response.completed`.
    #[error("the answer stream ended before the response was complete")]
    StreamEndedUnexpectedly,
    /// Compaction went wrong: state that cannot be replayed, or not exactly one compaction.
    #[error("compaction failed: {0}")]
    Compaction(String),
    /// A documented refusal of the official "Sign in with ChatGPT" API (before or during the
    /// stream), with its words, action and request id.
    #[error("{0}")]
    Official(crate::siwc::OfficialApiError),
}

/// How much of an unparseable error body is kept for the message.
const MAX_BODY_IN_MESSAGE: usize = 500;

/// The JSON error shapes the backend uses, all fields optional.
#[derive(serde::Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    error: Option<ErrorDetail>,
    #[serde(default)]
    detail: Option<serde_json::Value>,
}

#[derive(serde::Deserialize, Default)]
struct ErrorDetail {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    plan_type: Option<String>,
    /// Numbers stay raw JSON: a wrong type here must not lose the error's `type` (see
    /// [`network_number`]).
    #[serde(default)]
    resets_at: Option<serde_json::Value>,
    #[serde(default)]
    resets_in_seconds: Option<serde_json::Value>,
}

impl ResponsesError {
    /// The error a refused request stands for, from its status, headers and (whole, small) body.
    pub fn from_http(
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Self {
        let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
        let detail = parsed.error.unwrap_or_default();
        let kind = detail.kind.as_deref().or(detail.code.as_deref());
        let code = detail.code.as_deref().or(detail.kind.as_deref());
        let message = detail
            .message
            .clone()
            .or_else(|| match parsed.detail {
                Some(serde_json::Value::String(text)) => Some(text),
                Some(other) => Some(other.to_string()),
                None => None,
            })
            .map(|message| crate::printable::one_line(&message, MAX_BODY_IN_MESSAGE))
            .filter(|message| !message.is_empty() && message != "null")
            .unwrap_or_else(|| body_excerpt(body, status));
        let plan_type = detail
            .plan_type
            .as_deref()
            .map(|plan| crate::printable::one_line(plan, 40));
        let retry_after = retry_after(headers);

        if kind == Some("usage_limit_reached") {
            let resets_at = network_number::unix_time(detail.resets_at.as_ref(), "error.resets_at")
                .or_else(|| {
                    network_number::delay(
                        detail.resets_in_seconds.as_ref(),
                        "error.resets_in_seconds",
                    )
                    .and_then(|delay| network_number::after(now, delay))
                });
            return Self::UsageLimitReached {
                plan: plan_type,
                resets_at,
                limits: UsageLimits::from_headers(headers, now),
            };
        }
        if kind == Some("usage_not_included") || code == Some("usage_not_included") {
            return Self::UsageNotIncluded { plan: plan_type };
        }
        if code == Some("context_length_exceeded") {
            return Self::ContextLengthExceeded { message };
        }
        if matches!(code, Some("server_is_overloaded" | "slow_down"))
            || status == StatusCode::SERVICE_UNAVAILABLE
        {
            return Self::Overloaded {
                retry_after: retry_after.or_else(|| parse_try_again_in(&message)),
            };
        }
        // Not a documented refusal: only a message meant for people is shown, never the body.
        let shown = || crate::http_error::message_in(body);
        match status {
            StatusCode::UNAUTHORIZED => Self::Unauthorized { message },
            StatusCode::TOO_MANY_REQUESTS => Self::RateLimited { retry_after },
            status if status.is_server_error() => Self::Server {
                status,
                message: shown(),
            },
            status => Self::BadRequest {
                status,
                message: shown(),
            },
        }
    }

    /// The request to `/responses` could not be sent: the host is named, never the whole URL.
    pub(crate) fn send_error(config: &crate::config::Config, error: anyhow::Error) -> Self {
        Self::Send {
            host: config
                .responses_url()
                .host_str()
                .unwrap_or_default()
                .to_string(),
            error,
        }
    }

    /// The error a `response.failed` or `error` event stands for, from its code and message.
    pub fn from_code(code: Option<&str>, message: Option<&str>) -> Self {
        let message = message
            .map(|message| crate::printable::one_line(message, MAX_BODY_IN_MESSAGE))
            .filter(|message| !message.is_empty())
            .unwrap_or_else(|| "the backend gave no details".to_string());
        let code = code.map(|code| crate::printable::one_line(code, 80));
        let code = code.as_deref();
        if let Some(refusal) = crate::siwc::OfficialApiError::from_code(code, Some(&message)) {
            return Self::Official(refusal);
        }
        match code {
            Some("context_length_exceeded") => Self::ContextLengthExceeded { message },
            Some("usage_not_included") => Self::UsageNotIncluded { plan: None },
            Some("usage_limit_reached" | "insufficient_quota") => Self::UsageLimitReached {
                plan: None,
                resets_at: None,
                limits: None,
            },
            Some("rate_limit_exceeded") => Self::RateLimited {
                retry_after: parse_try_again_in(&message),
            },
            Some("server_is_overloaded" | "slow_down") => Self::Overloaded {
                retry_after: parse_try_again_in(&message),
            },
            code => Self::Failed {
                code: code.unwrap_or("unknown").to_string(),
                message,
            },
        }
    }

    /// Whether this is a refused token: the caller refreshes once and retries once.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, Self::Unauthorized { .. })
    }

    /// The host's variant for this error, with the timing the agent's retry logic needs.
    pub fn to_completion_error(
        &self,
        provider: LanguageModelProviderName,
    ) -> LanguageModelCompletionError {
        self.to_completion_error_at(provider, Utc::now())
    }

    /// [`Self::to_completion_error`] at a given time (for tests).
    pub fn to_completion_error_at(
        &self,
        provider: LanguageModelProviderName,
        now: DateTime<Utc>,
    ) -> LanguageModelCompletionError {
        use LanguageModelCompletionError as E;
        let code = |code: &str| Some(code.to_string());
        match self {
            Self::Stalled(_) => E::ApiReadResponseError {
                provider,
                error: std::io::Error::new(std::io::ErrorKind::TimedOut, self.to_string()),
            },
            Self::EventTooLarge { .. } => E::ApiReadResponseError {
                provider,
                error: std::io::Error::new(std::io::ErrorKind::InvalidData, self.to_string()),
            },
            Self::Unauthorized { .. } => {
                E::from_http_status(provider, StatusCode::UNAUTHORIZED, self.to_string(), None)
            }
            // No status and no `retry_after`: a 429 status or a wait of hours would make the host
            // retry automatically; the user has to wait for the reset (or switch model/account).
            Self::UsageLimitReached {
                plan,
                resets_at,
                limits,
            } => E::from_provider_response(
                provider,
                None,
                code("usage_limit_reached"),
                // Which window ran out, from the refusal's own headers and reset time.
                usage_limit_sentence(
                    plan.as_deref(),
                    *resets_at,
                    limits.as_ref(),
                    now.with_timezone(&Local),
                ),
                None,
            ),
            Self::UsageNotIncluded { .. } => E::from_provider_response(
                provider,
                Some(StatusCode::FORBIDDEN),
                code("usage_not_included"),
                self.to_string(),
                None,
            ),
            Self::RateLimited { retry_after } => E::from_http_status(
                provider,
                StatusCode::TOO_MANY_REQUESTS,
                self.to_string(),
                *retry_after,
            ),
            Self::Overloaded { retry_after } => E::from_provider_response(
                provider,
                Some(StatusCode::SERVICE_UNAVAILABLE),
                code("server_is_overloaded"),
                self.to_string(),
                *retry_after,
            ),
            Self::ContextLengthExceeded { message } => E::from_provider_response(
                provider,
                None,
                code("context_length_exceeded"),
                message.clone(),
                None,
            ),
            // The host shows the message as is: the request, the status, the backend's own
            // words (which the category is also derived from) and what to do.
            Self::BadRequest { status, .. } | Self::Server { status, .. } => {
                E::from_http_status(provider, *status, self.to_string(), None)
            }
            Self::Failed {
                code: failure_code,
                message,
            } => {
                E::from_provider_response(provider, None, code(failure_code), message.clone(), None)
            }
            // Refused here, before sending: not the provider's rejection.
            Self::InstructionsTooLong { .. }
            | Self::ImagesNotSupported { .. }
            | Self::Compaction(_) => E::Other(anyhow::anyhow!(self.to_string())),
            Self::Send { host, error } => E::HttpSend {
                provider,
                host: host.clone(),
                error: anyhow::anyhow!("{error:#}"),
            },
            Self::Read(error) => E::ApiReadResponseError {
                provider,
                error: std::io::Error::new(error.kind(), error.to_string()),
            },
            Self::Deserialize(error) => E::DeserializeResponse {
                provider,
                error: serde_json::Error::io(std::io::Error::other(error.to_string())),
            },
            Self::StreamEndedUnexpectedly => E::StreamEndedUnexpectedly { provider },
            Self::Official(refusal) => refusal.to_completion_error(provider),
        }
    }
}

/// A [`BadRequest`](ResponsesError::BadRequest) or [`Server`](ResponsesError::Server) error in
/// the wording every HTTP error of this crate shares.
fn http_failure(status: StatusCode, message: &Option<String>) -> HttpFailure {
    HttpFailure {
        request: Request::Answer,
        status: status.as_u16(),
        code: None,
        message: message.clone(),
    }
}

fn retry_suffix(retry_after: Option<Duration>) -> String {
    retry_after
        .map(|after| format!("; try again in {}s", after.as_secs().max(1)))
        .unwrap_or_default()
}

/// `Retry-After` in its delay-seconds form (RFC 9110 §10.2.3); the HTTP-date form is not used by
/// this backend and is ignored.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get("retry-after")?.to_str().ok()?;
    network_number::delay_text(value, "retry-after")
}

/// The delay in "Rate limit reached … Please try again in 1.5s." / "in 20ms".
fn parse_try_again_in(message: &str) -> Option<Duration> {
    let (_, rest) = message.split_once("try again in ")?;
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, unit) = rest.split_at_checked(end)?;
    let number: f64 = number.parse().ok()?;
    // Float arithmetic cannot panic; `delay_fractional` rejects what overflowed to infinity.
    let seconds = if unit.starts_with("ms") {
        number / 1000.0
    } else if unit.starts_with('m') {
        number * 60.0
    } else {
        number
    };
    network_number::delay_fractional(seconds, "\"try again in\" delay")
}

fn body_excerpt(body: &[u8], status: StatusCode) -> String {
    let text = crate::printable::one_line(&String::from_utf8_lossy(body), MAX_BODY_IN_MESSAGE);
    // An empty body, or JSON that says nothing (`null`, `{}`, `""`), is no message at all.
    if matches!(text.as_str(), "" | "null" | "{}" | "\"\"") {
        return if status.is_server_error() {
            "the backend gave no details; try again in a moment".to_string()
        } else {
            "the backend gave no details".to_string()
        };
    }
    text
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;
    use language_model::ProviderErrorCategory;
    use serde_json::json;

    fn error(status: u16, body: serde_json::Value) -> ResponsesError {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        ResponsesError::from_http(
            StatusCode::from_u16(status).unwrap(),
            &HeaderMap::new(),
            body.to_string().as_bytes(),
            now,
        )
    }

    #[test]
    fn usage_limit_with_resets_at_or_resets_in_seconds() {
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 13, 12, 0).unwrap();
        let by_time = error(
            429,
            json!({"error": {"type": "usage_limit_reached", "plan_type": "plus", "resets_at": at.timestamp()}}),
        );
        let by_delay = error(
            429,
            json!({"error": {"type": "usage_limit_reached", "plan_type": "plus", "resets_in_seconds": 4320}}),
        );
        for error in [by_time, by_delay] {
            let ResponsesError::UsageLimitReached {
                plan, resets_at, ..
            } = &error
            else {
                panic!("{error:?}");
            };
            assert_eq!(plan.as_deref(), Some("plus"));
            assert_eq!(*resets_at, Some(at));
            // A limit that resets in 72 minutes is not a wait for the host to retry after.
            let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
            let host_error = error.to_completion_error_at("ChatGPT".into(), now);
            assert_eq!(host_error.retry_delay(1), None, "{host_error:?}");
            match &host_error {
                LanguageModelCompletionError::ProviderRejection {
                    retry_after,
                    code,
                    message,
                    ..
                } => {
                    assert_eq!(*retry_after, None);
                    assert_eq!(code.as_deref(), Some("usage_limit_reached"));
                    assert!(
                        message.starts_with("ChatGPT Plus usage limit reached; resets at "),
                        "{message}"
                    );
                    assert!(message.ends_with("(in 1h 12m)"), "{message}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn maps_each_status_and_code() {
        assert!(matches!(
            error(
                403,
                json!({"error": {"code": "usage_not_included", "plan_type": "free"}})
            ),
            ResponsesError::UsageNotIncluded { .. }
        ));
        assert!(
            error(
                403,
                json!({"error": {"type": "usage_not_included", "plan_type": "free"}})
            )
            .to_string()
            .starts_with("your ChatGPT plan (Free) does not include Codex")
        );
        assert!(error(401, json!({"detail": "token expired"})).is_unauthorized());
        assert!(matches!(
            error(
                400,
                json!({"error": {"code": "context_length_exceeded", "message": "too long"}})
            ),
            ResponsesError::ContextLengthExceeded { .. }
        ));
        let bad = error(400, json!({"detail": "Instructions are required"}));
        assert_eq!(
            bad.to_string(),
            "the request for the answer failed: the ChatGPT backend answered HTTP 400 Bad Request \
             (\"Instructions are required\"); try again; if it keeps failing, update openai-subscribed"
        );
        match bad.to_completion_error("ChatGPT".into()) {
            LanguageModelCompletionError::ProviderRejection {
                message,
                status,
                category,
                ..
            } => {
                assert!(
                    message.contains("(\"Instructions are required\")"),
                    "{message}"
                );
                assert_eq!(status, Some(StatusCode::BAD_REQUEST));
                assert_eq!(category, ProviderErrorCategory::InvalidRequest);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            error(502, json!("oops")),
            ResponsesError::Server { .. }
        ));
        let raw = ResponsesError::from_http(
            StatusCode::NOT_FOUND,
            &HeaderMap::new(),
            b"not json",
            Utc::now(),
        );
        assert_eq!(
            raw.to_string(),
            "the request for the answer failed: the ChatGPT backend answered HTTP 404 Not Found; \
             check --backend-url (OPENAI_SUBSCRIBED_BACKEND_URL): it should point at the ChatGPT backend"
        );
        // A page or raw JSON is never shown; a 5xx says to try again later.
        let page = ResponsesError::from_http(
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            b"<html><body>\x1b[2J502</body></html>",
            Utc::now(),
        );
        assert_eq!(
            page.to_string(),
            "the request for the answer failed: the ChatGPT backend answered HTTP 502 Bad Gateway; \
             try again in a few minutes"
        );
        let null = error(500, json!({"detail": null}));
        assert!(!null.to_string().contains("null"), "{null}");
    }

    #[test]
    fn overload_honours_retry_after() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "7".parse().unwrap());
        let error = ResponsesError::from_http(
            StatusCode::SERVICE_UNAVAILABLE,
            &headers,
            br#"{"error":{"code":"server_is_overloaded","message":"busy"}}"#,
            Utc::now(),
        );
        let host_error = error.to_completion_error("ChatGPT".into());
        assert_eq!(host_error.retry_delay(1), Some(Duration::from_secs(7)));
        assert!(matches!(
            host_error,
            LanguageModelCompletionError::ProviderRejection {
                category: ProviderErrorCategory::Overloaded,
                ..
            }
        ));
    }

    #[test]
    fn failed_event_codes() {
        match ResponsesError::from_code(
            Some("rate_limit_exceeded"),
            Some("Rate limit reached. Please try again in 1.5s."),
        ) {
            ResponsesError::RateLimited { retry_after } => {
                assert_eq!(retry_after, Some(Duration::from_millis(1500)))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            ResponsesError::from_code(Some("context_length_exceeded"), None)
                .to_completion_error("ChatGPT".into()),
            LanguageModelCompletionError::ProviderRejection {
                category: ProviderErrorCategory::PromptTooLarge { .. },
                ..
            }
        ));
        // An overload mid-stream that names its wait is retried after exactly that wait.
        let overloaded = ResponsesError::from_code(
            Some("server_is_overloaded"),
            Some("The server is overloaded. Please try again in 20s."),
        )
        .to_completion_error("ChatGPT".into());
        assert_eq!(overloaded.retry_delay(1), Some(Duration::from_secs(20)));
        assert_eq!(
            ResponsesError::from_code(Some("server_error"), Some("boom")).to_string(),
            "the response failed (server_error): boom"
        );
    }
}
