//! Checked conversion of the numbers that arrive from the network: reset times and delays in
//! error bodies and `x-codex-*` headers, `expires_in`, JWT `exp`, the device-code `interval`,
//! `Retry-After`, "try again in 1.5s", catalog sizes.
//!
//! Whatever the backend or issuer sends — a huge number, a negative one, a fraction where a whole
//! number belongs, NaN, a string, `null` — each function here answers `Some(value)` or `None`
//! ("unknown"), and logs a warning naming the field when a value was present but unusable. None of
//! them panics or overflows, so one odd number can never take the editor down, and callers treat
//! `None` as "not said" (never as "expired" or "signed out").
//!
//! The crate's lint policy (no unwrap, expect, panic, indexing or unchecked arithmetic; see
//! `src/lib.rs`) holds this module, and the parsers that use it, to that promise.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;
use std::time::Duration;

/// The longest delay believed (a reset, an expiry, a `Retry-After`): a year. A plan's limit that
/// "resets in 3 billion years" is a broken answer, and shown as an unknown reset time.
pub(crate) const MAX_DELAY: Duration = Duration::from_secs(366 * 24 * 60 * 60);

/// The latest instant believed: 9999-12-31T23:59:59Z. Beyond it dates stop formatting as dates.
const MAX_UNIX_SECONDS: u64 = 253_402_300_799;

/// Why a number from the network was not used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unusable {
    /// Not a JSON number (a string, a bool, an object…) or text that is not a number.
    NotANumber,
    /// A fraction where a whole number was expected.
    Fractional,
    /// Below zero where only zero or more makes sense.
    Negative,
    /// NaN or infinite.
    NotFinite,
    /// A number, but too large to be believed.
    OutOfRange,
}

impl Unusable {
    fn describe(self) -> &'static str {
        match self {
            Self::NotANumber => "not a number",
            Self::Fractional => "a fraction where a whole number was expected",
            Self::Negative => "negative",
            Self::NotFinite => "not finite",
            Self::OutOfRange => "out of range",
        }
    }
}

/// Logs why `field` was ignored and answers `None`.
fn unknown<T>(field: &str, why: Unusable) -> Option<T> {
    log::warn!("ignoring {field} from the network: {}", why.describe());
    None
}

/// A whole number ≥ 0 from a JSON value, or why not. `null` counts as absent (no log line).
pub(crate) fn check_whole(value: &Value) -> Result<Option<u64>, Unusable> {
    match value {
        Value::Null => Ok(None),
        Value::Number(number) => {
            if let Some(whole) = number.as_u64() {
                Ok(Some(whole))
            } else if number.as_i64().is_some() {
                Err(Unusable::Negative)
            } else {
                match number.as_f64() {
                    Some(float) if !float.is_finite() => Err(Unusable::NotFinite),
                    Some(float) if float < 0.0 => Err(Unusable::Negative),
                    Some(float) if float.fract() == 0.0 => Err(Unusable::OutOfRange),
                    _ => Err(Unusable::Fractional),
                }
            }
        }
        _ => Err(Unusable::NotANumber),
    }
}

/// A whole number ≥ 0 from a JSON value; anything else is unknown (logged as `field`).
pub fn whole(value: Option<&Value>, field: &str) -> Option<u64> {
    match check_whole(value?) {
        Ok(whole) => whole,
        Err(why) => unknown(field, why),
    }
}

/// A whole number ≥ 0 from header text (`"3600"`); anything else is unknown.
pub(crate) fn whole_text(text: &str, field: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match text.parse::<u64>() {
        Ok(whole) => Some(whole),
        Err(_) => unknown(field, classify_text(text)),
    }
}

/// A whole number ≥ 0 sent as a JSON number or as a string of digits (the issuer sends the
/// device-code `interval` as `"5"`).
pub(crate) fn whole_or_digits(value: Option<&Value>, field: &str) -> Option<u64> {
    match value? {
        Value::String(text) => whole_text(text, field),
        other => whole(Some(other), field),
    }
}

