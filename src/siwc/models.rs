//! The official route's model list: `GET {api}/models` (`shared/spec/siwc.md` §3).
//!
//! The answer is `{"models":[…]}` (not the API-key `{"data":[…]}` envelope). Each entry has at
//! least `slug`, `display_name` and `visibility`; only `visibility == "list"` is shown, in the
//! **server's order** (no `priority` sort: the docs say to keep it). Every other field is
//! undocumented for this route and read as optional: a capability an entry does not state is
//! recorded in [`ModelInfo::unstated`] and shown as "unknown", never invented (no images sent,
//! no reasoning effort offered the model may refuse). One unreadable entry costs only itself.
//!
//! The list is a catalog, not an entitlement (§3): a completed answer proves access.

use super::api_request::{OfficialCall, read_capped, request_id, send_official};
use crate::config::Config;
use crate::models::fetch::{FetchError, FetchOutcome};
use crate::models::parse::ParsedModels;
use crate::models::{InputModality, ModelInfo, UnstatedCapability};
use crate::secret::AccessToken;
use http_client::HttpClient;
use serde::Deserialize;

#[derive(Deserialize)]
struct OfficialModels {
    models: Vec<serde_json::Value>,
}

/// Reads an official `/v1/models` answer: listed entries in the server's order.
pub fn parse_official_models(body: &[u8]) -> Result<ParsedModels, serde_json::Error> {
    let answer: OfficialModels = serde_json::from_slice(body)?;
    let mut parsed = ParsedModels {
        listed: Vec::with_capacity(answer.models.len()),
        hidden: 0,
        malformed: 0,
    };
    for (index, entry) in answer.models.into_iter().enumerate() {
        let unstated = unstated_in(&entry);
        match serde_json::from_value::<ModelInfo>(entry) {
            Ok(model) if crate::printable::has_hidden(&model.slug) => {
                parsed.malformed = parsed.malformed.saturating_add(1);
                log::warn!("skipping model list entry {index}: its slug has control characters");
            }
            Ok(mut model) if model.is_listed() => {
                model.display_name = crate::printable::one_line(&model.display_name, 80);
                model.description = crate::printable::one_line(&model.description, 500);
                if unstated.contains(&UnstatedCapability::Images) {
                    // Unknown: send text only rather than images the model may refuse.
                    model.input_modalities = vec![InputModality::Text];
                }
                model.unstated = unstated;
                parsed.listed.push(model);
            }
            Ok(_) => parsed.hidden = parsed.hidden.saturating_add(1),
            Err(error) => {
                parsed.malformed = parsed.malformed.saturating_add(1);
                log::warn!("skipping model list entry {index}: {error}");
            }
        }
    }
    Ok(parsed)
}

/// What an entry leaves unsaid.
fn unstated_in(entry: &serde_json::Value) -> Vec<UnstatedCapability> {
    let stated = |field: &str| entry.get(field).is_some_and(|value| !value.is_null());
    let mut unstated = Vec::new();
    if !stated("input_modalities") {
        unstated.push(UnstatedCapability::Images);
    }
    if !stated("supported_reasoning_levels") {
        unstated.push(UnstatedCapability::Reasoning);
    }
    if !stated("context_window") && !stated("max_context_window") {
        unstated.push(UnstatedCapability::ContextWindow);
    }
    unstated
}

/// One `GET {api}/models` with `token`. A refused token is [`FetchError::Unauthorized`] (the
/// caller refreshes once); a documented refusal is worded by
/// [`super::errors::OfficialApiError`].
pub async fn fetch_official_models(
    http: &dyn HttpClient,
    config: &Config,
    token: &AccessToken,
) -> Result<FetchOutcome, FetchError> {
    let response = send_official(http, config, token, OfficialCall::ModelList, None)
        .await
        .map_err(|error| FetchError::Transport(format!("{error:#}")))?;
    let (parts, body) = response.into_parts();
    let body = read_capped(body, OfficialCall::ModelList)
        .await
        .map_err(|error| FetchError::Transport(format!("reading the answer: {error}")))?;
    if !parts.status.is_success() {
        let status = parts.status.as_u16();
        let id = request_id(&parts.headers);
        let refusal = super::errors::OfficialApiError::from_http(status, &body, id);
        return Err(match refusal {
            Some(refusal) if refusal.next_step() == super::errors::NextStep::RefreshThenSignIn => {
                FetchError::Unauthorized(status)
            }
            Some(refusal) => FetchError::Status {
                status,
                message: Some(refusal.to_string()),
            },
            None => FetchError::Status {
                status,
                message: crate::http_error::message_in(&body),
            },
        });
    }
    let models =
        parse_official_models(&body).map_err(|error| FetchError::InvalidBody(error.to_string()))?;
    Ok(FetchOutcome::Modified { models, etag: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_listed_models_in_the_servers_order_and_marks_the_unstated() {
        let body = br#"{"models":[
            {"slug":"gpt-6.1-sol","display_name":"GPT-6.1 Sol","visibility":"list","context_window":272000,"priority":9},
            {"slug":"gpt-fake-hidden","display_name":"Hidden","visibility":"hide"},
            {"slug":"gpt-6-luna","display_name":"GPT-6 Luna","visibility":"list","priority":1}]}"#;
        let parsed = parse_official_models(body).unwrap();
        let slugs: Vec<_> = parsed.listed.iter().map(|m| m.slug.as_str()).collect();
        assert_eq!(slugs, ["gpt-6.1-sol", "gpt-6-luna"]);
        assert_eq!(parsed.hidden, 1);
        let sol = &parsed.listed[0];
        assert!(sol.states(UnstatedCapability::ContextWindow));
        assert!(!sol.states(UnstatedCapability::Images));
        assert!(!sol.supports_images());
        assert!(!sol.supports_reasoning());
        assert!(!parsed.listed[1].states(UnstatedCapability::ContextWindow));
    }

    #[test]
    fn stated_efforts_and_images_are_kept() {
        let body = br#"{"models":[{"slug":"m","display_name":"M","visibility":"list",
            "input_modalities":["text","image"],
            "supported_reasoning_levels":[{"effort":"low"},{"effort":"high"}]}]}"#;
        let model = &parse_official_models(body).unwrap().listed[0];
        assert!(model.supports_images());
        assert!(model.supports_reasoning());
        assert_eq!(model.unstated, [UnstatedCapability::ContextWindow]);
    }

    #[test]
    fn the_api_key_envelope_is_not_a_model_list() {
        assert!(parse_official_models(br#"{"data":[]}"#).is_err());
    }
}
