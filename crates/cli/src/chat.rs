//! `chat [--model SLUG] [--effort LEVEL] [--json] [--fast] [--thread FILE [--compact]]
//! [--tool-file FILE] PROMPT`: one streamed answer, optionally continuing (and first compacting) a
//! saved thread ([`super::thread_file`]), optionally offering tools whose calls are answered from
//! the file ([`super::tool_file`]). `chat --interactive`: one thread, a turn per line of standard
//! input.

use super::args::ChatArgs;
use super::context::CommandContext;
use super::event_json::event_to_json_in;
use super::reasoning_text::{ReasoningText, Styling};
use super::thread_file::{ThreadEntry, ThreadFile};
use super::tool_file::{MAX_TOOL_ROUNDS, ToolFile};
use anyhow::{Result, anyhow, bail};
use futures::StreamExt as _;
use gpui::AsyncApp;
use language_model::{
    LanguageModel, LanguageModelCompletionError, LanguageModelCompletionEvent,
    LanguageModelProvider as _, LanguageModelRequest, LanguageModelRequestMessage,
    LanguageModelToolResult, LanguageModelToolResultContent, LanguageModelToolUse, MessageContent,
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
    // A tool file that cannot be read fails before any network traffic.
    let tools = match &args.tool_file {
        Some(path) => ToolFile::load(path)?,
        None => ToolFile::default(),
    };
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
        tools: tools.request_tools(),
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
    if args.prompt.is_empty() && !args.interactive {
        return Ok(());
    }

    if args.interactive {
        // One thread, one process: every turn after the first goes out as a delta on the
        // thread's WebSocket (with `store: false` only the socket that made a response can
        // continue it, so separate `chat --thread` processes each send the thread in full).
        let mut thread = thread.or_else(|| {
            Some(ThreadFile::new(
                base_request.thread_id.clone().unwrap_or_else(new_thread_id),
            ))
        });
        // While the first line is typed, the thread's socket opens and takes its prompt.
        let slug = model.id().0.to_string();
        let info = state.read_with(cx, |state, cx| {
            state
                .models(cx)
                .iter()
                .find(|info| info.slug == slug)
                .cloned()
        })?;
        let prewarm = info.map(|info| {
            let request = LanguageModelRequest {
                messages: thread
                    .as_ref()
                    .map(ThreadFile::messages)
                    .unwrap_or_default(),
                ..base_request.clone()
            };
            OpenAiSubscribedModel::new(info, state.clone()).prewarm(request, cx)
        });
        errln!("One turn per line; end with Ctrl-D.");
        if let Some(prewarm) = prewarm
            && let Err(error) = prewarm.await
        {
            log::warn!("the thread's pre-warm failed: {error}");
        }
        while let Some(line) = read_line(cx).await? {
            let prompt = line.trim();
            if prompt.is_empty() {
                continue;
            }
            let turn = Turn {
                prompt: prompt.to_string(),
                base_request: &base_request,
                tools: &tools,
                json: args.json,
                path: args.thread.as_deref(),
            };
            if let TurnEnd::ReaderGone = turn.run(&model, &provider, &mut thread, cx).await? {
                return Ok(());
            }
            outln!();
        }
        usage_saved(&provider, cx).await;
        return Ok(());
    }

    let turn = Turn {
        prompt: args.prompt.join(" "),
        base_request: &base_request,
        tools: &tools,
        json: args.json,
        path: args.thread.as_deref(),
    };
    turn.run(&model, &provider, &mut thread, cx).await?;
    usage_saved(&provider, cx).await;
    Ok(())
}

/// One line of standard input (`None` at its end), read off the UI thread.
async fn read_line(cx: &mut AsyncApp) -> Result<Option<String>> {
    let read = cx.background_executor().spawn(async {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .map(|read| (read, line))
    });
    let (read, line) = read.await?;
    Ok((read > 0).then_some(line))
}

/// How a turn ended.
enum TurnEnd {
    /// Answered (and saved with `--thread`).
    Answered,
    /// The reader of the output went away (`| head`): stop quietly, as other tools do.
    ReaderGone,
}

/// One user message and its streamed answer.
struct Turn<'a> {
    prompt: String,
    base_request: &'a LanguageModelRequest,
    /// The `--tool-file` tools, whose results answer their calls.
    tools: &'a ToolFile,
    json: bool,
    /// Where the thread is saved after the turn (`--thread`).
    path: Option<&'a std::path::Path>,
}

