//! [`ModelCatalog`]: the gpui entity that holds the list the model picker shows, and keeps it
//! current without ever making the user wait for it.
//!
//! - On start-up, [`ModelCatalog::load_cached`] fills the list from the account's disk cache at
//!   once (no network round trip), or from the bundled fallback when nothing is cached.
//! - [`ModelCatalog::refresh`] asks the backend in the background when the cached list is
//!   missing, older than its TTL, or marked stale, revalidating with the cached `ETag`. A
//!   failed or slow fetch (bounded by a timeout) keeps what is shown.
//! - [`ModelCatalog::note_models_etag`] takes the `x-models-etag` of a `/responses` answer and
//!   marks the list stale when the backend's catalog has moved on.
//!
//! The catalog does not know about sign-in state: the caller passes the [`BackendAuth`] to
//! fetch with, and the account it names picks the cache. Observers are notified whenever the
//! list, its source or its staleness changes.

use super::ModelInfo;
use super::cache::{
    CacheLocation, CachedModels, DEFAULT_TTL, Freshness, ModelCache, write_cache_file,
};
use super::fallback::bundled_models;
use super::fetch::{DEFAULT_FETCH_TIMEOUT, FetchError, FetchOutcome, fetch_models, with_timeout};
use crate::backend_request::BackendAuth;
use crate::config::Config;
use crate::route::Route;
use chrono::{DateTime, Utc};
use futures::FutureExt as _;
use futures::future::Shared;
use gpui::{Context, Task};
use http_client::HttpClient;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where the list currently shown came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CatalogSource {
    /// Fetched from the backend, or confirmed by it (`304`), during this session.
    Network,
    /// Read from the disk cache, not yet confirmed by the backend this session.
    Cache,
    /// The bundled list: nothing cached and no answer from the backend. It may not match what
    /// the plan offers; the UI should say so.
    Fallback,
}

/// What a successful [`ModelCatalog::refresh`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// The cached list was fresh: no request was made.
    AlreadyFresh,
    /// The backend confirmed the cached list (`304 Not Modified`); it is fresh again.
    NotModified,
    /// The backend sent a list, now shown and cached.
    Updated,
}

/// The catalog's tunables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CatalogOptions {
    /// How long a fetched list is trusted before it is revalidated.
    pub ttl: Duration,
    /// How long a fetch may take before it is abandoned.
    pub fetch_timeout: Duration,
}

impl Default for CatalogOptions {
    fn default() -> Self {
        Self {
            ttl: DEFAULT_TTL,
            fetch_timeout: DEFAULT_FETCH_TIMEOUT,
        }
    }
}

/// A refresh's result, shared by every caller that asks while it runs.
type SharedRefresh = Shared<Task<Result<RefreshOutcome, FetchError>>>;

/// The refresh in flight, and the account it is for.
struct PendingRefresh {
    account_id: String,
    task: SharedRefresh,
}

/// The model list the provider offers (see the module docs).
pub struct ModelCatalog {
    http: Arc<dyn HttpClient>,
    config: Config,
    options: CatalogOptions,
    cache: ModelCache,
    /// The account whose list is shown; `None` before sign-in (the fallback is shown).
    account_id: Option<String>,
    models: Vec<ModelInfo>,
    source: CatalogSource,
    pending: Option<PendingRefresh>,
}

impl ModelCatalog {
    /// A catalog showing the bundled fallback until [`load_cached`](Self::load_cached) or
    /// [`refresh`](Self::refresh) is called, with the default TTL and timeout.
    /// `cache` is usually `CacheLocation::user_default`.
    pub fn new(http: Arc<dyn HttpClient>, config: Config, cache: CacheLocation) -> Self {
        Self::with_options(http, config, cache, CatalogOptions::default())
    }

    /// [`new`](Self::new) with explicit options.
    pub fn with_options(
        http: Arc<dyn HttpClient>,
        config: Config,
        cache: CacheLocation,
        options: CatalogOptions,
    ) -> Self {
        Self {
            http,
            config,
            options,
            cache: ModelCache::new(cache, options.ttl),
            account_id: None,
            models: bundled_models(),
            source: CatalogSource::Fallback,
            pending: None,
        }
    }

