//! One completion, end to end: a place in the account's budget and among the model's requests
//! in flight, fresh credentials, the request, one retry after a forced refresh on 401, the
//! answer's headers recorded on the provider state, and — when the account's requests are
//! coordinated — a short-wait refusal waited out by the account instead of by each request.
//!
//! When no place is free, the host gets its event stream at once, and it opens with
//! `Queued { position }` (again each time the line moves); the request is sent when its turn
//! comes, and a refusal then arrives as the stream's error. A request refused with a short wait
//! pauses the account ([`super::account_coordinator`]), goes back to the front of the line and
//! reports `Queued` again until it is sent once more. Dropping the stream, queued or streaming,
//! frees the place ([`super::request_limiter`]).

use super::account_coordinator::{AccountCoordinator, MAX_RATE_LIMIT_RETRIES, short_wait};
use super::request_limiter::{Admission, Place, RequestLimiter, RequestSlot};
use super::state::State;
use crate::auth::AuthError;
use crate::backend_request::BackendAuth;
use crate::config::{Config, Transport};
use crate::identity::PROVIDER_NAME;
use crate::models::ModelInfo;
use crate::responses::websocket::{
    WebSocketFailure, WebSocketPool, WebSocketRefusals, prewarm, send_over_websocket,
};
use crate::responses::{
    ResponseStream, ResponsesError, ResponsesRequest, StreamWatch, ZstdRefusals, build_request,
    send_request_remembering,
};
use crate::route::Route;
use crate::siwc::{OfficialRequest, send_official_request};
use futures::future::{self, BoxFuture, Either, LocalBoxFuture};
use futures::stream::{self, BoxStream};
use futures::{FutureExt as _, StreamExt as _};
use gpui::{AsyncApp, Entity, Task};
use http_client::HttpClient;
use language_model::{
    LanguageModelCompletionError, LanguageModelCompletionEvent, LanguageModelRequest,
};
use std::sync::Arc;

/// The event stream the host drains.
pub(crate) type CompletionEvents =
    BoxStream<'static, Result<LanguageModelCompletionEvent, LanguageModelCompletionError>>;

/// The places a request holds while it is sent and streams: the account's (when coordinated)
/// and its model's. Dropping them frees both.
struct Places {
    _account: Option<RequestSlot>,
    _model: RequestSlot,
}

/// Where a request stands in the lines.
enum Turn {
    /// Both places were free.
    Now(Places),
    /// It waits: its positions (1 = next) and the places when its turn comes.
    Later {
        positions: Option<BoxStream<'static, usize>>,
        places: BoxFuture<'static, Places>,
    },
}

/// The lines one completion goes through.
#[derive(Clone)]
struct Lines {
    account: AccountCoordinator,
    model: RequestLimiter,
}

impl Lines {
    /// Joins the account's line at `place` (when coordinated), then the model's.
    fn take_turn(&self, place: Place) -> Turn {
        let account = match self.account.admit(place) {
            None => None,
            Some(Admission::Now(slot)) => Some(slot),
            Some(Admission::Queued(mut ticket)) => {
                let positions = ticket.positions().map(|positions| positions.boxed());
                let model = self.model.clone();
                let places = async move {
                    let account = ticket.await;
                    let model = match model.admit() {
                        Admission::Now(slot) => slot,
                        Admission::Queued(ticket) => ticket.await,
                    };
                    Places {
                        _account: Some(account),
                        _model: model,
                    }
                };
                return Turn::Later {
                    positions,
                    places: places.boxed(),
                };
            }
        };
        match self.model.admit() {
            Admission::Now(model) => Turn::Now(Places {
                _account: account,
                _model: model,
            }),
            Admission::Queued(mut ticket) => Turn::Later {
                positions: ticket.positions().map(|positions| positions.boxed()),
                places: async move {
                    Places {
                        _account: account,
                        _model: ticket.await,
                    }
                }
                .boxed(),
            },
        }
    }
}

