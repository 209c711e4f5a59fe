//! Reading catalog fields leniently, so that one odd value never costs a whole model.
//!
//! The backend's catalog changes shape over time (seen in the Codex CLI's bundled copies:
//! `minimal_client_version` was an array `[0, 62, 0]` before it became `"0.62.0"`, efforts
//! grew `max` and `ultra`, `context_window` became nullable). These `deserialize_with` helpers
//! take what each field has held and turn anything unreadable into the field's default, with
//! a warning, instead of failing the entry.

use super::model_info::{
    InputModality, ReasoningLevel, ServiceTierOffer, default_effective_context_window_percent,
    default_input_modalities,
};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A list whose unreadable entries are skipped (each with a warning), never the whole list.
pub(crate) fn skipping_unreadable<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<ReasoningLevel>, D::Error> {
    let entries = Option::<Vec<Value>>::deserialize(deserializer)?.unwrap_or_default();
    Ok(entries
        .into_iter()
        .filter_map(|entry| match serde_json::from_value(entry) {
            Ok(level) => Some(level),
            Err(error) => {
                log::warn!("skipping an unreadable reasoning effort in the model catalog: {error}");
                None
            }
        })
        .collect())
}

/// A list of strings; `null` (or anything but a list) is empty, and entries that are not
/// strings are skipped.
pub(crate) fn strings_skipping_unreadable<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
    let entries = match Value::deserialize(deserializer)? {
        Value::Array(entries) => entries,
        _ => Vec::new(),
    };
    Ok(entries
        .into_iter()
        .filter_map(|entry| match entry {
            Value::String(text) => Some(text),
            _ => None,
        })
        .collect())
}

/// The `service_tiers` list: entries are `{"id": "priority", …}` (a bare `"priority"` is read
/// the same); `null` (or anything but a list) is empty, and an entry without an id is skipped.
pub fn service_tiers<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<ServiceTierOffer>, D::Error> {
    let entries = match Value::deserialize(deserializer)? {
        Value::Array(entries) => entries,
        _ => Vec::new(),
    };
    Ok(entries
        .into_iter()
        .filter_map(|entry| match entry {
            Value::String(id) => Some(id),
            Value::Object(mut fields) => match fields.remove("id") {
                Some(Value::String(id)) => Some(id),
                _ => None,
            },
            _ => None,
        })
        .map(|id| ServiceTierOffer { id })
        .collect())
}

/// A value that is `None` when absent, `null` or unreadable.
pub(crate) fn or_none<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let value = Value::deserialize(deserializer)?;
    Ok(serde_json::from_value(value).ok())
}

/// A value that takes its default when `null` or unreadable (flags, the sort key).
pub(crate) fn or_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned + Default,
{
    let value = Value::deserialize(deserializer)?;
    Ok(serde_json::from_value(value).unwrap_or_default())
}

/// The usable share of the window, in percent; the default (95) when `null` or unreadable.
pub(crate) fn percent_or_default<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<u8, D::Error> {
    let value = Value::deserialize(deserializer)?;
    Ok(
        serde_json::from_value(value)
            .unwrap_or_else(|_| default_effective_context_window_percent()),
    )
}

/// A string that is empty when `null` or not a string.
pub(crate) fn string_or_empty<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<String, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(text) => text,
        _ => String::new(),
    })
}

/// The input modalities; `null` means the default (text and images), as an absent field does.
pub(crate) fn or_default_input_modalities<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<InputModality>, D::Error> {
    Ok(Option::<Vec<InputModality>>::deserialize(deserializer)?
        .unwrap_or_else(default_input_modalities))
}

/// A version written as `"0.62.0"` or as `[0, 62, 0]`, read as `"0.62.0"`; anything else is
/// `None` (the model is then treated as ungated).
pub(crate) fn version_string_or_array<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(version) => Some(version),
        Value::Array(parts) => parts
            .iter()
            .map(|part| part.as_u64().map(|number| number.to_string()))
            .collect::<Option<Vec<_>>>()
            .filter(|parts| !parts.is_empty())
            .map(|parts| parts.join(".")),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use crate::models::ModelInfo;
    use serde_json::json;

    fn entry(extra: serde_json::Value) -> ModelInfo {
        let mut entry = json!({"slug": "m", "display_name": "M", "visibility": "list"});
        entry
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        serde_json::from_value(entry).unwrap()
    }

    #[test]
    fn versions_read_as_strings_or_arrays() {
        let version =
            |value| entry(json!({"minimal_client_version": value})).minimal_client_version;
        assert_eq!(version(json!("0.144.0")).as_deref(), Some("0.144.0"));
        assert_eq!(version(json!([0, 62, 0])).as_deref(), Some("0.62.0"));
        assert_eq!(version(json!(null)), None);
        assert_eq!(version(json!(["x"])), None);
    }

    #[test]
    fn an_unreadable_effort_is_skipped_not_the_model() {
        let model = entry(json!({
            "default_reasoning_level": 7,
            "supported_reasoning_levels": [
                {"effort": "low", "description": "Quick"},
                {"effort": 5},
                {"description": "no effort"},
                "high",
                {"effort": ""},
                {"effort": "ultra", "description": "Deepest", "extra": true},
                {"effort": "max", "description": null}
            ]
        }));
        let efforts: Vec<_> = model
            .supported_reasoning_levels
            .iter()
            .map(|level| (level.effort.as_str(), level.description.as_str()))
            .collect();
        assert_eq!(
            efforts,
            [("low", "Quick"), ("ultra", "Deepest"), ("max", "")]
        );
        assert_eq!(model.default_reasoning_level, None);
    }

    #[test]
    fn null_or_odd_optional_fields_take_their_defaults() {
        let model = entry(json!({
            "description": null, "priority": null, "supported_in_api": "yes",
            "supports_parallel_tool_calls": null, "support_verbosity": null,
            "default_verbosity": "whisper", "effective_context_window_percent": null,
        }));
        assert_eq!(model.description, "");
        assert_eq!(model.priority, 0);
        assert!(!model.supported_in_api && !model.supports_parallel_tool_calls);
        assert_eq!(model.default_verbosity, None);
        assert_eq!(model.effective_context_window_percent, 95);
    }

    #[test]
    fn null_modalities_allow_images_and_text_only_does_not() {
        assert!(entry(json!({"input_modalities": null})).supports_images());
        assert!(entry(json!({})).supports_images());
        assert!(!entry(json!({"input_modalities": ["text"]})).supports_images());
    }
}
