//! The model catalog against the embedded emulator, over real loopback sockets: fetch, `ETag`
//! revalidation, hidden and version-gated models, the offline start from the disk cache, the
//! bundled fallback, stale-marking by `x-models-etag`, and a malformed entry among good ones.

mod support;

use emulator::{Emulator, Fault};
use gpui::{AppContext as _, Entity, TestAppContext};
use http_client::{AsyncBody, HttpClient, Method};
use openai_subscribed::backend_request::{BackendAuth, authenticated_request};
use openai_subscribed::config::Config;
use openai_subscribed::models::cache::read_cache_file;
use openai_subscribed::models::fallback::bundled_models;
use openai_subscribed::models::{
    CacheLocation, CatalogOptions, CatalogSource, FetchError, ModelCatalog, ModelInfo,
    RefreshOutcome,
};
use openai_subscribed::secret::AccessToken;
use reqwest_client::ReqwestHttpClient;
use std::sync::Arc;
use std::time::Duration;

const ACCOUNT: &str = "acct_emulated";

/// One emulator, one HTTP client and one empty cache directory per test.
struct Harness {
    emulator: Emulator,
    http: Arc<dyn HttpClient>,
    cache_dir: tempfile::TempDir,
}

impl Harness {
    fn start(cx: &mut TestAppContext) -> Self {
        // The catalog waits on real sockets served by other threads.
        support::allow_parking(cx);
        let emulator = Emulator::start().expect("the emulator starts");
        let http: Arc<dyn HttpClient> = ReqwestHttpClient::new(
            &Config::with_urls(&emulator.issuer_url(), &emulator.backend_url())
                .unwrap()
                .user_agent(),
        )
        .expect("an HTTP client");
        Self {
            emulator,
            http,
            cache_dir: tempfile::tempdir().unwrap(),
        }
    }

    fn auth(&self) -> BackendAuth {
        BackendAuth {
            access_token: AccessToken::new(self.emulator.mint_tokens(3600).access_token),
            account_id: ACCOUNT.to_string(),
        }
    }

    fn location(&self) -> CacheLocation {
        CacheLocation::Directory(self.cache_dir.path().to_owned())
    }

    /// A catalog over this harness's cache, with `ttl` and the emulator's config (or `config`).
    fn catalog(
        &self,
        cx: &mut TestAppContext,
        config: Config,
        ttl: Duration,
    ) -> Entity<ModelCatalog> {
        let options = CatalogOptions {
            ttl,
            fetch_timeout: Duration::from_secs(10),
        };
        let http = self.http.clone();
        let location = self.location();
        cx.new(|_| ModelCatalog::with_options(http, config, location, options))
    }

    /// The emulator's raw `/models` answer for `client_version`, as JSON entries.
    async fn raw_entries(&self, client_version: &str) -> Vec<serde_json::Value> {
        let mut config =
            Config::with_urls(&self.emulator.issuer_url(), &self.emulator.backend_url()).unwrap();
        config.client_version = client_version.to_string();
        let request =
            authenticated_request(&config, &self.auth(), Method::GET, &config.models_url())
                .body(AsyncBody::empty())
                .unwrap();
        let response = self.http.send(request).await.unwrap();
        assert!(response.status().is_success());
        let mut body = Vec::new();
        futures::AsyncReadExt::read_to_end(&mut response.into_body(), &mut body)
            .await
            .unwrap();
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        value["models"].as_array().unwrap().clone()
    }
}

async fn refresh(
    catalog: &Entity<ModelCatalog>,
    auth: BackendAuth,
    cx: &mut TestAppContext,
) -> Result<RefreshOutcome, FetchError> {
    catalog
        .update(cx, |catalog, cx| catalog.refresh(auth, cx))
        .await
}

fn slugs(models: &[ModelInfo]) -> Vec<String> {
    models.iter().map(|model| model.slug.clone()).collect()
}

fn shown(catalog: &Entity<ModelCatalog>, cx: &mut TestAppContext) -> (Vec<String>, CatalogSource) {
    catalog.read_with(cx, |catalog, _| (slugs(catalog.models()), catalog.source()))
}

fn raw_slug(entry: &serde_json::Value) -> Option<&str> {
    entry["slug"].as_str()
}