impl Turn<'_> {
    async fn run(
        self,
        model: &Arc<dyn LanguageModel>,
        provider: &OpenAiSubscribedProvider,
        thread: &mut Option<ThreadFile>,
        cx: &mut AsyncApp,
    ) -> Result<TurnEnd> {
        let prompt = self.prompt;
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
        let mut request = LanguageModelRequest {
            messages,
            ..self.base_request.clone()
        };
        warn_before_sending(provider, cx).await;
        let mut printer = Printer::new(self.json);
        // The official route's tools live in one namespace, which its tool calls carry.
        if provider
            .state()
            .read_with(cx, |state, cx| state.route(cx))?
            == Some(openai_subscribed::route::Route::SignInWithChatGpt)
        {
            printer.namespace = Some(openai_subscribed::siwc::TOOL_NAMESPACE);
        }
        // Each event is printed as it arrives and then dropped: only a thread, which keeps the
        // turn, keeps the answer (and its encrypted reasoning), so without one a long answer
        // costs no more memory than a short one.
        let mut turn = thread.as_ref().map(|_| AnsweredTurn::default());
        // One round per answer: a round that ends in calls of `--tool-file` tools with results
        // sends them back, and the answer goes on in the next round.
        for round in 1.. {
            let mut events = match model.stream_completion(request.clone(), cx).await {
                Ok(events) => events,
                Err(error) => return Err(explain(error, provider, cx).await),
            };
            // Kept only when a tool call can be answered: without `--tool-file` results a long
            // answer still costs no memory.
            let mut answered = self.tools.answers_calls().then(ToolRound::default);
            while let Some(event) = events.next().await {
                match event {
                    Ok(event) => {
                        if let Some(turn) = turn.as_mut() {
                            turn.record(&event);
                        }
                        if let Some(answered) = answered.as_mut() {
                            answered.record(&event);
                        }
                        if let Err(error) = printer.print(&event) {
                            if error.kind() == std::io::ErrorKind::BrokenPipe {
                                return Ok(TurnEnd::ReaderGone);
                            }
                            return Err(error.into());
                        }
                    }
                    Err(error) => {
                        printer.finish().ok();
                        return Err(explain(error, provider, cx).await);
                    }
                }
            }
            let Some(answered) = answered else {
                break;
            };
            let Some(results) = answered.results(self.tools) else {
                break;
            };
            if round > MAX_TOOL_ROUNDS {
                errln!("[no more tool results sent: {MAX_TOOL_ROUNDS} rounds in this turn]");
                break;
            }
            for result in &results {
                errln!("[tool result {}]", one_line(&result.tool_name, 200));
            }
            request.messages.push(LanguageModelRequestMessage {
                role: Role::Assistant,
                content: answered.content,
                cache: false,
                reasoning_details: None,
            });
            request.messages.push(LanguageModelRequestMessage {
                role: Role::User,
                content: results
                    .into_iter()
                    .map(MessageContent::ToolResult)
                    .collect(),
                cache: false,
                reasoning_details: None,
            });
        }
        printer.finish().ok();
        if let (Some(thread), Some(turn)) = (thread.as_mut(), turn) {
            // The turn is kept only once answered, so a failed turn can simply be asked again.
            thread.entries.push(ThreadEntry::User { text: prompt });
            thread.entries.push(ThreadEntry::Assistant {
                text: turn.text,
                reasoning: turn.reasoning,
            });
            if let Some(path) = self.path {
                thread.save(path)?;
            }
        }
        Ok(TurnEnd::Answered)
    }
}

/// What one answer of a turn said, to send it back with the results of its tool calls.
#[derive(Default)]
struct ToolRound {
    /// The answer's text, encrypted reasoning and complete tool calls, in order.
    content: Vec<MessageContent>,
    /// The complete tool calls.
    calls: Vec<LanguageModelToolUse>,
}

impl ToolRound {
    fn record(&mut self, event: &LanguageModelCompletionEvent) {
        match event {
            LanguageModelCompletionEvent::Text(text) => match self.content.last_mut() {
                Some(MessageContent::Text(so_far)) => so_far.push_str(text),
                _ => self.content.push(MessageContent::Text(text.clone())),
            },
            LanguageModelCompletionEvent::RedactedThinking { data } => self
                .content
                .push(MessageContent::RedactedThinking(data.clone())),
            LanguageModelCompletionEvent::ToolUse(call) if call.is_input_complete => {
                self.content.push(MessageContent::ToolUse(call.clone()));
                self.calls.push(call.clone());
            }
            _ => {}
        }
    }

