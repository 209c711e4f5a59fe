//! One entry of the backend's model catalog (`GET {backend}/models`), as it arrives on the wire.
//!
//! Everything the crate knows about a model comes from here: nothing is hard-coded by slug
//! anywhere else. Unknown fields are ignored; missing optional fields take the backend's
//! documented defaults.

use serde::{Deserialize, Serialize};

/// A reasoning effort, as the backend names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReasoningEffort {
    /// No reasoning.
    None,
    /// The least reasoning.
    Minimal,
    /// Light reasoning.
    Low,
    /// The usual default.
    Medium,
    /// Deep reasoning.
    High,
    /// The deepest reasoning.
    #[serde(rename = "xhigh")]
    XHigh,
}

impl ReasoningEffort {
    /// The wire name, e.g. `"xhigh"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Minimal => "minimal",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::XHigh => "xhigh",
        }
    }

    /// Parses a wire name.
    pub fn parse(value: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(value.to_ascii_lowercase())).ok()
    }

    /// A name for people, e.g. "Extra high".
    pub fn label(self) -> &'static str {
        match self {
            Self::None => "None",
            Self::Minimal => "Minimal",
            Self::Low => "Low",
            Self::Medium => "Medium",
            Self::High => "High",
            Self::XHigh => "Extra high",
        }
    }
}

/// One supported reasoning effort with the backend's description of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReasoningLevel {
    /// The effort.
    pub effort: ReasoningEffort,
    /// What it is good for.
    #[serde(default)]
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
    #[serde(default)]
    pub description: String,
    /// The effort used when the request names none.
    #[serde(default)]
    pub default_reasoning_level: Option<ReasoningEffort>,
    /// The efforts the model takes; empty for models that do not reason.
    #[serde(default)]
    pub supported_reasoning_levels: Vec<ReasoningLevel>,
    /// Whether the catalog lists it.
    pub visibility: Visibility,
    /// Whether the public API serves it too (informational).
    #[serde(default)]
    pub supported_in_api: bool,
    /// Sort key: lower first.
    #[serde(default)]
    pub priority: i64,
    /// The context window in tokens.
    pub context_window: u64,
    /// The share of the window usable for input, in percent.
    #[serde(default = "default_effective_context_window_percent")]
    pub effective_context_window_percent: u8,
    /// What it accepts.
    #[serde(default = "default_input_modalities")]
    pub input_modalities: Vec<InputModality>,
    /// Whether it may call several tools at once.
    #[serde(default)]
    pub supports_parallel_tool_calls: bool,
    /// Whether it streams reasoning summaries.
    #[serde(default)]
    pub supports_reasoning_summaries: bool,
    /// Whether it takes `text.verbosity`.
    #[serde(default)]
    pub support_verbosity: bool,
    /// The verbosity to send when it takes one.
    #[serde(default)]
    pub default_verbosity: Option<Verbosity>,
    /// The oldest client version the backend serves it to.
    #[serde(default)]
    pub minimal_client_version: Option<String>,
    /// A suggested replacement, when the model is being retired.
    #[serde(default)]
    pub upgrade: Option<serde_json::Value>,
    /// Extra speed tiers the model offers (`"fast"`: fast mode).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub additional_speed_tiers: Vec<String>,
    /// The service tiers the model offers (`{"id": "priority"}`: fast mode).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service_tiers: Vec<ServiceTierOffer>,
}

/// One entry of a model's `service_tiers` (its `name` and `description` are for people).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceTierOffer {
    /// The tier's id, as sent in `service_tier`, e.g. `"priority"`.
    #[serde(default)]
    pub id: String,
}

fn default_effective_context_window_percent() -> u8 {
    95
}

fn default_input_modalities() -> Vec<InputModality> {
    vec![InputModality::Text, InputModality::Image]
}

impl ModelInfo {
    /// The usable context window: `context_window × effective_context_window_percent / 100`.
    pub fn max_token_count(&self) -> u64 {
        self.context_window * u64::from(self.effective_context_window_percent.min(100)) / 100
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
    pub fn supports_effort(&self, effort: ReasoningEffort) -> bool {
        self.supported_reasoning_levels
            .iter()
            .any(|level| level.effort == effort)
    }

    /// The effort to use when the request names none: the catalog's default if the model takes
    /// it, else the middle of what it takes.
    pub fn default_effort(&self) -> Option<ReasoningEffort> {
        match self.default_reasoning_level {
            Some(effort) if self.supports_effort(effort) => Some(effort),
            _ => self
                .supported_reasoning_levels
                .get(self.supported_reasoning_levels.len() / 2)
                .map(|level| level.effort),
        }
    }

    /// Whether the model offers fast mode: `additional_speed_tiers` has `"fast"` or
    /// `service_tiers` has `{"id": "priority"}` (a fast request then asks for `priority`).
    pub fn supports_fast_mode(&self) -> bool {
        self.additional_speed_tiers
            .iter()
            .any(|tier| tier == "fast")
            || self.service_tiers.iter().any(|tier| tier.id == "priority")
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
    fn default_effort_falls_back_to_a_supported_one() {
        let model: ModelInfo = serde_json::from_value(serde_json::json!({
            "slug": "m", "display_name": "M", "visibility": "list", "context_window": 1000,
            "default_reasoning_level": "xhigh",
            "supported_reasoning_levels": [
                {"effort": "low"}, {"effort": "medium"}, {"effort": "high"}
            ]
        }))
        .unwrap();
        assert_eq!(model.default_effort(), Some(ReasoningEffort::Medium));
        assert_eq!(
            ReasoningEffort::parse("XHIGH"),
            Some(ReasoningEffort::XHigh)
        );
    }
}
