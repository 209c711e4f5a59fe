//! Which usage window ran out: [`blocking_window`] reads it from a refusal's own fields and
//! headers; [`usage_limit_sentence`] says it in the refusal's message ("ChatGPT Plus usage limit
//! reached; resets at the end of your weekly window (your 5-hour window is at 99 %): Fri 11 Dec
//! 01:46 (in 4d 23h)"), and [`blocking_window_sentence`] in the line the card and the command
//! line show ("Weekly limit reached — resets Fri 11 Dec 01:46 (in 4d 23h); your 5-hour window is
//! at 99 %").
//!
//! A refusal while the 5-hour bar shows 99 % and the weekly one is spent reads as a 5-hour
//! problem unless the window is named. What names it, in the real answers
//! (`tests/fixtures/real/err429_*`):
//! - the refusal's `x-codex-*` headers: the spent window is the one at 100 %
//!   (`x-codex-primary-used-percent: 100` with `x-codex-primary-window-minutes: 10080`);
//! - the body's `resets_at`, which is the spent window's reset time: a window whose reset is
//!   within a minute of it is the one.
//!
//! Where neither says (no headers, no window at 100 %, no reset that matches), the answer is
//! [`BlockingWindow::Unknown`] and the sentence says it could not tell, rather than guessing.

use super::limits::{UsageLimits, UsageWindow};
use super::sentences::{chatgpt_plan, reset_time, usage_limit_message};
use chrono::{DateTime, Local, Utc};

/// A reset this close to the refusal's `resets_at` is taken as the same instant.
const SAME_RESET_SECS: i64 = 60;

/// Which window a usage-limit refusal is about.
#[derive(Clone, Debug, PartialEq)]
pub enum BlockingWindow {
    /// This window ran out.
    Window(UsageWindow),
    /// Every reported window ran out; the one that resets last is the wait.
    All(UsageWindow),
    /// The answer does not tell which window ran out.
    Unknown,
}

impl BlockingWindow {
    /// The spent window's length in minutes, when known (the card marks that bar).
    pub fn window_minutes(&self) -> Option<u64> {
        match self {
            Self::Window(window) | Self::All(window) => window.window_minutes,
            Self::Unknown => None,
        }
    }
}

/// A window that really is one (the backend sends `window-minutes: 0` for an absent one).
fn is_real(window: &UsageWindow) -> bool {
    window.window_minutes.is_some_and(|minutes| minutes > 0)
}

/// Which window ran out, from the refusal's own snapshot (its headers) and its `resets_at`.
pub fn blocking_window(
    limits: Option<&UsageLimits>,
    resets_at: Option<DateTime<Utc>>,
) -> BlockingWindow {
    let windows: Vec<&UsageWindow> = limits
        .map(|limits| limits.windows.iter().filter(|w| is_real(w)).collect())
        .unwrap_or_default();
    let spent: Vec<&UsageWindow> = windows
        .iter()
        .copied()
        .filter(|window| window.used_percent >= 100.0)
        .collect();
    match spent.as_slice() {
        [one] if windows.len() > 1 => return BlockingWindow::Window((*one).clone()),
        [one] => return BlockingWindow::All((*one).clone()),
        [] => {}
        several => {
            let last = several.iter().max_by_key(|window| window.resets_at);
            if let Some(last) = last {
                return if several.len() == windows.len() {
                    BlockingWindow::All((*last).clone())
                } else {
                    BlockingWindow::Window((*last).clone())
                };
            }
        }
    }
    // No window at 100 %: the one whose reset is the refusal's own reset time.
    let Some(resets_at) = resets_at else {
        return BlockingWindow::Unknown;
    };
    let matching: Vec<&UsageWindow> = windows
        .into_iter()
        .filter(|window| {
            window.resets_at.is_some_and(|at| {
                at.signed_duration_since(resets_at).num_seconds().abs() <= SAME_RESET_SECS
            })
        })
        .collect();
    match matching.as_slice() {
        [one] => BlockingWindow::Window((*one).clone()),
        _ => BlockingWindow::Unknown,
    }
}