/// Starts a completion. With free places, the request is sent before the future resolves (a
/// refusal is its error); otherwise the future resolves at once to a stream that reports the
/// place in line first.
pub(crate) fn start_completion(
    state: Entity<State>,
    model: ModelInfo,
    request: LanguageModelRequest,
    cx: &AsyncApp,
) -> BoxFuture<'static, Result<CompletionEvents, LanguageModelCompletionError>> {
    // Bad input (an image for a text-only model, oversized instructions) fails before any
    // network traffic, and before taking a place in line.
    let route = match state.read_with(cx, |state, cx| state.route(cx)) {
        Ok(route) => route.unwrap_or_default(),
        Err(error) => {
            return future::ready(Err(LanguageModelCompletionError::Other(error))).boxed();
        }
    };
    // On the official route, a request the preview forbids is refused here, unsent.
    let body = match build_request(&request, &model).and_then(|body| RoutedBody::new(body, route)) {
        Ok(body) => Arc::new(body),
        Err(error) => return future::ready(Err(to_host_error(error))).boxed(),
    };
    let lines = match state.read_with(cx, |state, _| Lines {
        account: state.account_coordinator(),
        model: state.request_limiter(&model.slug),
    }) {
        Ok(lines) => lines,
        Err(error) => {
            return future::ready(Err(LanguageModelCompletionError::Other(error))).boxed();
        }
    };
    match lines.take_turn(Place::Last) {
        Turn::Now(places) => {
            let task = cx.spawn(async move |cx| {
                send_in_turn(state, body, places, lines, 0, cx.clone()).await
            });
            task.boxed()
        }
        Turn::Later { positions, places } => {
            let task = cx.spawn(async move |cx| {
                let places = places.await;
                send_in_turn(state, body, places, lines, 0, cx.clone()).await
            });
            future::ready(Ok(queued_then(positions, task))).boxed()
        }
    }
}

/// Sends `body` holding `places`, which are held until the answer's stream is dropped. A
/// short-wait refusal, when coordinated, pauses the account and sends the request again from
/// the front of the line (its stream then reports `Queued` first).
fn send_in_turn(
    state: Entity<State>,
    body: Arc<RoutedBody>,
    places: Places,
    lines: Lines,
    retries: u32,
    mut cx: AsyncApp,
) -> LocalBoxFuture<'static, Result<CompletionEvents, LanguageModelCompletionError>> {
    async move {
        let error = match send_routed_refreshing(&state, &body, &mut cx).await? {
            Ok(answer) => {
                lines.account.accepted();
                return Ok(answer
                    .events
                    .map(move |event| {
                        // The places live as long as the stream: dropping the stream frees them.
                        let _held = &places;
                        event.map_err(to_host_error)
                    })
                    .boxed());
            }
            Err(error) => error,
        };
        let wait = short_wait(&error).filter(|_| {
            lines.account.mode() == super::RequestCoordination::PerAccount
                && retries < MAX_RATE_LIMIT_RETRIES
        });
        let Some(wait) = wait else {
            let offer = if is_usage_limit(&error) {
                state
                    .read_with(&cx, |state, cx| state.switch_offer(cx))
                    .ok()
                    .flatten()
            } else {
                None
            };
            return Err(with_switch_offer(to_host_error(error), offer));
        };
        // The account waits, not this request alone: free the places, pause, rejoin in front.
        drop(places);
        state.update(&mut cx, |state, cx| state.pause_for_rate_limit(wait, cx))?;
        let retries = retries.saturating_add(1);
        match lines.take_turn(Place::First) {
            Turn::Now(places) => send_in_turn(state, body, places, lines, retries, cx).await,
            Turn::Later { positions, places } => {
                let task = cx.spawn(async move |cx| {
                    let places = places.await;
                    send_in_turn(state, body, places, lines, retries, cx.clone()).await
                });
                Ok(queued_then(positions, task))
            }
        }
    }
    .boxed_local()
}

