//! [`CompletionDecoder`]: body bytes → completion events, synchronously.
//!
//! It chains the three stages — [`SseParser`] (bytes → SSE events), [`ResponsesEvent::parse`]
//! (JSON → typed event) and [`EventMapper`] (typed event → host events) — without any I/O, so
//! the same code serves the network stream ([`super::stream`]), the tests that split a recorded
//! stream at every byte, and the benchmarks.

use super::error::ResponsesError;
use super::event_mapping::EventMapper;
use super::events::ResponsesEvent;
use super::sse::{MAX_EVENT_BYTES, SseParser};
use language_model::LanguageModelCompletionEvent;

/// Decodes one response's body.
#[derive(Default)]
pub struct CompletionDecoder {
    sse: SseParser,
    mapper: EventMapper,
    /// SSE events with data taken so far (comments are not events).
    events_seen: u64,
}

impl CompletionDecoder {
    /// A decoder for a new response.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds a chunk of the body, appending the completion events it completes to `out`.
    ///
    /// An error ends the response: events before it are in `out`, nothing after it is read.
    pub fn push(
        &mut self,
        chunk: &[u8],
        out: &mut Vec<LanguageModelCompletionEvent>,
    ) -> Result<(), ResponsesError> {
        self.sse.push(chunk);
        while !self.mapper.is_finished() {
            let Some(sse_event) = self.sse.next_event() else {
                break;
            };
            self.events_seen = self.events_seen.saturating_add(1);
            let data = sse_event.data.trim_ascii();
            if data.is_empty() || data == "[DONE]" {
                continue;
            }
            let event = ResponsesEvent::parse(data)?;
            self.mapper.handle(event, out)?;
        }
        // The parser holds one unfinished line and event at most: bound them.
        if self.sse.buffered_len() > MAX_EVENT_BYTES {
            return Err(ResponsesError::EventTooLarge {
                limit: MAX_EVENT_BYTES,
            });
        }
        Ok(())
    }

    /// Feeds one whole event's JSON (a WebSocket message), appending the completion events it
    /// stands for to `out`: the same mapping as the SSE path's.
    pub(crate) fn push_event(
        &mut self,
        data: &str,
        out: &mut Vec<LanguageModelCompletionEvent>,
    ) -> Result<(), ResponsesError> {
        if self.mapper.is_finished() {
            return Ok(());
        }
        self.events_seen = self.events_seen.saturating_add(1);
        let event = ResponsesEvent::parse(data)?;
        self.mapper.handle(event, out)
    }

    /// How many SSE events carrying data were taken so far: the stream's sign of progress
    /// (keep-alive comments do not count).
    pub(crate) fn events_seen(&self) -> u64 {
        self.events_seen
    }

    /// Whether the response reached a terminal event (nothing more needs reading).
    pub fn is_finished(&self) -> bool {
        self.mapper.is_finished()
    }

    /// The body ended: an error unless the response reached a terminal event.
    pub fn finish(&self) -> Result<(), ResponsesError> {
        self.mapper.finish()
    }

    /// The body ended: maps a last event that lacked only its closing blank line
    /// ([`SseParser::finish`]), then [`Self::finish`].
    pub(crate) fn end_of_body(
        &mut self,
        out: &mut Vec<LanguageModelCompletionEvent>,
    ) -> Result<(), ResponsesError> {
        if !self.mapper.is_finished()
            && let Some(sse_event) = self.sse.finish()
        {
            let data = sse_event.data.trim_ascii();
            if !data.is_empty() && data != "[DONE]" {
                let event = ResponsesEvent::parse(data)?;
                self.mapper.handle(event, out)?;
            }
        }
        self.finish()
    }

    /// Bytes buffered for events not yet complete.
    pub fn buffered_len(&self) -> usize {
        self.sse.buffered_len()
    }
}

#[cfg(test)]
#[allow(
    clippy::arithmetic_side_effects,
    reason = "tests compute expected values; clippy.toml exempts tests from the other lints only"
)]
mod tests {
    use super::*;
    use language_model::LanguageModelCompletionEvent as Event;

    /// A stream recorded from the backend's shapes: reasoning with two summary parts, text with
    /// multi-byte characters, a tool call, keep-alive comments, CRLF line endings, usage.
    const RECORDED: &str = include_str!("testdata/recorded.sse");

    fn decode(splits: &[usize]) -> (Vec<Event>, Result<(), String>) {
        let bytes = RECORDED.as_bytes();
        let mut decoder = CompletionDecoder::new();
        let mut events = Vec::new();
        let mut last = 0;
        for &split in splits.iter().chain(std::iter::once(&bytes.len())) {
            if let Err(error) = decoder.push(&bytes[last..split], &mut events) {
                return (events, Err(error.to_string()));
            }
            last = split;
        }
        (events, decoder.finish().map_err(|error| error.to_string()))
    }