/// "Weekly", "5-hour": a window's label with a capital.
fn capitalised(window: &UsageWindow) -> String {
    let label = window.label();
    let mut chars = label.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => label,
    }
}

/// What a refusal says about the windows, after the plan's sentence: "Weekly limit reached —
/// resets Fri 11 Dec 01:46 (in 4d 23h); your 5-hour window is at 99 %", or that it cannot tell.
pub fn blocking_window_sentence(
    blocking: &BlockingWindow,
    limits: Option<&UsageLimits>,
    now: DateTime<Utc>,
) -> String {
    let window = match blocking {
        BlockingWindow::Unknown => {
            return "the answer did not say which usage window ran out".to_string();
        }
        BlockingWindow::All(window) => {
            let mut text = format!("{} limit reached", capitalised(window));
            if let Some(at) = window.resets_at {
                text.push_str(&format!(" — resets {}", reset_time(at, now)));
            }
            return text;
        }
        BlockingWindow::Window(window) => window,
    };
    let mut text = format!("{} limit reached", capitalised(window));
    if let Some(at) = window.resets_at {
        text.push_str(&format!(" — resets {}", reset_time(at, now)));
    }
    let others = other_windows(window, limits);
    if !others.is_empty() {
        text.push_str(&format!("; {}", others.join(", ")));
    }
    text
}

/// The whole sentence of a usage-limit refusal, naming the window inside the plan's sentence
/// so that it still reads "ChatGPT Plus usage limit reached; resets at … (in 4d 23h)":
/// "ChatGPT Plus usage limit reached; resets at the end of your weekly window (your 5-hour window
/// is at 99 %): Fri 11 Dec 01:46 (in 4d 23h)". Where the answer does not say, it says so.
pub fn usage_limit_sentence(
    plan: Option<&str>,
    resets_at: Option<DateTime<Utc>>,
    limits: Option<&UsageLimits>,
    now: DateTime<Local>,
) -> String {
    let blocking = blocking_window(limits, resets_at);
    let plain = usage_limit_message(plan, resets_at, now);
    let which = match &blocking {
        BlockingWindow::Window(window) => {
            let others = other_windows(window, limits);
            if others.is_empty() {
                format!("your {} window", window.label())
            } else {
                format!("your {} window ({})", window.label(), others.join(", "))
            }
        }
        BlockingWindow::All(window) => format!("your {} window", window.label()),
        BlockingWindow::Unknown => "a window the answer did not name".to_string(),
    };
    match resets_at {
        Some(at) => {
            format!(
                "{} usage limit reached; resets at the end of {which}: {}",
                chatgpt_plan(plan),
                reset_time(at, now.with_timezone(&Utc))
            )
        }
        None => match &blocking {
            BlockingWindow::Unknown => {
                format!("{plain}; the answer did not say which usage window ran out")
            }
            _ => format!("{plain}; it is {which} that ran out"),
        },
    }
}

