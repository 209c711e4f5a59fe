//! One completion, end to end: fresh credentials, the request, one retry after a forced refresh
//! on 401, and the answer's headers recorded on the provider state.

use super::PROVIDER_NAME;
use super::state::State;
use crate::auth::AuthError;
use crate::language_model::{
    LanguageModelCompletionError, LanguageModelCompletionEvent, LanguageModelRequest,
};
use crate::models::ModelInfo;
use crate::responses::{ResponsesError, build_request, send_request};
use futures::StreamExt as _;
use futures::stream::BoxStream;
use gpui::{AsyncApp, Entity, Task};

/// The event stream the host drains.
pub type CompletionEvents =
    BoxStream<'static, Result<LanguageModelCompletionEvent, LanguageModelCompletionError>>;

/// Starts a completion on the app's foreground executor (it updates the state entity); the
/// returned task is `Send`, so the host can await it from anywhere.
pub fn start_completion(
    state: Entity<State>,
    model: ModelInfo,
    request: LanguageModelRequest,
    cx: &AsyncApp,
) -> Task<Result<CompletionEvents, LanguageModelCompletionError>> {
    cx.spawn(async move |cx| {
        // Bad input (an image for a text-only model, oversized instructions) fails before any
        // network traffic.
        let body = build_request(&request, &model).map_err(to_host_error)?;
        let (http, config, auth) = state.read_with(cx, |state, _| {
            (state.http(), state.config().clone(), state.auth().clone())
        })?;

        let credentials = auth
            .update(cx, |auth, cx| auth.get_fresh_credentials(cx))?
            .await
            .map_err(auth_to_host_error)?;
        let mut answer = send_request(http.as_ref(), &config, &credentials, &body).await;
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
            answer = send_request(http.as_ref(), &config, &renewed, &body).await;
        }

        match answer {
            Ok(stream) => {
                state.update(cx, |state, cx| {
                    state.record_answer(stream.usage_limits, stream.models_etag, cx)
                })?;
                Ok(stream
                    .events
                    .map(|event| event.map_err(to_host_error))
                    .boxed())
            }
            Err(error) => {
                state.update(cx, |state, cx| state.record_refusal(&error, cx))?;
                Err(to_host_error(error))
            }
        }
    })
}

fn to_host_error(error: ResponsesError) -> LanguageModelCompletionError {
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