/// The listed entries of a raw answer that this crate can read, in priority order.
fn listed_slugs(entries: &[serde_json::Value]) -> Vec<String> {
    let mut models: Vec<ModelInfo> = entries
        .iter()
        .filter_map(|entry| serde_json::from_value::<ModelInfo>(entry.clone()).ok())
        .filter(|model| model.is_listed())
        .collect();
    models.sort_by_key(|model| model.priority);
    slugs(&models)
}

#[gpui::test]
async fn fetches_the_listed_models_in_priority_order_and_caches_them(cx: &mut TestAppContext) {
    let harness = Harness::start(cx);
    let config = Config::with_urls(
        &harness.emulator.issuer_url(),
        &harness.emulator.backend_url(),
    )
    .unwrap();
    let catalog = harness.catalog(cx, config.clone(), Duration::from_secs(600));

    assert_eq!(
        refresh(&catalog, harness.auth(), cx).await,
        Ok(RefreshOutcome::Updated)
    );
    let (models, source) = shown(&catalog, cx);
    assert_eq!(source, CatalogSource::Network);
    assert!(!models.is_empty());
    let expected = listed_slugs(&harness.raw_entries(&config.client_version).await);
    assert_eq!(models, expected);
    catalog.read_with(cx, |catalog, _| {
        let priorities: Vec<i64> = catalog.models().iter().map(|m| m.priority).collect();
        assert!(priorities.is_sorted(), "{priorities:?}");
        assert!(!catalog.is_stale());
        assert!(catalog.fetched_at().is_some());
    });

    // What `openai-subscribed models --json` prints from (its rendering is the CLI's
    // `model_listing`, tested there): the source, when it was fetched, and the list in order.
    catalog.read_with(cx, |catalog, _| {
        assert_eq!(catalog.source(), CatalogSource::Network);
        assert!(catalog.fetched_at().is_some());
        assert_eq!(catalog.models()[0].slug, models[0]);
    });

    // The list and its ETag are on disk for the next start.
    let path = harness.location().file_for(ACCOUNT).unwrap();
    let cached = read_cache_file(&path, ACCOUNT).expect("the list is cached on disk");
    assert_eq!(slugs(&cached.models), models);
    assert!(cached.etag.is_some());
    assert_eq!(cached.client_version, config.client_version);

    // Within the TTL, no second request.
    let before = harness.emulator.stats().models_requests;
    assert_eq!(
        refresh(&catalog, harness.auth(), cx).await,
        Ok(RefreshOutcome::AlreadyFresh)
    );
    assert_eq!(harness.emulator.stats().models_requests, before);
}

#[gpui::test]
async fn an_expired_list_is_revalidated_with_its_etag(cx: &mut TestAppContext) {
    let harness = Harness::start(cx);
    // A TTL of zero: every refresh revalidates.
    let catalog = harness.catalog(
        cx,
        Config::with_urls(
            &harness.emulator.issuer_url(),
            &harness.emulator.backend_url(),
        )
        .unwrap(),
        Duration::ZERO,
    );

    assert_eq!(
        refresh(&catalog, harness.auth(), cx).await,
        Ok(RefreshOutcome::Updated)
    );
    let (first, _) = shown(&catalog, cx);
    assert_eq!(harness.emulator.stats().models_not_modified, 0);

    assert_eq!(
        refresh(&catalog, harness.auth(), cx).await,
        Ok(RefreshOutcome::NotModified)
    );
    let stats = harness.emulator.stats();
    assert_eq!((stats.models_requests, stats.models_not_modified), (2, 1));
    assert_eq!(shown(&catalog, cx), (first.clone(), CatalogSource::Network));

    // When the backend's catalog changes, its ETag does: the revalidation gets the new list.
    harness.emulator.bump_models_revision();
    assert_eq!(
        refresh(&catalog, harness.auth(), cx).await,
        Ok(RefreshOutcome::Updated)
    );
    assert_eq!(harness.emulator.stats().models_not_modified, 1);
}

#[gpui::test]
async fn hidden_models_are_not_shown(cx: &mut TestAppContext) {
    let harness = Harness::start(cx);
    let config = Config::with_urls(
        &harness.emulator.issuer_url(),
        &harness.emulator.backend_url(),
    )
    .unwrap();
    let raw = harness.raw_entries(&config.client_version).await;
    let hidden: Vec<&str> = raw
        .iter()
        .filter(|entry| entry["visibility"] != "list")
        .filter_map(raw_slug)
        .collect();
    assert!(!hidden.is_empty(), "the emulator serves hidden models");

    let catalog = harness.catalog(cx, config, Duration::from_secs(600));
    refresh(&catalog, harness.auth(), cx).await.unwrap();
    let (models, _) = shown(&catalog, cx);
    for slug in hidden {
        assert!(!models.iter().any(|m| m == slug), "{slug} is hidden");
    }
}