    /// The models to show, sorted by priority. Never empty in practice: at worst the fallback.
    pub fn models(&self) -> &[ModelInfo] {
        &self.models
    }

    /// The shown model with this slug.
    pub fn model(&self, slug: &str) -> Option<&ModelInfo> {
        self.models.iter().find(|model| model.slug == slug)
    }

    /// Where the shown list came from.
    pub fn source(&self) -> CatalogSource {
        self.source
    }

    /// The account whose list is shown.
    pub fn account_id(&self) -> Option<&str> {
        self.account_id.as_deref()
    }

    /// When the backend last confirmed the shown list (`None` for the fallback).
    pub fn fetched_at(&self) -> Option<DateTime<Utc>> {
        match self.source {
            CatalogSource::Fallback => None,
            _ => self
                .account_id
                .as_deref()
                .and_then(|account| self.cache.get(account))
                .map(|cached| cached.fetched_at),
        }
    }

    /// Whether the next [`refresh`](Self::refresh) would ask the backend: the list is the
    /// fallback, older than the TTL, fetched with another client version, or marked stale.
    pub fn is_stale(&self) -> bool {
        self.freshness(Utc::now()).needs_fetch()
    }

    fn freshness(&self, now: DateTime<Utc>) -> Freshness {
        match &self.account_id {
            Some(account) => self
                .cache
                .freshness(account, &self.config.client_version, now),
            None => Freshness::Missing,
        }
    }

    /// Shows `account_id`'s cached list at once (memory, else its disk file), or the fallback
    /// when nothing is cached. Makes no request. Returns where the shown list came from.
    pub fn load_cached(&mut self, account_id: &str, cx: &mut Context<Self>) -> CatalogSource {
        if self.account_id.as_deref() != Some(account_id) {
            // Another account's refresh no longer matters to what is shown.
            self.pending = None;
        }
        self.account_id = Some(account_id.to_owned());
        match self.cache.load(account_id) {
            Some(cached) if !cached.models.is_empty() => {
                self.models = cached.models.clone();
                self.source = CatalogSource::Cache;
            }
            _ => {
                self.models = bundled_models();
                self.source = CatalogSource::Fallback;
            }
        }
        cx.notify();
        self.source
    }

    /// Shows the fallback and forgets which account is shown (after sign-out). Cache files stay
    /// for the next sign-in.
    pub fn clear(&mut self, cx: &mut Context<Self>) {
        self.account_id = None;
        self.pending = None;
        self.models = bundled_models();
        self.source = CatalogSource::Fallback;
        cx.notify();
    }

    /// Marks the shown list stale: the next [`refresh`](Self::refresh) revalidates it.
    pub fn mark_stale(&mut self, cx: &mut Context<Self>) {
        if let Some(account) = &self.account_id {
            self.cache.mark_stale(account);
            cx.notify();
        }
    }

    /// Takes the `x-models-etag` header of a `/responses` answer: when it differs from the
    /// cached list's `ETag`, the backend's catalog has changed and the list is marked stale.
    /// Returns whether it was.
    pub fn note_models_etag(&mut self, etag: &str, cx: &mut Context<Self>) -> bool {
        let Some(account) = &self.account_id else {
            return false;
        };
        let Some(cached) = self.cache.get(account) else {
            // Nothing cached: the list is already due for a fetch.
            return false;
        };
        let same = cached
            .etag
            .as_deref()
            .is_some_and(|cached| opaque_tag(cached) == opaque_tag(etag));
        if same || self.freshness(Utc::now()) == Freshness::MarkedStale {
            return false;
        }
        self.mark_stale(cx);
        true
    }

