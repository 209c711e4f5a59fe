//! Switching instead of waiting: when this account has hit its limit, [`account_with_room`]
//! finds another signed-in account whose windows have room, and [`switch_offer`] says so. The
//! switch is offered, never made.
//!
//! Several signed-in accounts come with issue 26 (not built yet). This is the hook it will call:
//! a function of this account's snapshot and the others' snapshots, tested here with two.

use super::limits::UsageLimits;
use chrono::{DateTime, Utc};

/// Another account's usage, as the caller knows it.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountUsage {
    /// How the account is shown ("bob@example.com · Pro").
    pub label: String,
    /// Its latest snapshot.
    pub usage: UsageLimits,
}

/// Whether an account can take a request now: no window used up (one that has reset counts as
/// free again) and not said reached.
pub fn has_room(usage: &UsageLimits, now: DateTime<Utc>) -> bool {
    let used_up: Vec<_> = usage
        .windows
        .iter()
        .filter(|window| window.used_percent >= 100.0)
        .collect();
    let all_reset = used_up
        .iter()
        .all(|window| window.resets_at.is_some_and(|at| at <= now));
    match usage.limit_reached {
        // Said reached: free again only once the used-up windows it names have reset.
        Some(true) => !used_up.is_empty() && all_reset,
        _ => all_reset,
    }
}

/// The other account with the most room (the lowest most-used window), if any has room.
pub fn account_with_room(others: &[AccountUsage], now: DateTime<Utc>) -> Option<&AccountUsage> {
    let fullest = |usage: &UsageLimits| {
        usage
            .windows
            .iter()
            .map(|window| window.used_percent)
            .fold(0.0_f64, f64::max)
    };
    others
        .iter()
        .filter(|other| has_room(&other.usage, now))
        .min_by(|a, b| fullest(&a.usage).total_cmp(&fullest(&b.usage)))
}

/// "bob@example.com · Pro has room (its fullest window is at 20 %): switch to it in the
/// provider's settings to go on now." `None` when this account has room or no other has.
pub fn switch_offer(
    this: &UsageLimits,
    others: &[AccountUsage],
    now: DateTime<Utc>,
) -> Option<String> {
    if has_room(this, now) {
        return None;
    }
    let other = account_with_room(others, now)?;
    let fullest = other
        .usage
        .windows
        .iter()
        .map(|window| window.used_percent)
        .fold(0.0_f64, f64::max);
    Some(format!(
        "{} has room (its fullest window is at {fullest:.0} %): switch to it in the provider's \
         settings to go on now",
        other.label
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::usage::UsageWindow;
    use chrono::TimeZone as _;

    fn snapshot(five_hour: f64, weekly: f64, now: DateTime<Utc>) -> UsageLimits {
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
    fn another_account_with_room_is_offered_never_one_without() {
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 2, 0, 0).unwrap();
        let this = snapshot(99.0, 100.0, now);
        let full = AccountUsage {
            label: "carol@example.com · Plus".into(),
            usage: snapshot(100.0, 50.0, now),
        };
        let roomy = AccountUsage {
            label: "bob@example.com · Pro".into(),
            usage: snapshot(20.0, 12.0, now),
        };
        let offer = switch_offer(&this, &[full.clone(), roomy], now).unwrap();
        assert_eq!(
            offer,
            "bob@example.com · Pro has room (its fullest window is at 20 %): switch to it in \
             the provider's settings to go on now"
        );
        assert_eq!(switch_offer(&this, std::slice::from_ref(&full), now), None);
        // This account has room: nothing to offer.
        assert_eq!(switch_offer(&snapshot(50.0, 50.0, now), &[full], now), None);
    }
}
