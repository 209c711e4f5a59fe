//! The per-thread chain: what the socket's last request and answer were, and whether the next
//! request can be sent as a delta (`previous_response_id` + the new items) or must go in full.
//!
//! Nothing is kept but hashes: one 64-bit hash of every field but `input`, and one per input
//! item. The rules (`codex-websocket.md`, section 3), in order:
//! 1. a new socket has no chain: full;
//! 2. the last answer did not complete (failed, cut, cancelled): full;
//! 3. any field but `input` changed (model, instructions, tools, effort, verbosity, tier…): full;
//! 4. the new input does not start with the last input followed by the last answer's output
//!    items (history edited, compacted, truncated): full;
//! 5. otherwise: a delta naming the last response, with the items after that prefix.

use crate::responses::request::{InputItem, ResponsesRequest};
use serde::Serialize;
use std::hash::{Hash, Hasher};
use xxhash_rust::xxh3::Xxh3;

/// A request reduced to what the rules compare.
pub(crate) struct RequestHashes {
    fields: u64,
    items: Vec<u64>,
}

impl RequestHashes {
    /// Hashes `request`'s fields and each of its items once.
    pub(crate) fn of(request: &ResponsesRequest) -> Self {
        Self {
            fields: fields_hash(request),
            items: request.input.iter().map(item_hash).collect(),
        }
    }
}

/// Why a request goes in full.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FullReason {
    /// The socket is new: the server knows nothing of the thread.
    NewSocket,
    /// The last answer on this socket did not complete.
    LastAnswerUnfinished,
    /// A field other than the input changed.
    SettingsChanged,
    /// The input is not the last one plus the answer plus new items.
    HistoryEdited,
}

/// How the next request goes out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FramePlan {
    /// The whole input, no `previous_response_id`.
    Full(FullReason),
    /// Only `input[skip..]`, chained on `previous_response_id`.
    Delta {
        previous_response_id: String,
        skip: usize,
    },
}

/// The socket's memory of its last request and answer.
pub(crate) struct Chain {
    fields: u64,
    /// The last request's input, then (once it completed) its answer's output items.
    baseline: Vec<u64>,
    /// The last answer's id, once it completed.
    response_id: Option<String>,
}

impl Chain {
    /// How `request` (hashed) goes out on a socket whose chain is `chain`.
    pub(crate) fn plan(chain: Option<&Chain>, request: &RequestHashes) -> FramePlan {
        let Some(chain) = chain else {
            return FramePlan::Full(FullReason::NewSocket);
        };
        let Some(response_id) = &chain.response_id else {
            return FramePlan::Full(FullReason::LastAnswerUnfinished);
        };
        if chain.fields != request.fields {
            return FramePlan::Full(FullReason::SettingsChanged);
        }
        if !request.items.starts_with(&chain.baseline) {
            return FramePlan::Full(FullReason::HistoryEdited);
        }
        FramePlan::Delta {
            previous_response_id: response_id.clone(),
            skip: chain.baseline.len(),
        }
    }

    /// The chain once `request` was sent (its answer not complete yet).
    pub(crate) fn sent(request: RequestHashes) -> Self {
        Self {
            fields: request.fields,
            baseline: request.items,
            response_id: None,
        }
    }

    /// The answer `response_id` completed with these output items (as the next request will
    /// replay them).
    pub(crate) fn completed(&mut self, response_id: String, output: Vec<u64>) {
        self.baseline.extend(output);
        self.response_id = Some(response_id);
    }
}

/// The hash of an item's identity: the item as it is sent, except that a reasoning item is
/// its encrypted content alone. The backend returns reasoning with its summary in parts; a host
/// replays the summary the user saw (joined, or none), and the server continues from its own
/// copy anyway: the opaque content is what names the item.
pub(crate) fn item_hash(item: &InputItem) -> u64 {
    let mut hasher = Xxh3::new();
    match item {
        InputItem::Reasoning {
            encrypted_content, ..
        } => {
            "reasoning".hash(&mut hasher);
            encrypted_content.hash(&mut hasher);
        }
        item => item.hash(&mut hasher),
    }
    hasher.finish()
}

