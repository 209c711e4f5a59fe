//! `chat --thread FILE`: a conversation kept in a JSON file, so that `chat` can continue it,
//! replay it, and compact it (`--compact`).
//!
//! The format (version 1) is small enough to write by hand:
//!
//! ```json
//! {
//!   "version": 1,
//!   "thread_id": "5f0c…",
//!   "entries": [
//!     {"role": "user", "text": "What does PKCE protect against?"},
//!     {"role": "assistant", "text": "You said: …", "reasoning": ["gAAAAAB…"]},
//!     {"role": "compaction", "provider_id": "openai-subscribed",
//!      "format": "openai.responses.compaction-items.v1", "payload": "[…]"},
//!     {"role": "user", "text": "And the state parameter?"}
//!   ]
//! }
//! ```
//!
//! - `thread_id` is the thread's cache key (sent as `prompt_cache_key`, `session-id` and
//!   `thread-id`); a new file gets a random one.
//! - `user` and `assistant` entries are the turns; `reasoning` holds the assistant turn's
//!   encrypted reasoning, replayed so the model keeps its chain of thought (optional).
//! - A `compaction` entry is the backend's compacted context (opaque): on later turns it stands
//!   for every entry before it, which are kept in the file for people but not sent again.
//!
//! `chat` appends each new turn (and each compaction) and rewrites the file atomically.

use anyhow::{Context as _, Result, bail};
use language_model::{
    CompactedContext, LanguageModelProviderId, LanguageModelRequestMessage, MessageContent,
    ProviderCompactionState, Role,
};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The format version this crate writes and reads.
const VERSION: u32 = 1;

/// A saved conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadFile {
    /// The format version (1).
    pub version: u32,
    /// The thread's cache key.
    pub thread_id: String,
    /// The turns and compactions, oldest first.
    #[serde(default)]
    pub entries: Vec<ThreadEntry>,
}

/// One entry of a thread.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum ThreadEntry {
    /// What the user said.
    User {
        /// The text.
        text: String,
    },
    /// What the model answered.
    Assistant {
        /// The answer's text.
        text: String,
        /// Its encrypted reasoning, to replay.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        reasoning: Vec<String>,
    },
    /// The backend's compacted context: it replaces every entry before it when sent.
    Compaction {
        /// The provider that can read it.
        provider_id: String,
        /// Its encoding.
        format: String,
        /// The opaque state.
        payload: String,
    },
}

impl ThreadFile {
    /// A new, empty thread.
    pub fn new(thread_id: String) -> Self {
        Self {
            version: VERSION,
            thread_id,
            entries: Vec::new(),
        }
    }

    /// Reads `path`, or starts a new thread with `new_id()` when the file does not exist.
    pub fn load_or_new(path: &Path, new_id: impl FnOnce() -> String) -> Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self::new(new_id()));
            }
            Err(error) => {
                return Err(error).with_context(|| format!("could not read {}", path.display()));
            }
        };
        let thread: Self = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a thread file (see `openai-subscribed chat --help`)",
                path.display()
            )
        })?;
        if thread.version != VERSION {
            bail!(
                "{} is a version {} thread file; this version reads version {VERSION}",
                path.display(),
                thread.version
            );
        }
        Ok(thread)
    }

    /// Writes the thread to `path` atomically (a temporary file renamed over it).
    pub fn save(&self, path: &Path) -> Result<()> {
        let directory = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let mut file = tempfile::NamedTempFile::new_in(directory)
            .with_context(|| format!("could not write in {}", directory.display()))?;
        serde_json::to_writer_pretty(&mut file, self)?;
        file.persist(path)
            .with_context(|| format!("could not write {}", path.display()))?;
        Ok(())
    }

    /// The entries as the host's messages (compactions ride in a user message, as Zed sends them).
    pub fn messages(&self) -> Vec<LanguageModelRequestMessage> {
        self.entries
            .iter()
            .map(|entry| {
                let (role, content) = match entry {
                    ThreadEntry::User { text } => {
                        (Role::User, vec![MessageContent::Text(text.clone())])
                    }
                    ThreadEntry::Assistant { text, reasoning } => {
                        let mut content: Vec<MessageContent> = reasoning
                            .iter()
                            .cloned()
                            .map(MessageContent::RedactedThinking)
                            .collect();
                        content.push(MessageContent::Text(text.clone()));
                        (Role::Assistant, content)
                    }
                    ThreadEntry::Compaction {
                        provider_id,
                        format,
                        payload,
                    } => (
                        Role::User,
                        vec![MessageContent::Compaction(CompactedContext::ProviderState(
                            ProviderCompactionState::new(
                                LanguageModelProviderId(provider_id.clone().into()),
                                format.clone().into(),
                                payload.as_str(),
                            ),
                        ))],
                    ),
                };
                LanguageModelRequestMessage {
                    role,
                    content,
                    cache: false,
                    reasoning_details: None,
                }
            })
            .collect()
    }

    /// Appends a compaction the provider returned.
    pub fn push_compaction(&mut self, context: &CompactedContext) -> Result<()> {
        let state = match context {
            CompactedContext::ProviderState(state) => state,
            CompactedContext::Summary {
                provider_state: Some(state),
                ..
            } => state,
            CompactedContext::Summary { .. } => {
                bail!("the provider compacted the thread into a summary with no state to replay")
            }
        };
        self.entries.push(ThreadEntry::Compaction {
            provider_id: state.provider_id().0.to_string(),
            format: state.format().to_string(),
            payload: state.payload().to_string(),
        });
        Ok(())
    }

    /// How many entries a compaction now stands for (the entries before the last compaction).
    pub fn compacted_entries(&self) -> usize {
        self.entries
            .iter()
            .rposition(|entry| matches!(entry, ThreadEntry::Compaction { .. }))
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_maps_to_messages() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("thread.json");
        let mut thread = ThreadFile::load_or_new(&path, || "t-1".into()).unwrap();
        assert_eq!(thread, ThreadFile::new("t-1".into()));
        thread.entries.push(ThreadEntry::User { text: "hi".into() });
        thread.entries.push(ThreadEntry::Assistant {
            text: "hello".into(),
            reasoning: vec!["enc".into()],
        });
        thread
            .push_compaction(&CompactedContext::ProviderState(
                ProviderCompactionState::new(
                    LanguageModelProviderId::new("openai-subscribed"),
                    "f".into(),
                    "p",
                ),
            ))
            .unwrap();
        thread.save(&path).unwrap();
        let loaded = ThreadFile::load_or_new(&path, || unreachable!()).unwrap();
        assert_eq!(loaded, thread);
        assert_eq!(loaded.compacted_entries(), 2);
        let messages = loaded.messages();
        assert_eq!(messages[1].role, Role::Assistant);
        assert_eq!(
            messages[1].content[0],
            MessageContent::RedactedThinking("enc".into())
        );
        assert!(matches!(
            messages[2].content[0],
            MessageContent::Compaction(CompactedContext::ProviderState(_))
        ));

        std::fs::write(&path, "{\"version\":9,\"thread_id\":\"x\"}").unwrap();
        let error = ThreadFile::load_or_new(&path, || unreachable!()).unwrap_err();
        assert!(error.to_string().contains("version 9"), "{error}");
    }
}
