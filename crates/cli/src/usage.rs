//! `usage [--json]`: the plan's usage windows, asked of the backend (`GET …/wham/usage`), so
//! they show right after `login`, before any chat; the last known snapshot when it cannot say.

use super::context::CommandContext;
use super::output::{errln, out, outln};
use anyhow::Result;
use chrono::Utc;
use gpui::AsyncApp;

/// Asks for the signed-in account's usage windows and prints them (or the last known snapshot).
pub async fn show(context: CommandContext, json: bool, cx: &mut AsyncApp) -> Result<()> {
    let provider = context.signed_in_provider(cx).await?;
    let state = provider.state().clone();
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
    out!("{}", render_usage(&usage, Utc::now()));
    Ok(())
}

/// The text form: one line per window, then credits, then the snapshot's age.
pub fn render_usage(
    usage: &openai_subscribed::usage::UsageLimits,
    now: chrono::DateTime<Utc>,
) -> String {
    let mut text = String::new();
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
        text.push('\n');
    }
    if let Some(credits) = &usage.credits {
        let balance = if credits.unlimited {
            "unlimited".to_string()
        } else {
            credits.balance.clone().unwrap_or_else(|| {
                if credits.has_credits {
                    "available"
                } else {
                    "none"
                }
                .to_string()
            })
        };
        text.push_str(&format!("Credits: {balance}\n"));
    }
    // The reset times above are on the same clock as this one.
    text.push_str(&format!(
        "(as reported at {}; times in {})\n",
        super::local_time::date_time(usage.observed_at),
        super::local_time::zone_now()
    ));
    text
}
