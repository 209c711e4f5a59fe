//! A realistic agent thread for the request-cost benchmarks, deterministic from a seed.
//!
//! Each turn is what a coding agent's turn looks like on the wire: a user message (a request in
//! prose, sometimes with a pasted error or snippet), an assistant message with a reasoning
//! summary, the encrypted reasoning item (base64 of ciphertext: incompressible, 1.5–9 kB as the
//! backend returns them), a few words of text and one to three tool calls with JSON arguments,
//! then the tool results: source files (Rust with varied identifiers, comments and string
//! literals), `cargo` and `grep` output, directory listings. The system prompt and a dozen tool
//! schemas are Zed-agent-sized. As in real sessions, some reads are re-reads of a file read
//! before (after an edit), and edits quote lines the agent read. The thread at turn `n` is a prefix of the thread at turn `n + 1`,
//! as in a real session, where every turn re-sends all earlier ones.

#![allow(dead_code)]

use base64::Engine as _;
use language_model::{
    LanguageModelRequest, LanguageModelRequestMessage, LanguageModelRequestTool,
    LanguageModelToolResult, LanguageModelToolResultContent, LanguageModelToolUse,
    LanguageModelToolUseInput, MessageContent, Role,
};
use std::sync::Arc;

/// How often a `read_file` re-reads a file read earlier in the thread (after an edit), as agents
/// do to check their edits.
const RE_READ_PERCENT: usize = 30;

/// A small deterministic generator (xorshift64*), so a seed always gives the same thread.
pub struct ThreadRng(u64);

impl ThreadRng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `low..high`.
    pub fn range(&mut self, low: usize, high: usize) -> usize {
        low + (self.next() % (high - low) as u64) as usize
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.range(0, items.len())]
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.range(0, 100) < percent
    }
}

const NOUNS: &[&str] = &[
    "request",
    "token",
    "stream",
    "parser",
    "buffer",
    "catalog",
    "model",
    "session",
    "config",
    "credential",
    "refresh",
    "event",
    "decoder",
    "handler",
    "listener",
    "thread",
    "limit",
    "window",
    "cache",
    "entry",
    "path",
    "message",
    "tool",
    "result",
    "schema",
    "header",
    "body",
    "client",
    "server",
    "state",
    "task",
    "provider",
    "account",
    "error",
    "retry",
    "timeout",
    "channel",
];
const VERBS: &[&str] = &[
    "parse", "build", "send", "read", "write", "check", "map", "decode", "encode", "refresh",
    "load", "store", "update", "render", "count", "split", "merge", "spawn", "cancel", "flush",
];
const TYPES: &[&str] = &[
    "String",
    "u64",
    "usize",
    "bool",
    "Vec<u8>",
    "Option<String>",
    "Arc<str>",
    "Duration",
    "Result<()>",
    "HashMap<String, u64>",
    "&str",
    "serde_json::Value",
];
const PROSE: &[&str] = &[
    "The failing test expects the refresh to happen once even when two requests race.",
    "Let me look at how the stream decoder handles a partial event at the end of a chunk.",
    "I will update the handler so it reads the body in fixed-size chunks instead.",
    "This keeps the public API unchanged while fixing the ordering problem.",
    "The error comes from the borrow checker: the buffer is still borrowed by the parser.",
    "Next, I need to check every caller of this function for the same assumption.",
    "Now the tests pass locally; let me run clippy to make sure nothing regressed.",
    "The catalog is cached on disk with its ETag, so a 304 keeps the old list.",
    "Could you also make sure the configuration view shows the plan name?",
    "Please add a test for the case where the token expires during the request.",
    "Why does the count differ from what the backend reports for the same input?",
    "Refactor this so that the retry policy lives in one place.",
];
const COMMANDS: &[&str] = &[
    "cargo test --lib",
    "cargo clippy --all-targets -- -D warnings",
    "cargo build",
    "git status --short",
    "git diff --stat",
    "rg -n \"fn send_request\" src",
    "ls -la src/responses",
];
const TOOL_NAMES: &[&str] = &[
    "read_file",
    "edit_file",
    "grep",
    "terminal",
    "list_directory",
    "find_path",
    "diagnostics",
    "create_directory",
    "delete_path",
    "copy_path",
    "fetch",
    "now",
];

fn words(rng: &mut ThreadRng, count: usize, into: &mut String) {
    for index in 0..count {
        if index > 0 {
            into.push(' ');
        }
        into.push_str(if rng.chance(40) {
            rng.pick(NOUNS)
        } else if rng.chance(50) {
            rng.pick(VERBS)
        } else {
            rng.pick(&[
                "the", "a", "of", "to", "and", "in", "when", "is", "it", "for",
            ])
        });
    }
}

