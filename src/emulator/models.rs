//! The model catalog: `GET {backend}/models?client_version=X.Y.Z`.
//!
//! The catalog is `models.json` next to this file: realistic entries with every field of the
//! spec (§5), some `visibility: "hide"`/`"none"`, and one (`gpt-5.2-codex`) whose
//! `minimal_client_version` (`0.100.0`) is above the crate's usual `client_version` (`0.99.0`),
//! so a client that compares versions as strings, or sends `0.0.0`, misses it. As the real
//! backend does, entries whose `minimal_client_version` is above the `client_version` sent are
//! left out (versions compare as semver); a missing `client_version` counts as `0.0.0`.
//! Hidden entries stay in the answer: the client filters on `visibility`.
//!
//! The answer carries an `ETag` for the catalog's revision (the same value `/responses` sends as
//! `x-models-etag`); `If-None-Match` with it answers 304 (RFC 9110 §13.1.2).

use super::backend_auth;
use super::errors::{api_error, invalid_request};
use super::faults::Fault;
use super::state::SharedState;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use std::sync::{Arc, OnceLock};

/// The catalog's JSON text.
pub const CATALOG_JSON: &str = include_str!("models.json");

/// Every entry of the catalog, as JSON objects (fields the crate does not know are kept).
pub fn catalog() -> &'static [Value] {
    static CATALOG: OnceLock<Vec<Value>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let parsed: Value = serde_json::from_str(CATALOG_JSON).expect("models.json is valid JSON");
        parsed["models"]
            .as_array()
            .cloned()
            .expect("models.json has a models array")
    })
}

/// The catalog entry with this slug.
pub fn find(slug: &str) -> Option<&'static Value> {
    catalog().iter().find(|model| model["slug"] == slug)
}

/// The catalog's `ETag` at a revision (a quoted strong validator, RFC 9110 §8.8.3).
pub fn etag(revision: u64) -> String {
    let digest = Sha256::new()
        .chain_update(CATALOG_JSON.as_bytes())
        .chain_update(revision.to_le_bytes())
        .finalize();
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether an entry is served to a client of this version.
fn served_to(model: &Value, client_version: &semver::Version) -> bool {
    model["minimal_client_version"]
        .as_str()
        .and_then(|minimal| semver::Version::parse(minimal).ok())
        .is_none_or(|minimal| *client_version >= minimal)
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
    if let Some(Fault::ModelsStatus { status }) =
        state.take_fault(|fault| matches!(fault, Fault::ModelsStatus { .. }))
    {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return api_error(
            status,
            "server_error",
            None,
            None,
            status.canonical_reason().unwrap_or("Error"),
        );
    }
    if let Err(answer) = backend_auth::check(&state, &headers) {
        return answer.into_response();
    }
    let client_version = query.client_version.as_deref().unwrap_or("0.0.0");
    let Ok(client_version) = semver::Version::parse(client_version) else {
        return invalid_request(
            Some("client_version"),
            "client_version must be a version like 0.99.0.",
        );
    };

    let etag = etag(state.models_revision());
    let etag_header = HeaderValue::from_str(&etag).expect("an ETag is a valid header value");
    let revalidated = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| matches_etag(value, &etag));
    if revalidated {
        state.count(|stats| &mut stats.models_not_modified);
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag_header)]).into_response();
    }
    let models: Vec<&Value> = catalog()
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
    use crate::models::ModelInfo;

    #[test]
    fn the_catalog_parses_as_the_crate_reads_it() {
        for entry in catalog() {
            let model: ModelInfo = serde_json::from_value(entry.clone()).unwrap();
            assert!(!model.slug.is_empty());
        }
        assert!(find("gpt-5.1-codex").is_some());
    }

    #[test]
    fn versions_compare_as_semver_not_as_strings() {
        let newest = find("gpt-5.2-codex").unwrap();
        assert!(!served_to(newest, &semver::Version::new(0, 99, 0)));
        assert!(served_to(newest, &semver::Version::new(0, 100, 0)));
        assert!(served_to(newest, &semver::Version::new(1, 0, 0)));
    }

    #[test]
    fn if_none_match_takes_lists_and_weak_tags() {
        assert!(matches_etag("\"a\"", "\"a\""));
        assert!(matches_etag("W/\"a\", \"b\"", "\"a\""));
        assert!(matches_etag("*", "\"a\""));
        assert!(!matches_etag("\"b\"", "\"a\""));
    }
}
