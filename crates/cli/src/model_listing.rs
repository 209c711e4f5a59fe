//! What `openai-subscribed models [--json]` prints: the shown list (slug, name, context window,
//! reasoning efforts, default effort) and where it came from, so that a user can tell a live
//! list from a cached one or the built-in model list.
//!
//! Pure formatting, and the command line's own: the product's [`ModelCatalog`] only gives the
//! data (`models()`, `source()`, `fetched_at()`), and the `models` and `demo` commands print what
//! [`catalog_listing`] makes of it.

use chrono::{DateTime, Utc};
use openai_subscribed::models::{
    CatalogSource, ModelCatalog, ModelInfo, ReasoningEffort, UnstatedCapability,
};
use serde::Serialize;

/// The output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListingFormat {
    /// An aligned table for people, with a line saying where the list came from.
    Text,
    /// One JSON document for scripts.
    Json,
}

/// The catalog's shown list as `openai-subscribed models` prints it, saying where it came from.
pub fn catalog_listing(catalog: &ModelCatalog, format: ListingFormat) -> String {
    render_listing(
        catalog.models(),
        catalog.source(),
        catalog.fetched_at(),
        format,
    )
}

/// Renders the list. `fetched_at` is when the backend last confirmed it (none for the
/// fallback). The text ends with a newline.
pub fn render_listing(
    models: &[ModelInfo],
    source: CatalogSource,
    fetched_at: Option<DateTime<Utc>>,
    format: ListingFormat,
) -> String {
    match format {
        ListingFormat::Text => render_text(models, source, fetched_at),
        ListingFormat::Json => render_json(models, source, fetched_at),
    }
}

/// A sentence saying where the list came from.
pub fn describe_source(source: CatalogSource, fetched_at: Option<DateTime<Utc>>) -> String {
    let when = fetched_at
        .map(|at| format!(" (fetched {})", super::local_time::date_time(at)))
        .unwrap_or_default();
    match source {
        CatalogSource::Network => format!("Models from the backend{when}."),
        CatalogSource::Cache => {
            format!("Models from the cache{when}; the backend has not confirmed them yet.")
        }
        CatalogSource::Fallback => "Models from the built-in model list: no list from the \
             backend and nothing cached. Your plan may offer other models."
            .to_string(),
    }
}

const HEADERS: [&str; 5] = ["SLUG", "NAME", "CONTEXT", "EFFORTS", "DEFAULT"];