    /// Brings the list for `auth`'s account up to date without blocking: shows that account's
    /// cached list first if another account was shown, then, if the list is not fresh, fetches
    /// (conditionally on the cached `ETag`) in the background.
    ///
    /// A failed or timed-out fetch keeps what is shown and returns the error (for a log line, or
    /// to refresh the sign-in on [`FetchError::Unauthorized`]). Calls made while a fetch for the
    /// same account runs share it. Dropping the returned task does not cancel the fetch.
    pub fn refresh(
        &mut self,
        auth: BackendAuth,
        cx: &mut Context<Self>,
    ) -> Task<Result<RefreshOutcome, FetchError>> {
        self.refresh_for(Route::CodexBackend, auth, cx)
    }

    /// [`refresh`](Self::refresh) from `route`'s catalog: the Codex backend's `/models`, or the
    /// official API's `/v1/models` (`crate::siwc::models`). `auth.account_id` keys the cache, so
    /// the caller gives each route's lists their own key.
    pub fn refresh_for(
        &mut self,
        route: Route,
        auth: BackendAuth,
        cx: &mut Context<Self>,
    ) -> Task<Result<RefreshOutcome, FetchError>> {
        if self.account_id.as_deref() != Some(auth.account_id.as_str()) {
            self.load_cached(&auth.account_id, cx);
        }
        let freshness = self.freshness(Utc::now());
        if !freshness.needs_fetch() {
            return Task::ready(Ok(RefreshOutcome::AlreadyFresh));
        }
        let task = match &self.pending {
            Some(pending) if pending.account_id == auth.account_id => pending.task.clone(),
            _ => {
                let account_id = auth.account_id.clone();
                let task = self.start_fetch(route, auth, freshness, cx);
                self.pending = Some(PendingRefresh {
                    account_id,
                    task: task.clone(),
                });
                task
            }
        };
        // Awaited on the UI thread, where the shared task runs: gpui cancels UI-thread tasks
        // when its main loop ends, and a background task awaiting one would then find it gone
        // ("Task polled after completion" at exit).
        cx.spawn(async move |_, _| task.await)
    }

    fn start_fetch(
        &mut self,
        route: Route,
        auth: BackendAuth,
        freshness: Freshness,
        cx: &mut Context<Self>,
    ) -> SharedRefresh {
        let account_id = auth.account_id.clone();
        let client_version = self.config.client_version.clone();
        // A list fetched with another client version is not the one the backend would answer
        // 304 for: ask for the whole list.
        let etag = match freshness {
            Freshness::OtherClientVersion | Freshness::Missing => None,
            _ => self
                .cache
                .get(&account_id)
                .and_then(|cached| cached.etag.clone()),
        };
        let http = self.http.clone();
        let config = self.config.clone();
        let timeout = self.options.fetch_timeout;
        let executor = cx.background_executor().clone();

        cx.spawn(async move |this, cx| {
            // The request and the parsing run off the UI thread; dropping the task at the
            // timeout cancels the request.
            let fetch = executor.spawn(async move {
                match route {
                    Route::CodexBackend => {
                        fetch_models(http.as_ref(), &config, &auth, etag.as_deref()).await
                    }
                    Route::SignInWithChatGpt => {
                        crate::siwc::fetch_official_models(
                            http.as_ref(),
                            &config,
                            &auth.access_token,
                        )
                        .await
                    }
                }
            });
            let result = with_timeout(&executor, timeout, fetch).await;
            let (outcome, write) = this
                .update(cx, |this, cx| {
                    this.apply_fetch(&account_id, client_version, result, cx)
                })
                .map_err(|_| FetchError::Cancelled)?;
            if let Some((path, cached)) = write {
                let written = executor
                    .spawn(async move { write_cache_file(&path, &cached).map_err(|e| (path, e)) })
                    .await;
                if let Err((path, error)) = written {
                    log::warn!(
                        "could not save the model list to {}: {error}",
                        path.display()
                    );
                }
            }
            outcome
        })
        .shared()
    }

