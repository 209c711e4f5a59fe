//! Every real model catalog in `tests/fixtures/real/` (the Codex CLI's bundled copies of the
//! backend's answer, and the catalogs Zed's tests use), read by the crate's parser and served
//! by the emulator over real loopback sockets: every model a reference client would list is
//! listed, in priority order, with every effort the catalog offers (`max`, `ultra` included),
//! its context window and its image support.
//!
//! The expected lists are computed here from the raw JSON, independently of the crate, the way
//! the reference clients do it (keep `visibility == "list"`, stable sort by `priority`), and a
//! few facts of each catalog are pinned by hand from `SOURCES.md`.

use emulator::Emulator;
use gpui::{AppContext as _, TestAppContext};
use http_client::HttpClient;
use openai_subscribed::backend_request::BackendAuth;
use openai_subscribed::config::Config;
use openai_subscribed::models::parse::parse_models_response;
use openai_subscribed::models::{
    CacheLocation, CatalogOptions, CatalogSource, ModelCatalog, ModelInfo, RefreshOutcome,
};
use openai_subscribed::secret::AccessToken;
use reqwest_client::ReqwestHttpClient;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

const NEWEST: &str = "codex_models_bundled_2026-08-05_2b915a2e.json";

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real")
}

/// Every catalog fixture: the four Codex CLI bundles and Zed's three test catalogs.
fn catalog_fixtures() -> Vec<(String, String)> {
    let mut fixtures: Vec<(String, String)> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| {
            (name.starts_with("codex_models_") || name.starts_with("zed_catalog_"))
                && name.ends_with(".json")
        })
        .map(|name| {
            let text = std::fs::read_to_string(fixtures_dir().join(&name)).unwrap();
            (name, text)
        })
        .collect();
    fixtures.sort();
    assert_eq!(fixtures.len(), 7, "4 Codex catalogs and 3 Zed catalogs");
    fixtures
}

/// What a reference client lists for one model, read from the raw entry.
#[derive(Debug, PartialEq)]
struct Expected {
    slug: String,
    /// `(effort, description)` in the catalog's order.
    efforts: Vec<(String, String)>,
    context_window: u64,
    images: bool,
}

