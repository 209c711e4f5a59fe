//! Sending an [`OfficialRequest`] to `POST {api}/responses` and streaming its answer through the
//! one event mapper both routes share.
//!
//! A refused request becomes a [`ResponsesError`]: a bare 401 is
//! [`ResponsesError::Unauthorized`] (the caller refreshes once and retries once, siwc.md §5.2),
//! a documented refusal is [`ResponsesError::Official`] with its words, action and request id,
//! anything else is worded as any HTTP failure. An accepted answer streams its events; a
//! refusal that arrives mid-stream (`response.failed` with a usage limit after some text) ends
//! the stream with the same words, and the answer's request id. Only `response.completed` is
//! success: `response.incomplete` and a stream cut before a terminal event are reported apart
//! (the shared decoder does so). The official API reports no usage figures, so the stream
//! carries no usage-limit snapshot (siwc.md §4).

use super::api_request::{OfficialCall, read_capped, request_id, send_official};
use super::errors::OfficialApiError;
use super::request::OfficialRequest;
use crate::config::Config;
use crate::responses::{ResponseStream, ResponsesError, StreamWatch};
use crate::secret::AccessToken;
use futures::StreamExt as _;
use http_client::HttpClient;

/// Sends `request` once with `token`; `watch` bounds how long each phase may stall.
pub async fn send_official_request(
    http: &dyn HttpClient,
    config: &Config,
    token: &AccessToken,
    request: &OfficialRequest,
    watch: &StreamWatch,
) -> Result<ResponseStream, ResponsesError> {
    let body = serde_json::to_vec(request)?;
    let send = send_official(http, config, token, OfficialCall::Answer, Some(body));
    let first_byte = watch.first_byte_timer();
    futures::pin_mut!(send);
    let response = match futures::future::select(send, first_byte).await {
        futures::future::Either::Left((response, _)) => {
            response.map_err(|error| ResponsesError::Send {
                host: config
                    .official_responses_url()
                    .host_str()
                    .unwrap_or_default()
                    .to_string(),
                error,
            })?
        }
        futures::future::Either::Right(((), _)) => {
            return Err(crate::responses::Stall::FirstByte(watch.timeouts.first_byte).into());
        }
    };
    let (parts, body) = response.into_parts();
    let id = request_id(&parts.headers);
    if !parts.status.is_success() {
        let bytes = read_capped(body, OfficialCall::Answer).await?;
        let status = parts.status.as_u16();
        return Err(
            match OfficialApiError::from_http(status, &bytes, id.clone()) {
                Some(refusal)
                    if refusal.next_step() == super::errors::NextStep::RefreshThenSignIn =>
                {
                    ResponsesError::Unauthorized {
                        message: refusal.to_string(),
                    }
                }
                Some(refusal) => ResponsesError::Official(refusal),
                None => ResponsesError::from_http(
                    parts.status,
                    &parts.headers,
                    &bytes,
                    chrono::Utc::now(),
                ),
            },
        );
    }
    let events = crate::responses::watched_completion_events(body, Some(watch.clone()))
        .map(move |event| {
            event.map_err(|error| match error {
                ResponsesError::Official(refusal) => {
                    ResponsesError::Official(refusal.with_request_id(id.as_deref()))
                }
                other => other,
            })
        })
        .boxed();
    Ok(ResponseStream {
        usage_limits: None,
        models_etag: None,
        events,
    })
}