/// `Queued { position }` each time the line moves, then the answer's events (or the error that
/// refused it).
fn queued_then(positions: Option<BoxStream<'static, usize>>, task: AnswerTask) -> CompletionEvents {
    stream::unfold(Phase::Waiting { positions, task }, |phase| async move {
        match phase {
            Phase::Waiting {
                positions: Some(mut positions),
                mut task,
            } => match future::select(positions.next(), &mut task).await {
                Either::Left((Some(position), _)) => Some((
                    Ok(LanguageModelCompletionEvent::Queued { position }),
                    Phase::Waiting {
                        positions: Some(positions),
                        task,
                    },
                )),
                // The turn came: no more positions; wait for the answer.
                Either::Left((None, _)) => first_event(task.await).await,
                Either::Right((answer, _)) => first_event(answer).await,
            },
            Phase::Waiting {
                positions: None,
                task,
            } => first_event(task.await).await,
            Phase::Streaming(mut events) => events
                .next()
                .await
                .map(|event| (event, Phase::Streaming(events))),
            Phase::Done => None,
        }
    })
    .boxed()
}

type AnswerTask = Task<Result<CompletionEvents, LanguageModelCompletionError>>;
type EventResult = Result<LanguageModelCompletionEvent, LanguageModelCompletionError>;

/// Where a queued completion's stream stands.
enum Phase {
    /// In line (positions until the turn comes), or being sent.
    Waiting {
        positions: Option<BoxStream<'static, usize>>,
        task: AnswerTask,
    },
    /// The answer streams.
    Streaming(CompletionEvents),
    /// Refused; nothing follows.
    Done,
}

async fn first_event(
    answer: Result<CompletionEvents, LanguageModelCompletionError>,
) -> Option<(EventResult, Phase)> {
    match answer {
        Ok(mut events) => events
            .next()
            .await
            .map(|event| (event, Phase::Streaming(events))),
        Err(error) => Some((Err(error), Phase::Done)),
    }
}

/// A request body in the form of the session's route: the Codex backend's, or the official
/// API's under the preview's rules ([`OfficialRequest`]).
pub(crate) enum RoutedBody {
    /// For `{backend}/responses`.
    Codex(ResponsesRequest),
    /// For `{official api}/responses`.
    Official(OfficialRequest),
}

impl RoutedBody {
    /// `body` for `route`; what the official route's preview forbids is dropped or refused.
    pub(crate) fn new(body: ResponsesRequest, route: Route) -> Result<Self, ResponsesError> {
        Ok(match route {
            Route::CodexBackend => Self::Codex(body),
            Route::SignInWithChatGpt => Self::Official(OfficialRequest::from_mapped(body)?),
        })
    }
}

/// Sends a body mapped for the Codex route by the session's route (see
/// [`send_routed_refreshing`]): the compaction request's way.
pub(crate) async fn send_once_refreshing(
    state: &Entity<State>,
    body: &ResponsesRequest,
    cx: &mut AsyncApp,
) -> Result<ResponseStream, LanguageModelCompletionError> {
    let route = state
        .read_with(cx, |state, cx| state.route(cx))?
        .unwrap_or_default();
    let body = RoutedBody::new(body.clone(), route).map_err(to_host_error)?;
    send_routed_refreshing(state, &body, cx)
        .await?
        .map_err(to_host_error)
}