fn prose(rng: &mut ThreadRng, sentences: usize) -> String {
    let mut text = String::new();
    for index in 0..sentences {
        if index > 0 {
            text.push(' ');
        }
        if rng.chance(60) {
            text.push_str(rng.pick(PROSE));
        } else {
            let mut sentence = String::new();
            let count = rng.range(6, 18);
            words(rng, count, &mut sentence);
            let mut chars = sentence.chars();
            if let Some(first) = chars.next() {
                text.extend(first.to_uppercase());
                text.push_str(chars.as_str());
            }
            text.push('.');
        }
    }
    text
}

/// Between `low` and `high - 1` sentences.
fn prose_between(rng: &mut ThreadRng, low: usize, high: usize) -> String {
    let sentences = rng.range(low, high);
    prose(rng, sentences)
}

fn identifier(rng: &mut ThreadRng) -> String {
    format!("{}_{}", rng.pick(VERBS), rng.pick(NOUNS))
}

fn type_name(rng: &mut ThreadRng) -> String {
    let noun = rng.pick(NOUNS);
    let mut name: String = noun[..1].to_uppercase();
    name.push_str(&noun[1..]);
    name.push_str(rng.pick(&["", "State", "Options", "Error", "Info", "Kind", "Builder"]));
    name
}

/// A Rust source file of about `bytes` bytes, line-numbered as an agent's `read_file` shows it.
fn source_file(rng: &mut ThreadRng, bytes: usize) -> String {
    let mut code = String::from("//! ");
    code.push_str(&prose(rng, 2));
    code.push_str("\n\nuse anyhow::{Context as _, Result};\nuse std::sync::Arc;\n\n");
    while code.len() < bytes {
        let ty = type_name(rng);
        match rng.range(0, 3) {
            0 => {
                code.push_str(&format!(
                    "/// {}\n#[derive(Clone, Debug)]\npub struct {ty} {{\n",
                    prose(rng, 1)
                ));
                for _ in 0..rng.range(2, 6) {
                    code.push_str(&format!(
                        "    /// {}\n    pub {}: {},\n",
                        prose(rng, 1),
                        rng.pick(NOUNS),
                        rng.pick(TYPES)
                    ));
                }
                code.push_str("}\n\n");
            }
            1 => {
                let name = identifier(rng);
                code.push_str(&format!(
                    "/// {}\npub fn {name}({}: &{ty}, {}: {}) -> Result<{}> {{\n",
                    prose(rng, 1),
                    rng.pick(NOUNS),
                    rng.pick(NOUNS),
                    rng.pick(TYPES),
                    rng.pick(TYPES)
                ));
                for _ in 0..rng.range(3, 9) {
                    let line = match rng.range(0, 5) {
                        0 => format!(
                            "    let {} = {}(&{})?;\n",
                            rng.pick(NOUNS),
                            identifier(rng),
                            rng.pick(NOUNS)
                        ),
                        1 => format!(
                            "    if {}.is_empty() {{\n        anyhow::bail!(\"{}\");\n    }}\n",
                            rng.pick(NOUNS),
                            prose(rng, 1)
                        ),
                        2 => format!("    // {}\n", prose(rng, 1)),
                        3 => format!(
                            "    for {} in {}.iter() {{\n        {}.push({}.clone());\n    }}\n",
                            rng.pick(NOUNS),
                            rng.pick(NOUNS),
                            rng.pick(NOUNS),
                            rng.pick(NOUNS)
                        ),
                        _ => format!(
                            "    let {} = {}.{}().context(\"{} failed\")?;\n",
                            rng.pick(NOUNS),
                            rng.pick(NOUNS),
                            identifier(rng),
                            rng.pick(VERBS)
                        ),
                    };
                    code.push_str(&line);
                }
                code.push_str("    Ok(Default::default())\n}\n\n");
            }
            _ => {
                code.push_str(&format!("impl {ty} {{\n    /// {}\n    pub fn new() -> Self {{\n        Self::default()\n    }}\n}}\n\n", prose(rng, 1)));
            }
        }
    }
    code.lines()
        .enumerate()
        .map(|(number, line)| format!("{:>4} {line}\n", number + 1))
        .collect()
}