/// Why header text is not a whole number ≥ 0.
fn classify_text(text: &str) -> Unusable {
    match text.parse::<f64>() {
        Err(_) => Unusable::NotANumber,
        Ok(float) if !float.is_finite() => Unusable::NotFinite,
        Ok(float) if float < 0.0 => Unusable::Negative,
        Ok(float) if float.fract() != 0.0 => Unusable::Fractional,
        Ok(_) => Unusable::OutOfRange,
    }
}

/// A finite number from header text (`"42.5"`); NaN, infinities and non-numbers are unknown.
pub(crate) fn finite_text(text: &str, field: &str) -> Option<f64> {
    match text.trim().parse::<f64>() {
        Ok(float) if float.is_finite() => Some(float),
        Ok(_) => unknown(field, Unusable::NotFinite),
        Err(_) => unknown(field, Unusable::NotANumber),
    }
}

/// A percentage clamped to 0–100 (a backend's 101% is "full", not an error).
pub(crate) fn percent_text(text: &str, field: &str) -> Option<f64> {
    finite_text(text, field).map(|percent| percent.clamp(0.0, 100.0))
}

/// A percentage sent as a JSON number, clamped to 0–100; anything else is unknown.
pub fn percent(value: Option<&Value>, field: &str) -> Option<f64> {
    match value? {
        Value::Null => None,
        Value::Number(number) => match number.as_f64() {
            Some(float) if float.is_finite() => Some(float.clamp(0.0, 100.0)),
            _ => unknown(field, Unusable::NotFinite),
        },
        _ => unknown(field, Unusable::NotANumber),
    }
}

/// Seconds since the Unix epoch → an instant, when between 1970 and 9999.
pub(crate) fn unix_seconds(seconds: u64, field: &str) -> Option<DateTime<Utc>> {
    if seconds > MAX_UNIX_SECONDS {
        return unknown(field, Unusable::OutOfRange);
    }
    let seconds = i64::try_from(seconds).ok()?;
    DateTime::from_timestamp(seconds, 0).or_else(|| unknown(field, Unusable::OutOfRange))
}

/// An instant sent as Unix seconds in a JSON value.
pub(crate) fn unix_time(value: Option<&Value>, field: &str) -> Option<DateTime<Utc>> {
    unix_seconds(whole(value, field)?, field)
}

/// An instant sent as Unix seconds in header text.
pub(crate) fn unix_time_text(text: &str, field: &str) -> Option<DateTime<Utc>> {
    unix_seconds(whole_text(text, field)?, field)
}

/// A delay in whole seconds, at most [`MAX_DELAY`].
pub(crate) fn delay_seconds(seconds: u64, field: &str) -> Option<Duration> {
    let delay = Duration::from_secs(seconds);
    if delay > MAX_DELAY {
        return unknown(field, Unusable::OutOfRange);
    }
    Some(delay)
}

/// A delay in whole seconds sent in a JSON value.
pub fn delay(value: Option<&Value>, field: &str) -> Option<Duration> {
    delay_seconds(whole(value, field)?, field)
}

/// A delay in whole seconds sent as header text (`Retry-After: 7`).
pub(crate) fn delay_text(text: &str, field: &str) -> Option<Duration> {
    delay_seconds(whole_text(text, field)?, field)
}

/// A delay in (possibly fractional) seconds, e.g. from "try again in 1.5s".
pub(crate) fn delay_fractional(seconds: f64, field: &str) -> Option<Duration> {
    if !seconds.is_finite() {
        return unknown(field, Unusable::NotFinite);
    }
    if seconds < 0.0 {
        return unknown(field, Unusable::Negative);
    }
    match Duration::try_from_secs_f64(seconds) {
        Ok(delay) if delay <= MAX_DELAY => Some(delay),
        _ => unknown(field, Unusable::OutOfRange),
    }
}

/// `now + delay`, or `None` when that instant cannot be represented.
pub fn after(now: DateTime<Utc>, delay: Duration) -> Option<DateTime<Utc>> {
    let delta = TimeDelta::from_std(delay).ok()?;
    now.checked_add_signed(delta)
}

