//! An incremental server-sent-events parser: bytes in, events out
//! ([HTML Living Standard §9.2.6, "Interpreting an event stream"][spec]).
//!
//! [`SseParser::push`] takes the body in whatever chunks the network delivers; it is correct for
//! any split: inside a line, inside a UTF-8 character (lines are cut only at `\n`/`\r`, which
//! never occur inside a multi-byte character, and text is decoded per whole event), and between
//! the `\r` and `\n` of a CRLF. It handles `data:` with or without its one optional space,
//! multi-line data (joined with `\n`), comment lines (`:`), and ignores unknown fields.
//!
//! Memory is bounded by the largest event: consumed bytes are dropped from the buffer on every
//! push, so the buffer holds at most one unfinished line plus the chunk being read.
//!
//! Written by hand because the benchmark showed it pays: `eventsource-stream` allocates a
//! `String` per line and per event and goes through a `Stream` per chunk; on a 50 MB stream of
//! realistic deltas it frames 255 MiB/s, this parser 1.57 GiB/s (6.3×; `benches/RESULTS.md`,
//! group `sse_framing_only`). It scans lines with `memchr` and hands out events that borrow
//! its buffer.
//!
//! [spec]: https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation

/// The most one SSE line or event may hold. The largest real event, `response.completed`,
/// repeats the whole answer (text, tool calls, encrypted reasoning): well under a MiB even for
/// a long answer. Past this the stream fails instead of buffering without bound.
/// ([`super::CompletionDecoder`] enforces it through [`SseParser::buffered_len`].)
pub const MAX_EVENT_BYTES: usize = 8 * 1024 * 1024;

/// One dispatched event. It borrows the parser until the next call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SseEvent<'a> {
    /// The `event:` field, or `"message"` when absent.
    pub event: &'a str,
    /// The `data:` lines joined with `\n` (decoded lossily if not UTF-8).
    pub data: &'a str,
}

/// The incremental parser.
#[derive(Default)]
pub struct SseParser {
    /// Unconsumed input: at most one unfinished line plus the newest chunk.
    buffer: Vec<u8>,
    /// Where unconsumed input starts in `buffer`.
    position: usize,
    /// How far `buffer` is known to hold no line end: a long line arriving in many chunks is
    /// scanned once, not once per chunk.
    scanned: usize,
    /// The previous chunk ended with `\r`: a `\n` starting the next one belongs to it.
    skip_line_feed: bool,
    /// The event being assembled.
    event_type: Vec<u8>,
    data: Vec<u8>,
    has_data: bool,
    /// The last dispatched event, decoded (owned so events can borrow it).
    dispatched_type: String,
    dispatched_data: String,
}

impl SseParser {
    /// A parser with nothing buffered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a chunk of the body. Call [`Self::next_event`] until it returns `None` afterwards.
    pub fn push(&mut self, chunk: &[u8]) {
        // Drop what earlier calls consumed before growing: this keeps memory bounded by the
        // largest unfinished line rather than by the whole body.
        if self.position > 0 {
            self.buffer.drain(..self.position);
            self.scanned = self.scanned.saturating_sub(self.position);
            self.position = 0;
        }
        let chunk = if self.skip_line_feed && !chunk.is_empty() {
            self.skip_line_feed = false;
            chunk.strip_prefix(b"\n").unwrap_or(chunk)
        } else {
            chunk
        };
        self.buffer.extend_from_slice(chunk);
    }

    /// The next complete event in what was pushed so far, if any.
    #[allow(
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        reason = "every offset is a memchr hit or a cursor inside the buffer, far below usize::MAX"
    )]
    pub fn next_event(&mut self) -> Option<SseEvent<'_>> {
        loop {
            let search_from = self.position.max(self.scanned);
            let Some(found) = memchr::memchr2(b'\n', b'\r', &self.buffer[search_from..]) else {
                self.scanned = self.buffer.len();
                return None;
            };
            let end = search_from + found - self.position;
            let rest = &self.buffer[self.position..];
            let line_start = self.position;
            let mut next = self.position + end + 1;
            if rest[end] == b'\r' {
                match self.buffer.get(next) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    // The `\n` of this CRLF may come with the next chunk.
                    None => self.skip_line_feed = true,
                }
            }
            self.position = next;
            if end == 0 {
                if self.dispatch() {
                    return Some(SseEvent {
                        event: &self.dispatched_type,
                        data: &self.dispatched_data,
                    });
                }
                continue;
            }
            self.field(line_start, line_start + end);
        }
    }

    /// The body ended: the event whose lines all arrived but whose closing blank line did not.
    ///
    /// The standard discards it; this parser dispatches it, because OpenAI's own minimal
    /// fixture ends that way and the Codex CLI reads it. An unfinished *line* is still dropped.
    pub fn finish(&mut self) -> Option<SseEvent<'_>> {
        let unfinished_line = self.buffer.len() > self.position;
        if unfinished_line || !self.dispatch() {
            return None;
        }
        Some(SseEvent {
            event: &self.dispatched_type,
            data: &self.dispatched_data,
        })
    }

    /// Interprets one non-empty line `buffer[start..end]`.
    #[allow(
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        reason = "called with a non-empty line inside the buffer; `colon` is a memchr hit in it"
    )]
    fn field(&mut self, start: usize, end: usize) {
        let line = &self.buffer[start..end];
        if line[0] == b':' {
            return; // a comment (keep-alive)
        }
        let (name, value) = match memchr::memchr(b':', line) {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        match name {
            b"data" => {
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
                self.has_data = true;
            }
            b"event" => {
                self.event_type.clear();
                self.event_type.extend_from_slice(value);
            }
            // `id` and `retry` matter for reconnection, which a completion stream never does;
            // other fields are ignored as the standard says.
            _ => {}
        }
    }

    /// Ends the event at a blank line; `false` when it had no data (the standard drops those).
    fn dispatch(&mut self) -> bool {
        if !self.has_data {
            self.event_type.clear();
            return false;
        }
        decode_into(&mut self.dispatched_data, &self.data);
        if self.event_type.is_empty() {
            self.dispatched_type.clear();
            self.dispatched_type.push_str("message");
        } else {
            decode_into(&mut self.dispatched_type, &self.event_type);
        }
        self.data.clear();
        self.event_type.clear();
        self.has_data = false;
        true
    }

    /// Bytes held for events not yet complete (for tests of the memory bound).
    pub fn buffered_len(&self) -> usize {
        self.buffer
            .len()
            .saturating_sub(self.position)
            .saturating_add(self.data.len())
    }
}