/// Command output: compiler diagnostics, test results, a listing or search hits.
fn command_output(rng: &mut ThreadRng, command: &str) -> String {
    let mut output = String::new();
    if command.starts_with("cargo") {
        for _ in 0..rng.range(3, 25) {
            output.push_str(&format!(
                "   Compiling {}-{} v0.{}.{}\n",
                rng.pick(NOUNS),
                rng.pick(NOUNS),
                rng.range(1, 20),
                rng.range(0, 9)
            ));
        }
        if rng.chance(50) {
            let file = format!("src/{}/{}.rs", rng.pick(NOUNS), rng.pick(NOUNS));
            output.push_str(&format!(
                "error[E0{}]: {}\n  --> {file}:{}:{}\n   |\n{} |     let {} = {}(&{});\n   |         ^^^^ {}\n\n",
                rng.range(100, 800),
                prose(rng, 1),
                rng.range(1, 400),
                rng.range(1, 60),
                rng.range(10, 400),
                rng.pick(NOUNS),
                identifier(rng),
                rng.pick(NOUNS),
                prose(rng, 1)
            ));
        }
        for _ in 0..rng.range(0, 40) {
            output.push_str(&format!(
                "test {}::tests::{} ... ok\n",
                rng.pick(NOUNS),
                identifier(rng)
            ));
        }
        output.push_str(&format!(
            "    Finished `dev` profile [unoptimized + debuginfo] target(s) in {}.{:02}s\n",
            rng.range(1, 90),
            rng.range(0, 99)
        ));
    } else {
        for _ in 0..rng.range(4, 40) {
            output.push_str(&format!(
                "src/{}/{}.rs:{}:    {}\n",
                rng.pick(NOUNS),
                rng.pick(NOUNS),
                rng.range(1, 500),
                prose(rng, 1)
            ));
        }
    }
    output
}

/// Encrypted reasoning as the backend returns it: base64 of random-looking ciphertext.
fn encrypted_reasoning(rng: &mut ThreadRng) -> String {
    let length = rng.range(1_100, 6_800);
    let bytes: Vec<u8> = (0..length).map(|_| rng.next() as u8).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn tools() -> Vec<LanguageModelRequestTool> {
    TOOL_NAMES
        .iter()
        .map(|name| LanguageModelRequestTool {
            name: name.to_string(),
            description: format!(
                "{name}: used by the agent to work on the project. Paths are relative to a \
                 project root. Prefer this tool over the terminal where it applies; outputs \
                 longer than the limit are truncated with a note saying so."
            ),
            input_schema: serde_json::json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "A path relative to a project root."},
                    "query": {"type": "string", "description": "A regular expression."},
                    "start_line": {"type": "integer", "minimum": 1},
                    "end_line": {"type": "integer", "minimum": 1},
                    "command": {"type": "string", "description": "A shell command."},
                },
                "required": ["path"],
                "additionalProperties": false,
            }),
            use_input_streaming: false,
        })
        .collect()
}

