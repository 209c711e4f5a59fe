//! `GET …/backend-api/wham/usage`: the plan's usage windows without sending a chat.
//!
//! The `x-codex-*` headers of `/responses` answers report the limits only once a chat has been
//! sent; this endpoint (the one the Codex CLI's `/status` reads) reports them at any time, so
//! the configuration card and `openai-subscribed usage` can show them right after sign-in. Its
//! URL is [`Config::usage_url`]; the request goes through [`BackendRequest`] like every backend
//! call (the same headers, the usage body cap, the shared status mapping). The answer (real
//! captures in `tests/fixtures/real/wham_usage_*`) is read into the same [`UsageLimits`] as the headers: each window labelled by its length
//! (`limit_window_seconds`), never by whether it is `primary_window` or `secondary_window`
//! (a Pro plan sends its weekly window as the primary one), and a `null` window left out.
use super::limits::{Credits, UsageLimits, UsageWindow};
use crate::backend_request::{BackendAuth, BackendCall, BackendError, BackendRequest, refusal};
use crate::config::Config;
use crate::http_error::{HttpFailure, Request};
use crate::network_number;
use chrono::{DateTime, Utc};
use http_client::{HttpClient, Method};
use serde::Deserialize;

/// Why the usage windows could not be read. Cloneable so one fetch can serve several callers.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum UsageFetchError {
    /// The request never got an answer.
    #[error("could not reach the backend for the usage limits: {0}")]
    Transport(String),
    /// The backend did not answer in time.
    #[error("the usage limits did not arrive within {} seconds", .0.as_secs())]
    Timeout(std::time::Duration),
    /// The token was refused: the caller should refresh the sign-in.
    #[error("the backend refused the sign-in when asked for the usage limits (HTTP {0})")]
    Unauthorized(u16),
    /// Any other non-success status, in the words of [`HttpFailure`] (the body is shown only
    /// as the printable message it carries, never raw: it reaches the terminal).
    #[error("{}", HttpFailure { request: Request::Usage, status: *status, code: None, message: message.clone() })]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The message the answer carried for people, printable and bounded, if any.
        message: Option<String>,
    },
    /// The answer was not a usage document.
    #[error("the backend's usage answer could not be read: {0}")]
    InvalidBody(String),
}

#[derive(Deserialize)]
struct UsageAnswer {
    #[serde(default)]
    rate_limit: Option<RateLimit>,
    #[serde(default)]
    credits: Option<CreditsAnswer>,
}

#[derive(Deserialize)]
struct RateLimit {
    /// Whether the plan's limit is reached; any value but a boolean is "not said".
    #[serde(default)]
    limit_reached: Option<serde_json::Value>,
    #[serde(default)]
    primary_window: Option<WindowAnswer>,
    #[serde(default)]
    secondary_window: Option<WindowAnswer>,
}

