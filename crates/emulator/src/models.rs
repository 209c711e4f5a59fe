//! The model catalog: `GET {backend}/models?client_version=X.Y.Z`.
//!
//! By default the emulator serves a real catalog: the Codex CLI's bundled copy of the backend's
//! answer (`tests/fixtures/real/`, byte for byte; eight models, five listed, efforts up to
//! `max` and `ultra`, three hidden entries, `minimal_client_version` from `0.0.1` to `0.144.0`).
//! [`Emulator::serve_catalog`](super::Emulator::serve_catalog) swaps in another document of
//! that shape (older catalogs write `minimal_client_version` as an array, `[0, 62, 0]`).
//!
//! Gating, as the backend does it: `client_version=0.0.0` (or none) is the *ungated* sentinel
//! and gets every entry; any other version gets only the entries whose
//! `minimal_client_version` is at or below it (versions compare as semver, not as strings).
//! Hidden entries stay in the answer: the client filters on `visibility`.
//!
//! The answer carries an `ETag` for the catalog's content and revision (the same value
//! `/responses` sends as `x-models-etag`); `If-None-Match` with it answers 304 (RFC 9110
//! §13.1.2).

use super::backend_auth;
use super::errors::{injected_answer, invalid_request};
use super::faults::{Fault, FaultRoute};
use super::state::SharedState;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use std::sync::{Arc, OnceLock};

/// The default catalog's JSON text: the newest real catalog the Codex CLI bundles.
pub const CATALOG_JSON: &str =
    include_str!("../../../tests/fixtures/real/codex_models_bundled_2026-08-05_2b915a2e.json");

/// A catalog document the emulator serves: its text (for the `ETag`) and its entries.
#[derive(Debug)]
pub struct Catalog {
    text: String,
    entries: Vec<Value>,
}

impl Catalog {
    /// Reads a `{"models":[…]}` document.
    pub fn parse(text: &str) -> Result<Self, String> {
        let document: Value =
            serde_json::from_str(text).map_err(|error| format!("not JSON: {error}"))?;
        let entries = document["models"]
            .as_array()
            .cloned()
            .ok_or("no models array")?;
        Ok(Self {
            text: text.to_owned(),
            entries,
        })
    }

    /// Every entry, as JSON objects (fields the crate does not know are kept).
    pub fn entries(&self) -> &[Value] {
        &self.entries
    }

    /// The entry with this slug.
    pub fn find(&self, slug: &str) -> Option<&Value> {
        self.entries.iter().find(|model| model["slug"] == slug)
    }

    /// The catalog's `ETag` at a revision (a quoted strong validator, RFC 9110 §8.8.3).
    pub fn etag(&self, revision: u64) -> String {
        let digest = Sha256::new()
            .chain_update(self.text.as_bytes())
            .chain_update(revision.to_le_bytes())
            .finalize();
        let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        format!("\"{hex}\"")
    }
}

/// The default catalog.
pub fn default_catalog() -> Arc<Catalog> {
    static CATALOG: OnceLock<Arc<Catalog>> = OnceLock::new();
    CATALOG
        .get_or_init(|| Arc::new(Catalog::parse(CATALOG_JSON).expect("the real catalog parses")))
        .clone()
}

/// The default catalog's entries.
pub fn catalog() -> Vec<Value> {
    default_catalog().entries().to_vec()
}

/// The `ETag` of the catalog `state` serves, at its current revision.
pub fn etag(state: &SharedState) -> String {
    state.catalog().etag(state.models_revision())
}

/// A model's `minimal_client_version`, written `"0.62.0"` or `[0, 62, 0]`.
fn minimal_version(model: &Value) -> Option<semver::Version> {
    match &model["minimal_client_version"] {
        Value::String(version) => semver::Version::parse(version).ok(),
        Value::Array(parts) => match parts.as_slice() {
            [major, minor, patch] => Some(semver::Version::new(
                major.as_u64()?,
                minor.as_u64()?,
                patch.as_u64()?,
            )),
            _ => None,
        },
        _ => None,
    }
}

/// Whether an entry is served to a client of this version (`0.0.0` is ungated).
fn served_to(model: &Value, client_version: &semver::Version) -> bool {
    if *client_version == semver::Version::new(0, 0, 0) {
        return true;
    }
    minimal_version(model).is_none_or(|minimal| *client_version >= minimal)
}

/// Whether `If-None-Match` names this ETag (a list or `*`, weak comparison, RFC 9110 §13.1.2).
fn matches_etag(if_none_match: &str, etag: &str) -> bool {
    if_none_match.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.trim_start_matches("W/") == etag.trim_start_matches("W/")
    })
}

#[derive(Deserialize)]
pub struct ModelsQuery {
    client_version: Option<String>,
}

/// `GET {backend}/models`.
pub async fn list_models(
    State(state): State<Arc<SharedState>>,
    Query(query): Query<ModelsQuery>,
    headers: HeaderMap,
) -> Response {
    state.count(|stats| &mut stats.models_requests);
    if let Some(answer) = injected_answer(&state, FaultRoute::Models, |fault| match fault {
        Fault::ModelsStatus { status } => Some(*status),
        _ => None,
    }) {
        return answer;
    }
    if let Err(answer) = backend_auth::check(&state, &headers) {
        return answer.into_response();
    }
    let client_version = query.client_version.as_deref().unwrap_or("0.0.0");
    let Ok(client_version) = semver::Version::parse(client_version) else {
        return invalid_request(
            Some("client_version"),
            "client_version must be a version like 0.144.0.",
        );
    };

    let account = headers
        .get(backend_auth::ACCOUNT_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let catalog = state.catalog_for(account);
    let etag = catalog.etag(state.models_revision());
    let etag_header = HeaderValue::from_str(&etag).expect("an ETag is a valid header value");
    let revalidated = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| matches_etag(value, &etag));
    if revalidated {
        state.count(|stats| &mut stats.models_not_modified);
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag_header)]).into_response();
    }
    let models: Vec<&Value> = catalog
        .entries()
        .iter()
        .filter(|model| served_to(model, &client_version))
        .collect();
    (
        [(header::ETAG, etag_header)],
        Json(json!({ "models": models })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_catalog_holds_todays_models() {
        assert!(default_catalog().find("gpt-5.5").is_some());
    }

    #[test]
    fn versions_compare_as_semver_and_zero_is_ungated() {
        let catalog = default_catalog();
        let newest = catalog.find("gpt-5.6-sol").unwrap();
        assert_eq!(newest["minimal_client_version"], "0.144.0");
        assert!(!served_to(newest, &semver::Version::new(0, 99, 0)));
        assert!(!served_to(newest, &semver::Version::new(0, 0, 1)));
        assert!(served_to(newest, &semver::Version::new(0, 144, 0)));
        assert!(served_to(newest, &semver::Version::new(1, 0, 0)));
        assert!(served_to(newest, &semver::Version::new(0, 0, 0)));
        let array = json!({"minimal_client_version": [0, 62, 0]});
        assert!(!served_to(&array, &semver::Version::new(0, 61, 9)));
        assert!(served_to(&array, &semver::Version::new(0, 62, 0)));
    }

    #[test]
    fn if_none_match_takes_lists_and_weak_tags() {
        assert!(matches_etag("\"a\"", "\"a\""));
        assert!(matches_etag("W/\"a\", \"b\"", "\"a\""));
        assert!(matches_etag("*", "\"a\""));
        assert!(!matches_etag("\"b\"", "\"a\""));
    }
}
