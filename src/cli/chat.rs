//! `chat [--model SLUG] [--effort LEVEL] [--json] PROMPT`: one streamed answer.

use super::args::ChatArgs;
use super::context::CommandContext;
use super::event_json::event_to_json;
use crate::language_model::{
    LanguageModel, LanguageModelCompletionError, LanguageModelCompletionEvent,
    LanguageModelProvider as _, LanguageModelRequest, LanguageModelRequestMessage, MessageContent,
    Role,
};
use crate::provider::OpenAiSubscribedProvider;
use anyhow::{Result, anyhow, bail};
use futures::StreamExt as _;
use gpui::AsyncApp;
use std::io::{IsTerminal as _, Write as _};
use std::sync::Arc;

/// Streams the answer to `args.prompt`.
pub async fn chat(context: CommandContext, args: ChatArgs, cx: &mut AsyncApp) -> Result<()> {
    let provider = context.signed_in_provider(cx).await?;
    let state = provider.state().clone();
    // Resolve --model against the plan's current list (cached lists revalidate quickly).
    let refresh = state.update(cx, |state, cx| state.refresh_models(cx))?;
    if let Err(error) = refresh.await {
        log::warn!("could not refresh the model list: {error}");
    }
    let model = pick_model(&provider, args.model.as_deref(), cx)?;
    if let Some(effort) = &args.effort {
        let levels = model.supported_effort_levels();
        if !levels.iter().any(|level| level.value.as_ref() == effort) {
            let supported: Vec<_> = levels.iter().map(|level| level.value.to_string()).collect();
            bail!(
                "{} does not take the effort {effort:?}; it takes: {}",
                model.name(),
                if supported.is_empty() {
                    "none (it does not reason)".into()
                } else {
                    supported.join(", ")
                }
            );
        }
    }

    let request = LanguageModelRequest {
        thread_id: Some(new_thread_id()),
        messages: vec![LanguageModelRequestMessage {
            role: Role::User,
            content: vec![MessageContent::Text(args.prompt.join(" "))],
            cache: false,
            reasoning_details: None,
        }],
        thinking_allowed: true,
        thinking_effort: args.effort.clone(),
        ..LanguageModelRequest::default()
    };
    let mut events = match model.stream_completion(request, cx).await {
        Ok(events) => events,
        Err(error) => return Err(explain(error, &provider, cx).await),
    };
    let mut printer = Printer::new(args.json);
    while let Some(event) = events.next().await {
        match event {
            Ok(event) => {
                if let Err(error) = printer.print(&event) {
                    // The reader went away (`| head`): stop quietly, as other tools do.
                    if error.kind() == std::io::ErrorKind::BrokenPipe {
                        return Ok(());
                    }
                    return Err(error.into());
                }
            }
            Err(error) => {
                printer.finish().ok();
                return Err(explain(error, &provider, cx).await);
            }
        }
    }
    printer.finish().ok();
    usage_saved(&provider, cx).await;
    Ok(())
}

fn pick_model(
    provider: &OpenAiSubscribedProvider,
    slug: Option<&str>,
    cx: &mut AsyncApp,
) -> Result<Arc<dyn LanguageModel>> {
    cx.update(|cx| match slug {
        Some(slug) => provider
            .provided_models(cx)
            .into_iter()
            .find(|model| model.id().0.as_ref() == slug)
            .ok_or_else(|| {
                let known: Vec<_> = provider
                    .provided_models(cx)
                    .iter()
                    .map(|model| model.id().0.to_string())
                    .collect();
                anyhow!(
                    "no model {slug:?} in your plan's list; available: {}",
                    known.join(", ")
                )
            }),
        None => provider
            .default_model(cx)
            .ok_or_else(|| anyhow!("the model list is empty")),
    })?
}

/// The words for a failed completion: the error's own message, which for a plan refusal reads
/// "ChatGPT Plus usage limit reached; resets at 14:05 (in 1h 12m)".
async fn explain(
    error: LanguageModelCompletionError,
    provider: &OpenAiSubscribedProvider,
    cx: &mut AsyncApp,
) -> anyhow::Error {
    usage_saved(provider, cx).await;
    anyhow!(error)
}

/// Waits for the answer's usage snapshot (written in the background) to land on disk, so that
/// `openai-subscribed usage` shows it after this process exits.
async fn usage_saved(provider: &OpenAiSubscribedProvider, cx: &mut AsyncApp) {
    if let Ok(saved) = provider.state().update(cx, |state, _| state.usage_saved()) {
        saved.await;
    }
}

fn new_thread_id() -> String {
    use rand::Rng as _;
    let bytes: [u8; 16] = rand::thread_rng().r#gen();
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Prints events as text (answer on stdout, reasoning dimmed on stderr) or JSON lines.
struct Printer {
    json: bool,
    dim: bool,
    in_thinking: bool,
}

impl Printer {
    fn new(json: bool) -> Self {
        Self {
            json,
            dim: std::io::stderr().is_terminal(),
            in_thinking: false,
        }
    }

    fn print(&mut self, event: &LanguageModelCompletionEvent) -> std::io::Result<()> {
        let mut stdout = std::io::stdout().lock();
        if self.json {
            writeln!(stdout, "{}", event_to_json(event))?;
            return stdout.flush();
        }
        match event {
            LanguageModelCompletionEvent::Thinking { text, .. } => {
                let mut stderr = std::io::stderr();
                if self.dim {
                    write!(stderr, "\x1b[2m{text}\x1b[0m")?;
                } else {
                    write!(stderr, "{text}")?;
                }
                stderr.flush()?;
                self.in_thinking = true;
            }
            LanguageModelCompletionEvent::Text(text) => {
                self.end_thinking();
                write!(stdout, "{text}")?;
                stdout.flush()?;
            }
            LanguageModelCompletionEvent::ToolUse(tool_use) if tool_use.is_input_complete => {
                self.end_thinking();
                eprintln!(
                    "[tool call {} {}]",
                    tool_use.name,
                    tool_use.input.to_display_json()
                );
            }
            _ => {}
        }
        Ok(())
    }

    fn end_thinking(&mut self) {
        if self.in_thinking {
            eprintln!();
            self.in_thinking = false;
        }
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.end_thinking();
        if !self.json {
            writeln!(std::io::stdout())?;
        }
        Ok(())
    }
}