/// The listed models of a raw catalog, as a reference client lists them.
fn reference_listing(text: &str) -> Vec<Expected> {
    let document: Value = serde_json::from_str(text).unwrap();
    let mut listed: Vec<&Value> = document["models"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["visibility"] == "list")
        .collect();
    listed.sort_by_key(|entry| entry["priority"].as_i64().unwrap_or(0));
    listed
        .into_iter()
        .map(|entry| Expected {
            slug: entry["slug"].as_str().unwrap().to_owned(),
            efforts: entry["supported_reasoning_levels"]
                .as_array()
                .unwrap()
                .iter()
                .map(|level| {
                    (
                        level["effort"].as_str().unwrap().to_owned(),
                        level["description"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect(),
            context_window: entry["context_window"]
                .as_u64()
                .or(entry["max_context_window"].as_u64())
                .unwrap_or(272_000),
            images: entry["input_modalities"]
                .as_array()
                .is_none_or(|kinds| kinds.iter().any(|kind| kind == "image")),
        })
        .collect()
}

/// The crate's view of the same models.
fn crate_listing(models: &[ModelInfo]) -> Vec<Expected> {
    models
        .iter()
        .map(|model| Expected {
            slug: model.slug.clone(),
            efforts: model
                .supported_reasoning_levels
                .iter()
                .map(|level| (level.effort.as_str().to_owned(), level.description.clone()))
                .collect(),
            context_window: model.context_window_tokens(),
            images: model.supports_images(),
        })
        .collect()
}

fn slugs(listing: &[Expected]) -> Vec<&str> {
    listing.iter().map(|model| model.slug.as_str()).collect()
}

#[test]
fn every_real_catalog_lists_what_a_reference_client_lists() {
    for (name, text) in catalog_fixtures() {
        let parsed = parse_models_response(text.as_bytes()).unwrap();
        assert_eq!(parsed.malformed, 0, "{name}: no entry may be dropped");
        let expected = reference_listing(&text);
        assert!(!expected.is_empty(), "{name}");
        assert_eq!(crate_listing(&parsed.listed), expected, "{name}");
        let total = serde_json::from_str::<Value>(&text).unwrap()["models"]
            .as_array()
            .unwrap()
            .len();
        assert_eq!(parsed.listed.len() + parsed.hidden, total, "{name}");
    }
}

#[test]
fn the_pinned_facts_of_each_real_catalog_hold() {
    let catalogs: std::collections::HashMap<String, Vec<ModelInfo>> = catalog_fixtures()
        .into_iter()
        .map(|(name, text)| (name, parse_models_response(text.as_bytes()).unwrap().listed))
        .collect();
    let slugs_of =
        |name: &str| -> Vec<String> { catalogs[name].iter().map(|m| m.slug.clone()).collect() };

    // The newest: five of eight listed; the three newest offer `max`, two of them `ultra`.
    assert_eq!(
        slugs_of(NEWEST),
        [
            "gpt-5.6-sol",
            "gpt-5.6-terra",
            "gpt-5.6-luna",
            "gpt-5.5",
            "gpt-5.2"
        ]
    );
    let sol = &catalogs[NEWEST][0];
    let efforts: Vec<&str> = sol
        .supported_reasoning_levels
        .iter()
        .map(|level| level.effort.as_str())
        .collect();
    assert_eq!(efforts, ["low", "medium", "high", "xhigh", "max", "ultra"]);
    let ultra = &sol.supported_reasoning_levels[5];
    assert_eq!(ultra.effort.label(), "Ultra");
    assert!(
        !ultra.description.is_empty(),
        "the catalog's own description"
    );
    assert_eq!(sol.default_effort().unwrap().as_str(), "low");
    assert_eq!(sol.minimal_client_version.as_deref(), Some("0.144.0"));

    // July: 372,000-token windows for the newest generation; gpt-5.4 still listed.
    let july = &catalogs["codex_models_bundled_2026-07-09_3380969a.json"];
    assert_eq!(july.len(), 7);
    assert_eq!(july[0].context_window_tokens(), 372_000);
    assert!(july.iter().any(|m| m.slug == "gpt-5.4"));

    // March 2026 (old path): two models share priority 0 and keep the catalog's order.
    assert_eq!(
        slugs_of("codex_models_bundled_core_2026-03-17_77061641.json")[..2],
        ["gpt-5.3-codex", "gpt-5.4"]
    );

    // December 2025: versions as arrays, `upgrade` as a string.
    let december = &catalogs["codex_models_bundled_core_2025-12-19_e3d34457.json"];
    assert_eq!(
        december.iter().map(|m| m.slug.as_str()).collect::<Vec<_>>(),
        ["gpt-5.1-codex-max", "gpt-5.1-codex-mini", "gpt-5.2"]
    );
    assert_eq!(
        december[0].minimal_client_version.as_deref(),
        Some("0.62.0")
    );
    assert!(december[0].upgrade.as_ref().is_some_and(Value::is_string));

    // Zed's catalogs: priority order, text-only models take no images, an empty effort list.
    assert_eq!(
        slugs_of("zed_catalog_test_literal_2.json"),
        ["gpt-5.5", "gpt-5.6-luna"]
    );
    let zed = &catalogs["zed_catalog_test_literal_2.json"];
    assert!(!zed[0].supports_images() && zed[1].supports_images());
    assert_eq!(zed[1].context_window_tokens(), 372_000);
    let current = &catalogs["zed_catalog_test_literal_3.json"][0];
    assert!(!current.supports_reasoning());
    assert_eq!(current.default_effort(), None);
    assert_eq!(
        catalogs["zed_catalog_test_literal_1.json"][0].context_window_tokens(),
        128_000
    );
}

#[test]
fn odd_entries_in_a_real_catalog_cost_only_themselves() {
    // The newest real catalog, changed in memory (the fixture file is never edited): a
    // malformed effort, a null context window, absent modalities, and unknown fields.
    let mut document: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures_dir().join(NEWEST)).unwrap())
            .unwrap();
    let models = document["models"].as_array_mut().unwrap();
    let sol = &mut models[0];
    sol["supported_reasoning_levels"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"effort": 9, "description": "broken"}));
    sol["context_window"] = Value::Null;
    sol["max_context_window"] = Value::Null;
    sol.as_object_mut().unwrap().remove("input_modalities");
    sol["some_future_field"] = serde_json::json!({"nested": [1, 2]});
    models[3]["context_window"] = Value::Null; // gpt-5.5: falls back to max_context_window

    let parsed = parse_models_response(document.to_string().as_bytes()).unwrap();
    assert_eq!(parsed.malformed, 0);
    assert_eq!(parsed.listed.len(), 5);
    let sol = &parsed.listed[0];
    assert_eq!(
        sol.supported_reasoning_levels.len(),
        6,
        "the broken one skipped"
    );
    assert_eq!(sol.context_window_tokens(), 272_000);
    assert!(sol.supports_images());
    assert_eq!(parsed.listed[3].context_window_tokens(), 272_000);
}

