//! Explicit compaction ([`compact`]): the thread, sent with a final `compaction_trigger` item,
//! comes back as the one `compaction` item that replaces it on later turns.
//!
//! The request takes a place among the model's four in flight like any other. Exactly one
//! compaction must come back: none (the backend ignored the trigger) or two (which one would
//! stand for the thread?) is an error, and the thread is left as it was.

use super::completion::{send_once_refreshing, to_host_error};
use super::request_limiter::Admission;
use super::state::State;
use crate::language_model::{
    CompactionResult, CompactionUpdate, LanguageModelCompletionError, LanguageModelCompletionEvent,
    LanguageModelRequest, TokenUsage,
};
use crate::models::ModelInfo;
use crate::responses::{InputItem, ResponsesError, build_request};
use futures::StreamExt as _;
use gpui::{AsyncApp, Entity, Task};

/// Compacts `request`'s thread on `model`.
pub fn compact(
    state: Entity<State>,
    model: ModelInfo,
    request: LanguageModelRequest,
    cx: &AsyncApp,
) -> Task<Result<CompactionResult, LanguageModelCompletionError>> {
    cx.spawn(async move |cx| {
        let mut body = build_request(&request, &model).map_err(to_host_error)?;
        // Compaction is the whole point of this request: no server-side compaction inside it.
        body.context_management = None;
        body.input.push(InputItem::CompactionTrigger);

        let limiter = state.read_with(cx, |state, _| state.request_limiter(&model.slug))?;
        let _slot = match limiter.admit() {
            Admission::Now(slot) => slot,
            Admission::Queued(ticket) => ticket.await,
        };
        let mut events = send_once_refreshing(&state, &body, cx).await?.events;
        let mut context = None;
        let mut usage = TokenUsage::default();
        while let Some(event) = events.next().await {
            match event.map_err(to_host_error)? {
                LanguageModelCompletionEvent::Compaction(CompactionUpdate::Finished(compacted)) => {
                    let earlier = context.replace(compacted);
                    if earlier.is_some() {
                        return Err(to_host_error(ResponsesError::Compaction(
                            "the backend returned two compactions for one request".into(),
                        )));
                    }
                }
                LanguageModelCompletionEvent::Compaction(CompactionUpdate::Failed) => {
                    return Err(to_host_error(ResponsesError::Compaction(
                        "the backend returned a compaction without its content".into(),
                    )));
                }
                LanguageModelCompletionEvent::UsageUpdate(update) => usage = update,
                _ => {}
            }
        }
        let context = context.ok_or_else(|| {
            to_host_error(ResponsesError::Compaction(
                "the backend returned no compaction".into(),
            ))
        })?;
        Ok(CompactionResult { context, usage })
    })
}
