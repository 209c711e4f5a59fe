//! The bundled fallback list: what the picker shows when the backend cannot be reached and
//! nothing is cached for the account (spec §5).
//!
//! It is data (`bundled_models.json`, the backend's own answer format), not code: updating it
//! is editing a file, and it goes through the same parser as a live answer. It is only a last
//! resort: the catalog marks it as [`CatalogSource::Fallback`](super::CatalogSource) so the UI
//! can say the list may not match the plan, and replaces it as soon as a fetch succeeds.

use super::ModelInfo;
use super::parse::parse_models_response;

/// The bundled list, in the backend's `{"models":[…]}` format.
const BUNDLED_MODELS_JSON: &str = include_str!("bundled_models.json");

/// The bundled models, listed and sorted like a live answer.
pub fn bundled_models() -> Vec<ModelInfo> {
    match parse_models_response(BUNDLED_MODELS_JSON.as_bytes()) {
        Ok(parsed) => parsed.listed,
        // Cannot happen with the file the tests check; an empty list is still no reason to panic.
        Err(error) => {
            log::error!("the bundled model list is unreadable: {error}");
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_list_parses_whole_and_is_usable() {
        let parsed = parse_models_response(BUNDLED_MODELS_JSON.as_bytes()).unwrap();
        assert_eq!(parsed.malformed, 0, "every bundled entry must parse");
        assert!(!parsed.listed.is_empty());
        assert_eq!(bundled_models(), parsed.listed);
        for model in &parsed.listed {
            assert!(model.max_token_count() > 0, "{}", model.slug);
            assert!(!model.display_name.is_empty(), "{}", model.slug);
            if model.supports_reasoning() {
                let default = model.default_reasoning_level.unwrap();
                assert!(model.supports_effort(default), "{}", model.slug);
            }
        }
    }
}
