//! A refusal that ends an answer after it was accepted, noted on the provider [`State`] as a
//! refusal before the stream is.
//!
//! On the official route a usage limit may arrive as `response.failed` after text has streamed
//! (`shared/spec/siwc.md` §4, §5.3). The host gets it as the stream's error; the card must show
//! it too, with the same banner as a limit refused before the stream ("Manage usage", no reset
//! time), until an answer completes. The stream is the host's and `Send`, the state lives on the
//! foreground: the stream hands the refusal over a one-shot channel to a small foreground task
//! that records it. When the stream ends without one (or is dropped), the channel closes and the
//! task ends with nothing to do. The task is detached rather than held by the stream: the host
//! may drop the stream as soon as it reads the error, before the task has run.
//!
//! Only the official route's refusals are noted here: the Codex route's usage bars come from the
//! answer's headers and its own refusals, as before.

use super::state::State;
use crate::responses::ResponsesError;
use crate::siwc::OfficialApiError;
use futures::StreamExt as _;
use futures::channel::oneshot;
use futures::stream::BoxStream;
use gpui::{AsyncApp, Entity};
use language_model::LanguageModelCompletionEvent;

/// An answer's events, as the transports yield them.
pub(crate) type AnswerEvents =
    BoxStream<'static, Result<LanguageModelCompletionEvent, ResponsesError>>;

/// `events`, recording on `state` an official refusal that ends them.
pub(crate) fn note_refusal_mid_stream(
    events: AnswerEvents,
    state: &Entity<State>,
    cx: &AsyncApp,
) -> AnswerEvents {
    let (sender, receiver) = oneshot::channel::<OfficialApiError>();
    let state = state.downgrade();
    cx.spawn(async move |cx| {
        // `Err` when the stream ended or was dropped without a refusal.
        if let Ok(refusal) = receiver.await {
            state
                .update(cx, |state, cx| {
                    state.record_refusal(&ResponsesError::Official(refusal), cx)
                })
                .ok();
        }
    })
    .detach();
    let mut sender = Some(sender);
    events
        .inspect(move |event| {
            if let Err(ResponsesError::Official(refusal)) = event
                && let Some(sender) = sender.take()
            {
                sender.send(refusal.clone()).ok();
            }
        })
        .boxed()
}
