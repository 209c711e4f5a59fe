//! One `GET {backend}/models?client_version=…` (spec §5): the request, its conditional form, and
//! what its answer means.
//!
//! The request goes through [`BackendRequest`] like every backend call: the same auth and
//! identity headers as `/responses`, the catalog's body cap ([`BackendCall::ModelList`]), and
//! the shared mapping of a refused sign-in and of other failure statuses. When a cached list has an `ETag`, the request is conditional
//! (`If-None-Match`, RFC 9110 §13.1.2) and a `304 Not Modified` answer (RFC 9110 §15.4.5) means
//! the cached list is still current. A fetch is bounded by a timeout on gpui's timer, so a slow
//! backend can never hold the catalog (or a chat waiting on it) for long.

use super::parse::{ParsedModels, parse_models_response};
use crate::backend_request::{BackendAuth, BackendCall, BackendError, BackendRequest};
use crate::config::Config;
use crate::http_error::{HttpFailure, Request};
use gpui::BackgroundExecutor;
use http_client::{HttpClient, Method, StatusCode};
use std::time::Duration;

/// How long a catalog fetch may take before the catalog gives up on it and keeps what it shows:
/// 5 s, as the Codex CLI and Zed bound it, because the list is on the start-up path.
pub const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// What a successful fetch learned.
#[derive(Clone, Debug, PartialEq)]
pub enum FetchOutcome {
    /// A new list (`200 OK`), with the `ETag` to revalidate it later, if the backend sent one.
    Modified {
        /// The listed models, sorted.
        models: ParsedModels,
        /// The answer's `ETag`.
        etag: Option<String>,
    },
    /// `304 Not Modified`: the list whose `ETag` was sent is still current.
    NotModified,
}

/// Why a fetch gave no list. Cloneable so that one fetch can be awaited by several callers.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FetchError {
    /// The backend did not answer in time.
    #[error("the model list did not arrive within {} seconds", .0.as_secs())]
    Timeout(Duration),
    /// The request never got an answer (offline, DNS, connection refused, TLS...).
    #[error("could not reach the backend for the model list: {0}")]
    Transport(String),
    /// The token was refused: the caller should refresh the sign-in and try again.
    #[error("the backend refused the sign-in when listing models (HTTP {0}); sign in again")]
    Unauthorized(u16),
    /// Any other non-success status, in the words of [`HttpFailure`].
    #[error("{}", HttpFailure { request: Request::ModelList, status: *status, code: None, message: message.clone() })]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The message the answer carried for people, printable and bounded, if any.
        message: Option<String>,
    },
    /// A `304` to a request that sent no `ETag`: nothing to keep.
    #[error("the backend answered 304 Not Modified to an unconditional model list request")]
    UnexpectedNotModified,
    /// The answer was not a model list.
    #[error("the backend's model list could not be read: {0}")]
    InvalidBody(String),
    /// The answer was a list, but with no model this crate can show; the current list is kept.
    #[error("the backend's model list has no model this version can use")]
    NoUsableModels,
    /// The catalog was closed before the answer arrived.
    #[error("the model catalog was closed before the model list arrived")]
    Cancelled,
}

/// Fetches the catalog once, conditionally on `etag` when one is known.
///
/// No timeout here: wrap it in [`with_timeout`].
pub async fn fetch_models(
    http: &dyn HttpClient,
    config: &Config,
    auth: &BackendAuth,
    etag: Option<&str>,
) -> Result<FetchOutcome, FetchError> {
    let mut request = BackendRequest::new(
        config,
        auth,
        BackendCall::ModelList,
        Method::GET,
        &config.models_url(),
    );
    if let Some(etag) = etag {
        request = request.header("If-None-Match", etag);
    }
    let answer = request.send(http).await?;
    if answer.status == StatusCode::NOT_MODIFIED {
        return match etag {
            Some(_) => Ok(FetchOutcome::NotModified),
            None => Err(FetchError::UnexpectedNotModified),
        };
    }
    let etag_header = answer
        .headers
        .get("ETag")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let models = parse_models_response(&answer.body)
        .map_err(|error| FetchError::InvalidBody(error.to_string()))?;
    Ok(FetchOutcome::Modified {
        models,
        etag: etag_header,
    })
}

impl From<BackendError> for FetchError {
    fn from(error: BackendError) -> Self {
        match error {
            BackendError::Transport(reason) => Self::Transport(reason),
            BackendError::Unauthorized(status) => Self::Unauthorized(status),
            BackendError::Status(failure) => Self::Status {
                status: failure.status,
                message: failure.message,
            },
        }
    }
}

