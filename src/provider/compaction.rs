//! Explicit compaction ([`compact`]): the thread, sent with a final `compaction_trigger` item,
//! comes back as the one `compaction` item that replaces it on later turns.
//!
//! The request takes a place among the model's four in flight like any other. Exactly one
//! compaction must come back: none (the backend ignored the trigger) or two (which one would
//! stand for the thread?) is an error, and the thread is left as it was.

use super::completion::{send_once_refreshing, to_host_error};
use super::request_limiter::Admission;
use super::state::State;
use crate::models::ModelInfo;
use crate::responses::{InputItem, ResponsesError, build_request};
use futures::StreamExt as _;
use futures::stream::BoxStream;
use gpui::{AsyncApp, Entity, Task};
use language_model::{
    CompactionResult, CompactionUpdate, LanguageModelCompletionError, LanguageModelCompletionEvent,
    LanguageModelRequest, TokenUsage,
};

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
        let events = send_once_refreshing(&state, &body, cx).await?.events;
        the_one_compaction(events).await.map_err(to_host_error)
    })
}

/// The one compaction an answer carries, with the answer's usage; none or two is an error.
pub(crate) async fn the_one_compaction(
    mut events: BoxStream<'static, Result<LanguageModelCompletionEvent, ResponsesError>>,
) -> Result<CompactionResult, ResponsesError> {
    let mut context = None;
    let mut usage = TokenUsage::default();
    while let Some(event) = events.next().await {
        match event? {
            LanguageModelCompletionEvent::Compaction(CompactionUpdate::Finished(compacted)) => {
                let earlier = context.replace(compacted);
                if earlier.is_some() {
                    return Err(ResponsesError::Compaction(
                        "the backend returned two compactions for one request".into(),
                    ));
                }
            }
            LanguageModelCompletionEvent::Compaction(CompactionUpdate::Failed) => {
                return Err(ResponsesError::Compaction(
                    "the backend returned a compaction without its content".into(),
                ));
            }
            LanguageModelCompletionEvent::UsageUpdate(update) => usage = update,
            _ => {}
        }
    }
    let context = context
        .ok_or_else(|| ResponsesError::Compaction("the backend returned no compaction".into()))?;
    Ok(CompactionResult { context, usage })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::responses::completion_events;
    use language_model::CompactedContext;

    /// Zed's compaction stream (`tests/fixtures/real/`): one compaction item.
    const ONE: &[u8] =
        include_bytes!("../../tests/fixtures/real/zed_compaction_stream_test_literal.sse");
    /// OpenAI's minimal stream: a message, no compaction.
    const NONE: &[u8] =
        include_bytes!("../../tests/fixtures/real/codex_cli_responses_fixture_handwritten.sse");

    fn compaction_of(body: Vec<u8>) -> Result<CompactionResult, ResponsesError> {
        futures::executor::block_on(the_one_compaction(completion_events(
            futures::io::Cursor::new(body),
        )))
    }

    #[test]
    fn exactly_one_compaction_is_the_answer() {
        let result = compaction_of(ONE.to_vec()).unwrap();
        let CompactedContext::ProviderState(state) = result.context else {
            panic!("{:?}", result.context)
        };
        assert!(state.payload().contains("opaque-state"));

        let error = compaction_of(NONE.to_vec()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "compaction failed: the backend returned no compaction"
        );

        // The same item twice (the fixture's two item events repeated before its completion).
        let text = std::str::from_utf8(ONE).unwrap();
        let (items, completed) =
            text.split_at(text.find("data: {\"type\":\"response.completed").unwrap());
        let twice = format!("{items}{items}{completed}");
        let error = compaction_of(twice.into_bytes()).unwrap_err();
        assert!(error.to_string().contains("two compactions"), "{error}");
    }
}
