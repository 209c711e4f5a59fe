//! `usage [--json]`: the plan's usage windows, asked of the backend (`GET …/wham/usage`), so
//! they show right after `login`, before any chat; the last known snapshot when it cannot say.

use super::context::CommandContext;
use super::output::{errln, out, outln};
use anyhow::Result;
use chrono::Utc;
use gpui::AsyncApp;
use openai_subscribed::usage::{CREDITS_EXPLAINED, UsageWarningThresholds, credits_line};

/// Asks for the signed-in account's usage windows and prints them (or the last known snapshot).
pub async fn show(context: CommandContext, json: bool, cx: &mut AsyncApp) -> Result<()> {
    let provider = context.signed_in_provider(cx).await?;
    let state = provider.state().clone();
    if state.read_with(cx, |state, cx| state.route(cx))?
        == Some(openai_subscribed::route::Route::SignInWithChatGpt)
    {
        // This route reports no usage figures (no headers, events or endpoint).
        let url = openai_subscribed::siwc::MANAGE_USAGE_URL;
        if json {
            let document = serde_json::json!({
                "route": openai_subscribed::route::Route::SignInWithChatGpt,
                "usage": null,
                "manage_usage": url,
            });
            outln!("{document}");
        } else {
            outln!(
                "Using ChatGPT plan — this route reports no usage figures; manage usage at {url}"
            );
        }
        return Ok(());
    }
    let refreshed = state.update(cx, |state, cx| state.refresh_usage(cx))?.await;
    if let Err(error) = refreshed {
        errln!("Could not ask for your current usage ({error}); showing the last known.");
    }
    // The new snapshot is cached for the next process before this one exits.
    state.update(cx, |state, _| state.usage_saved())?.await;
    let usage = state.read_with(cx, |state, _| state.usage().cloned())?;
    if json {
        outln!("{}", serde_json::to_string(&usage)?);
        return Ok(());
    }
    let Some(usage) = usage else {
        outln!(
            "No usage reported yet: the backend did not report your plan's limits. Try again later, or run `openai-subscribed chat` once."
        );
        return Ok(());
    };
    let thresholds = context_thresholds(&state, cx)?;
    out!("{}", render_usage_with(&usage, &thresholds, Utc::now()));
    Ok(())
}

fn context_thresholds(
    state: &gpui::Entity<openai_subscribed::provider::State>,
    cx: &mut AsyncApp,
) -> Result<UsageWarningThresholds> {
    state.read_with(cx, |state, _| state.config().usage_warnings.clone())
}

/// The text form with the default warning thresholds (see [`render_usage_with`]).
pub fn render_usage(
    usage: &openai_subscribed::usage::UsageLimits,
    now: chrono::DateTime<Utc>,
) -> String {
    render_usage_with(usage, &UsageWarningThresholds::default(), now)
}

/// The text form: which window ran out (while the limit is reached), one line per window (the
/// one that ran out marked), a warning per window past a threshold, credits when the account
/// has some, then the snapshot's age.
pub fn render_usage_with(
    usage: &openai_subscribed::usage::UsageLimits,
    thresholds: &UsageWarningThresholds,
    now: chrono::DateTime<Utc>,
) -> String {
    let mut text = String::new();
    if let Some(line) = openai_subscribed::provider::blocking_window_line(usage, now) {
        text.push_str(&format!("{line}\n"));
    }
    for bar in openai_subscribed::provider::usage_bars(usage, now) {
        let filled = (bar.used_percent / 5.0).round() as usize;
        text.push_str(&format!(
            "{:<15} [{}{}] {:>3.0}% used",
            bar.label,
            "#".repeat(filled.min(20)),
            "-".repeat(20 - filled.min(20)),
            bar.used_percent
        ));
        if let Some(resets) = bar.resets {
            text.push_str(&format!(", {resets}"));
        }
        if bar.blocking {
            text.push_str("  ← ran out");
        }
        text.push('\n');
    }
    for warning in openai_subscribed::provider::warning_lines(usage, thresholds, now) {
        text.push_str(&format!("warning: {warning}\n"));
    }
    // Only when the account has credits: a bare "Credits: 0" explains nothing.
    if let Some(line) = usage.credits.as_ref().and_then(credits_line) {
        text.push_str(&format!("{line} ({CREDITS_EXPLAINED})\n"));
    }
    // The reset times above are on the same clock as this one.
    text.push_str(&format!(
        "(as reported at {}; times in {})\n",
        super::local_time::date_time(usage.observed_at),
        super::local_time::zone_now()
    ));
    text
}
