//! Compaction on the ChatGPT backend, the way Zed's provider does it.
//!
//! - **Explicit**: the thread is sent with a final `{"type": "compaction_trigger"}` input item
//!   ([`InputItem::CompactionTrigger`]); the answer streams exactly one `compaction` output item
//!   whose `encrypted_content` is the compacted context.
//! - **Server-side**: a request with `context_management: [{"type": "compaction",
//!   "compact_threshold": N}]` lets the backend compact a long input itself; the compaction item
//!   then arrives in the answer, before the reply.
//!
//! Either way the item reaches the host as `CompactionUpdate::Finished(CompactedContext::
//! ProviderState(..))`: the replayable items as a JSON array, sealed in a
//! [`ProviderCompactionState`] owned by this provider. On later turns a
//! `MessageContent::Compaction` carrying that state replaces everything before it with those
//! items ([`compaction_input_items`]); state owned by another provider is ignored, and the full
//! thread is sent instead.

use super::error::ResponsesError;
use super::request::InputItem;
use crate::identity::PROVIDER_ID;
use gpui::SharedString;
use language_model::{CompactedContext, LanguageModelProviderId, ProviderCompactionState};

/// The name of this provider's compaction-state encoding: a JSON array of Responses input items.
pub const COMPACTION_STATE_FORMAT: &str = "openai.responses.compaction-items.v1";

/// Seals a `compaction` output item's `encrypted_content` as state this provider replays.
pub(crate) fn compaction_state(encrypted_content: &str) -> ProviderCompactionState {
    let items = vec![InputItem::Compaction {
        encrypted_content: encrypted_content.to_string(),
    }];
    // Serialising a Vec of plain structs and strings cannot fail.
    let payload = serde_json::to_string(&items).unwrap_or_default();
    ProviderCompactionState::new(
        PROVIDER_ID,
        SharedString::new_static(COMPACTION_STATE_FORMAT),
        payload,
    )
}

/// The input items a compacted context stands for, when this provider (`owner`) produced it;
/// `None` for state another provider owns (and for a summary without state), which is skipped.
pub(crate) fn compaction_input_items(
    context: &CompactedContext,
    owner: &LanguageModelProviderId,
) -> Result<Option<Vec<InputItem>>, ResponsesError> {
    let state = match context {
        CompactedContext::ProviderState(state) => state,
        CompactedContext::Summary {
            provider_state: Some(state),
            ..
        } => state,
        CompactedContext::Summary {
            provider_state: None,
            ..
        } => return Ok(None),
    };
    if state.provider_id() != owner {
        return Ok(None);
    }
    if state.format() != COMPACTION_STATE_FORMAT {
        return Err(ResponsesError::Compaction(format!(
            "the thread carries compaction state in an unknown format ({})",
            state.format()
        )));
    }
    let items: Vec<InputItem> = serde_json::from_str(state.payload()).map_err(|error| {
        ResponsesError::Compaction(format!("the thread's compaction state is damaged: {error}"))
    })?;
    if !items
        .iter()
        .all(|item| matches!(item, InputItem::Compaction { .. }))
    {
        return Err(ResponsesError::Compaction(
            "the thread's compaction state holds items other than compactions".into(),
        ));
    }
    Ok(Some(items))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_other_owners_are_skipped() {
        let state = compaction_state("opaque-state");
        assert_eq!(
            state.payload(),
            r#"[{"type":"compaction","encrypted_content":"opaque-state"}]"#
        );
        let context = CompactedContext::ProviderState(state.clone());
        assert_eq!(
            compaction_input_items(&context, &PROVIDER_ID).unwrap(),
            Some(vec![InputItem::Compaction {
                encrypted_content: "opaque-state".into()
            }])
        );
        let other = LanguageModelProviderId::new("anthropic");
        assert_eq!(compaction_input_items(&context, &other).unwrap(), None);
        let damaged = CompactedContext::ProviderState(ProviderCompactionState::new(
            PROVIDER_ID,
            COMPACTION_STATE_FORMAT.into(),
            "not json",
        ));
        assert!(compaction_input_items(&damaged, &PROVIDER_ID).is_err());
    }
}
