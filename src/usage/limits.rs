//! [`UsageLimits`]: the plan's usage windows and credits, read from the `x-codex-*` headers the
//! backend puts on every `/responses` answer.
//!
//! The backend sends up to two windows, `primary` and `secondary`, but which is which has changed
//! (the 5-hour window was dropped once, and tools that assumed "primary = 5-hour" mislabelled the
//! weekly one). So a window is labelled by its length in minutes, never by its position.

use crate::network_number;
use chrono::{DateTime, Utc};
use http_client::http::HeaderMap;
use serde::{Deserialize, Serialize};

/// A snapshot of the plan's limits at the time of one answer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UsageLimits {
    /// The usage windows the backend reported, in header order (primary, then secondary).
    pub windows: Vec<UsageWindow>,
    /// The account's credits, when reported.
    pub credits: Option<Credits>,
    /// When this snapshot was taken: for an answer's headers, when the answer arrived; for
    /// `/wham/usage`, when the request was *sent*, so that a snapshot is never dated later than
    /// the state of the backend it describes.
    pub observed_at: DateTime<Utc>,
    /// Whether the backend said the plan's limit is reached: `/wham/usage`'s
    /// `rate_limit.limit_reached`, or `true` for the snapshot of a usage-limit refusal. `None`
    /// when the source does not say (answer headers); then a window at 100 % decides.
    #[serde(default)]
    pub limit_reached: Option<bool>,
}

/// One rolling usage window (e.g. the 5-hour or the weekly limit).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UsageWindow {
    /// How much of the window is used, 0–100.
    pub used_percent: f64,
    /// The window's length in minutes, when reported.
    pub window_minutes: Option<u64>,
    /// When the window resets.
    pub resets_at: Option<DateTime<Utc>>,
}

/// Credits on the account (bought usage beyond the plan).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credits {
    /// Whether any credits are left.
    pub has_credits: bool,
    /// Whether the credits are unlimited.
    pub unlimited: bool,
    /// The balance as the backend formats it, when sent.
    pub balance: Option<String>,
}

impl UsageWindow {
    /// "5-hour", "weekly", "3-day", "90-minute" from the window's length; "usage" when unknown.
    pub fn label(&self) -> String {
        match self.window_minutes {
            None | Some(0) => "usage".to_string(),
            Some(10080) => "weekly".to_string(),
            Some(minutes) if minutes % 1440 == 0 => format!("{}-day", minutes / 1440),
            Some(minutes) if minutes % 60 == 0 => format!("{}-hour", minutes / 60),
            Some(minutes) => format!("{minutes}-minute"),
        }
    }
}

impl UsageLimits {
    /// Reads the snapshot from an answer's headers; `None` when the answer carries none of them.
    pub fn from_headers(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Self> {
        let windows: Vec<UsageWindow> = ["primary", "secondary"]
            .into_iter()
            .filter_map(|which| window(headers, which, now))
            .collect();
        let credits = credits(headers);
        if windows.is_empty() && credits.is_none() {
            return None;
        }
        Some(Self {
            windows,
            credits,
            observed_at: now,
            limit_reached: None,
        })
    }

    /// The window with this length in minutes, e.g. `window(300)` for the 5-hour one.
    pub fn window(&self, minutes: u64) -> Option<&UsageWindow> {
        self.windows
            .iter()
            .find(|window| window.window_minutes == Some(minutes))
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
}

fn window(headers: &HeaderMap, which: &str, now: DateTime<Utc>) -> Option<UsageWindow> {
    let field = |suffix: &str| format!("x-codex-{which}-{suffix}");
    let read = |suffix: &str| header(headers, &field(suffix)).map(|text| (text, field(suffix)));
    let (text, name) = read("used-percent")?;
    let used_percent = network_number::percent_text(text, &name)?;
    let window_minutes =
        read("window-minutes").and_then(|(text, name)| network_number::whole_text(text, &name));
    let resets_at = read("reset-at")
        .and_then(|(text, name)| network_number::unix_time_text(text, &name))
        .or_else(|| {
            // Older backends send the delay instead of the instant.
            read("reset-after-seconds")
                .and_then(|(text, name)| network_number::delay_text(text, &name))
                .and_then(|delay| network_number::after(now, delay))
        });
    Some(UsageWindow {
        used_percent,
        window_minutes,
        resets_at,
    })
}

fn credits(headers: &HeaderMap) -> Option<Credits> {
    let flag = |name: &str| header(headers, name).map(|v| v.eq_ignore_ascii_case("true"));
    let has_credits = flag("x-codex-credits-has-credits");
    let unlimited = flag("x-codex-credits-unlimited");
    let balance = header(headers, "x-codex-credits-balance")
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    if has_credits.is_none() && unlimited.is_none() && balance.is_none() {
        return None;
    }
    Some(Credits {
        has_credits: has_credits.unwrap_or(false),
        unlimited: unlimited.unwrap_or(false),
        balance,
    })
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                http_client::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    #[test]
    fn labels_windows_by_minutes_not_position() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        // The 5-hour window dropped: the weekly one arrives as "primary".
        let limits = UsageLimits::from_headers(
            &headers(&[
                ("x-codex-primary-used-percent", "42.5"),
                ("x-codex-primary-window-minutes", "10080"),
                ("x-codex-primary-reset-after-seconds", "3600"),
            ]),
            now,
        )
        .unwrap();
        assert_eq!(limits.windows.len(), 1);
        assert_eq!(limits.windows[0].label(), "weekly");
        assert_eq!(limits.window(10080).unwrap().used_percent, 42.5);
        assert_eq!(
            limits.windows[0].resets_at,
            Some(now + chrono::Duration::hours(1))
        );
        assert!(limits.window(300).is_none());
        assert_eq!(limits.credits, None);
    }

    #[test]
    fn reads_both_windows_and_credits() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let limits = UsageLimits::from_headers(
            &headers(&[
                ("x-codex-primary-used-percent", "12"),
                ("x-codex-primary-window-minutes", "300"),
                ("x-codex-primary-reset-at", "1767229200"),
                ("x-codex-secondary-used-percent", "3"),
                ("x-codex-secondary-window-minutes", "2880"),
                ("x-codex-credits-has-credits", "True"),
                ("x-codex-credits-unlimited", "false"),
                ("x-codex-credits-balance", "12.50"),
            ]),
            now,
        )
        .unwrap();
        let labels: Vec<_> = limits.windows.iter().map(UsageWindow::label).collect();
        assert_eq!(labels, ["5-hour", "2-day"]);
        assert_eq!(
            limits.windows[0].resets_at,
            DateTime::from_timestamp(1767229200, 0)
        );
        assert_eq!(
            limits.credits,
            Some(Credits {
                has_credits: true,
                unlimited: false,
                balance: Some("12.50".into())
            })
        );
        assert_eq!(UsageLimits::from_headers(&HeaderMap::new(), now), None);
    }
}
