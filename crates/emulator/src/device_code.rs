//! The device-code sign-in (the issuer's own flow, close to RFC 8628): for SSH sessions,
//! containers, and machines whose callback ports are busy.
//!
//! - `POST /api/accounts/deviceauth/usercode`, JSON `{client_id}` →
//!   `{device_auth_id, user_code, interval}` (`interval` a string of seconds, as the real
//!   issuer sends, unless [`EmulatorOptions::device_interval_as_string`] is off); 404 when the
//!   [`Fault::DeviceDisabled`] fault is queued (device sign-in switched off).
//! - `POST /api/accounts/deviceauth/token`, JSON `{device_auth_id, user_code}` → 403 "pending"
//!   [`EmulatorOptions::device_pending_polls`] times (the emulated user is typing the code), then
//!   `{authorization_code, code_challenge, code_verifier}`. The issuer made the PKCE pair itself;
//!   the code is exchanged at `/oauth/token` with `redirect_uri = {issuer}/deviceauth/callback`.
//!   Polls are counted, not timed: the emulator never answers `slow_down`.
//! - `GET /codex/device`: the page where the user would type the code.
//!
//! [`EmulatorOptions::device_interval_as_string`]: super::EmulatorOptions::device_interval_as_string
//! [`EmulatorOptions::device_pending_polls`]: super::EmulatorOptions::device_pending_polls

use super::errors::{api_error, invalid_request};
use super::faults::Fault;
use super::issuer::s256;
use super::state::{PendingCode, SharedState, random_token};
use crate::CLIENT_ID;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use rand::Rng as _;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// Letters and digits a person cannot misread (no 0/O, 1/I/L).
const USER_CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

#[derive(Deserialize)]
struct UserCodeRequest {
    client_id: Option<String>,
}

#[derive(Deserialize)]
struct PollRequest {
    device_auth_id: Option<String>,
    user_code: Option<String>,
}

/// `POST /api/accounts/deviceauth/usercode`.
pub async fn user_code(
    State(state): State<Arc<SharedState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.record_issuer_request("/api/accounts/deviceauth/usercode", &headers);
    state.count(|stats| &mut stats.device_code_requests);
    if state
        .take_fault(|fault| matches!(fault, Fault::DeviceDisabled))
        .is_some()
    {
        return api_error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            Some("not_found"),
            None,
            "Device code sign-in is not enabled.",
        );
    }
    let Ok(request) = serde_json::from_slice::<UserCodeRequest>(&body) else {
        return invalid_request(None, "The body must be a JSON object.");
    };
    match request.client_id.as_deref() {
        Some(CLIENT_ID) => {}
        None | Some("") => return invalid_request(Some("client_id"), "Missing 'client_id'"),
        Some(_) => return invalid_request(Some("client_id"), "Unknown client."),
    }
    let user_code = new_user_code();
    let device_auth_id = state.start_device_auth(user_code.clone());
    let interval = state.options.device_interval_secs;
    let interval = if state.options.device_interval_as_string {
        json!(interval.to_string())
    } else {
        json!(interval)
    };
    let expires_at = chrono::Utc::now() + chrono::Duration::minutes(15);
    Json(json!({
        "device_auth_id": device_auth_id,
        "user_code": user_code,
        "interval": interval,
        "expires_at": expires_at.to_rfc3339(),
    }))
    .into_response()
}

/// A code like `K7QM-2XHT`.
fn new_user_code() -> String {
    let mut rng = rand::thread_rng();
    let mut pick = || USER_CODE_ALPHABET[rng.gen_range(0..USER_CODE_ALPHABET.len())] as char;
    let first: String = (0..4).map(|_| pick()).collect();
    let second: String = (0..4).map(|_| pick()).collect();
    format!("{first}-{second}")
}

/// What a poll finds.
enum PollOutcome {
    Pending,
    WrongUserCode,
    Approved,
}

/// `POST /api/accounts/deviceauth/token`.
pub async fn poll(
    State(state): State<Arc<SharedState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.record_issuer_request("/api/accounts/deviceauth/token", &headers);
    state.count(|stats| &mut stats.device_polls);
    let Ok(request) = serde_json::from_slice::<PollRequest>(&body) else {
        return invalid_request(None, "The body must be a JSON object.");
    };
    let (Some(device_auth_id), Some(user_code)) = (request.device_auth_id, request.user_code)
    else {
        return invalid_request(None, "Missing 'device_auth_id' or 'user_code'");
    };
    let outcome = state.with_device_auth(&device_auth_id, |auth| {
        if auth.user_code != user_code {
            (PollOutcome::WrongUserCode, false)
        } else if auth.pending_polls_left > 0 {
            auth.pending_polls_left -= 1;
            (PollOutcome::Pending, false)
        } else {
            (PollOutcome::Approved, true)
        }
    });
    match outcome {
        None => invalid_request(
            Some("device_auth_id"),
            "Unknown or expired device authorization.",
        ),
        Some(PollOutcome::WrongUserCode) => invalid_request(
            Some("user_code"),
            "user_code does not match the device authorization.",
        ),
        Some(PollOutcome::Pending) => api_error(
            StatusCode::FORBIDDEN,
            "invalid_request_error",
            Some("deviceauth_authorization_pending"),
            None,
            "The user has not approved the device yet.",
        ),
        Some(PollOutcome::Approved) => {
            // The issuer holds the PKCE pair of a device sign-in and hands both halves over.
            let code_verifier = random_token("", 64);
            let code_challenge = s256(&code_verifier);
            let authorization_code = state.issue_code(PendingCode {
                code_challenge: code_challenge.clone(),
                redirect_uri: format!("{}/deviceauth/callback", state.issuer_url),
                client_id: CLIENT_ID.to_string(),
            });
            Json(json!({
                "authorization_code": authorization_code,
                "code_challenge": code_challenge,
                "code_verifier": code_verifier,
            }))
            .into_response()
        }
    }
}

/// `GET /codex/device`.
pub async fn verification_page() -> Html<&'static str> {
    Html(
        "<!doctype html><html><head><title>Sign in to Codex</title>\
         <meta name=\"color-scheme\" content=\"light dark\"></head><body>\
         <h1>Enter the code shown in your terminal</h1>\
         <form><input name=\"user_code\" placeholder=\"XXXX-XXXX\" autofocus>\
         <button>Continue</button></form>\
         <p>(Emulator: every device sign-in is approved after a few polls.)</p>\
         </body></html>",
    )
}