    #[test]
    fn recorded_stream_decodes_to_the_same_events_at_every_split_point() {
        let (whole, result) = decode(&[]);
        assert_eq!(result, Ok(()));
        assert!(whole.len() > 10, "{whole:?}");
        assert!(matches!(whole.last(), Some(Event::Stop(_))));
        let text: String = whole
            .iter()
            .filter_map(|event| match event {
                Event::Text(text) => Some(text.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(text, "Voilà — naïve 漢字 🦀 done.");
        for split in 0..=RECORDED.len() {
            let (events, result) = decode(&[split]);
            assert_eq!(result, Ok(()), "split at {split}");
            // Splits may cut a delta event in two only at the SSE level; events are identical.
            assert_eq!(events, whole, "split at {split}");
        }
    }

    #[test]
    fn truncated_recording_ends_unexpectedly() {
        let cut = RECORDED.find("response.completed").unwrap();
        let mut decoder = CompletionDecoder::new();
        let mut events = Vec::new();
        decoder
            .push(&RECORDED.as_bytes()[..cut], &mut events)
            .unwrap();
        assert!(matches!(
            decoder.finish(),
            Err(ResponsesError::StreamEndedUnexpectedly)
        ));
    }

    #[test]
    fn a_line_without_end_fails_past_the_limit_with_memory_bounded() {
        let mut decoder = CompletionDecoder::new();
        let mut events = Vec::new();
        decoder.push(b"data: ", &mut events).unwrap();
        let chunk = vec![b'x'; 16 * 1024];
        let mut pushed = 0;
        let error = loop {
            match decoder.push(&chunk, &mut events) {
                Ok(()) => pushed += chunk.len(),
                Err(error) => break error,
            }
            assert!(decoder.buffered_len() <= MAX_EVENT_BYTES, "{pushed}");
            assert!(pushed < 4 * MAX_EVENT_BYTES, "never refused");
        };
        assert!(
            matches!(error, ResponsesError::EventTooLarge { .. }),
            "{error:?}"
        );
        assert!(decoder.buffered_len() <= MAX_EVENT_BYTES + chunk.len());
    }

    #[test]
    fn an_event_split_over_many_data_lines_is_bounded_too() {
        let mut decoder = CompletionDecoder::new();
        let mut events = Vec::new();
        let line = format!("data: {}\n", "y".repeat(64 * 1024));
        let error = (0..4 * MAX_EVENT_BYTES / line.len())
            .find_map(|_| decoder.push(line.as_bytes(), &mut events).err())
            .expect("refused");
        assert!(
            matches!(error, ResponsesError::EventTooLarge { .. }),
            "{error:?}"
        );
    }

    #[test]
    fn keep_alive_comments_are_not_progress() {
        let mut decoder = CompletionDecoder::new();
        let mut events = Vec::new();
        decoder
            .push(b": keep-alive\n\n: keep-alive\n\n", &mut events)
            .unwrap();
        assert_eq!(decoder.events_seen(), 0);
        decoder
            .push(
                b"data: {\"type\":\"response.in_progress\",\"response\":{}}\n\n",
                &mut events,
            )
            .unwrap();
        assert_eq!(decoder.events_seen(), 1);
    }

    proptest::proptest! {
        /// Random text and reasoning deltas (any Unicode, quotes, escapes), framed with random
        /// line endings and split at random points, decode to exactly those deltas.
        #[test]
        fn random_events_at_random_splits(
            deltas in proptest::collection::vec((proptest::bool::ANY, "\\PC{1,12}"), 1..30),
            crlf in proptest::bool::ANY,
            splits in proptest::collection::vec(proptest::prelude::any::<proptest::sample::Index>(), 0..10),
        ) {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut body = String::new();
            let mut frame = |value: serde_json::Value| {
                body.push_str(&format!("event: {}{eol}data: {value}{eol}{eol}", value["type"].as_str().unwrap()));
            };
            frame(serde_json::json!({"type": "response.created", "response": {"id": "r"}}));
            let mut expected = vec![Event::StartMessage { message_id: "r".into() }];
            for (thinking, delta) in &deltas {
                if *thinking {
                    frame(serde_json::json!({"type": "response.reasoning_summary_text.delta", "delta": delta}));
                    expected.push(Event::Thinking { text: delta.clone(), signature: None });
                } else {
                    frame(serde_json::json!({"type": "response.output_text.delta", "delta": delta}));
                    expected.push(Event::Text(delta.clone()));
                }
            }
            frame(serde_json::json!({"type": "response.completed", "response": {}}));
            expected.push(Event::Stop(language_model::StopReason::EndTurn));

            let bytes = body.as_bytes();
            let mut points: Vec<usize> = splits.iter().map(|i| i.index(bytes.len() + 1)).collect();
            points.sort_unstable();
            let mut decoder = CompletionDecoder::new();
            let mut events = Vec::new();
            let mut last = 0;
            for point in points.into_iter().chain(std::iter::once(bytes.len())) {
                decoder.push(&bytes[last..point], &mut events).unwrap();
                last = point;
            }
            proptest::prop_assert!(decoder.finish().is_ok());
            proptest::prop_assert_eq!(events, expected);
        }
    }
}
