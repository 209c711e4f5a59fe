//! Switching instead of waiting: when this account has hit its limit, [`account_with_room`]
//! finds another signed-in account whose windows have room, and [`switch_offer`] says so. The
//! switch is offered, never made.
//!
//! The provider's [`State::switch_offer`](crate::provider::State::switch_offer) calls it with the
//! active account's snapshot and the other signed-in accounts' last snapshots (an account with
//! none, or on the route that reports no figures, counts as having room: nothing says it has
//! none).

use super::limits::UsageLimits;
use chrono::{DateTime, Utc};

/// Another account's usage, as the caller knows it.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountUsage {
    /// How the account is shown ("bob@example.com · Pro").
    pub label: String,
    /// Its latest snapshot, if it has one.
    pub usage: Option<UsageLimits>,
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
    others
        .iter()
        .filter(|other| {
            other
                .usage
                .as_ref()
                .is_none_or(|usage| has_room(usage, now))
        })
        .min_by(|a, b| fullest(a.usage.as_ref()).total_cmp(&fullest(b.usage.as_ref())))
}

/// The most-used window's share (0 with no snapshot).
fn fullest(usage: Option<&UsageLimits>) -> f64 {
    usage.map_or(0.0, |usage| {
        usage
            .windows
            .iter()
            .map(|window| window.used_percent)
            .fold(0.0_f64, f64::max)
    })
}

/// "bob@example.com · Pro has room (its fullest window is at 20 %): switch to it to go on
/// now." `None` when this account has room or no other has.
pub fn switch_offer(
    this: &UsageLimits,
    others: &[AccountUsage],
    now: DateTime<Utc>,
) -> Option<String> {
    if has_room(this, now) {
        return None;
    }
    let other = account_with_room(others, now)?;
    let room = match &other.usage {
        Some(usage) if !usage.windows.is_empty() => {
            format!("its fullest window is at {:.0} %", fullest(Some(usage)))
        }
        _ => "no limit of its own has been seen".to_string(),
    };
    Some(format!(
        "{} has room ({room}): switch to it to go on now",
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
            usage: Some(snapshot(100.0, 50.0, now)),
        };
        let roomy = AccountUsage {
            label: "bob@example.com · Pro".into(),
            usage: Some(snapshot(20.0, 12.0, now)),
        };
        let unknown = AccountUsage {
            label: "dev@example.invalid".into(),
            usage: None,
        };
        let offer = switch_offer(&this, &[full.clone(), roomy], now).unwrap();
        assert_eq!(
            offer,
            "bob@example.com · Pro has room (its fullest window is at 20 %): switch to it to go \
             on now"
        );
        // An account with no snapshot has room as far as anyone knows.
        assert_eq!(
            switch_offer(&this, &[full.clone(), unknown], now).unwrap(),
            "dev@example.invalid has room (no limit of its own has been seen): switch to it to \
             go on now"
        );
        assert_eq!(switch_offer(&this, std::slice::from_ref(&full), now), None);
        // This account has room: nothing to offer.
        assert_eq!(switch_offer(&snapshot(50.0, 50.0, now), &[full], now), None);
    }
}
