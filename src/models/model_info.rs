//! One entry of the backend's model catalog (`GET {backend}/models`), as it arrives on the wire.
//!
//! Everything the crate knows about a model comes from here: nothing is hard-coded by slug
//! anywhere else. Unknown fields are ignored; missing optional fields take the backend's
//! documented defaults.

use super::lenient;
use serde::{Deserialize, Serialize};

/// A reasoning effort, as the catalog names it (`"low"`, `"xhigh"`, `"max"`, `"ultra"`…).
///
/// Efforts are data, not a closed set: the backend adds new ones (`max`, then `ultra`) before
/// this crate knows them, and a model offering one must not vanish from the picker. An effort
/// is any non-empty name; the ones this crate knows get a nicer label and a rank.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ReasoningEffort(String);

/// The efforts this crate knows, lightest first, with their labels. The position is the rank
/// used to compare efforts (e.g. to pick the lightest model for quick jobs).
const KNOWN_EFFORTS: [(&str, &str); 7] = [
    ("none", "None"),
    ("minimal", "Minimal"),
    ("low", "Low"),
    ("medium", "Medium"),
    ("high", "High"),
    ("xhigh", "Extra high"),
    ("max", "Max"),
];

impl ReasoningEffort {
    /// The wire name, e.g. `"xhigh"`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Reads a wire name (trimmed, lower-cased); `None` when empty.
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        (!value.is_empty()).then(|| Self(value.to_ascii_lowercase()))
    }

    /// A name for people: "Extra high" for the efforts this crate knows, else the catalog's own
    /// name with a capital letter ("ultra" → "Ultra").
    pub fn label(&self) -> String {
        match KNOWN_EFFORTS.iter().find(|(name, _)| *name == self.0) {
            Some((_, label)) => (*label).to_string(),
            None => {
                let mut chars = self.0.chars();
                chars
                    .next()
                    .map(|first| first.to_uppercase().chain(chars).collect())
                    .unwrap_or_default()
            }
        }
    }

    /// How deep the effort reasons, for comparisons: known efforts by their order, an unknown
    /// one deeper than all of them (new efforts so far were added at the top).
    pub(crate) fn rank(&self) -> usize {
        KNOWN_EFFORTS
            .iter()
            .position(|(name, _)| *name == self.0)
            .unwrap_or(KNOWN_EFFORTS.len())
    }
}

impl<'de> Deserialize<'de> for ReasoningEffort {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Self::parse(&name).ok_or_else(|| serde::de::Error::custom("an effort must have a name"))
    }
}

/// One supported reasoning effort with the backend's description of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasoningLevel {
    /// The effort.
    pub effort: ReasoningEffort,
    /// What it is good for, in the catalog's words.
    #[serde(default, deserialize_with = "lenient::string_or_empty")]
    pub description: String,
}

/// Whether the catalog shows a model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Shown in the picker.
    List,
    /// Usable but not listed.
    Hide,
    /// Not offered.
    None,
    /// A value this crate does not know yet (treated as hidden).
    #[serde(other)]
    Unknown,
}

/// An input kind a model accepts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputModality {
    /// Text.
    Text,
    /// Images.
    Image,
    /// Something newer than this crate.
    #[serde(other)]
    Unknown,
}

/// Output verbosity for models that support the `text.verbosity` parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verbosity {
    /// Terse.
    Low,
    /// Default.
    Medium,
    /// Expansive.
    High,
}