/// Numbers stay raw JSON and go through [`network_number`]: one odd value costs that value
/// (or, for `used_percent`, that window), never the answer.
#[derive(Deserialize)]
struct WindowAnswer {
    #[serde(default)]
    used_percent: Option<serde_json::Value>,
    #[serde(default)]
    limit_window_seconds: Option<serde_json::Value>,
    #[serde(default)]
    reset_at: Option<serde_json::Value>,
    #[serde(default)]
    reset_after_seconds: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct CreditsAnswer {
    #[serde(default)]
    has_credits: bool,
    #[serde(default)]
    unlimited: bool,
    /// A string (`"0"`) in today's answers; a number is taken too.
    #[serde(default)]
    balance: Option<serde_json::Value>,
}

impl WindowAnswer {
    fn into_window(self, now: DateTime<Utc>) -> Option<UsageWindow> {
        let used_percent =
            network_number::percent(self.used_percent.as_ref(), "wham/usage used_percent")?;
        let resets_at = network_number::unix_time(self.reset_at.as_ref(), "wham/usage reset_at")
            .or_else(|| {
                network_number::delay(
                    self.reset_after_seconds.as_ref(),
                    "wham/usage reset_after_seconds",
                )
                .and_then(|delay| network_number::after(now, delay))
            });
        let window_seconds = network_number::whole(
            self.limit_window_seconds.as_ref(),
            "wham/usage limit_window_seconds",
        );
        Some(UsageWindow {
            used_percent,
            // Minutes, rounded, as the headers report the same windows.
            window_minutes: window_seconds.map(|secs| secs.saturating_add(30) / 60),
            resets_at,
        })
    }
}

/// Reads a `/wham/usage` answer to a request sent at `asked_at` (the snapshot's
/// [`observed_at`](UsageLimits::observed_at)).
pub fn parse_usage_answer(
    body: &[u8],
    asked_at: DateTime<Utc>,
) -> Result<UsageLimits, UsageFetchError> {
    let now = asked_at;
    let answer: UsageAnswer = serde_json::from_slice(body)
        .map_err(|error| UsageFetchError::InvalidBody(error.to_string()))?;
    let limit_reached = answer
        .rate_limit
        .as_ref()
        .and_then(|limits| limits.limit_reached.as_ref())
        .and_then(serde_json::Value::as_bool);
    let windows = answer
        .rate_limit
        .map(|limits| {
            [limits.primary_window, limits.secondary_window]
                .into_iter()
                .flatten()
                .filter_map(|window| window.into_window(now))
                .collect()
        })
        .unwrap_or_default();
    let credits = answer.credits.map(|credits| Credits {
        has_credits: credits.has_credits,
        unlimited: credits.unlimited,
        balance: match credits.balance {
            Some(serde_json::Value::String(text)) if !text.is_empty() => Some(text),
            Some(serde_json::Value::Number(number)) => Some(number.to_string()),
            _ => None,
        },
    });
    Ok(UsageLimits {
        windows,
        credits,
        observed_at: asked_at,
        limit_reached,
    })
}

/// Asks the backend for the plan's usage windows once. No timeout here: the caller bounds it
/// on its executor's timer.
pub async fn fetch_usage(
    http: &dyn HttpClient,
    config: &Config,
    auth: &BackendAuth,
) -> Result<UsageLimits, UsageFetchError> {
    // The snapshot is dated when it was asked for: an answer that arrives late must not look
    // newer than what was observed meanwhile.
    let asked_at = Utc::now();
    let answer = BackendRequest::new(
        config,
        auth,
        BackendCall::Usage,
        Method::GET,
        &config.usage_url(),
    )
    .send(http)
    .await?;
    if !answer.status.is_success() {
        // A 304 to this unconditional request is as unexpected as any other status.
        return Err(refusal(BackendCall::Usage, answer.status, &answer.body).into());
    }
    parse_usage_answer(&answer.body, asked_at)
}

impl From<BackendError> for UsageFetchError {
    fn from(error: BackendError) -> Self {
        match error {
            BackendError::Transport(reason) => Self::Transport(reason),
            BackendError::Unauthorized(status) => Self::Unauthorized(status),
            BackendError::Status(failure) => Self::Status {
                status: failure.status,
                message: failure.message,
            },
        }
    }
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

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 7, 7, 0, 0, 0).unwrap()
    }

    #[test]
    fn windows_are_labelled_by_length_and_null_ones_left_out() {
        let body = br#"{"plan_type":"pro","rate_limit":{"allowed":true,"limit_reached":false,
            "primary_window":{"used_percent":50,"limit_window_seconds":604800,
                              "reset_after_seconds":60},
            "secondary_window":null},"credits":{"has_credits":true,"unlimited":false,
            "balance":12.5},"some_future_field":[1]}"#;
        let usage = parse_usage_answer(body, now()).unwrap();
        let labels: Vec<_> = usage.windows.iter().map(UsageWindow::label).collect();
        assert_eq!(labels, ["weekly"]);
        assert_eq!(
            usage.windows[0].resets_at,
            Some(now() + chrono::Duration::seconds(60))
        );
        assert_eq!(usage.credits.unwrap().balance.as_deref(), Some("12.5"));
    }

    #[test]
    fn a_body_that_is_not_a_usage_document_is_an_error() {
        assert!(matches!(
            parse_usage_answer(b"<html>", now()),
            Err(UsageFetchError::InvalidBody(_))
        ));
        let empty = parse_usage_answer(b"{}", now()).unwrap();
        assert!(empty.windows.is_empty() && empty.credits.is_none());
        assert_eq!(empty.limit_reached, None);
    }

    #[test]
    fn limit_reached_is_read_and_only_a_boolean_counts() {
        let answer = |value: &str| {
            let body = format!(r#"{{"rate_limit":{{"limit_reached":{value}}}}}"#);
            parse_usage_answer(body.as_bytes(), now())
                .unwrap()
                .limit_reached
        };
        assert_eq!(answer("true"), Some(true));
        assert_eq!(answer("false"), Some(false));
        assert_eq!(answer("null"), None);
        assert_eq!(answer(r#""yes""#), None);
    }
}