#[gpui::test]
async fn models_newer_than_the_client_version_are_withheld(cx: &mut TestAppContext) {
    let harness = Harness::start(cx);
    // An old client and a client newer than every model the emulator serves.
    let mut old = Config::with_urls(
        &harness.emulator.issuer_url(),
        &harness.emulator.backend_url(),
    )
    .unwrap();
    old.client_version = "0.55.0".to_string();
    let mut current = old.clone();
    current.client_version = "999.0.0".to_string();

    let current_catalog = harness.catalog(cx, current, Duration::from_secs(600));
    refresh(&current_catalog, harness.auth(), cx).await.unwrap();
    let (with_current, _) = shown(&current_catalog, cx);

    // A separate cache directory: one account, two client versions.
    let old_dir = tempfile::tempdir().unwrap();
    let http = harness.http.clone();
    let location = CacheLocation::Directory(old_dir.path().to_owned());
    let old_catalog = cx.new(|_| ModelCatalog::new(http, old, location));
    refresh(&old_catalog, harness.auth(), cx).await.unwrap();
    let (with_old, _) = shown(&old_catalog, cx);

    let withheld: Vec<&String> = with_current
        .iter()
        .filter(|m| !with_old.contains(m))
        .collect();
    assert!(
        !withheld.is_empty(),
        "an old client version sees fewer models: {with_old:?} vs {with_current:?}"
    );
    assert!(with_old.iter().all(|m| with_current.contains(m)));
}

#[gpui::test]
async fn a_client_too_old_for_every_model_keeps_what_is_shown(cx: &mut TestAppContext) {
    let harness = Harness::start(cx);
    // The real catalog's newest generation only (every entry needs client 0.144.0).
    let mut newest: serde_json::Value =
        serde_json::from_str(emulator::models::CATALOG_JSON).unwrap();
    newest["models"]
        .as_array_mut()
        .unwrap()
        .retain(|entry| entry["minimal_client_version"] == "0.144.0");
    assert_eq!(newest["models"].as_array().unwrap().len(), 3);
    harness.emulator.serve_catalog(&newest.to_string()).unwrap();
    let mut ancient = Config::with_urls(
        &harness.emulator.issuer_url(),
        &harness.emulator.backend_url(),
    )
    .unwrap();
    ancient.client_version = "0.0.1".to_string();
    let catalog = harness.catalog(cx, ancient, Duration::from_secs(600));
    assert_eq!(
        refresh(&catalog, harness.auth(), cx).await,
        Err(FetchError::NoUsableModels)
    );
    assert_eq!(
        shown(&catalog, cx),
        (slugs(&bundled_models()), CatalogSource::Fallback)
    );
}

#[gpui::test]
async fn a_changed_client_version_refetches_a_cached_list(cx: &mut TestAppContext) {
    let harness = Harness::start(cx);
    let mut old = Config::with_urls(
        &harness.emulator.issuer_url(),
        &harness.emulator.backend_url(),
    )
    .unwrap();
    old.client_version = "0.55.0".to_string();
    let old_catalog = harness.catalog(cx, old, Duration::from_secs(600));
    refresh(&old_catalog, harness.auth(), cx).await.unwrap();

    // An upgrade: the same cache, a newer client version. The cached list is not fresh for it,
    // and it is fetched whole (not revalidated: the old ETag is for another answer).
    let catalog = harness.catalog(
        cx,
        Config::with_urls(
            &harness.emulator.issuer_url(),
            &harness.emulator.backend_url(),
        )
        .unwrap(),
        Duration::from_secs(600),
    );
    catalog.update(cx, |catalog, cx| catalog.load_cached(ACCOUNT, cx));
    assert!(catalog.read_with(cx, |catalog, _| catalog.is_stale()));
    assert_eq!(
        refresh(&catalog, harness.auth(), cx).await,
        Ok(RefreshOutcome::Updated)
    );
    assert_eq!(harness.emulator.stats().models_not_modified, 0);
}

