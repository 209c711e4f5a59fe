//! `chat [--model SLUG] [--effort LEVEL] [--json] [--fast] [--thread FILE [--compact]] PROMPT`:
//! one streamed answer, optionally continuing (and first compacting) a saved thread
//! ([`super::thread_file`]).

use super::args::ChatArgs;
use super::context::CommandContext;
use super::event_json::event_to_json;
use super::reasoning_text::{ReasoningText, Styling};
use super::thread_file::{ThreadEntry, ThreadFile};
use anyhow::{Result, anyhow, bail};
use futures::StreamExt as _;
use gpui::AsyncApp;
use language_model::{
    LanguageModel, LanguageModelCompletionError, LanguageModelCompletionEvent,
    LanguageModelProvider as _, LanguageModelRequest, LanguageModelRequestMessage, MessageContent,
    Role, Speed,
};
use openai_subscribed::models::CatalogSource;
use openai_subscribed::provider::{OpenAiSubscribedModel, OpenAiSubscribedProvider};
use std::sync::Arc;

// Every print goes through the helper that cannot panic; network text is cleaned first.
use super::output::{self, err, errln, out, outln};
use openai_subscribed::printable::{multi_line, one_line};

/// Streams the answer to `args.prompt`.
pub async fn chat(context: CommandContext, args: ChatArgs, cx: &mut AsyncApp) -> Result<()> {
    let provider = context.signed_in_provider(cx).await?;
    let state = provider.state().clone();
    // Resolve --model against the plan's current list (cached lists revalidate quickly).
    let refresh = state.update(cx, |state, cx| state.refresh_models(cx))?;
    let refresh_failed = match refresh.await {
        Ok(_) => None,
        Err(error) => {
            log::warn!("could not refresh the model list: {error}");
            Some(error.to_string())
        }
    };
    let (model, listed) = match pick_model(&provider, args.model.as_deref(), cx) {
        Ok(model) => (model, true),
        Err(error) => match (args.model.as_deref(), refresh_failed) {
            // Only the bundled list is loaded because the real one could not be fetched: it
            // is no verdict on `slug`. Say so, and let the backend have the last word.
            (Some(slug), Some(reason)) if only_fallback_loaded(&provider, cx)? => {
                errln!(
                    "warning: the model list could not be refreshed ({reason}); trying {slug:?} anyway"
                );
                (unlisted_model(&provider, slug, cx)?, false)
            }
            _ => return Err(error),
        },
    };
    if let Some(effort) = args.effort.as_ref().filter(|_| listed) {
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

    if args.fast && !model.supports_fast_mode() {
        errln!(
            "{} does not offer fast mode; it answers at its usual speed.",
            model.name()
        );
    }

    let mut thread = match &args.thread {
        Some(path) => Some(ThreadFile::load_or_new(path, new_thread_id)?),
        None => None,
    };
    let base_request = LanguageModelRequest {
        thread_id: Some(
            thread
                .as_ref()
                .map(|thread| thread.thread_id.clone())
                .unwrap_or_else(new_thread_id),
        ),
        thinking_allowed: true,
        thinking_effort: args.effort.clone(),
        speed: args.fast.then_some(Speed::Fast),
        ..LanguageModelRequest::default()
    };

    if args.compact
        && let (Some(thread), Some(path)) = (thread.as_mut(), args.thread.as_deref())
    {
        let request = LanguageModelRequest {
            messages: thread.messages(),
            ..base_request.clone()
        };
        let compaction = match model.compact(request, cx).await {
            Ok(compaction) => compaction,
            Err(error) => return Err(explain(error, &provider, cx).await),
        };
        thread.push_compaction(&compaction.context)?;
        thread.save(path)?;
        errln!(
            "Compacted the thread: its first {} entries are now one compacted context.",
            thread.compacted_entries()
        );
    }
    if args.prompt.is_empty() {
        return Ok(());
    }

    let prompt = args.prompt.join(" ");
    let mut messages = thread
        .as_ref()
        .map(ThreadFile::messages)
        .unwrap_or_default();
    messages.push(LanguageModelRequestMessage {
        role: Role::User,
        content: vec![MessageContent::Text(prompt.clone())],
        cache: false,
        reasoning_details: None,
    });
    let request = LanguageModelRequest {
        messages,
        ..base_request
    };
    let mut events = match model.stream_completion(request, cx).await {
        Ok(events) => events,
        Err(error) => return Err(explain(error, &provider, cx).await),
    };
    let mut printer = Printer::new(args.json);
    // Each event is printed as it arrives and then dropped: only a `--thread`, which saves the
    // turn, keeps the answer (and its encrypted reasoning), so without one a long answer costs
    // no more memory than a short one.
    let mut turn = thread.as_ref().map(|_| AnsweredTurn::default());
    while let Some(event) = events.next().await {
        match event {
            Ok(event) => {
                if let Some(turn) = turn.as_mut() {
                    turn.record(&event);
                }
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
    if let (Some(mut thread), Some(turn), Some(path)) = (thread, turn, args.thread.as_deref()) {
        // The turn is saved only once answered, so a failed turn can simply be asked again.
        thread.entries.push(ThreadEntry::User { text: prompt });
        thread.entries.push(ThreadEntry::Assistant {
            text: turn.text,
            reasoning: turn.reasoning,
        });
        thread.save(path)?;
    }
    usage_saved(&provider, cx).await;
    Ok(())
}

/// What a `--thread` keeps of the answer, to save the turn once it is complete.
#[derive(Default)]
struct AnsweredTurn {
    /// The answer's text.
    text: String,
    /// The encrypted reasoning, replayed with the next turn.
    reasoning: Vec<String>,
}

impl AnsweredTurn {
    fn record(&mut self, event: &LanguageModelCompletionEvent) {
        match event {
            LanguageModelCompletionEvent::Text(text) => self.text.push_str(text),
            LanguageModelCompletionEvent::RedactedThinking { data } => {
                self.reasoning.push(data.clone())
            }
            _ => {}
        }
    }
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

/// True when the catalog shows the bundled fallback list (nothing fetched, nothing cached).
fn only_fallback_loaded(provider: &OpenAiSubscribedProvider, cx: &mut AsyncApp) -> Result<bool> {
    provider.state().read_with(cx, |state, cx| {
        state.catalog().read(cx).source() == CatalogSource::Fallback
    })
}

/// A model the shown list does not name: the default model's settings under `slug`.
fn unlisted_model(
    provider: &OpenAiSubscribedProvider,
    slug: &str,
    cx: &mut AsyncApp,
) -> Result<Arc<dyn LanguageModel>> {
    provider.state().read_with(cx, |state, cx| {
        let mut info = state
            .models(cx)
            .first()
            .cloned()
            .ok_or_else(|| anyhow!("the model list is empty"))?;
        info.slug = slug.to_string();
        info.display_name = slug.to_string();
        let model: Arc<dyn LanguageModel> =
            Arc::new(OpenAiSubscribedModel::new(info, provider.state().clone()));
        Ok(model)
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
    match &error {
        // The host's "no API key" means the sign-in went away while this ran: say why, when the
        // auth state knows, and what to do.
        LanguageModelCompletionError::NoApiKey { .. } => {
            let reason = provider
                .state()
                .read_with(cx, |state, cx| {
                    state.auth().read(cx).last_error().map(ToString::to_string)
                })
                .ok()
                .flatten()
                .unwrap_or_else(|| "You are no longer signed in to ChatGPT.".into());
            anyhow!("{reason} Run `openai-subscribed login`.")
        }
        _ => anyhow!(error),
    }
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

/// Prints events as text (answer on stdout; reasoning on stderr, rendered for a terminal:
/// headings bold, the whole dim) or JSON lines.
struct Printer {
    json: bool,
    /// The reasoning summary being printed, if one is.
    thinking: Option<ReasoningText>,
}

impl Printer {
    fn new(json: bool) -> Self {
        Self {
            json,
            thinking: None,
        }
    }

    /// Prints one event. The answer comes from the network: control characters are stripped
    /// (a line feed and a tab are kept) before it reaches the terminal. Fails with `BrokenPipe`
    /// once stdout has no reader.
    fn print(&mut self, event: &LanguageModelCompletionEvent) -> std::io::Result<()> {
        if self.json {
            // JSON escapes every control character itself.
            outln!("{}", event_to_json(event));
            return stdout_open();
        }
        match event {
            LanguageModelCompletionEvent::Thinking { text, .. } => {
                let thinking = self.thinking.get_or_insert_with(|| {
                    ReasoningText::new(Styling::for_stream(&std::io::stderr()), "")
                });
                err!("{}", thinking.push(&multi_line(text)));
            }
            LanguageModelCompletionEvent::Text(text) => {
                self.end_thinking();
                out!("{}", multi_line(text));
            }
            LanguageModelCompletionEvent::Queued { position } => {
                errln!("[waiting for a free slot: number {position} in line]");
            }
            LanguageModelCompletionEvent::ToolUse(tool_use) if tool_use.is_input_complete => {
                self.end_thinking();
                errln!(
                    "[tool call {} {}]",
                    one_line(&tool_use.name, 200),
                    multi_line(&tool_use.input.to_display_json().to_string())
                );
            }
            _ => {}
        }
        stdout_open()
    }

    /// Ends the reasoning with a blank line, so the answer starts apart from it.
    fn end_thinking(&mut self) {
        if let Some(mut thinking) = self.thinking.take() {
            err!("{}", thinking.finish());
            if !thinking.at_line_start() {
                errln!();
            }
            errln!();
        }
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.end_thinking();
        if !self.json {
            outln!();
        }
        stdout_open()
    }
}

/// `BrokenPipe` once a write to stdout failed (see [`output::stdout_closed`]).
fn stdout_open() -> std::io::Result<()> {
    if output::stdout_closed() {
        return Err(std::io::ErrorKind::BrokenPipe.into());
    }
    Ok(())
}