/// Sends `body` with fresh credentials; after a 401, refreshes once and sends once more. The
/// answer's headers (or the refusal) are recorded on the provider state. The backend's refusal
/// is kept as it is (the outer error is one that never reached the backend: the app closed, no
/// sign-in).
async fn send_routed_refreshing(
    state: &Entity<State>,
    body: &RoutedBody,
    cx: &mut AsyncApp,
) -> Result<Result<ResponseStream, ResponsesError>, LanguageModelCompletionError> {
    let (http, config, auth, refusals, websockets) = state.read_with(cx, |state, _| {
        let (http, config) = (state.http(), state.config().clone());
        let websockets = Websockets {
            pool: state.websockets(),
            refusals: state.websocket_refusals(),
        };
        (
            http,
            config,
            state.auth().clone(),
            state.zstd_refusals(),
            websockets,
        )
    })?;
    let watch = StreamWatch::on_executor(
        state.read_with(cx, |state, _| state.stream_timeouts())?,
        cx.background_executor().clone(),
    );

    let credentials = auth
        .update(cx, |auth, cx| auth.get_fresh_credentials(cx))?
        .await
        .map_err(auth_to_host_error)?;
    let http = http.as_ref();
    let transport = Sending {
        http,
        config: &config,
        body,
        watch: &watch,
        zstd_refusals: &refusals,
        websockets: &websockets,
    };
    let mut answer = transport.send(&credentials).await;
    if matches!(&answer, Err(error) if error.is_unauthorized()) {
        // The token was refused although it looked fresh (revoked, rotated elsewhere):
        // refresh once and retry once.
        log::info!("the backend refused the access token; refreshing once and retrying");
        let renewed = auth
            .update(cx, |auth, cx| {
                auth.force_refresh(&credentials.access_token, cx)
            })?
            .await
            .map_err(auth_to_host_error)?;
        answer = transport.send(&renewed).await;
    }

    match answer {
        Ok(mut stream) => {
            if let RoutedBody::Official(_) = body {
                // A limit after text has streamed goes on the card like one before it.
                stream.events =
                    super::mid_stream_refusal::note_refusal_mid_stream(stream.events, state, cx);
            }
            let usage_limits = stream.usage_limits.take();
            let models_etag = stream.models_etag.take();
            state.update(cx, |state, cx| {
                state.record_answer(usage_limits, models_etag, cx)
            })?;
            Ok(Ok(stream))
        }
        Err(error) => {
            state.update(cx, |state, cx| state.record_refusal(&error, cx))?;
            Ok(Err(error))
        }
    }
}

/// Pre-warms the socket of `request`'s thread: its prompt (model, instructions, tools, effort)
/// with no input and `generate: false`, so the first turn finds an open socket and a response
/// to chain on. Nothing happens over HTTP, for a backend that refused the WebSocket (a refusal
/// now is remembered), or when no socket opens (the first turn then connects itself).
pub(crate) async fn prewarm_thread(
    state: Entity<State>,
    model: ModelInfo,
    request: LanguageModelRequest,
    cx: &mut AsyncApp,
) -> Result<(), LanguageModelCompletionError> {
    let body = build_request(&request, &model).map_err(to_host_error)?;
    let (config, auth, websockets, timeouts) = state.read_with(cx, |state, _| {
        let websockets = Websockets {
            pool: state.websockets(),
            refusals: state.websocket_refusals(),
        };
        (
            state.config().clone(),
            state.auth().clone(),
            websockets,
            state.stream_timeouts(),
        )
    })?;
    let route = state
        .read_with(cx, |state, cx| state.route(cx))?
        .unwrap_or_default();
    let url = crate::responses::websocket::websocket_url_of(&config);
    if route != Route::CodexBackend
        || config.transport != Transport::WebSocket
        || websockets.refusals.is_refused(url.as_str())
    {
        return Ok(());
    }
    let watch = StreamWatch::on_executor(timeouts, cx.background_executor().clone());
    let credentials = auth
        .update(cx, |auth, cx| auth.get_fresh_credentials(cx))?
        .await
        .map_err(auth_to_host_error)?;
    match prewarm(&websockets.pool, &config, &credentials, &body, &watch).await {
        Ok(()) => Ok(()),
        Err(WebSocketFailure::Refused(status)) => {
            log::info!("the backend refused the WebSocket (HTTP {status}); using HTTP");
            websockets.refusals.remember(url.as_str());
            Ok(())
        }
        Err(WebSocketFailure::Unreachable(why)) => {
            log::debug!("no pre-warm: {why}");
            Ok(())
        }
        Err(WebSocketFailure::Answer(error)) => Err(to_host_error(error)),
    }
}

/// The WebSocket transport's share of the provider state.
struct Websockets {
    pool: Arc<WebSocketPool>,
    refusals: WebSocketRefusals,
}

/// One request on its way, by the configured transport.
struct Sending<'a> {
    http: &'a dyn HttpClient,
    config: &'a Config,
    body: &'a RoutedBody,
    watch: &'a StreamWatch,
    zstd_refusals: &'a ZstdRefusals,
    websockets: &'a Websockets,
}

