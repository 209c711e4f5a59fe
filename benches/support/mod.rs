//! A realistic `/responses` SSE stream for the benchmarks, generated deterministically: the
//! shapes and field sets of the real backend's events (sequence numbers, item ids, `logprobs`,
//! `obfuscation` padding), text deltas of a few words with the escapes and non-ASCII text code
//! answers contain, a reasoning summary first and usage last. [`agent_thread`] generates the
//! other direction: a realistic 150-turn agent thread, for the request-cost benchmarks.

#![allow(dead_code)]

pub mod agent_thread;

const WORDS: &[&str] = &[
    "the",
    "function",
    "returns",
    "a",
    "`Result`",
    "when",
    "parsing",
    "fails;",
    "otherwise",
    "it",
    "yields",
    "each",
    "event",
    "in",
    "order.",
    "Let's",
    "look",
    "at",
    "src/lib.rs:",
    "\n```rust\n",
    "fn main() {",
    "println!(\"{}\", x);",
    "}\n```\n",
    "naïve",
    "café",
    "—",
    "漢字",
    "🦀",
    "\"quoted\"",
    "\\path",
    "tab\there",
    "1.",
    "2.",
    "**bold**",
    "\n\n- ",
];

/// A small deterministic generator (xorshift), so every run streams the same bytes.
pub struct Rng(u64);

impl Rng {
    pub fn new() -> Self {
        Self(0x2545_F491_4F6C_DD1D)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn delta(&mut self) -> String {
        let words = 1 + self.next() % 4;
        let mut text = String::new();
        for _ in 0..words {
            text.push(' ');
            text.push_str(WORDS[(self.next() % WORDS.len() as u64) as usize]);
        }
        text
    }
}

fn event(out: &mut Vec<u8>, value: serde_json::Value) {
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(value["type"].as_str().unwrap().as_bytes());
    out.extend_from_slice(b"\ndata: ");
    serde_json::to_writer(&mut *out, &value).unwrap();
    out.extend_from_slice(b"\n\n");
}

/// The opening events: created, a reasoning item with a summary, the message item.
pub fn head(rng: &mut Rng) -> Vec<u8> {
    use serde_json::json;
    let mut out = Vec::new();
    event(
        &mut out,
        json!({"type": "response.created", "sequence_number": 0,
        "response": {"id": "resp_68a1", "object": "response", "status": "in_progress",
                     "model": "gpt-5.5", "instructions": "You are a coding agent.", "tools": []}}),
    );
    event(
        &mut out,
        json!({"type": "response.output_item.added", "sequence_number": 1, "output_index": 0,
        "item": {"id": "rs_68a1", "type": "reasoning", "summary": []}}),
    );
    event(
        &mut out,
        json!({"type": "response.reasoning_summary_part.added", "sequence_number": 2,
        "item_id": "rs_68a1", "output_index": 0, "summary_index": 0, "part": {"type": "summary_text", "text": ""}}),
    );
    for n in 0..50 {
        event(
            &mut out,
            json!({"type": "response.reasoning_summary_text.delta", "sequence_number": 3 + n,
            "item_id": "rs_68a1", "output_index": 0, "summary_index": 0, "delta": rng.delta(), "obfuscation": "Xa9"}),
        );
    }
    event(
        &mut out,
        json!({"type": "response.output_item.done", "sequence_number": 60, "output_index": 0,
        "item": {"id": "rs_68a1", "type": "reasoning", "summary": [], "encrypted_content": "gAAAAABo".repeat(200)}}),
    );
    event(
        &mut out,
        json!({"type": "response.output_item.added", "sequence_number": 61, "output_index": 1,
        "item": {"id": "msg_68a1", "type": "message", "status": "in_progress", "content": [], "role": "assistant"}}),
    );
    out
}

/// Text deltas until `out` has at least `bytes` more bytes; returns the text's length.
pub fn text_deltas(rng: &mut Rng, sequence: &mut u64, bytes: usize, out: &mut Vec<u8>) -> usize {
    use serde_json::json;
    let target = out.len() + bytes;
    let mut text = 0;
    while out.len() < target {
        *sequence += 1;
        let delta = rng.delta();
        text += delta.len();
        event(
            out,
            json!({"type": "response.output_text.delta", "sequence_number": *sequence,
            "item_id": "msg_68a1", "output_index": 1, "content_index": 0,
            "delta": delta, "logprobs": [], "obfuscation": "k3Jq9z"}),
        );
    }
    text
}

/// The closing events: the message done (without its text, to keep it small) and usage.
pub fn tail() -> Vec<u8> {
    use serde_json::json;
    let mut out = Vec::new();
    event(
        &mut out,
        json!({"type": "response.output_item.done", "sequence_number": 999_999, "output_index": 1,
        "item": {"id": "msg_68a1", "type": "message", "status": "completed", "content": [], "role": "assistant"}}),
    );
    event(
        &mut out,
        json!({"type": "response.completed", "sequence_number": 1_000_000,
        "response": {"id": "resp_68a1", "status": "completed", "usage": {"input_tokens": 12000,
            "input_tokens_details": {"cached_tokens": 8000}, "output_tokens": 900000,
            "output_tokens_details": {"reasoning_tokens": 1200}, "total_tokens": 912000}}}),
    );
    out
}

/// A whole stream of about `bytes` bytes.
pub fn stream(bytes: usize) -> Vec<u8> {
    let mut rng = Rng::new();
    let mut out = head(&mut rng);
    let mut sequence = 100;
    text_deltas(
        &mut rng,
        &mut sequence,
        bytes.saturating_sub(out.len()),
        &mut out,
    );
    out.extend(tail());
    out
}