fn catalog_entity(
    emulator: &Emulator,
    client_version: &str,
    cache: &tempfile::TempDir,
    cx: &mut TestAppContext,
) -> gpui::Entity<ModelCatalog> {
    let http: Arc<dyn HttpClient> = ReqwestHttpClient::new(
        &Config::with_urls(&emulator.issuer_url(), &emulator.backend_url())
            .unwrap()
            .user_agent(),
    )
    .unwrap();
    let mut config = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap();
    config.client_version = client_version.to_owned();
    let location = CacheLocation::Directory(cache.path().to_owned());
    let options = CatalogOptions {
        ttl: Duration::from_secs(600),
        fetch_timeout: Duration::from_secs(30),
    };
    cx.new(|_| ModelCatalog::with_options(http, config, location, options))
}

fn auth(emulator: &Emulator) -> BackendAuth {
    BackendAuth {
        access_token: AccessToken::new(emulator.mint_tokens(3600).access_token),
        account_id: "acct_emulated".into(),
    }
}

#[gpui::test]
async fn every_real_catalog_served_over_sockets_shows_every_listed_model(cx: &mut TestAppContext) {
    cx.executor().allow_parking();
    let emulator = Emulator::start().unwrap();
    let default_version = openai_subscribed::config::Config::default().client_version;
    assert_eq!(default_version, "0.0.0", "the ungated sentinel by default");
    for (name, text) in catalog_fixtures() {
        emulator.serve_catalog(&text).unwrap();
        let cache = tempfile::tempdir().unwrap();
        let catalog = catalog_entity(&emulator, &default_version, &cache, cx);
        let outcome = catalog
            .update(cx, |catalog, cx| catalog.refresh(auth(&emulator), cx))
            .await;
        assert_eq!(outcome, Ok(RefreshOutcome::Updated), "{name}");
        let (shown, source) = catalog.read_with(cx, |catalog, _| {
            (crate_listing(catalog.models()), catalog.source())
        });
        assert_eq!(source, CatalogSource::Network, "{name}");
        assert_eq!(shown, reference_listing(&text), "{name}");
    }
}

#[gpui::test]
async fn a_gated_client_version_gets_the_subset_the_backend_serves_it(cx: &mut TestAppContext) {
    cx.executor().allow_parking();
    // The emulator serves the newest real catalog by default.
    let emulator = Emulator::start().unwrap();
    let cases = [
        (
            "0.0.0",
            vec![
                "gpt-5.6-sol",
                "gpt-5.6-terra",
                "gpt-5.6-luna",
                "gpt-5.5",
                "gpt-5.2",
            ],
        ),
        ("0.99.0", vec!["gpt-5.2"]),
        ("0.124.0", vec!["gpt-5.5", "gpt-5.2"]),
        (
            "0.144.0",
            vec![
                "gpt-5.6-sol",
                "gpt-5.6-terra",
                "gpt-5.6-luna",
                "gpt-5.5",
                "gpt-5.2",
            ],
        ),
    ];
    for (version, expected) in cases {
        let cache = tempfile::tempdir().unwrap();
        let catalog = catalog_entity(&emulator, version, &cache, cx);
        catalog
            .update(cx, |catalog, cx| catalog.refresh(auth(&emulator), cx))
            .await
            .unwrap();
        let shown = catalog.read_with(cx, |catalog, _| crate_listing(catalog.models()));
        assert_eq!(slugs(&shown), expected, "client_version={version}");
    }
}