impl Sending<'_> {
    /// Over the thread's WebSocket unless the transport is HTTP or this backend refused the
    /// upgrade before; a refused upgrade (remembered) or an unreachable socket falls back to
    /// HTTP at once.
    async fn send(&self, credentials: &BackendAuth) -> Result<ResponseStream, ResponsesError> {
        match self.body {
            RoutedBody::Codex(body) => self.send_to_codex_backend(body, credentials).await,
            // The official route is HTTP only (siwc.md §4: no `previous_response_id` over HTTP,
            // and no documented WebSocket).
            RoutedBody::Official(body) => {
                send_official_request(
                    self.http,
                    self.config,
                    &credentials.access_token,
                    body,
                    self.watch,
                )
                .await
            }
        }
    }

    /// The Codex route: over the thread's WebSocket unless the transport is HTTP or this backend
    /// refused the upgrade before.
    async fn send_to_codex_backend(
        &self,
        body: &ResponsesRequest,
        credentials: &BackendAuth,
    ) -> Result<ResponseStream, ResponsesError> {
        let url = crate::responses::websocket::websocket_url_of(self.config);
        let use_websocket = self.config.transport == Transport::WebSocket
            && !self.websockets.refusals.is_refused(url.as_str());
        if use_websocket {
            match send_over_websocket(
                &self.websockets.pool,
                self.config,
                credentials,
                body,
                self.watch,
            )
            .await
            {
                Ok(answer) => return Ok(answer),
                Err(WebSocketFailure::Answer(error)) => return Err(error),
                Err(WebSocketFailure::Refused(status)) => {
                    log::info!(
                        "the backend refused the WebSocket (HTTP {status}); using HTTP, and \
                         remembering it"
                    );
                    self.websockets.refusals.remember(url.as_str());
                }
                Err(WebSocketFailure::Unreachable(why)) => {
                    log::info!("no WebSocket to the backend ({why}); using HTTP this time");
                }
            }
        }
        send_request_remembering(
            self.http,
            self.config,
            credentials,
            body,
            self.watch,
            self.zstd_refusals,
        )
        .await
    }
}

/// Whether the plan's usage limit refused the request (either route).
fn is_usage_limit(error: &ResponsesError) -> bool {
    match error {
        ResponsesError::UsageLimitReached { .. } => true,
        ResponsesError::Official(refusal) => {
            refusal.refusal == crate::siwc::OfficialRefusal::UsageLimitReached
        }
        _ => false,
    }
}

/// A usage-limit refusal's message, followed by the offer of another signed-in account with
/// room (issue 28: switching instead of waiting; offered, never made).
fn with_switch_offer(
    error: LanguageModelCompletionError,
    offer: Option<super::SwitchOffer>,
) -> LanguageModelCompletionError {
    match (error, offer) {
        (
            LanguageModelCompletionError::ProviderRejection {
                provider,
                status,
                code,
                message,
                retry_after,
                category,
            },
            Some(offer),
        ) => LanguageModelCompletionError::ProviderRejection {
            provider,
            status,
            code,
            message: format!("{} {}.", message.trim_end(), offer.sentence),
            retry_after,
            category,
        },
        (error, _) => error,
    }
}

pub(crate) fn to_host_error(error: ResponsesError) -> LanguageModelCompletionError {
    error.to_completion_error(PROVIDER_NAME)
}

/// Auth failures in the host's terms: not signed in is `NoApiKey` (the host then shows the
/// sign-in prompt); an ended session is an authentication error with the words to show.
fn auth_to_host_error(error: AuthError) -> LanguageModelCompletionError {
    match error {
        AuthError::NotSignedIn => LanguageModelCompletionError::NoApiKey {
            provider: PROVIDER_NAME,
        },
        error if error.needs_sign_in() => LanguageModelCompletionError::from_http_status(
            PROVIDER_NAME,
            http_client::StatusCode::UNAUTHORIZED,
            error.to_string(),
            None,
        ),
        error => LanguageModelCompletionError::Other(anyhow::anyhow!(error.to_string())),
    }
}
