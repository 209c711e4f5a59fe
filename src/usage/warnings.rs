//! Warnings before the wall: [`UsageWarningThresholds`] (80 % and 95 % unless the host's settings
//! say otherwise) and [`usage_warnings`], one line per window past a threshold ("Weekly limit at
//! 93 %, past your 80 % warning; resets Thu 10 Dec 13:43 (in 4d 1h)").
//!
//! A warning never blocks a request: the card shows it and the command line prints it before it
//! sends, so that a long agent task is not started at 93 % of the weekly window unawares.

use super::limits::{UsageLimits, UsageWindow};
use super::sentences::reset_time;
use chrono::{DateTime, Utc};

/// The usage shares (whole percents) past which a window is warned about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageWarningThresholds {
    percents: Vec<u8>,
}

impl Default for UsageWarningThresholds {
    fn default() -> Self {
        Self {
            percents: vec![80, 95],
        }
    }
}

impl UsageWarningThresholds {
    /// Thresholds from percents; values above 100 are dropped, the rest sorted. An empty list
    /// switches the warnings off.
    pub fn new(percents: impl IntoIterator<Item = u8>) -> Self {
        let mut percents: Vec<u8> = percents
            .into_iter()
            .filter(|percent| *percent <= 100)
            .collect();
        percents.sort_unstable();
        percents.dedup();
        Self { percents }
    }

    /// Reads "80,95" (a command-line option or a setting); "" or "off" is no warnings.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() || text.eq_ignore_ascii_case("off") {
            return Ok(Self::new([]));
        }
        let percents = text
            .split(',')
            .map(|part| {
                let part = part.trim().trim_end_matches('%').trim();
                part.parse::<u8>()
                    .ok()
                    .filter(|percent| *percent <= 100)
                    .ok_or_else(|| {
                        format!("{part:?} is not a percentage between 0 and 100 (e.g. 80,95)")
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(percents))
    }

    /// The thresholds, lowest first.
    pub fn percents(&self) -> &[u8] {
        &self.percents
    }

    /// The highest threshold `used_percent` has reached, if any.
    pub fn crossed(&self, used_percent: f64) -> Option<u8> {
        self.percents
            .iter()
            .rev()
            .copied()
            .find(|threshold| used_percent >= f64::from(*threshold))
    }
}

/// One window past a threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct UsageWarning {
    /// The window.
    pub window: UsageWindow,
    /// The highest threshold it has reached.
    pub threshold: u8,
}

impl UsageWarning {
    /// "Weekly limit at 93 %, past your 80 % warning; resets Thu 10 Dec 13:43 (in 4d 1h)".
    pub fn sentence(&self, now: DateTime<Utc>) -> String {
        let label = self.window.label();
        let mut chars = label.chars();
        let label: String = match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => label,
        };
        let mut text = format!(
            "{label} limit at {:.0} %, past your {} % warning",
            self.window.used_percent.floor(),
            self.threshold
        );
        if let Some(at) = self.window.resets_at {
            text.push_str(&format!("; resets {}", reset_time(at, now)));
        }
        text
    }
}

/// The windows past a threshold that have not reset yet and are not used up (a used-up window
/// is the limit itself, said by the limit sentence). Most used first.
pub fn usage_warnings(
    usage: &UsageLimits,
    thresholds: &UsageWarningThresholds,
    now: DateTime<Utc>,
) -> Vec<UsageWarning> {
    let mut warnings: Vec<UsageWarning> = usage
        .windows
        .iter()
        .filter(|window| window.window_minutes.is_none_or(|minutes| minutes > 0))
        .filter(|window| window.used_percent < 100.0)
        .filter(|window| window.resets_at.is_none_or(|at| at > now))
        .filter_map(|window| {
            thresholds
                .crossed(window.used_percent)
                .map(|threshold| UsageWarning {
                    window: window.clone(),
                    threshold,
                })
        })
        .collect();
    warnings.sort_by(|a, b| b.window.used_percent.total_cmp(&a.window.used_percent));
    warnings
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn usage(five_hour: f64, weekly: f64, now: DateTime<Utc>) -> UsageLimits {
        UsageLimits {
            windows: vec![
                UsageWindow {
                    used_percent: five_hour,
                    window_minutes: Some(300),
                    resets_at: Some(now + chrono::Duration::hours(2)),
                },
                UsageWindow {
                    used_percent: weekly,
                    window_minutes: Some(10080),
                    resets_at: Some(now + chrono::Duration::days(4)),
                },
            ],
            credits: None,
            observed_at: now,
            limit_reached: None,
        }
    }

    #[test]
    fn each_threshold_crossing_is_one_warning_per_window() {
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 2, 0, 0).unwrap();
        let thresholds = UsageWarningThresholds::default();
        assert!(usage_warnings(&usage(10.0, 79.9, now), &thresholds, now).is_empty());
        let past_80 = usage_warnings(&usage(10.0, 80.0, now), &thresholds, now);
        assert_eq!(past_80.len(), 1);
        assert_eq!(past_80[0].threshold, 80);
        let text = past_80[0].sentence(now);
        assert!(
            text.starts_with("Weekly limit at 80 %, past your 80 % warning; resets "),
            "{text}"
        );
        let past_95 = usage_warnings(&usage(96.0, 93.0, now), &thresholds, now);
        assert_eq!(
            past_95
                .iter()
                .map(|w| (w.window.window_minutes, w.threshold))
                .collect::<Vec<_>>(),
            [(Some(300), 95), (Some(10080), 80)]
        );
        // Used up: that is the limit, not a warning.
        assert!(usage_warnings(&usage(100.0, 10.0, now), &thresholds, now).is_empty());
    }

    #[test]
    fn thresholds_parse_from_settings_text() {
        assert_eq!(
            UsageWarningThresholds::parse("95, 80%").unwrap().percents(),
            [80, 95]
        );
        assert!(
            UsageWarningThresholds::parse("off")
                .unwrap()
                .percents()
                .is_empty()
        );
        assert!(UsageWarningThresholds::parse("120").is_err());
        assert!(UsageWarningThresholds::parse("eighty").is_err());
        let thresholds = UsageWarningThresholds::parse("50").unwrap();
        assert_eq!(thresholds.crossed(60.0), Some(50));
        assert_eq!(thresholds.crossed(40.0), None);
    }
}