/// Runs `fetch`, giving up with [`FetchError::Timeout`] after `timeout` on gpui's timer (which
/// tests can fake with `advance_clock`). Giving up drops the fetch, which cancels the request.
pub async fn with_timeout<T>(
    executor: &BackgroundExecutor,
    timeout: Duration,
    fetch: impl Future<Output = Result<T, FetchError>>,
) -> Result<T, FetchError> {
    let timer = executor.timer(timeout);
    match futures::future::select(std::pin::pin!(fetch), timer).await {
        futures::future::Either::Left((result, _)) => result,
        futures::future::Either::Right(((), _)) => Err(FetchError::Timeout(timeout)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::AccessToken;
    use futures::executor::block_on;
    use http_client::{AsyncBody, FakeHttpClient, Response};
    use parking_lot::Mutex;
    use std::sync::Arc;

    fn auth() -> BackendAuth {
        BackendAuth {
            access_token: AccessToken::new("token-123".to_string()),
            account_id: "acct_1".to_string(),
        }
    }

    fn config() -> Config {
        Config::with_urls("http://127.0.0.1:9", "http://127.0.0.1:9/backend").unwrap()
    }

    const BODY: &str = r#"{"models":[
        {"slug":"b","display_name":"B","visibility":"list","priority":2,"context_window":1000},
        {"slug":"a","display_name":"A","visibility":"list","priority":1,"context_window":1000}
    ]}"#;

    #[test]
    fn sends_the_headers_and_reads_the_list_and_etag() {
        block_on(async {
            let seen = Arc::new(Mutex::new(None));
            let http = FakeHttpClient::create({
                let seen = seen.clone();
                move |request| {
                    let seen = seen.clone();
                    async move {
                        *seen.lock() = Some(request.headers().clone());
                        assert_eq!(
                            request.uri().to_string(),
                            format!(
                                "http://127.0.0.1:9/backend/models?client_version={}",
                                crate::config::CLIENT_VERSION
                            )
                        );
                        Ok(Response::builder()
                            .status(200)
                            .header("ETag", "\"v1\"")
                            .body(BODY.into())
                            .unwrap())
                    }
                }
            });
            let outcome = fetch_models(http.as_ref(), &config(), &auth(), None).await;
            let FetchOutcome::Modified { models, etag } = outcome.unwrap() else {
                panic!("expected a list");
            };
            assert_eq!(etag.as_deref(), Some("\"v1\""));
            assert_eq!(models.listed[0].slug, "a");
            let headers = seen.lock().take().unwrap();
            assert_eq!(headers["Authorization"], "Bearer token-123");
            assert_eq!(headers["ChatGPT-Account-Id"], "acct_1");
            assert!(headers.get("If-None-Match").is_none());
        });
    }

    #[test]
    fn a_304_to_a_conditional_request_is_not_modified() {
        block_on(async {
            // A server that answers 304 to anything: only a conditional request may accept it.
            let http = FakeHttpClient::create(|_| async move {
                Ok(Response::builder()
                    .status(304)
                    .body(AsyncBody::empty())
                    .unwrap())
            });
            let outcome = fetch_models(http.as_ref(), &config(), &auth(), Some("\"v1\"")).await;
            assert_eq!(outcome, Ok(FetchOutcome::NotModified));
            let outcome = fetch_models(http.as_ref(), &config(), &auth(), None).await;
            assert_eq!(outcome, Err(FetchError::UnexpectedNotModified));
        });
    }

    #[test]
    fn statuses_become_errors_without_the_token() {
        block_on(async {
            let http = FakeHttpClient::create(|request| async move {
                let status = match request.headers().get("If-None-Match") {
                    Some(_) => 401,
                    None => 503,
                };
                Ok(Response::builder()
                    .status(status)
                    .body("{\"error\":{\"message\":\"server_is_overloaded\"}}".into())
                    .unwrap())
            });
            let error = fetch_models(http.as_ref(), &config(), &auth(), None)
                .await
                .unwrap_err();
            assert!(matches!(error, FetchError::Status { status: 503, .. }));
            assert!(error.to_string().contains("server_is_overloaded"));
            let error = fetch_models(http.as_ref(), &config(), &auth(), Some("e"))
                .await
                .unwrap_err();
            assert_eq!(error, FetchError::Unauthorized(401));
            assert!(!error.to_string().contains("token-123"));
        });
    }

    #[test]
    fn a_body_that_is_not_a_list_is_invalid() {
        block_on(async {
            let http = FakeHttpClient::create(|_| async move {
                Ok(Response::builder()
                    .status(200)
                    .body("<html>".into())
                    .unwrap())
            });
            let error = fetch_models(http.as_ref(), &config(), &auth(), None)
                .await
                .unwrap_err();
            assert!(matches!(error, FetchError::InvalidBody(_)));
        });
    }

    #[test]
    fn the_default_bound_is_the_reference_clients_five_seconds() {
        assert_eq!(DEFAULT_FETCH_TIMEOUT, Duration::from_secs(5));
        assert_eq!(
            crate::models::CatalogOptions::default().fetch_timeout,
            DEFAULT_FETCH_TIMEOUT
        );
    }

    #[gpui::test]
    async fn a_slow_fetch_times_out_on_the_gpui_timer(cx: &mut gpui::TestAppContext) {
        let executor = cx.executor();
        let task = executor.spawn({
            let executor = executor.clone();
            async move {
                with_timeout(
                    &executor,
                    Duration::from_secs(5),
                    futures::future::pending::<Result<(), FetchError>>(),
                )
                .await
            }
        });
        executor.advance_clock(Duration::from_secs(6));
        assert_eq!(task.await, Err(FetchError::Timeout(Duration::from_secs(5))));
    }
}