#[gpui::test]
async fn starts_from_the_disk_cache_before_any_request(cx: &mut TestAppContext) {
    let harness = Harness::start(cx);
    let config = Config::with_urls(
        &harness.emulator.issuer_url(),
        &harness.emulator.backend_url(),
    )
    .unwrap();
    let first = harness.catalog(cx, config.clone(), Duration::from_secs(600));
    refresh(&first, harness.auth(), cx).await.unwrap();
    let (fetched, _) = shown(&first, cx);
    drop(first);
    let requests = harness.emulator.stats().models_requests;

    // A new start: the list is there at once, from disk, with no request made.
    let catalog = harness.catalog(cx, config, Duration::from_secs(600));
    let source = catalog.update(cx, |catalog, cx| catalog.load_cached(ACCOUNT, cx));
    assert_eq!(source, CatalogSource::Cache);
    assert_eq!(shown(&catalog, cx), (fetched.clone(), CatalogSource::Cache));
    assert_eq!(harness.emulator.stats().models_requests, requests);
    // The listing says "Models from the cache (fetched …)" from these (CLI's `model_listing`).
    catalog.read_with(cx, |catalog, _| {
        assert_eq!(catalog.source(), CatalogSource::Cache);
        assert!(catalog.fetched_at().is_some());
    });

    // The backend is down when the cached list is revalidated: the cached list stays.
    catalog.update(cx, |catalog, cx| catalog.mark_stale(cx));
    harness.emulator.inject(Fault::ModelsStatus { status: 503 });
    let error = refresh(&catalog, harness.auth(), cx).await.unwrap_err();
    assert!(
        matches!(error, FetchError::Status { status: 503, .. }),
        "{error:?}"
    );
    assert_eq!(shown(&catalog, cx), (fetched, CatalogSource::Cache));
}

#[gpui::test]
async fn falls_back_to_the_bundled_list_when_the_backend_answers_503(cx: &mut TestAppContext) {
    let harness = Harness::start(cx);
    let catalog = harness.catalog(
        cx,
        Config::with_urls(
            &harness.emulator.issuer_url(),
            &harness.emulator.backend_url(),
        )
        .unwrap(),
        Duration::from_secs(600),
    );
    harness.emulator.inject(Fault::ModelsStatus { status: 503 });

    let error = refresh(&catalog, harness.auth(), cx).await.unwrap_err();
    assert!(
        matches!(error, FetchError::Status { status: 503, .. }),
        "{error:?}"
    );
    assert_eq!(
        shown(&catalog, cx),
        (slugs(&bundled_models()), CatalogSource::Fallback)
    );
    assert!(catalog.read_with(cx, |catalog, _| catalog.is_stale()));
    // The listing says "Models from the bundled fallback list" from these (CLI's `model_listing`).
    catalog.read_with(cx, |catalog, _| {
        assert_eq!(catalog.source(), CatalogSource::Fallback);
        assert_eq!(catalog.fetched_at(), None);
    });

    // Once the backend is back, the live list replaces the fallback.
    assert_eq!(
        refresh(&catalog, harness.auth(), cx).await,
        Ok(RefreshOutcome::Updated)
    );
    assert_eq!(shown(&catalog, cx).1, CatalogSource::Network);
}

#[gpui::test]
async fn falls_back_to_the_bundled_list_when_nothing_listens(cx: &mut TestAppContext) {
    let harness = Harness::start(cx);
    // A port that was just free: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let url = format!("http://127.0.0.1:{port}");
    let config = Config::with_urls(&url, &format!("{url}/backend-api/codex")).unwrap();
    let catalog = harness.catalog(cx, config, Duration::from_secs(600));

    let error = refresh(&catalog, harness.auth(), cx).await.unwrap_err();
    assert!(matches!(error, FetchError::Transport(_)), "{error:?}");
    assert_eq!(
        shown(&catalog, cx),
        (slugs(&bundled_models()), CatalogSource::Fallback)
    );
}

/// Sends one real `/responses` request and returns its `x-models-etag` header.
async fn models_etag_of_a_response(harness: &Harness) -> String {
    let config = Config::with_urls(
        &harness.emulator.issuer_url(),
        &harness.emulator.backend_url(),
    )
    .unwrap();
    let body = serde_json::json!({
        "model": "gpt-5.5",
        "instructions": "Be brief.",
        "input": [{"type": "message", "role": "user",
                   "content": [{"type": "input_text", "text": "hello"}]}],
        "store": false,
        "stream": true,
    });
    let request = authenticated_request(
        &config,
        &harness.auth(),
        Method::POST,
        &config.responses_url(),
    )
    .header("Content-Type", "application/json")
    .header("Accept", "text/event-stream")
    .header("OpenAI-Beta", "responses=experimental")
    .body(AsyncBody::from(body.to_string()))
    .unwrap();
    let response = harness.http.send(request).await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    response.headers()["x-models-etag"]
        .to_str()
        .unwrap()
        .to_string()
}