fn render_text(
    models: &[ModelInfo],
    source: CatalogSource,
    fetched_at: Option<DateTime<Utc>>,
) -> String {
    let rows: Vec<[String; 5]> = models
        .iter()
        .map(|model| {
            [
                model.slug.clone(),
                model.display_name.clone(),
                if model.states(UnstatedCapability::ContextWindow) {
                    group_thousands(model.context_window_tokens())
                } else {
                    "unknown".to_string()
                },
                match efforts(model).as_slice() {
                    [] if !model.states(UnstatedCapability::Reasoning) => "unknown".to_string(),
                    [] => "-".to_string(),
                    efforts => efforts
                        .iter()
                        .map(|effort| effort.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                },
                model
                    .default_effort()
                    .as_ref()
                    .map_or("-", ReasoningEffort::as_str)
                    .to_string(),
            ]
        })
        .collect();
    let mut widths = HEADERS.map(|header| header.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }

    let mut out = describe_source(source, fetched_at);
    out.push('\n');
    if rows.is_empty() {
        out.push_str("No models.\n");
        return out;
    }
    let headers = HEADERS.map(str::to_string);
    for row in std::iter::once(&headers).chain(&rows) {
        let line = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect::<Vec<_>>()
            .join("  ");
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The JSON document's shape.
#[derive(Serialize)]
struct JsonListing<'a> {
    source: CatalogSource,
    fetched_at: Option<DateTime<Utc>>,
    models: Vec<JsonModel<'a>>,
}

#[derive(Serialize)]
struct JsonModel<'a> {
    slug: &'a str,
    display_name: &'a str,
    description: &'a str,
    context_window: u64,
    max_token_count: u64,
    reasoning_efforts: Vec<ReasoningEffort>,
    default_effort: Option<ReasoningEffort>,
    supports_images: bool,
    /// What the catalog did not state (the official route's): not assumed, shown as unknown.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    unknown: &'a [UnstatedCapability],
}

fn render_json(
    models: &[ModelInfo],
    source: CatalogSource,
    fetched_at: Option<DateTime<Utc>>,
) -> String {
    let listing = JsonListing {
        source,
        fetched_at,
        models: models
            .iter()
            .map(|model| JsonModel {
                slug: &model.slug,
                display_name: &model.display_name,
                description: &model.description,
                context_window: model.context_window_tokens(),
                max_token_count: model.max_token_count(),
                reasoning_efforts: efforts(model),
                default_effort: model.default_effort(),
                supports_images: model.supports_images(),
                unknown: &model.unstated,
            })
            .collect(),
    };
    let mut out = serde_json::to_string_pretty(&listing).expect("a listing always serializes");
    out.push('\n');
    out
}

fn efforts(model: &ModelInfo) -> Vec<ReasoningEffort> {
    model
        .supported_reasoning_levels
        .iter()
        .map(|level| level.effort.clone())
        .collect()
}

/// `272000` → `272,000`.
fn group_thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;
    use serde_json::json;

    fn models() -> Vec<ModelInfo> {
        serde_json::from_value(json!([
            {"slug": "gpt-a", "display_name": "GPT A", "visibility": "list",
             "context_window": 272000, "default_reasoning_level": "high",
             "supported_reasoning_levels": [{"effort": "low"}, {"effort": "medium"}, {"effort": "high"}]},
            {"slug": "plain", "display_name": "Plain", "visibility": "list",
             "context_window": 8000, "input_modalities": ["text"]}
        ]))
        .unwrap()
    }

    #[test]
    fn text_is_an_aligned_table_under_its_source() {
        let at = Utc.with_ymd_and_hms(2026, 11, 28, 12, 5, 0).unwrap();
        let text = render_listing(
            &models(),
            CatalogSource::Network,
            Some(at),
            ListingFormat::Text,
        );
        // The time is the machine's local one, labelled with its zone.
        let expected = format!(
            "\
Models from the backend (fetched {}).
SLUG   NAME   CONTEXT  EFFORTS            DEFAULT
gpt-a  GPT A  272,000  low, medium, high  high
plain  Plain  8,000    -                  -
",
            crate::local_time::date_time(at)
        );
        assert_eq!(text, expected);
    }

    #[test]
    fn the_source_line_tells_cache_and_fallback_apart() {
        let cache = render_listing(&models(), CatalogSource::Cache, None, ListingFormat::Text);
        assert!(cache.starts_with("Models from the cache;"));
        let fallback = render_listing(
            &models(),
            CatalogSource::Fallback,
            None,
            ListingFormat::Text,
        );
        assert!(fallback.starts_with("Models from the built-in model list"));
        let empty = render_listing(&[], CatalogSource::Network, None, ListingFormat::Text);
        assert_eq!(empty, "Models from the backend.\nNo models.\n");
    }

    #[test]
    fn json_carries_the_source_and_each_model() {
        let json = render_listing(
            &models(),
            CatalogSource::Fallback,
            None,
            ListingFormat::Json,
        );
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["source"], "fallback");
        assert_eq!(value["fetched_at"], serde_json::Value::Null);
        assert_eq!(value["models"][0]["slug"], "gpt-a");
        assert_eq!(value["models"][0]["context_window"], 272000);
        assert_eq!(value["models"][0]["max_token_count"], 258400);
        assert_eq!(
            value["models"][0]["reasoning_efforts"],
            json!(["low", "medium", "high"])
        );
        assert_eq!(value["models"][0]["default_effort"], "high");
        assert_eq!(value["models"][1]["reasoning_efforts"], json!([]));
        assert_eq!(
            value["models"][1]["default_effort"],
            serde_json::Value::Null
        );
        assert_eq!(value["models"][1]["supports_images"], false);
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1,000");
        assert_eq!(group_thousands(1_048_576), "1,048,576");
    }
}