/// A catalog entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// The model id sent in requests, e.g. `gpt-5.1-codex`.
    pub slug: String,
    /// The name people see.
    pub display_name: String,
    /// One line about the model.
    #[serde(default, deserialize_with = "lenient::string_or_empty")]
    pub description: String,
    /// The effort used when the request names none (an unreadable value counts as none).
    #[serde(default, deserialize_with = "lenient::or_none")]
    pub default_reasoning_level: Option<ReasoningEffort>,
    /// The efforts the model takes, in the catalog's order; empty for models that do not
    /// reason. An unreadable entry is skipped, never the whole model.
    #[serde(default, deserialize_with = "lenient::skipping_unreadable")]
    pub supported_reasoning_levels: Vec<ReasoningLevel>,
    /// Whether the catalog lists it.
    pub visibility: Visibility,
    /// Whether the public API serves it too (informational).
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub supported_in_api: bool,
    /// Sort key: lower first.
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub priority: i64,
    /// The context window in tokens, as the catalog says it (`null` in some entries); use
    /// [`context_window_tokens`](Self::context_window_tokens).
    #[serde(default)]
    pub context_window: Option<u64>,
    /// The largest window the model supports, the fallback when `context_window` is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_context_window: Option<u64>,
    /// The share of the window usable for input, in percent.
    #[serde(
        default = "default_effective_context_window_percent",
        deserialize_with = "lenient::percent_or_default"
    )]
    pub effective_context_window_percent: u8,
    /// What it accepts; absent or `null` means text and images.
    #[serde(
        default = "default_input_modalities",
        deserialize_with = "lenient::or_default_input_modalities"
    )]
    pub input_modalities: Vec<InputModality>,
    /// Whether it may call several tools at once.
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub supports_parallel_tool_calls: bool,
    /// Whether it streams reasoning summaries.
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub supports_reasoning_summaries: bool,
    /// Whether it takes `text.verbosity`.
    #[serde(default, deserialize_with = "lenient::or_default")]
    pub support_verbosity: bool,
    /// The verbosity to send when it takes one.
    #[serde(default, deserialize_with = "lenient::or_none")]
    pub default_verbosity: Option<Verbosity>,
    /// The oldest client version the backend serves it to, as `"0.62.0"` (older catalogs
    /// write it as an array, `[0, 62, 0]`).
    #[serde(default, deserialize_with = "lenient::version_string_or_array")]
    pub minimal_client_version: Option<String>,
    /// A suggested replacement, when the model is being retired.
    #[serde(default)]
    pub upgrade: Option<serde_json::Value>,
    /// Extra speed tiers the model offers (`"fast"`: fast mode). Catalogs of 2026 carry it.
    #[serde(
        default,
        deserialize_with = "lenient::strings_skipping_unreadable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub additional_speed_tiers: Vec<String>,
    /// The service tiers the model offers (`{"id": "priority"}`: fast mode). Catalogs of 2026
    /// carry it beside `additional_speed_tiers`; Zed's test catalogs carry either one alone.
    #[serde(
        default,
        deserialize_with = "lenient::service_tiers",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub service_tiers: Vec<ServiceTierOffer>,
    /// The tier the model answers at by default. Some projections of the catalog keep only this
    /// (`"priority"` on the fast models) and drop both lists above.
    #[serde(
        default,
        deserialize_with = "lenient::or_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub default_service_tier: Option<String>,
    /// The capabilities the catalog did not state, which are then neither assumed nor offered
    /// (the official route's catalog documents only `slug`, `display_name` and `visibility`:
    /// `shared/spec/siwc.md` §3). Empty for the Codex catalog, whose documented defaults apply.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unstated: Vec<UnstatedCapability>,
}

/// A capability an official-route catalog entry did not state: shown as "unknown".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnstatedCapability {
    /// Whether it takes images (`input_modalities`): none are sent.
    Images,
    /// Which reasoning efforts it takes (`supported_reasoning_levels`): none is offered or sent.
    Reasoning,
    /// Its context window (`context_window`): the meter assumes the default.
    ContextWindow,
}

/// The service tier of fast mode, as sent in a request's `service_tier`.
pub(crate) const PRIORITY_SERVICE_TIER: &str = "priority";
/// The speed tier of fast mode in `additional_speed_tiers`.
pub(crate) const FAST_SPEED_TIER: &str = "fast";

/// One entry of a model's `service_tiers` (its `name` and `description` are for people).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceTierOffer {
    /// The tier's id, as sent in `service_tier`, e.g. `"priority"`.
    #[serde(default)]
    pub id: String,
}

pub(super) fn default_effective_context_window_percent() -> u8 {
    95
}

/// The window assumed when the catalog gives neither `context_window` nor `max_context_window`
/// (the reference clients' default).
pub(crate) const DEFAULT_CONTEXT_WINDOW: u64 = 272_000;

pub(super) fn default_input_modalities() -> Vec<InputModality> {
    vec![InputModality::Text, InputModality::Image]
}

impl ModelInfo {
    /// The context window: `context_window`, else `max_context_window`, else
    /// `DEFAULT_CONTEXT_WINDOW`.
    pub fn context_window_tokens(&self) -> u64 {
        self.context_window
            .or(self.max_context_window)
            .unwrap_or(DEFAULT_CONTEXT_WINDOW)
    }

    /// The usable context window: the window × `effective_context_window_percent` / 100.
    pub fn max_token_count(&self) -> u64 {
        // Checked: the window is whatever the catalog said, up to `u64::MAX`.
        crate::network_number::percent_of(
            self.context_window_tokens(),
            self.effective_context_window_percent,
        )
    }

    /// Whether the model accepts images.
    pub fn supports_images(&self) -> bool {
        self.input_modalities.contains(&InputModality::Image)
    }

    /// Whether the model reasons (takes a `reasoning` parameter).
    pub fn supports_reasoning(&self) -> bool {
        !self.supported_reasoning_levels.is_empty()
    }

    /// Whether the given effort is one the model takes.
    pub(crate) fn supports_effort(&self, effort: &ReasoningEffort) -> bool {
        self.supported_reasoning_levels
            .iter()
            .any(|level| level.effort == *effort)
    }

    /// The effort to use when the request names none: the catalog's default if the model takes
    /// it, else the middle of what it takes.
    pub fn default_effort(&self) -> Option<ReasoningEffort> {
        match &self.default_reasoning_level {
            Some(effort) if self.supports_effort(effort) => Some(effort.clone()),
            _ => self
                .supported_reasoning_levels
                .get(self.supported_reasoning_levels.len() / 2)
                .map(|level| level.effort.clone()),
        }
    }

