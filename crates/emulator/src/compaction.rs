//! Compaction as the backend does it: explicit (a final `{"type": "compaction_trigger"}` input
//! item) and server-side (`context_management: [{"type": "compaction", "compact_threshold": N}]`,
//! once the input passes `N` tokens).
//!
//! Either way the answer streams one `compaction` output item whose `encrypted_content` stands
//! for the input it replaces. The real backend's content is opaque and only it can read it; the
//! emulator's is `cmp1.<base64url JSON>.<base64url HMAC-SHA256>` under its secret key, so a
//! replayed item is checked ([`check_replayed`]): a tampered or unknown one is refused with the
//! backend's 400, as the real service refuses content it did not mint.

use super::errors::{Rejection, api_error};
use super::sse::EventLog;
use super::state::SharedState;
use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac as _;
use serde_json::{Value, json};

/// The prefix of the emulator's compaction content.
const PREFIX: &str = "cmp1.";

/// What a compaction remembers of the input it replaced.
pub fn mint(state: &SharedState, replaced_items: usize, last_user_text: &str) -> String {
    let payload = json!({"replaced_items": replaced_items, "last_user_text": last_user_text});
    let payload = URL_SAFE_NO_PAD.encode(payload.to_string());
    let tag = state
        .mac(payload.as_bytes())
        .map(|mac| URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
        .unwrap_or_default();
    format!("{PREFIX}{payload}.{tag}")
}

/// The payload of content this emulator minted, or `None` for anything else.
pub fn verify(state: &SharedState, content: &str) -> Option<Value> {
    let (payload, tag) = content.strip_prefix(PREFIX)?.split_once('.')?;
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    state.mac(payload.as_bytes())?.verify_slice(&tag).ok()?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

/// Every `compaction` input item must carry content this emulator minted.
pub fn check_replayed(state: &SharedState, input: &[Value]) -> Result<(), Rejection> {
    for (index, item) in input.iter().enumerate() {
        if item["type"] != "compaction" {
            continue;
        }
        let content = item["encrypted_content"].as_str().unwrap_or_default();
        if verify(state, content).is_none() {
            return Err(api_error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                Some("invalid_encrypted_content"),
                Some(&format!("input[{index}].encrypted_content")),
                "The encrypted content for this compaction item could not be verified. Reason: \
                 Encrypted content could not be decrypted or parsed.",
            )
            .into());
        }
    }
    Ok(())
}

/// Streams one `compaction` item at `output_index` and returns it.
pub fn stream_item(log: &mut EventLog, encrypted_content: String, output_index: usize) -> Value {
    let id = format!("cmp_{}", &super::state::random_token("", 12));
    log.push(
        "response.output_item.added",
        json!({
            "output_index": output_index,
            "item": {"id": id, "type": "compaction", "encrypted_content": null},
        }),
    );
    let item = json!({"id": id, "type": "compaction", "encrypted_content": encrypted_content});
    log.push(
        "response.output_item.done",
        json!({"output_index": output_index, "item": item}),
    );
    item
}