// ---------------------------------------------------------------------------------------------
// Fast mode, from every shape a catalog says it in

/// Whether a raw catalog entry offers fast mode, read the way a reference client reads it.
fn raw_offers_fast_mode(entry: &Value) -> bool {
    let has = |field: &str, wanted: &dyn Fn(&Value) -> bool| {
        entry[field]
            .as_array()
            .is_some_and(|tiers| tiers.iter().any(wanted))
    };
    has("additional_speed_tiers", &|tier| tier == "fast")
        || has("service_tiers", &|tier| tier["id"] == "priority")
        || entry["default_service_tier"] == "priority"
}

/// The listed slugs that offer fast mode, by the crate and by the raw JSON.
fn fast_slugs(text: &str) -> (Vec<String>, Vec<String>) {
    let parsed = parse_models_response(text.as_bytes()).unwrap();
    let by_crate = parsed
        .listed
        .iter()
        .filter(|model| model.supports_fast_mode())
        .map(|model| model.slug.clone())
        .collect();
    let document: Value = serde_json::from_str(text).unwrap();
    let listed: Vec<String> = parsed.listed.iter().map(|m| m.slug.clone()).collect();
    let mut by_json: Vec<String> = document["models"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| raw_offers_fast_mode(entry))
        .map(|entry| entry["slug"].as_str().unwrap().to_owned())
        .filter(|slug| listed.contains(slug))
        .collect();
    by_json.sort_by_key(|slug| listed.iter().position(|listed| listed == slug));
    (by_crate, by_json)
}

/// The newest real catalog as a projection that keeps only `default_service_tier`: both tier
/// lists dropped, `"priority"` set on the models that had a fast tier.
fn default_tier_projection() -> String {
    let text = std::fs::read_to_string(fixtures_dir().join(NEWEST)).unwrap();
    let mut document: Value = serde_json::from_str(&text).unwrap();
    for entry in document["models"].as_array_mut().unwrap() {
        let fast = raw_offers_fast_mode(entry);
        let fields = entry.as_object_mut().unwrap();
        fields.remove("service_tiers");
        fields.remove("additional_speed_tiers");
        if fast {
            fields.insert("default_service_tier".into(), "priority".into());
        }
    }
    serde_json::to_string(&document).unwrap()
}

#[test]
fn fast_mode_is_read_from_both_tier_lists_of_the_real_catalogs() {
    for (name, text) in catalog_fixtures() {
        let (by_crate, by_json) = fast_slugs(&text);
        assert_eq!(by_crate, by_json, "{name}");
    }
    let fast_of =
        |name: &str| fast_slugs(&std::fs::read_to_string(fixtures_dir().join(name)).unwrap()).0;
    // Both lists together (the Codex CLI's 2026 bundles; gpt-5.4 offers fast mode too, but is
    // hidden).
    assert_eq!(
        fast_of(NEWEST),
        ["gpt-5.6-sol", "gpt-5.6-terra", "gpt-5.6-luna", "gpt-5.5"]
    );
    // Each list alone (Zed's test catalog): `additional_speed_tiers: ["fast"]` on sol (a hidden
    // entry, read on its own here), `service_tiers: [{"id": "priority"}]` on luna, neither on
    // gpt-5.5.
    let zed: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures_dir().join("zed_catalog_test_literal_2.json")).unwrap(),
    )
    .unwrap();
    let fast: Vec<(String, bool)> = zed["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            let model: ModelInfo = serde_json::from_value(entry.clone()).unwrap();
            (model.slug.clone(), model.supports_fast_mode())
        })
        .collect();
    assert_eq!(
        fast,
        [
            ("gpt-5.6-sol".to_owned(), true),
            ("gpt-5.6-luna".to_owned(), true),
            ("gpt-5.5".to_owned(), false),
        ]
    );
}

#[test]
fn fast_mode_is_read_from_a_default_service_tier_projection() {
    let projection = default_tier_projection();
    assert!(!projection.contains("service_tiers"));
    assert!(!projection.contains("additional_speed_tiers"));
    let (by_crate, _) = fast_slugs(&projection);
    assert_eq!(
        by_crate,
        ["gpt-5.6-sol", "gpt-5.6-terra", "gpt-5.6-luna", "gpt-5.5"]
    );
}
