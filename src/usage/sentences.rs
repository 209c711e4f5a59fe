//! The usage-limit sentences a user reads: "ChatGPT Plus usage limit reached; resets at 14:05
//! (in 1h 12m)", when a window resets, and a plan's display name.
//!
//! They are shared by a refused `/responses` request (a plan's limit reached), the
//! configuration card's status line and `openai-subscribed usage`, so they live with the usage
//! windows, not with any one of those callers. Times are shown in the user's local time zone.

use crate::network_number;
use chrono::{DateTime, Local, Utc};
use std::time::Duration;

/// "ChatGPT Plus usage limit reached; resets at 14:05 (in 1h 12m)", in the user's local time.
pub fn usage_limit_message(
    plan: Option<&str>,
    resets_at: Option<DateTime<Utc>>,
    now: DateTime<Local>,
) -> String {
    let plan = chatgpt_plan(plan);
    let Some(resets_at) = resets_at else {
        return format!("{plan} usage limit reached; reset time unknown, try again later");
    };
    format!(
        "{plan} usage limit reached; resets at {}",
        reset_time(resets_at, now.with_timezone(&Utc))
    )
}

/// "ChatGPT Plus" for `plus`; "ChatGPT" when the plan is not known.
pub fn chatgpt_plan(plan: Option<&str>) -> String {
    plan.map(|plan| format!("ChatGPT {}", plan_display_name(plan)))
        .unwrap_or_else(|| "ChatGPT".to_string())
}

/// "14:05 (in 1h 12m)": when a limit resets, in local time, and how long until then. Within a
/// day the clock time is unambiguous; beyond it, the day is named too ("Thu 3 Dec 13:43 (in 5d 0h)").
pub fn reset_time(resets_at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let local = resets_at.with_timezone(&Local);
    let remaining = network_number::until(resets_at, now);
    let when = if remaining < Duration::from_secs(24 * 60 * 60) {
        local.format("%H:%M").to_string()
    } else {
        local.format("%a %-d %b %H:%M").to_string()
    };
    format!("{when} (in {})", human_duration(remaining))
}

/// "2d 3h", "1h 12m", "5m", "under a minute".
fn human_duration(duration: Duration) -> String {
    // Round up: "in 0m" for 59 seconds would read as "now".
    let minutes = duration.as_secs().div_ceil(60);
    let (days, hours, minutes) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => "under a minute".to_string(),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// "Plus" for `plus`, "Pro" for `pro`…, the raw name capitalised for plans this crate does not know.
pub fn plan_display_name(plan: &str) -> String {
    match plan {
        "plus" => "Plus".to_string(),
        "pro" => "Pro".to_string(),
        "team" => "Team".to_string(),
        "business" => "Business".to_string(),
        "enterprise" => "Enterprise".to_string(),
        "edu" => "Edu".to_string(),
        "free" => "Free".to_string(),
        other => {
            let mut chars = other.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn usage_limit_message_names_plan_local_time_and_remaining() {
        let now = Local.with_ymd_and_hms(2026, 3, 2, 12, 53, 0).unwrap();
        let resets = Local.with_ymd_and_hms(2026, 3, 2, 14, 5, 0).unwrap();
        assert_eq!(
            usage_limit_message(Some("plus"), Some(resets.with_timezone(&Utc)), now),
            "ChatGPT Plus usage limit reached; resets at 14:05 (in 1h 12m)"
        );
        let far = Local.with_ymd_and_hms(2026, 3, 5, 9, 0, 0).unwrap();
        assert_eq!(
            usage_limit_message(Some("pro"), Some(far.with_timezone(&Utc)), now),
            "ChatGPT Pro usage limit reached; resets at Thu 5 Mar 09:00 (in 2d 20h)"
        );
        assert_eq!(
            usage_limit_message(None, None, now),
            "ChatGPT usage limit reached; reset time unknown, try again later"
        );
    }
}
