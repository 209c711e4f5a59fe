//! Faults a test can ask for: one-shot misbehaviours of the issuer or the backend.
//!
//! Faults wait in a FIFO queue (see [`FaultQueue`]); each request takes the first queued fault
//! that applies to it, so a test can queue, say, a 503 for `/oauth/token` and a cut stream for
//! `/responses` at once. Which request consumes which fault:
//! - `/oauth/authorize`: [`Fault::AuthorizeDenied`].
//! - `/oauth/token` (any grant, before the body is read): [`Fault::TokenStatus`],
//!   [`Fault::TokenHang`], [`Fault::RawAnswer`] for [`FaultRoute::Token`].
//! - `/api/accounts/deviceauth/usercode`: [`Fault::DeviceDisabled`].
//! - `/models`: [`Fault::ModelsStatus`], [`Fault::RawAnswer`] for [`FaultRoute::Models`].
//! - `/wham/usage`: [`Fault::UsageStatus`], [`Fault::RawAnswer`] for [`FaultRoute::Usage`].
//! - `/responses`, as the request arrives (before any check): [`Fault::ResponsesUnauthorized`],
//!   [`Fault::ResponsesUsageLimit`], [`Fault::ResponsesWindowLimit`], [`Fault::ResponsesStatus`], [`Fault::RawAnswer`] for
//!   [`FaultRoute::Responses`].
//! - `/responses`, once the request has passed every check and the stream starts:
//!   [`Fault::ResponsesCutStream`], [`Fault::ResponsesFailed`], [`Fault::ResponsesLongAnswer`].

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// A one-shot fault, consumed by the next request it applies to.
///
/// The same type is what `POST /__emulator/faults` takes as JSON:
/// `{"kind": "<variant in snake_case>", …fields}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// The next `/oauth/authorize` redirects with `error=access_denied&error_description=…`
    /// (use `missing_codex_entitlement` in the description for a plan without Codex).
    AuthorizeDenied {
        /// The `error_description` sent back.
        description: String,
    },
    /// The next `/oauth/token` answers this status and JSON body.
    TokenStatus {
        /// The HTTP status.
        status: u16,
        /// The JSON body.
        #[serde(default)]
        body: serde_json::Value,
    },
    /// The next `/oauth/token` never answers (for timeout tests).
    TokenHang,
    /// The next device-code user-code request answers 404 (device sign-in switched off).
    DeviceDisabled,
    /// The next `/models` answers this status.
    ModelsStatus {
        /// The HTTP status.
        status: u16,
    },
    /// The next `GET /backend-api/wham/usage` answers this status.
    UsageStatus {
        /// The HTTP status.
        status: u16,
    },
    /// The next `/responses` answers 429 `usage_limit_reached`, resetting in this many seconds.
    ResponsesUsageLimit {
        /// Seconds from now until `resets_at`.
        resets_in_secs: i64,
    },
    /// The next `/responses` answers 429 `usage_limit_reached` because one window ran out: its
    /// headers show that window (`window_minutes`: 300 or 10080) at 100 %, resetting in
    /// `resets_in_secs`, and the other at `other_used_percent` (see [`crate::limits`]).
    ResponsesWindowLimit {
        /// The spent window's length in minutes.
        window_minutes: u64,
        /// Seconds from now until it resets (the body's `resets_at`).
        resets_in_secs: i64,
        /// How much of the other window is used.
        other_used_percent: f64,
    },
    /// The next `/responses` answers this status and JSON body, with an optional `Retry-After`.
    ResponsesStatus {
        /// The HTTP status.
        status: u16,
        /// The JSON body.
        #[serde(default)]
        body: serde_json::Value,
        /// The `Retry-After` header, in seconds.
        #[serde(default)]
        retry_after_secs: Option<u64>,
    },
    /// The next `/responses` streams a few deltas, then closes before `response.completed`.
    ResponsesCutStream,
    /// The next `/responses` stream ends with `response.failed` carrying this error.
    ResponsesFailed {
        /// `error.code`, e.g. `context_length_exceeded`.
        code: String,
        /// `error.message`.
        message: String,
    },
    /// The next `/responses` answers 401 even with a valid token.
    ResponsesUnauthorized,
    /// The next request to `route` answers this status with exactly this body and content type:
    /// what a proxy or a failing server sends (an HTML page, `{"detail": null}`, text with
    /// terminal escapes), which the JSON faults above cannot.
    RawAnswer {
        /// Which endpoint answers.
        route: FaultRoute,
        /// The HTTP status.
        status: u16,
        /// The `Content-Type` header.
        #[serde(default = "default_content_type")]
        content_type: String,
        /// The body, byte for byte.
        body: String,
    },
    /// The next `/responses` answers with `megabytes` MiB of text, in deltas generated as they
    /// are sent (never held whole), so a test can measure what a long answer costs a client.
    /// Its `output_item.done` and `response.completed` leave the text out, unlike the real
    /// backend's, so that no single event is larger than the client's event cap.
    ResponsesLongAnswer {
        /// The answer's size, in MiB of text.
        megabytes: u64,
    },
    /// The next WebSocket upgrade on `/responses` answers this status (426, 404…) instead of 101.
    WebSocketRefused {
        /// The HTTP status.
        status: u16,
    },
    /// The next WebSocket answer outputs exactly these items (each as `output_item.added` and
    /// `.done`), then completes: a replayed thread (the `request_cost` bench) whose next turns
    /// carry them as the model made them.
    WebSocketOutputItems {
        /// The output items, in order.
        items: Vec<serde_json::Value>,
    },
    /// The next WebSocket frame that names a `previous_response_id` is answered 400
    /// `previous_response_not_found`, as if the server had lost the socket's memory.
    WebSocketPreviousNotFound,
    /// The next WebSocket frame is read and recorded, then the socket closes with nothing sent
    /// back: a socket that fails before the answer starts.
    WebSocketCloseBeforeAnswer,
}

