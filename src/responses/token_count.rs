//! [`count_tokens`]: how many tokens a request will use, counted locally with the `o200k_base`
//! encoding (the tokenizer of the GPT-4o/GPT-5 families the subscription backend serves).
//!
//! The count is an estimate the host uses to warn before the context window overflows: it
//! counts the instructions, every message's text, tool calls and results, and the tool
//! schemas exactly, and adds fixed allowances where the real cost is not visible here (the
//! message framing, images, encrypted reasoning).
//!
//! The encoder and the counts live in a [`TokenCache`] the caller owns (the provider's state holds
//! one; nothing here is process-global). Building the BPE tables takes tens of milliseconds, so
//! the cache builds them once, on first use, on whatever thread first counts; the host counts
//! from a background task, never the UI thread, and [`TokenCache::warm_up`] builds them ahead of
//! time.
//!
//! Counts are incremental: each text's count is kept in the cache (bounded, least recently used
//! evicted), so counting a thread that grew by one message encodes only that message.
//! [`count_tokens_uncached`] encodes everything, and gives the same number.

use super::token_cache::TokenCache;
use anyhow::Result;
use language_model::{LanguageModelRequest, LanguageModelToolResultContent, MessageContent};

/// Tokens the backend spends framing each message (role and separators), as in OpenAI's
/// published counting recipe for chat formats.
pub(crate) const TOKENS_PER_MESSAGE: u64 = 4;
/// The allowance for one image: a 1024×1024 image at high detail (85 + 4 × 170).
pub(crate) const TOKENS_PER_IMAGE: u64 = 765;
/// Encrypted reasoning is base64 of ciphertext of the reasoning text; about this many bytes of
/// it stand for one token of reasoning.
const ENCRYPTED_BYTES_PER_TOKEN: u64 = 6;

/// The tokens `request` will use as input, estimated locally with `cache`'s encoder; texts
/// counted before (earlier turns of the same thread) come from the cache.
pub fn count_tokens(request: &LanguageModelRequest, cache: &TokenCache) -> Result<u64> {
    let bpe = cache.encoder()?;
    Ok(count_with(request, |text| cache.count(bpe, text)))
}

/// The same count as [`count_tokens`], encoding every text afresh with `cache`'s encoder and
/// none of its counts (the baseline it is measured and tested against).
pub fn count_tokens_uncached(request: &LanguageModelRequest, cache: &TokenCache) -> Result<u64> {
    let bpe = cache.encoder()?;
    Ok(count_with(request, |text| {
        bpe.encode_ordinary(text).len() as u64
    }))
}

/// Sums the request's tokens, with `count` giving the tokens of one text.
fn count_with(request: &LanguageModelRequest, count: impl Fn(&str) -> u64) -> u64 {
    let mut total: u64 = 0;
    for message in &request.messages {
        total = total.saturating_add(TOKENS_PER_MESSAGE);
        for content in &message.content {
            let tokens = match content {
                MessageContent::Text(text) => count(text),
                MessageContent::Thinking { text, .. } => count(text),
                MessageContent::RedactedThinking(data) => {
                    data.len() as u64 / ENCRYPTED_BYTES_PER_TOKEN
                }
                MessageContent::Image(_) => TOKENS_PER_IMAGE,
                // Opaque compacted context, counted like encrypted reasoning.
                MessageContent::Compaction(context) => {
                    serde_json::to_string(context).map_or(0, |json| json.len() as u64)
                        / ENCRYPTED_BYTES_PER_TOKEN
                }
                MessageContent::ToolUse(tool_use) => {
                    count(&tool_use.name).saturating_add(count(&tool_use.raw_input))
                }
                MessageContent::ToolResult(result) => result
                    .content
                    .iter()
                    .map(|part| match part {
                        LanguageModelToolResultContent::Text(text) => count(text),
                        LanguageModelToolResultContent::Image(_) => TOKENS_PER_IMAGE,
                    })
                    .sum(),
            };
            total = total.saturating_add(tokens);
        }
    }
    for tool in &request.tools {
        total = total
            .saturating_add(count(&tool.name))
            .saturating_add(count(&tool.description))
            .saturating_add(count(&tool.input_schema.to_string()));
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use language_model::*;

    #[test]
    fn counts_text_tools_and_images() {
        let request = LanguageModelRequest {
            messages: vec![
                LanguageModelRequestMessage {
                    role: Role::System,
                    content: vec![MessageContent::Text("You are helpful.".into())],
                    cache: false,
                    reasoning_details: None,
                },
                LanguageModelRequestMessage {
                    role: Role::User,
                    content: vec![
                        MessageContent::Text("hello world".into()),
                        MessageContent::Image(LanguageModelImage {
                            source: "AAAA".into(),
                            size: None,
                        }),
                    ],
                    cache: false,
                    reasoning_details: None,
                },
            ],
            tools: vec![LanguageModelRequestTool {
                name: "read_file".into(),
                description: "Reads a file".into(),
                input_schema: serde_json::json!({"type": "object"}),
                use_input_streaming: false,
            }],
            ..Default::default()
        };
        let cache = TokenCache::default();
        let bpe = cache.encoder().unwrap();
        let tokens = |text: &str| bpe.encode_ordinary(text).len() as u64;
        let expected = 2 * TOKENS_PER_MESSAGE
            + tokens("You are helpful.")
            + tokens("hello world")
            + TOKENS_PER_IMAGE
            + tokens("read_file")
            + tokens("Reads a file")
            + tokens(r#"{"type":"object"}"#);
        assert_eq!(count_tokens(&request, &cache).unwrap(), expected);
        assert_eq!(tokens("hello world"), 2);
    }

    #[test]
    fn counts_from_several_threads_share_one_tokenizer() {
        let request = LanguageModelRequest::default();
        let cache = std::sync::Arc::new(TokenCache::default());
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (request, cache) = (request.clone(), cache.clone());
                std::thread::spawn(move || count_tokens(&request, &cache).unwrap())
            })
            .collect();
        for handle in handles {
            assert_eq!(handle.join().unwrap(), 0);
        }
        assert!(std::ptr::eq(
            cache.encoder().unwrap(),
            cache.encoder().unwrap()
        ));
    }
}
