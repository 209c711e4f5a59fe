//! `usage [--json]`: the plan's usage windows, as the last answer reported them.

use super::context::CommandContext;
use super::output::{out, outln};
use anyhow::Result;
use chrono::Utc;
use gpui::AsyncApp;

/// Prints the last usage snapshot of the signed-in account.
pub async fn show(context: CommandContext, json: bool, cx: &mut AsyncApp) -> Result<()> {
    let provider = context.signed_in_provider(cx).await?;
    let state = provider.state().clone();
    let usage = state.read_with(cx, |state, _| state.usage().cloned())?;
    if json {
        outln!("{}", serde_json::to_string(&usage)?);
        return Ok(());
    }
    let Some(usage) = usage else {
        outln!(
            "No usage reported yet: the backend reports your plan's limits with each answer. Run `openai-subscribed chat` once."
        );
        return Ok(());
    };
    out!("{}", render_usage(&usage, Utc::now()));
    Ok(())
}

/// The text form: one line per window, then credits, then the snapshot's age.
pub fn render_usage(usage: &crate::responses::UsageLimits, now: chrono::DateTime<Utc>) -> String {
    let mut text = String::new();
    for bar in crate::provider::usage_bars(usage, now) {
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
    text.push_str(&format!(
        "(as reported at {})\n",
        usage
            .observed_at
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M")
    ));
    text
}
