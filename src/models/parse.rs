//! Reading a catalog answer (`{"models":[…]}`, spec §5) into the list the picker shows.
//!
//! The backend adds, retires and reshapes models without notice, so the answer is read entry by
//! entry: one entry this crate cannot read is skipped with a warning and the rest still load.
//! Only `visibility == "list"` entries are kept, sorted by `priority` ascending (lower first, as
//! the Codex CLI does). The bundled fallback file uses the same format and goes through the same
//! code.

use super::ModelInfo;
use serde::Deserialize;

/// The catalog answer's envelope. Entries stay raw JSON until each is read on its own.
#[derive(Deserialize)]
struct ModelsResponse {
    models: Vec<serde_json::Value>,
}

/// The listed models of one catalog answer, and what was left out.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedModels {
    /// The models to show, sorted by `priority` ascending.
    pub listed: Vec<ModelInfo>,
    /// Entries that parsed but are not shown (`visibility` other than `list`).
    pub hidden: usize,
    /// Entries that could not be read and were skipped.
    pub malformed: usize,
}

/// Parses a catalog answer body.
///
/// Fails only when the envelope itself is not `{"models":[…]}`; a bad entry is counted in
/// [`ParsedModels::malformed`] and logged.
pub fn parse_models_response(body: &[u8]) -> Result<ParsedModels, serde_json::Error> {
    let response: ModelsResponse = serde_json::from_slice(body)?;
    let mut parsed = ParsedModels {
        listed: Vec::with_capacity(response.models.len()),
        hidden: 0,
        malformed: 0,
    };
    for (index, entry) in response.models.into_iter().enumerate() {
        // Read the slug first so that the warning can name the entry it skips.
        let slug = entry
            .get("slug")
            .and_then(|slug| slug.as_str())
            .map(str::to_owned);
        match serde_json::from_value::<ModelInfo>(entry) {
            // The slug goes back to the backend as is, so it cannot be cleaned: refuse it.
            Ok(model) if crate::printable::has_hidden(&model.slug) => {
                parsed.malformed = parsed.malformed.saturating_add(1);
                log::warn!("skipping model catalog entry {index}: its slug has control characters");
            }
            Ok(mut model) if model.is_listed() => {
                model.display_name = crate::printable::one_line(&model.display_name, 80);
                model.description = crate::printable::one_line(&model.description, 500);
                parsed.listed.push(model)
            }
            Ok(_) => parsed.hidden = parsed.hidden.saturating_add(1),
            Err(error) => {
                parsed.malformed = parsed.malformed.saturating_add(1);
                log::warn!(
                    "skipping model catalog entry {index} ({}): {error}",
                    slug.as_deref().unwrap_or("no slug")
                );
            }
        }
    }
    sort_by_priority(&mut parsed.listed);
    Ok(parsed)
}

/// Sorts by `priority` ascending. The sort is stable: equal priorities keep the backend's order.
pub(crate) fn sort_by_priority(models: &mut [ModelInfo]) {
    models.sort_by_key(|model| model.priority);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(slug: &str, priority: i64, visibility: &str) -> serde_json::Value {
        json!({
            "slug": slug,
            "display_name": slug.to_uppercase(),
            "visibility": visibility,
            "priority": priority,
            "context_window": 272000,
        })
    }

    fn parse(value: serde_json::Value) -> ParsedModels {
        parse_models_response(value.to_string().as_bytes()).unwrap()
    }

    fn slugs(parsed: &ParsedModels) -> Vec<&str> {
        parsed.listed.iter().map(|m| m.slug.as_str()).collect()
    }

    #[test]
    fn keeps_listed_models_sorted_by_priority_ascending() {
        let parsed = parse(json!({"models": [
            entry("c", 30, "list"),
            entry("a", 1, "list"),
            entry("b", 10, "list"),
        ]}));
        assert_eq!(slugs(&parsed), ["a", "b", "c"]);
        assert_eq!((parsed.hidden, parsed.malformed), (0, 0));
    }

    #[test]
    fn equal_priorities_keep_the_backend_order() {
        let parsed = parse(json!({"models": [
            entry("second", 5, "list"),
            entry("first", 1, "list"),
            entry("third", 5, "list"),
        ]}));
        assert_eq!(slugs(&parsed), ["first", "second", "third"]);
    }

    #[test]
    fn drops_hidden_none_and_unknown_visibilities() {
        let parsed = parse(json!({"models": [
            entry("shown", 1, "list"),
            entry("hidden", 2, "hide"),
            entry("none", 3, "none"),
            entry("future", 4, "beta-only"),
        ]}));
        assert_eq!(slugs(&parsed), ["shown"]);
        assert_eq!(parsed.hidden, 3);
    }

    #[test]
    fn a_malformed_entry_is_skipped_not_the_whole_list() {
        let parsed = parse(json!({"models": [
            entry("good-1", 1, "list"),
            {"slug": "bad", "display_name": "Bad", "visibility": "list",
             "context_window": "a lot"},
            {"display_name": "No slug"},
            42,
            {"slug": "new-effort", "display_name": "E", "visibility": "list", "priority": 1,
             "context_window": 1000,
             "supported_reasoning_levels": [{"effort": "extreme"}, {"effort": 3}]},
            entry("good-2", 2, "list"),
        ]}));
        // An effort this crate has never seen is data; only the unreadable one is dropped.
        assert_eq!(slugs(&parsed), ["good-1", "new-effort", "good-2"]);
        assert_eq!(parsed.listed[1].supported_reasoning_levels.len(), 1);
        assert_eq!(parsed.malformed, 3);
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let mut model = entry("m", 1, "list");
        model["shell_type"] = json!("local");
        model["truncation_policy"] = json!({"mode": "tokens", "limit": 10000});
        let parsed = parse(json!({"models": [model], "etag_hint": "x"}));
        assert_eq!(slugs(&parsed), ["m"]);
    }

    #[test]
    fn an_envelope_that_is_not_a_model_list_is_an_error() {
        assert!(parse_models_response(b"[]").is_err());
        assert!(parse_models_response(b"{\"data\":[]}").is_err());
        assert!(parse_models_response(b"<html>").is_err());
        assert!(
            parse_models_response(b"{\"models\":[]}")
                .unwrap()
                .listed
                .is_empty()
        );
    }

    #[test]
    fn names_from_the_network_lose_their_control_characters() {
        let mut hostile = entry("gpt-x", 1, "list");
        hostile["display_name"] = json!("GPT\u{1b}]0;pwned\u{7} X\u{1b}[2J");
        hostile["description"] = json!("fast\r\nand \u{202E}cheap");
        let mut bad_slug = entry("gpt-y", 2, "list");
        bad_slug["slug"] = json!("gpt\u{1b}[2J-y");
        let parsed = parse(json!({"models": [hostile, bad_slug]}));
        assert_eq!(parsed.listed.len(), 1);
        assert_eq!(parsed.listed[0].display_name, "GPT ]0;pwned X [2J");
        assert_eq!(parsed.listed[0].description, "fast and cheap");
        assert_eq!(parsed.malformed, 1);
    }
}