/// How long from `now` until `at`; zero when `at` has passed.
pub fn until(at: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    at.signed_duration_since(now).to_std().unwrap_or_default()
}

/// `percent`% of `total`, rounded down, without overflow (`context_window × 95 / 100`).
pub(crate) fn percent_of(total: u64, percent: u8) -> u64 {
    let percent = u64::from(percent.min(100));
    match total.checked_mul(percent) {
        Some(product) => product.checked_div(100).unwrap_or(0),
        None => total.checked_div(100).unwrap_or(0).saturating_mul(percent),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;
    use serde_json::json;

    #[test]
    fn whole_numbers_and_everything_else() {
        assert_eq!(check_whole(&json!(3600)), Ok(Some(3600)));
        assert_eq!(check_whole(&json!(null)), Ok(None));
        assert_eq!(check_whole(&json!(-1)), Err(Unusable::Negative));
        assert_eq!(check_whole(&json!(-1.5)), Err(Unusable::Negative));
        assert_eq!(check_whole(&json!(1.5)), Err(Unusable::Fractional));
        assert_eq!(check_whole(&json!(1e30)), Err(Unusable::OutOfRange));
        assert_eq!(check_whole(&json!("5")), Err(Unusable::NotANumber));
        assert_eq!(check_whole(&json!({"a": 1})), Err(Unusable::NotANumber));
        assert_eq!(whole_or_digits(Some(&json!("5")), "interval"), Some(5));
        assert_eq!(whole_or_digits(Some(&json!(" 7 ")), "interval"), Some(7));
        assert_eq!(whole_or_digits(Some(&json!("-5")), "interval"), None);
        assert_eq!(whole_text("1.5", "x"), None);
        assert_eq!(classify_text("1.5"), Unusable::Fractional);
        assert_eq!(classify_text("-3"), Unusable::Negative);
        assert_eq!(classify_text("NaN"), Unusable::NotFinite);
        assert_eq!(
            classify_text("99999999999999999999999"),
            Unusable::OutOfRange
        );
        assert_eq!(classify_text("soon"), Unusable::NotANumber);
    }

    #[test]
    fn delays_and_instants_are_bounded() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(
            delay(Some(&json!(99_999_999_999_999_999u64)), "resets_in_seconds"),
            None
        );
        assert_eq!(delay(Some(&json!(60)), "d"), Some(Duration::from_secs(60)));
        assert_eq!(delay_text("7", "retry-after"), Some(Duration::from_secs(7)));
        assert_eq!(delay_fractional(f64::NAN, "x"), None);
        assert_eq!(delay_fractional(-1.0, "x"), None);
        assert_eq!(delay_fractional(1e300, "x"), None);
        assert_eq!(
            delay_fractional(1.5, "x"),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(unix_time(Some(&json!(u64::MAX)), "exp"), None);
        assert_eq!(unix_time_text("253402300800", "reset-at"), None);
        assert_eq!(
            unix_time(Some(&json!(1_767_225_600)), "exp"),
            Some(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap())
        );
        assert_eq!(
            after(DateTime::<Utc>::MAX_UTC, Duration::from_secs(1)),
            None
        );
        assert_eq!(
            after(now, Duration::from_secs(60)),
            Some(now + TimeDelta::seconds(60))
        );
        assert_eq!(until(now, now + TimeDelta::seconds(5)), Duration::ZERO);
        assert_eq!(
            until(now + TimeDelta::seconds(5), now),
            Duration::from_secs(5)
        );
        assert_eq!(percent_text("101", "p"), Some(100.0));
        assert_eq!(percent_text("NaN", "p"), None);
    }

    #[test]
    fn percent_of_never_overflows() {
        assert_eq!(percent_of(272_000, 95), 258_400);
        assert_eq!(percent_of(u64::MAX, 200), u64::MAX / 100 * 100);
        assert_eq!(percent_of(u64::MAX, 95), u64::MAX / 100 * 95);
        assert_eq!(percent_of(0, 95), 0);
    }
}