#[gpui::test]
async fn a_changed_models_etag_on_a_response_marks_the_list_stale(cx: &mut TestAppContext) {
    let harness = Harness::start(cx);
    let catalog = harness.catalog(
        cx,
        Config::with_urls(
            &harness.emulator.issuer_url(),
            &harness.emulator.backend_url(),
        )
        .unwrap(),
        Duration::from_secs(600),
    );
    refresh(&catalog, harness.auth(), cx).await.unwrap();

    // The same catalog: nothing to do.
    let etag = models_etag_of_a_response(&harness).await;
    let marked = catalog.update(cx, |catalog, cx| catalog.note_models_etag(&etag, cx));
    assert!(!marked);
    assert!(!catalog.read_with(cx, |catalog, _| catalog.is_stale()));

    // The backend's catalog changed: the next answer says so, and the list is refetched even
    // though its TTL has not run out.
    harness.emulator.bump_models_revision();
    let etag = models_etag_of_a_response(&harness).await;
    let marked = catalog.update(cx, |catalog, cx| catalog.note_models_etag(&etag, cx));
    assert!(marked);
    assert!(catalog.read_with(cx, |catalog, _| catalog.is_stale()));
    let requests = harness.emulator.stats().models_requests;
    assert_eq!(
        refresh(&catalog, harness.auth(), cx).await,
        Ok(RefreshOutcome::Updated)
    );
    assert_eq!(harness.emulator.stats().models_requests, requests + 1);
    assert!(!catalog.read_with(cx, |catalog, _| catalog.is_stale()));
}

/// A one-shot loopback server for what the emulator cannot be asked to serve: its own catalog
/// with entries appended. Answers the first request on the returned backend URL, then stops.
fn serve_catalog_with(extra: Vec<serde_json::Value>) -> (String, std::thread::JoinHandle<String>) {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let mut catalog: serde_json::Value =
        serde_json::from_str(emulator::models::CATALOG_JSON).unwrap();
    catalog["models"].as_array_mut().unwrap().extend(extra);
    let body = catalog.to_string();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = Vec::new();
        let mut buffer = [0; 4096];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let read = stream.read(&mut buffer).unwrap();
            assert!(read > 0, "the request ended early");
            request.extend_from_slice(&buffer[..read]);
        }
        write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nETag: \"t1\"\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        String::from_utf8_lossy(&request).into_owned()
    });
    (url, server)
}

#[gpui::test]
async fn a_malformed_entry_is_skipped_and_the_rest_shown(cx: &mut TestAppContext) {
    let harness = Harness::start(cx);
    let (url, server) = serve_catalog_with(vec![
        // A listed entry with a context window that is not a number, and one without a slug.
        serde_json::json!({"slug": "broken", "display_name": "Broken", "visibility": "list",
                           "priority": -1, "context_window": "lots"}),
        serde_json::json!({"display_name": "Nameless", "visibility": "list", "context_window": 1}),
    ]);
    let mut config = Config::with_urls(
        &harness.emulator.issuer_url(),
        &harness.emulator.backend_url(),
    )
    .unwrap();
    config.backend = format!("{url}/backend-api/codex").parse().unwrap();
    config.client_version = "999.0.0".to_string();
    let catalog = harness.catalog(cx, config, Duration::from_secs(600));

    assert_eq!(
        refresh(&catalog, harness.auth(), cx).await,
        Ok(RefreshOutcome::Updated)
    );
    let request = server.join().unwrap();
    assert!(request.starts_with("GET /backend-api/codex/models?client_version=999.0.0 "));

    let catalog_json: serde_json::Value =
        serde_json::from_str(emulator::models::CATALOG_JSON).unwrap();
    let good = listed_slugs(catalog_json["models"].as_array().unwrap());
    assert!(good.len() > 1);
    assert_eq!(shown(&catalog, cx), (good, CatalogSource::Network));
}