    /// The results of this answer's calls from `tools`: `None` when it made none, or called a
    /// tool the file gives no result for (the call is printed and the turn ends there).
    fn results(&self, tools: &ToolFile) -> Option<Vec<LanguageModelToolResult>> {
        if self.calls.is_empty() {
            return None;
        }
        self.calls
            .iter()
            .map(|call| {
                let result = tools.result_for(&call.name)?;
                Some(LanguageModelToolResult {
                    tool_use_id: call.id.clone(),
                    tool_name: call.name.clone(),
                    is_error: false,
                    content: vec![LanguageModelToolResultContent::Text(result.into())],
                    output: None,
                })
            })
            .collect()
    }
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

/// Past a warning threshold (`--warn-at`, 80 % and 95 % by default), one line on stderr before
/// the request goes: the most-used window, its level and its reset. Never blocks the request.
/// The usage asked for at start-up is awaited first (bounded by the provider's usage timeout).
async fn warn_before_sending(provider: &OpenAiSubscribedProvider, cx: &mut AsyncApp) {
    let state = provider.state().clone();
    let Ok(thresholds) = state.read_with(cx, |state, _| state.config().usage_warnings.clone())
    else {
        return;
    };
    if thresholds.percents().is_empty() {
        return;
    }
    if let Ok(refresh) = state.update(cx, |state, cx| state.refresh_usage(cx)) {
        // An error keeps the last known snapshot, which is still worth a warning.
        refresh.await.ok();
    }
    let now = chrono::Utc::now();
    let warning = state
        .read_with(cx, |state, _| {
            state.usage().and_then(|usage| {
                openai_subscribed::provider::warning_lines(usage, &thresholds, now)
                    .into_iter()
                    .next()
            })
        })
        .ok()
        .flatten();
    if let Some(warning) = warning {
        errln!("warning: {warning}");
    }
}

/// The words for a failed completion: the error's own message, which for a plan refusal reads
/// "ChatGPT Plus usage limit reached; resets at the end of your weekly window (your 5-hour
/// window is at 99 %): Fri 11 Dec 01:46 (in 4d 23h)", after a line that names the window that
/// ran out ("Weekly limit reached — resets …; your 5-hour window is at 99 %").
async fn explain(
    error: LanguageModelCompletionError,
    provider: &OpenAiSubscribedProvider,
    cx: &mut AsyncApp,
) -> anyhow::Error {
    usage_saved(provider, cx).await;
    let usage_limit = matches!(
        &error,
        LanguageModelCompletionError::ProviderRejection { code: Some(code), .. }
            if code == "usage_limit_reached"
    );
    let blocking = provider
        .state()
        .read_with(cx, |state, _| {
            state.usage().and_then(|usage| {
                openai_subscribed::provider::blocking_window_line(usage, chrono::Utc::now())
            })
        })
        .ok()
        .flatten()
        .filter(|_| usage_limit);
    if let Some(line) = blocking {
        errln!("{line}");
    }
    // Another signed-in account has room: the line to type (never switched by itself).
    let offer = provider
        .state()
        .read_with(cx, |state, cx| state.switch_offer(cx))
        .ok()
        .flatten()
        .filter(|_| usage_limit);
    if let Some(offer) = offer {
        let label = openai_subscribed::printable::one_line(&offer.label, 120);
        errln!(
            "To go on now with {label}: `openai-subscribed accounts switch \"{label}\"`, or add \
             `--account \"{label}\"` to this command."
        );
    }
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
    /// The namespace tool calls are shown in (`--json`), on a route that has one.
    namespace: Option<&'static str>,
}

impl Printer {
    fn new(json: bool) -> Self {
        Self {
            json,
            thinking: None,
            namespace: None,
        }
    }

    /// Prints one event. The answer comes from the network: control characters are stripped
    /// (a line feed and a tab are kept) before it reaches the terminal. Fails with `BrokenPipe`
    /// once stdout has no reader.
    fn print(&mut self, event: &LanguageModelCompletionEvent) -> std::io::Result<()> {
        if self.json {
            // JSON escapes every control character itself.
            outln!("{}", event_to_json_in(event, self.namespace));
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