    /// Whether the model offers fast mode, whichever shape the catalog says it in:
    /// `additional_speed_tiers` has `"fast"`, `service_tiers` has `{"id": "priority"}`, or
    /// `default_service_tier` is `"priority"` (a model that answers at that tier by default
    /// plainly offers it). A fast request then asks for `priority`.
    pub fn supports_fast_mode(&self) -> bool {
        self.additional_speed_tiers
            .iter()
            .any(|tier| tier == FAST_SPEED_TIER)
            || self
                .service_tiers
                .iter()
                .any(|tier| tier.id == PRIORITY_SERVICE_TIER)
            || self.default_service_tier.as_deref() == Some(PRIORITY_SERVICE_TIER)
    }

    /// Whether the catalog stated `capability` (always, for the Codex catalog).
    pub fn states(&self, capability: UnstatedCapability) -> bool {
        !self.unstated.contains(&capability)
    }

    /// Whether the catalog lists it in the picker.
    pub fn is_listed(&self) -> bool {
        self.visibility == Visibility::List
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_minimal_entry_with_defaults_and_unknown_fields() {
        let model: ModelInfo = serde_json::from_value(serde_json::json!({
            "slug": "gpt-x",
            "display_name": "GPT X",
            "visibility": "list",
            "context_window": 200000,
            "some_future_field": {"a": 1}
        }))
        .unwrap();
        assert_eq!(model.effective_context_window_percent, 95);
        assert_eq!(model.max_token_count(), 190000);
        assert!(model.supports_images());
        assert!(!model.supports_reasoning());
        assert_eq!(model.default_effort(), None);
    }

    #[test]
    fn fast_mode_is_read_from_every_shape() {
        let fast = |extra: serde_json::Value| {
            let mut entry =
                serde_json::json!({"slug": "m", "display_name": "M", "visibility": "list"});
            entry
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            serde_json::from_value::<ModelInfo>(entry)
                .unwrap()
                .supports_fast_mode()
        };
        assert!(fast(
            serde_json::json!({"additional_speed_tiers": ["fast"]})
        ));
        assert!(fast(
            serde_json::json!({"service_tiers": [{"id": "priority"}]})
        ));
        assert!(fast(
            serde_json::json!({"default_service_tier": "priority"})
        ));
        assert!(!fast(serde_json::json!({})));
        assert!(!fast(serde_json::json!({"default_service_tier": null})));
        assert!(!fast(
            serde_json::json!({"default_service_tier": "default"})
        ));
        // Odd values cost nothing but themselves.
        assert!(fast(
            serde_json::json!({"additional_speed_tiers": [1, "fast"], "service_tiers": null})
        ));
        assert!(fast(
            serde_json::json!({"service_tiers": ["priority"], "additional_speed_tiers": null})
        ));
        assert!(!fast(
            serde_json::json!({"service_tiers": [{"name": "Fast"}, 3]})
        ));
    }

    #[test]
    fn default_effort_falls_back_to_a_supported_one() {
        let model: ModelInfo = serde_json::from_value(serde_json::json!({
            "slug": "m", "display_name": "M", "visibility": "list", "context_window": 1000,
            "default_reasoning_level": "xhigh",
            "supported_reasoning_levels": [
                {"effort": "low"}, {"effort": "medium"}, {"effort": "high"}
            ]
        }))
        .unwrap();
        assert_eq!(model.default_effort(), ReasoningEffort::parse("medium"));
        assert_eq!(ReasoningEffort::parse("XHIGH").unwrap().as_str(), "xhigh");
    }

    #[test]
    fn efforts_are_data_with_labels_and_ranks() {
        let ultra = ReasoningEffort::parse("ultra").unwrap();
        assert_eq!(ultra.label(), "Ultra");
        assert_eq!(
            ReasoningEffort::parse("xhigh").unwrap().label(),
            "Extra high"
        );
        let max = ReasoningEffort::parse("max").unwrap();
        assert!(ReasoningEffort::parse("low").unwrap().rank() < max.rank());
        assert!(max.rank() < ultra.rank());
        assert_eq!(ReasoningEffort::parse("  "), None);
    }

    #[test]
    fn context_window_falls_back_to_max_then_the_default() {
        let window = |extra: serde_json::Value| {
            let mut entry =
                serde_json::json!({"slug": "m", "display_name": "M", "visibility": "list"});
            entry
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            serde_json::from_value::<ModelInfo>(entry)
                .unwrap()
                .context_window_tokens()
        };
        assert_eq!(
            window(serde_json::json!({"context_window": 372000})),
            372000
        );
        assert_eq!(
            window(serde_json::json!({"context_window": null, "max_context_window": 128000})),
            128000
        );
        assert_eq!(
            window(serde_json::json!({"context_window": null, "max_context_window": null})),
            DEFAULT_CONTEXT_WINDOW
        );
        assert_eq!(window(serde_json::json!({})), DEFAULT_CONTEXT_WINDOW);
    }
}
