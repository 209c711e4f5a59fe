//! What a catalog entry says a model can do, in the host's terms.
//!
//! Pure functions from [`ModelInfo`] to the values `LanguageModel` reports, kept apart from the
//! streaming code so that every capability has one source: the backend's catalog.

use crate::models::ModelInfo;
use gpui::SharedString;
use language_model::{LanguageModelEffortLevel, LanguageModelToolChoice};

/// The efforts the model takes, for the host's picker, with the model's default marked.
pub(crate) fn effort_levels(model: &ModelInfo) -> Vec<LanguageModelEffortLevel> {
    let default = model.default_effort();
    model
        .supported_reasoning_levels
        .iter()
        .map(|level| LanguageModelEffortLevel {
            name: SharedString::from(level.effort.label()),
            value: SharedString::from(level.effort.as_str().to_owned()),
            is_default: Some(&level.effort) == default.as_ref(),
        })
        .collect()
}

/// Every function tool the backend serves takes every tool choice.
pub(crate) fn supports_tool_choice(_model: &ModelInfo, choice: LanguageModelToolChoice) -> bool {
    match choice {
        LanguageModelToolChoice::Auto
        | LanguageModelToolChoice::Any
        | LanguageModelToolChoice::None => true,
    }
}

/// Picks the model for quick jobs (titles, summaries): the listed model whose default effort is
/// the lightest, the catalog's order breaking ties. Nothing is chosen by slug: when the backend
/// adds a lighter model, it is picked without a code change.
pub(crate) fn fast_model(models: &[ModelInfo]) -> Option<&ModelInfo> {
    models
        .iter()
        .enumerate()
        .min_by_key(|(index, model)| {
            let weight = model.default_effort().map_or(0, |effort| effort.rank());
            (weight, *index)
        })
        .map(|(_, model)| model)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(slug: &str, default: &str, efforts: &[&str]) -> ModelInfo {
        serde_json::from_value(serde_json::json!({
            "slug": slug, "display_name": slug, "visibility": "list", "context_window": 1000,
            "default_reasoning_level": default,
            "supported_reasoning_levels":
                efforts.iter().map(|e| serde_json::json!({"effort": e})).collect::<Vec<_>>(),
        }))
        .unwrap()
    }

    #[test]
    fn effort_levels_mark_the_default() {
        let levels = effort_levels(&model("a", "high", &["low", "medium", "high"]));
        let values: Vec<_> = levels.iter().map(|l| l.value.to_string()).collect();
        assert_eq!(values, ["low", "medium", "high"]);
        let defaults: Vec<_> = levels.iter().filter(|l| l.is_default).collect();
        assert_eq!(defaults.len(), 1);
        assert_eq!(defaults[0].value.as_ref(), "high");
        assert_eq!(defaults[0].name.as_ref(), "High");
    }

    #[test]
    fn fast_model_is_the_lightest_default() {
        let models = [
            model("big", "high", &["medium", "high"]),
            model("small", "low", &["low", "medium"]),
            model("also-small", "low", &["low"]),
        ];
        assert_eq!(fast_model(&models).unwrap().slug, "small");
        assert!(fast_model(&[]).is_none());
    }
}