/// One turn's messages: the user's request, the assistant's reasoning, text and tool calls,
/// and the tool results.
fn turn(
    rng: &mut ThreadRng,
    index: usize,
    files: &mut Vec<(String, String)>,
) -> Vec<LanguageModelRequestMessage> {
    let mut messages = Vec::new();
    let mut user = prose_between(rng, 1, 4);
    if rng.chance(20) {
        user.push_str("\n\n```\n");
        user.push_str(&command_output(rng, "cargo test"));
        user.push_str("```");
    }
    messages.push(message(Role::User, vec![MessageContent::Text(user)]));

    let mut assistant = vec![
        MessageContent::Thinking {
            text: format!("**{}**\n\n{}", prose(rng, 1), prose_between(rng, 2, 5)),
            signature: None,
        },
        MessageContent::RedactedThinking(encrypted_reasoning(rng)),
        MessageContent::Text(prose_between(rng, 1, 4)),
    ];
    let mut results = Vec::new();
    for call in 0..rng.range(1, 4) {
        let id = format!("call_{index:03}_{call}_{:08x}", rng.next() as u32);
        let name = rng.pick(&[
            "read_file",
            "read_file",
            "grep",
            "terminal",
            "edit_file",
            "list_directory",
        ]);
        let path = format!("src/{}/{}.rs", rng.pick(NOUNS), rng.pick(NOUNS));
        let (input, output) = match name {
            "read_file" if !files.is_empty() && rng.chance(RE_READ_PERCENT) => {
                // A file read before, re-read after an edit: the same text with a line added.
                let which = rng.range(0, files.len());
                let (path, content) = &mut files[which];
                let mut lines: Vec<String> = content.lines().map(str::to_string).collect();
                let at = rng.range(0, lines.len());
                lines.insert(at, format!("     // {}", prose(rng, 1)));
                *content = lines.join("\n");
                (
                    serde_json::json!({"path": path.clone(), "start_line": 1, "end_line": lines.len()}),
                    content.clone(),
                )
            }
            "read_file" => {
                let bytes = rng.range(1_500, 9_000);
                let content = source_file(rng, bytes);
                files.push((path.clone(), content.clone()));
                (
                    serde_json::json!({"path": path, "start_line": 1, "end_line": content.lines().count()}),
                    content,
                )
            }
            "grep" => {
                let query = format!("fn {}", identifier(rng));
                (
                    serde_json::json!({"path": "src", "query": query}),
                    command_output(rng, "rg"),
                )
            }
            "terminal" => {
                let command = rng.pick(COMMANDS);
                (
                    serde_json::json!({"path": ".", "command": command}),
                    command_output(rng, command),
                )
            }
            "edit_file" => (
                {
                    // Edits quote text the agent read: a few lines of a file read before.
                    let (path, old_text) = match files.len() {
                        0 => (path.clone(), source_file(rng, 300)),
                        count => {
                            let (path, content) = &files[rng.range(0, count)];
                            let lines: Vec<&str> = content.lines().collect();
                            let start = rng.range(0, lines.len().saturating_sub(8).max(1));
                            let end = (start + 8).min(lines.len());
                            (path.clone(), lines[start..end].join("\n"))
                        }
                    };
                    let new_text = format!("{old_text}\n// {}", prose(rng, 1));
                    serde_json::json!({"path": path, "old_text": old_text, "new_text": new_text})
                },
                format!(
                    "Edited {path}: 1 hunk, +{} -{}",
                    rng.range(1, 30),
                    rng.range(1, 30)
                ),
            ),
            _ => (
                serde_json::json!({"path": path}),
                (0..rng.range(5, 30))
                    .map(|_| format!("{path}/{}.rs\n", rng.pick(NOUNS)))
                    .collect(),
            ),
        };
        let raw_input = input.to_string();
        assistant.push(MessageContent::ToolUse(LanguageModelToolUse {
            id: id.clone().into(),
            name: Arc::from(name),
            raw_input,
            input: LanguageModelToolUseInput::Json(input),
            is_input_complete: true,
            thought_signature: None,
        }));
        results.push(MessageContent::ToolResult(LanguageModelToolResult {
            tool_use_id: id.into(),
            tool_name: Arc::from(name),
            is_error: false,
            content: vec![LanguageModelToolResultContent::Text(output.into())],
            output: None,
        }));
    }
    messages.push(message(Role::Assistant, assistant));
    messages.push(message(Role::User, results));
    messages
}

fn message(role: Role, content: Vec<MessageContent>) -> LanguageModelRequestMessage {
    LanguageModelRequestMessage {
        role,
        content,
        cache: false,
        reasoning_details: None,
    }
}

/// A whole agent session, turn by turn.
pub struct AgentThread {
    system: LanguageModelRequestMessage,
    turns: Vec<Vec<LanguageModelRequestMessage>>,
    tools: Vec<LanguageModelRequestTool>,
}

impl AgentThread {
    /// `turns` turns generated from `seed`.
    pub fn generate(seed: u64, turns: usize) -> Self {
        let mut rng = ThreadRng::new(seed);
        let mut system = String::from(
            "You are a highly skilled software engineer working in the user's editor.\n\n",
        );
        for _ in 0..40 {
            system.push_str("- ");
            system.push_str(&prose(&mut rng, 3));
            system.push('\n');
        }
        Self {
            system: message(Role::System, vec![MessageContent::Text(system)]),
            turns: {
                let mut files = Vec::new();
                (0..turns)
                    .map(|index| turn(&mut rng, index, &mut files))
                    .collect()
            },
            tools: tools(),
        }
    }

    /// The request of turn `turn` (1-based): every earlier turn in full, and this turn's user
    /// message, as the host sends it.
    pub fn request_at(&self, turn: usize) -> LanguageModelRequest {
        let mut messages = vec![self.system.clone()];
        for earlier in &self.turns[..turn - 1] {
            messages.extend(earlier.iter().cloned());
        }
        messages.push(self.turns[turn - 1][0].clone());
        LanguageModelRequest {
            thread_id: Some("bench-thread".into()),
            messages,
            tools: self.tools.clone(),
            thinking_allowed: true,
            ..Default::default()
        }
    }

    /// A fresh user message of a typical length, distinct for each `nonce`.
    pub fn new_user_message(nonce: u64) -> LanguageModelRequestMessage {
        let mut rng = ThreadRng::new(nonce ^ 0xA5A5_5A5A);
        let text = format!("[{nonce}] {}", prose(&mut rng, 6));
        message(Role::User, vec![MessageContent::Text(text)])
    }
}
