//! The bundled fallback list: what the picker shows when the backend cannot be reached and
//! nothing is cached for the account (spec §5).
//!
//! It is data (`bundled_models.json`, the backend's own answer format), not code: updating it
//! is editing a file, and it goes through the same parser as a live answer. Today's file is
//! the newest real catalog the Codex CLI bundles
//! (`tests/fixtures/real/codex_models_bundled_2026-08-05_2b915a2e.json`), every entry kept,
//! with only the fields this crate reads (the prompt templates and tool settings are dropped);
//! a test checks that it still lists what that catalog lists. It is only a last
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
                let default = model.default_reasoning_level.as_ref().unwrap();
                assert!(model.supports_effort(default), "{}", model.slug);
            }
        }
    }

    #[test]
    fn the_bundled_list_is_the_newest_real_catalog() {
        let real =
            include_str!("../../tests/fixtures/real/codex_models_bundled_2026-08-05_2b915a2e.json");
        let real = parse_models_response(real.as_bytes()).unwrap();
        let bundled = bundled_models();
        assert_eq!(bundled.len(), real.listed.len());
        for (bundled, real) in bundled.iter().zip(&real.listed) {
            assert_eq!(bundled.slug, real.slug);
            assert_eq!(bundled.display_name, real.display_name);
            assert_eq!(
                bundled.supported_reasoning_levels,
                real.supported_reasoning_levels
            );
            assert_eq!(
                bundled.default_reasoning_level,
                real.default_reasoning_level
            );
            assert_eq!(
                bundled.context_window_tokens(),
                real.context_window_tokens()
            );
            assert_eq!(bundled.supports_images(), real.supports_images());
        }
    }
}