    /// Applies a fetch's result; returns it and the cache file to write, if any.
    fn apply_fetch(
        &mut self,
        account_id: &str,
        client_version: String,
        result: Result<FetchOutcome, FetchError>,
        cx: &mut Context<Self>,
    ) -> (
        Result<RefreshOutcome, FetchError>,
        Option<(PathBuf, CachedModels)>,
    ) {
        if self
            .pending
            .as_ref()
            .is_some_and(|pending| pending.account_id == account_id)
        {
            self.pending = None;
        }
        let shown = self.account_id.as_deref() == Some(account_id);
        let now = Utc::now();
        match result {
            Ok(FetchOutcome::Modified { models, .. }) if models.listed.is_empty() => {
                // Showing nothing would leave the user without a model: keep what is shown.
                log::warn!(
                    "the backend's model list has no usable model ({} hidden, {} unreadable); \
                     keeping the current list",
                    models.hidden,
                    models.malformed
                );
                (Err(FetchError::NoUsableModels), None)
            }
            Ok(FetchOutcome::Modified { models, etag }) => {
                let cached =
                    CachedModels::new(account_id, client_version, now, etag, models.listed);
                let path = self.cache.insert(cached.clone());
                if shown {
                    self.models = cached.models.clone();
                    self.source = CatalogSource::Network;
                    cx.notify();
                }
                (Ok(RefreshOutcome::Updated), path.map(|path| (path, cached)))
            }
            Ok(FetchOutcome::NotModified) => {
                let renewed = self.cache.renew(account_id, now);
                if shown {
                    self.source = CatalogSource::Network;
                    cx.notify();
                }
                (
                    Ok(RefreshOutcome::NotModified),
                    renewed.map(|(cached, path)| (path, cached)),
                )
            }
            Err(error) => {
                log::warn!("keeping the current model list: {error}");
                (Err(error), None)
            }
        }
    }
}

/// An entity tag without its weak marker and quotes (RFC 9110 §8.8.3), so that `W/"abc"`,
/// `"abc"` and a bare `abc` from another header compare equal.
fn opaque_tag(tag: &str) -> &str {
    let tag = tag.trim();
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    tag.trim_matches('"')
}

#[cfg(test)]
#[allow(
    clippy::arithmetic_side_effects,
    reason = "tests compute expected values; clippy.toml exempts tests from the other lints only"
)]
mod tests {
    use super::*;
    use crate::models::cache::read_cache_file;
    use crate::secret::AccessToken;
    use gpui::{AppContext as _, TestAppContext};
    use http_client::{AsyncBody, FakeHttpClient, Response};
    use std::sync::atomic::{AtomicUsize, Ordering};

    const OPTIONS: CatalogOptions = CatalogOptions {
        ttl: Duration::from_secs(600),
        fetch_timeout: Duration::from_secs(5),
    };

    fn auth(account_id: &str) -> BackendAuth {
        BackendAuth {
            access_token: AccessToken::new("token"),
            account_id: account_id.to_string(),
        }
    }

    fn config() -> Config {
        Config::with_urls("http://127.0.0.1:9", "http://127.0.0.1:9/backend").unwrap()
    }

    fn model(slug: &str) -> ModelInfo {
        serde_json::from_value(serde_json::json!({
            "slug": slug, "display_name": slug, "visibility": "list", "context_window": 1000,
        }))
        .unwrap()
    }

    fn slugs(catalog: &ModelCatalog) -> Vec<String> {
        catalog.models().iter().map(|m| m.slug.clone()).collect()
    }

    /// A cache directory holding an expired list for `account_id`.
    fn cache_with(account_id: &str, slug: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let location = CacheLocation::Directory(dir.path().to_owned());
        let cached = CachedModels::new(
            account_id,
            config().client_version,
            Utc::now() - chrono::TimeDelta::hours(1),
            Some("\"old\"".into()),
            vec![model(slug)],
        );
        write_cache_file(&location.file_for(account_id).unwrap(), &cached).unwrap();
        dir
    }