/// An endpoint a [`Fault::RawAnswer`] applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultRoute {
    /// `GET {backend}/models`.
    Models,
    /// `GET /backend-api/wham/usage`.
    Usage,
    /// `POST {backend}/responses`.
    Responses,
    /// `POST /oauth/token` (any grant).
    Token,
}

impl Fault {
    /// Whether this is a [`Fault::RawAnswer`] for `route`.
    pub fn is_raw_answer_for(&self, route: FaultRoute) -> bool {
        matches!(self, Self::RawAnswer { route: r, .. } if *r == route)
    }
}

fn default_content_type() -> String {
    "application/json".to_string()
}

/// The queue of faults waiting for their request.
#[derive(Debug, Default)]
pub struct FaultQueue {
    queued: VecDeque<Fault>,
}

impl FaultQueue {
    /// Queues a fault behind the others.
    pub fn push(&mut self, fault: Fault) {
        self.queued.push_back(fault);
    }

    /// Removes and returns the first queued fault that `applies` accepts, if any.
    pub fn take(&mut self, applies: impl Fn(&Fault) -> bool) -> Option<Fault> {
        let index = self.queued.iter().position(applies)?;
        self.queued.remove(index)
    }

    /// How many faults are still waiting.
    pub fn len(&self) -> usize {
        self.queued.len()
    }

    /// Whether no fault is waiting.
    pub fn is_empty(&self) -> bool {
        self.queued.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_faults_use_snake_case_kinds() {
        let fault: Fault =
            serde_json::from_str(r#"{"kind":"responses_usage_limit","resets_in_secs":3600}"#)
                .unwrap();
        assert_eq!(
            fault,
            Fault::ResponsesUsageLimit {
                resets_in_secs: 3600
            }
        );
        let fault: Fault =
            serde_json::from_str(r#"{"kind":"models_status","status":503}"#).unwrap();
        assert_eq!(fault, Fault::ModelsStatus { status: 503 });
        let fault: Fault =
            serde_json::from_str(r#"{"kind":"responses_status","status":503}"#).unwrap();
        assert_eq!(
            fault,
            Fault::ResponsesStatus {
                status: 503,
                body: serde_json::Value::Null,
                retry_after_secs: None
            }
        );
        let fault: Fault = serde_json::from_str(
            r#"{"kind":"raw_answer","route":"usage","status":502,"body":"<html></html>"}"#,
        )
        .unwrap();
        assert!(fault.is_raw_answer_for(FaultRoute::Usage));
        assert!(!fault.is_raw_answer_for(FaultRoute::Models));
        assert!(serde_json::from_str::<Fault>(r#"{"kind":"no_such_fault"}"#).is_err());
        assert!(
            serde_json::from_str::<Fault>(r#"{"kind":"models_status","status":503,"extra":1}"#)
                .is_err()
        );
    }

    #[test]
    fn a_request_takes_the_first_fault_that_applies_to_it() {
        let mut queue = FaultQueue::default();
        queue.push(Fault::TokenHang);
        queue.push(Fault::ModelsStatus { status: 500 });
        queue.push(Fault::ModelsStatus { status: 503 });
        let taken = queue.take(|fault| matches!(fault, Fault::ModelsStatus { .. }));
        assert_eq!(taken, Some(Fault::ModelsStatus { status: 500 }));
        assert_eq!(queue.len(), 2);
    }
}
