//! `chat --tool-file FILE`: function tools to offer the model, read from a JSON list.
//!
//! Each entry is `{"name", "description", "parameters", "result"}`: `parameters` is the tool's
//! input as JSON schema (an object schema with no properties when left out), and `result`, when
//! given, is the text the command line answers every call of that tool with, so a whole tool
//! call round trip runs in one `chat`: the model calls the tool, the result goes back with the
//! call, and the model answers. A call of a tool without a `result` is printed and ends the
//! turn, as a call did before. On the official route the tools travel in the `zed` namespace,
//! and the calls carry it back (`--json` shows it).
//!
//! ```json
//! [{"name": "read_file", "description": "Reads a file",
//!   "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
//!   "result": "# The readme"}]
//! ```

use anyhow::{Context as _, Result, bail};
use language_model::LanguageModelRequestTool;
use serde::Deserialize;
use std::path::Path;

/// The most tool-result rounds one turn sends before it stops answering calls.
pub const MAX_TOOL_ROUNDS: usize = 8;

/// One tool of the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileTool {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default = "empty_object_schema")]
    parameters: serde_json::Value,
    #[serde(default)]
    result: Option<String>,
}

fn empty_object_schema() -> serde_json::Value {
    serde_json::json!({"type": "object", "properties": {}})
}

/// The tools of a `--tool-file`.
#[derive(Debug, Default)]
pub struct ToolFile {
    tools: Vec<FileTool>,
}

impl ToolFile {
    /// Reads `path`.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("could not read the tool file {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("in the tool file {}", path.display()))
    }

    fn parse(text: &str) -> Result<Self> {
        let tools: Vec<FileTool> = serde_json::from_str(text).context(
            "expected a JSON list of tools, each {\"name\", \"description\", \"parameters\", \
             \"result\"}",
        )?;
        for (index, tool) in tools.iter().enumerate() {
            if tool.name.trim().is_empty() {
                bail!("tool {index} has no name");
            }
            if tools[..index].iter().any(|other| other.name == tool.name) {
                bail!("the tool {:?} is listed twice", tool.name);
            }
        }
        Ok(Self { tools })
    }

    /// The tools, as the request offers them.
    pub fn request_tools(&self) -> Vec<LanguageModelRequestTool> {
        self.tools
            .iter()
            .map(|tool| LanguageModelRequestTool {
                name: tool.name.clone(),
                description: tool.description.clone(),
                input_schema: tool.parameters.clone(),
                use_input_streaming: false,
            })
            .collect()
    }

    /// Whether any call can be answered from the file (a tool with a `result`): only then does
    /// `chat` keep an answer's text to send it back with the results.
    pub fn answers_calls(&self) -> bool {
        self.tools.iter().any(|tool| tool.result.is_some())
    }

    /// The text a call of `name` is answered with, if the file gives one.
    pub fn result_for(&self, name: &str) -> Option<&str> {
        self.tools
            .iter()
            .find(|tool| tool.name == name)
            .and_then(|tool| tool.result.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tools_with_and_without_results() {
        let file = ToolFile::parse(
            r#"[{"name": "read_file", "description": "Reads a file",
                 "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
                 "result": "The readme"},
                {"name": "list"}]"#,
        )
        .unwrap();
        let tools = file.request_tools();
        assert_eq!(tools.len(), 2);
        assert_eq!(
            tools[0].input_schema["properties"]["path"]["type"],
            "string"
        );
        assert_eq!(tools[1].input_schema, empty_object_schema());
        assert_eq!(file.result_for("read_file"), Some("The readme"));
        assert_eq!(file.result_for("list"), None);
        assert_eq!(file.result_for("other"), None);
    }

    #[test]
    fn a_malformed_file_is_refused_in_words() {
        for (text, words) in [
            (r#"{"name": "x"}"#, "expected a JSON list of tools"),
            (r#"[{"name": " "}]"#, "has no name"),
            (r#"[{"name": "x"}, {"name": "x"}]"#, "listed twice"),
            (
                r#"[{"name": "x", "parameter": {}}]"#,
                "expected a JSON list",
            ),
        ] {
            let error = format!("{:#}", ToolFile::parse(text).unwrap_err());
            assert!(error.contains(words), "{text}: {error}");
        }
    }
}