    /// A backend answering every request with `status` and `body`, counting requests.
    fn backend(status: u16, body: &'static str) -> (Arc<dyn HttpClient>, Arc<AtomicUsize>) {
        let count = Arc::new(AtomicUsize::new(0));
        let http = FakeHttpClient::create({
            let count = count.clone();
            move |_| {
                count.fetch_add(1, Ordering::SeqCst);
                async move {
                    Ok(Response::builder()
                        .status(status)
                        .header("ETag", "\"new\"")
                        .body(AsyncBody::from(body))
                        .unwrap())
                }
            }
        });
        (http, count)
    }

    const ONE_MODEL: &str = r#"{"models":[{"slug":"fetched","display_name":"Fetched",
        "visibility":"list","context_window":1000}]}"#;

    #[gpui::test]
    async fn a_slow_fetch_times_out_and_keeps_the_shown_list(cx: &mut TestAppContext) {
        let dir = cache_with("acct", "cached");
        let http: Arc<dyn HttpClient> = FakeHttpClient::create(|_| futures::future::pending());
        let location = CacheLocation::Directory(dir.path().to_owned());
        let catalog = cx.new(|_| ModelCatalog::with_options(http, config(), location, OPTIONS));
        let source = catalog.update(cx, |catalog, cx| catalog.load_cached("acct", cx));
        assert_eq!(source, CatalogSource::Cache);

        let task = catalog.update(cx, |catalog, cx| catalog.refresh(auth("acct"), cx));
        cx.executor().advance_clock(Duration::from_secs(6));
        assert_eq!(task.await, Err(FetchError::Timeout(Duration::from_secs(5))));
        catalog.read_with(cx, |catalog, _| {
            assert_eq!(slugs(catalog), ["cached"]);
            assert_eq!(catalog.source(), CatalogSource::Cache);
            assert!(catalog.is_stale());
        });
    }

    #[gpui::test]
    async fn refreshes_asked_while_one_runs_share_it(cx: &mut TestAppContext) {
        let (http, count) = backend(200, ONE_MODEL);
        let catalog = cx.new(|_| {
            ModelCatalog::with_options(http, config(), CacheLocation::MemoryOnly, OPTIONS)
        });
        let notified = Arc::new(AtomicUsize::new(0));
        let _subscription = cx.update(|cx| {
            let notified = notified.clone();
            cx.observe(&catalog, move |_, _| {
                notified.fetch_add(1, Ordering::SeqCst);
            })
        });
        let first = catalog.update(cx, |catalog, cx| catalog.refresh(auth("acct"), cx));
        let second = catalog.update(cx, |catalog, cx| catalog.refresh(auth("acct"), cx));
        assert_eq!(first.await, Ok(RefreshOutcome::Updated));
        assert_eq!(second.await, Ok(RefreshOutcome::Updated));
        assert_eq!(count.load(Ordering::SeqCst), 1);
        cx.run_until_parked();
        let after_fetch = notified.load(Ordering::SeqCst);
        assert!(after_fetch >= 1, "observers hear of the new list");

        // Fresh now: no request at all.
        let third = catalog.update(cx, |catalog, cx| catalog.refresh(auth("acct"), cx));
        assert_eq!(third.await, Ok(RefreshOutcome::AlreadyFresh));
        assert_eq!(count.load(Ordering::SeqCst), 1);
        catalog.read_with(cx, |catalog, _| {
            assert_eq!(slugs(catalog), ["fetched"]);
            assert_eq!(catalog.source(), CatalogSource::Network);
            assert!(!catalog.is_stale());
        });
    }

    #[gpui::test]
    async fn a_refused_token_keeps_the_fallback_and_says_so(cx: &mut TestAppContext) {
        let (http, _) = backend(401, "{}");
        let catalog = cx.new(|_| {
            ModelCatalog::with_options(http, config(), CacheLocation::MemoryOnly, OPTIONS)
        });
        let task = catalog.update(cx, |catalog, cx| catalog.refresh(auth("acct"), cx));
        assert_eq!(task.await, Err(FetchError::Unauthorized(401)));
        catalog.read_with(cx, |catalog, _| {
            assert_eq!(catalog.source(), CatalogSource::Fallback);
            assert_eq!(catalog.models(), bundled_models().as_slice());
        });
    }

    #[gpui::test]
    async fn a_list_with_nothing_usable_keeps_the_shown_list(cx: &mut TestAppContext) {
        let dir = cache_with("acct", "cached");
        let (http, _) = backend(
            200,
            r#"{"models":[{"slug":"h","display_name":"H","visibility":"hide","context_window":1}]}"#,
        );
        let location = CacheLocation::Directory(dir.path().to_owned());
        let catalog =
            cx.new(|_| ModelCatalog::with_options(http, config(), location.clone(), OPTIONS));
        let task = catalog.update(cx, |catalog, cx| catalog.refresh(auth("acct"), cx));
        assert_eq!(task.await, Err(FetchError::NoUsableModels));
        catalog.read_with(cx, |catalog, _| {
            assert_eq!(slugs(catalog), ["cached"]);
            assert_eq!(catalog.source(), CatalogSource::Cache);
        });
        let on_disk = read_cache_file(&location.file_for("acct").unwrap(), "acct").unwrap();
        assert_eq!(on_disk.models[0].slug, "cached");
    }

    #[gpui::test]
    async fn another_account_shows_its_own_list(cx: &mut TestAppContext) {
        let dir = cache_with("acct_a", "only-a");
        let (http, _) = backend(200, ONE_MODEL);
        let location = CacheLocation::Directory(dir.path().to_owned());
        let catalog =
            cx.new(|_| ModelCatalog::with_options(http, config(), location.clone(), OPTIONS));
        catalog.update(cx, |catalog, cx| catalog.load_cached("acct_a", cx));
        catalog.read_with(cx, |catalog, _| assert_eq!(slugs(catalog), ["only-a"]));

        let task = catalog.update(cx, |catalog, cx| catalog.refresh(auth("acct_b"), cx));
        // Before the answer: account B has no cache, so the fallback, never A's list.
        catalog.read_with(cx, |catalog, _| {
            assert_eq!(catalog.account_id(), Some("acct_b"));
            assert_eq!(catalog.source(), CatalogSource::Fallback);
        });
        assert_eq!(task.await, Ok(RefreshOutcome::Updated));
        catalog.read_with(cx, |catalog, _| assert_eq!(slugs(catalog), ["fetched"]));
        // A's file is untouched; B's was written.
        let a = read_cache_file(&location.file_for("acct_a").unwrap(), "acct_a").unwrap();
        assert_eq!(a.models[0].slug, "only-a");
        let b = read_cache_file(&location.file_for("acct_b").unwrap(), "acct_b").unwrap();
        assert_eq!(
            (b.models[0].slug.as_str(), b.etag.as_deref()),
            ("fetched", Some("\"new\""))
        );
    }

    #[gpui::test]
    async fn a_differing_models_etag_marks_the_list_stale(cx: &mut TestAppContext) {
        let (http, _) = backend(200, ONE_MODEL);
        let catalog = cx.new(|_| {
            ModelCatalog::with_options(http, config(), CacheLocation::MemoryOnly, OPTIONS)
        });
        let task = catalog.update(cx, |catalog, cx| catalog.refresh(auth("acct"), cx));
        task.await.unwrap();
        catalog.update(cx, |catalog, cx| {
            assert!(!catalog.note_models_etag("W/\"new\"", cx), "same tag");
            assert!(!catalog.is_stale());
            assert!(catalog.note_models_etag("\"newer\"", cx));
            assert!(catalog.is_stale());
            assert!(!catalog.note_models_etag("\"newer\"", cx), "already stale");
        });
    }

    #[test]
    fn entity_tags_compare_by_their_opaque_part() {
        assert_eq!(opaque_tag("W/\"abc\""), "abc");
        assert_eq!(opaque_tag(" \"abc\" "), "abc");
        assert_eq!(opaque_tag("abc"), "abc");
        assert_ne!(opaque_tag("\"abc\""), opaque_tag("\"abd\""));
    }
}