/// Every field but `input`, borrowed, for one hash.
#[derive(Serialize)]
struct Fields<'a> {
    model: &'a str,
    instructions: &'a str,
    tools: &'a [crate::responses::request::Tool],
    tool_choice: &'a Option<crate::responses::request::ToolChoice>,
    parallel_tool_calls: Option<bool>,
    reasoning: &'a Option<crate::responses::request::ReasoningParams>,
    store: bool,
    stream: bool,
    include: &'a [String],
    prompt_cache_key: &'a Option<String>,
    text: &'a Option<crate::responses::request::TextParams>,
    service_tier: &'a Option<crate::responses::request::ServiceTier>,
    context_management: &'a Option<Vec<crate::responses::request::ContextManagement>>,
}

fn fields_hash(request: &ResponsesRequest) -> u64 {
    let fields = Fields {
        model: &request.model,
        instructions: &request.instructions,
        tools: &request.tools,
        tool_choice: &request.tool_choice,
        parallel_tool_calls: request.parallel_tool_calls,
        reasoning: &request.reasoning,
        store: request.store,
        stream: request.stream,
        include: &request.include,
        prompt_cache_key: &request.prompt_cache_key,
        text: &request.text,
        service_tier: &request.service_tier,
        context_management: &request.context_management,
    };
    // Tool schemas are JSON values (not `Hash`): their serialization streams into the hasher,
    // with no buffer.
    let mut writer = HashWriter(Xxh3::new());
    if serde_json::to_writer(&mut writer, &fields).is_err() {
        // Cannot happen for these types; a hash nothing matches forces a full frame.
        return rand::random();
    }
    writer.0.finish()
}

struct HashWriter(Xxh3);

impl std::io::Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::responses::request::{ContentPart, MessageRole};

    fn user(text: &str) -> InputItem {
        InputItem::Message {
            role: MessageRole::User,
            content: vec![ContentPart::InputText { text: text.into() }],
        }
    }

    fn request(input: Vec<InputItem>) -> ResponsesRequest {
        ResponsesRequest {
            model: "m".into(),
            instructions: "i".into(),
            input,
            tools: Vec::new(),
            tool_choice: None,
            parallel_tool_calls: None,
            reasoning: None,
            store: false,
            stream: true,
            include: Vec::new(),
            prompt_cache_key: Some("t".into()),
            text: None,
            service_tier: None,
            context_management: None,
        }
    }

    #[test]
    fn the_rules_decide_between_delta_and_full() {
        let first = request(vec![user("a")]);
        assert_eq!(
            Chain::plan(None, &RequestHashes::of(&first)),
            FramePlan::Full(FullReason::NewSocket)
        );
        let mut chain = Chain::sent(RequestHashes::of(&first));
        let answer = user("answer");
        let next = request(vec![user("a"), answer.clone(), user("b")]);
        assert_eq!(
            Chain::plan(Some(&chain), &RequestHashes::of(&next)),
            FramePlan::Full(FullReason::LastAnswerUnfinished)
        );
        chain.completed("resp_1".into(), vec![item_hash(&answer)]);
        assert_eq!(
            Chain::plan(Some(&chain), &RequestHashes::of(&next)),
            FramePlan::Delta {
                previous_response_id: "resp_1".into(),
                skip: 2
            }
        );
        let edited = request(vec![user("A"), answer, user("b")]);
        assert_eq!(
            Chain::plan(Some(&chain), &RequestHashes::of(&edited)),
            FramePlan::Full(FullReason::HistoryEdited)
        );
        let mut other_model = next.clone();
        other_model.model = "other".into();
        assert_eq!(
            Chain::plan(Some(&chain), &RequestHashes::of(&other_model)),
            FramePlan::Full(FullReason::SettingsChanged)
        );
    }
}