/// "your 5-hour window is at 99 %" for each real window other than `window`.
fn other_windows(window: &UsageWindow, limits: Option<&UsageLimits>) -> Vec<String> {
    limits
        .map(|limits| {
            limits
                .windows
                .iter()
                .filter(|other| is_real(other) && other.window_minutes != window.window_minutes)
                .map(|other| {
                    format!(
                        "your {} window is at {:.0} %",
                        other.label(),
                        other.used_percent.floor()
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;
    use http_client::http::HeaderMap;

    fn window(used_percent: f64, minutes: u64, resets_at: DateTime<Utc>) -> UsageWindow {
        UsageWindow {
            used_percent,
            window_minutes: Some(minutes),
            resets_at: Some(resets_at),
        }
    }

    fn limits(windows: Vec<UsageWindow>, now: DateTime<Utc>) -> UsageLimits {
        UsageLimits {
            windows,
            credits: None,
            observed_at: now,
            limit_reached: Some(true),
        }
    }

    #[test]
    fn the_weekly_window_is_named_while_the_five_hour_one_is_at_99() {
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 2, 0, 0).unwrap();
        let weekly_reset = now + chrono::Duration::hours(4 * 24 + 23);
        let usage = limits(
            vec![
                window(99.0, 300, now + chrono::Duration::hours(3)),
                window(100.0, 10080, weekly_reset),
            ],
            now,
        );
        let blocking = blocking_window(Some(&usage), Some(weekly_reset));
        assert_eq!(blocking.window_minutes(), Some(10080));
        let text = blocking_window_sentence(&blocking, Some(&usage), now);
        assert!(text.starts_with("Weekly limit reached — resets "), "{text}");
        assert!(text.contains("(in 4d 23h)"), "{text}");
        assert!(text.ends_with("; your 5-hour window is at 99 %"), "{text}");
        let whole = usage_limit_sentence(
            Some("plus"),
            Some(weekly_reset),
            Some(&usage),
            now.with_timezone(&Local),
        );
        assert!(
            whole.starts_with(
                "ChatGPT Plus usage limit reached; resets at the end of your weekly window \
                 (your 5-hour window is at 99 %): "
            ),
            "{whole}"
        );
        assert!(whole.ends_with("(in 4d 23h)"), "{whole}");
    }

    #[test]
    fn the_real_free_plan_headers_name_the_weekly_window() {
        let text = include_str!(
            "../../tests/fixtures/real/err429_headers_free_plan_codex-proxy_issue65.txt"
        );
        let mut headers = HeaderMap::new();
        for line in text.lines().skip(1) {
            if let Some((name, value)) = line.split_once(':')
                && let (Ok(name), Ok(value)) = (
                    http_client::http::HeaderName::from_bytes(name.trim().as_bytes()),
                    value.trim().parse(),
                )
            {
                headers.insert(name, value);
            }
        }
        let now = Utc.with_ymd_and_hms(2026, 3, 13, 8, 9, 32).unwrap();
        let usage = UsageLimits::from_headers(&headers, now).unwrap();
        let blocking = blocking_window(Some(&usage), DateTime::from_timestamp(1773860656, 0));
        assert_eq!(blocking.window_minutes(), Some(10080));
        // The only real window: every window the plan has ran out.
        assert!(matches!(blocking, BlockingWindow::All(_)));
        let sentence = blocking_window_sentence(&blocking, Some(&usage), now);
        assert!(
            sentence.starts_with("Weekly limit reached — resets "),
            "{sentence}"
        );
    }

    #[test]
    fn a_reset_time_that_matches_one_window_names_it_and_nothing_else_guesses() {
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 2, 0, 0).unwrap();
        let five_hour_reset = now + chrono::Duration::hours(2);
        let usage = limits(
            vec![
                window(97.0, 300, five_hour_reset),
                window(40.0, 10080, now + chrono::Duration::days(3)),
            ],
            now,
        );
        let blocking = blocking_window(
            Some(&usage),
            Some(five_hour_reset + chrono::Duration::seconds(20)),
        );
        assert_eq!(blocking.window_minutes(), Some(300));
        // No headers, or nothing that matches: it says it cannot tell.
        assert_eq!(
            blocking_window(None, Some(five_hour_reset)),
            BlockingWindow::Unknown
        );
        assert_eq!(
            blocking_window(Some(&usage), Some(now + chrono::Duration::hours(9))),
            BlockingWindow::Unknown
        );
        let text = usage_limit_sentence(Some("plus"), None, None, now.with_timezone(&Local));
        assert_eq!(
            text,
            "ChatGPT Plus usage limit reached; reset time unknown, try again later; the answer \
             did not say which usage window ran out"
        );
        let text =
            usage_limit_sentence(None, Some(five_hour_reset), None, now.with_timezone(&Local));
        assert!(
            text.starts_with(
                "ChatGPT usage limit reached; resets at the end of a window the answer did not \
                 name: "
            ),
            "{text}"
        );
        assert!(text.ends_with("(in 2h 0m)"), "{text}");
    }
}