fn decode_into(target: &mut String, bytes: &[u8]) {
    target.clear();
    match std::str::from_utf8(bytes) {
        Ok(text) => target.push_str(text),
        Err(_) => target.push_str(&String::from_utf8_lossy(bytes)),
    }
}

#[cfg(test)]
#[allow(
    clippy::arithmetic_side_effects,
    reason = "tests compute expected values; clippy.toml exempts tests from the other lints only"
)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse_in_chunks(input: &[u8], splits: &[usize]) -> Vec<(String, String)> {
        let mut parser = SseParser::new();
        let mut events = Vec::new();
        let mut last = 0;
        for &split in splits.iter().chain(std::iter::once(&input.len())) {
            parser.push(&input[last..split]);
            last = split;
            while let Some(event) = parser.next_event() {
                events.push((event.event.to_string(), event.data.to_string()));
            }
        }
        events
    }

    const MIXED: &str = ": keep-alive\r\n\
        event: response.created\r\n\
        data: {\"a\":1}\r\n\
        \r\n\
        data:no space\n\
        id: 7\n\
        retry: 10\n\
        unknown: field\n\
        data\n\
        data:  two spaces, é and 漢字 and 🦀\n\
        \n\
        event: only-type\n\
        \n\
        data: cr only\r\r";

    fn expected_mixed() -> Vec<(String, String)> {
        vec![
            ("response.created".into(), "{\"a\":1}".into()),
            (
                "message".into(),
                "no space\n\n two spaces, é and 漢字 and 🦀".into(),
            ),
            ("message".into(), "cr only".into()),
        ]
    }

    #[test]
    fn fields_comments_and_line_endings() {
        assert_eq!(parse_in_chunks(MIXED.as_bytes(), &[]), expected_mixed());
    }

    #[test]
    fn every_single_and_double_split_gives_the_same_events() {
        let input = MIXED.as_bytes();
        for a in 0..=input.len() {
            assert_eq!(
                parse_in_chunks(input, &[a]),
                expected_mixed(),
                "split at {a}"
            );
            for b in a..=input.len() {
                assert_eq!(parse_in_chunks(input, &[a, b]), expected_mixed(), "{a},{b}");
            }
        }
        let bytewise: Vec<usize> = (1..input.len()).collect();
        assert_eq!(parse_in_chunks(input, &bytewise), expected_mixed());
    }

    #[test]
    fn incomplete_trailing_event_is_not_dispatched_and_memory_stays_bounded() {
        let mut parser = SseParser::new();
        let event = format!("data: {}\n\n", "x".repeat(1000));
        for _ in 0..10_000 {
            parser.push(event.as_bytes());
            while parser.next_event().is_some() {}
            assert!(parser.buffered_len() <= event.len());
        }
        parser.push(b"data: unfinished");
        assert!(parser.next_event().is_none());
        assert!(parser.finish().is_none(), "an unfinished line is dropped");
    }

    #[test]
    fn a_last_event_without_its_blank_line_is_dispatched_at_the_end() {
        let mut parser = SseParser::new();
        parser.push(b"event: a\ndata: 1\n\nevent: b\ndata: 2\n");
        assert_eq!(
            parser.next_event().map(|e| (e.event, e.data)),
            Some(("a", "1"))
        );
        assert!(parser.next_event().is_none());
        assert_eq!(parser.finish().map(|e| (e.event, e.data)), Some(("b", "2")));
        assert!(parser.finish().is_none());
    }

    fn line_ending() -> impl Strategy<Value = &'static str> {
        prop_oneof![Just("\n"), Just("\r\n"), Just("\r")]
    }

    proptest! {
        #[test]
        fn random_events_survive_random_splits(
            events in prop::collection::vec(
                (prop::option::of("[a-z.]{1,12}"), prop::collection::vec("[^\r\n]{0,20}", 1..4), line_ending()),
                1..12,
            ),
            splits in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
        ) {
            let mut input = String::new();
            let mut expected = Vec::new();
            for (kind, lines, eol) in &events {
                input.push_str(": comment");
                input.push_str(eol);
                if let Some(kind) = kind {
                    input.push_str(&format!("event: {kind}{eol}"));
                }
                for line in lines {
                    input.push_str(&format!("data: {line}{eol}"));
                }
                input.push_str(eol);
                // The one optional space after the colon is stripped, further ones kept.
                expected.push((
                    kind.clone().unwrap_or_else(|| "message".into()),
                    lines.join("\n"),
                ));
            }
            let bytes = input.as_bytes();
            let mut points: Vec<usize> = splits.iter().map(|i| i.index(bytes.len() + 1)).collect();
            points.sort_unstable();
            prop_assert_eq!(parse_in_chunks(bytes, &points), expected);
        }
    }
}
