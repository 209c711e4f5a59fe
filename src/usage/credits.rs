//! Credits, explained: shown only when they mean something to this account, with one line of
//! what they are; and the rate-limit reset credits of `GET …/wham/rate-limit-reset-credits`
//! (real capture: `tests/fixtures/real/wham_rate-limit-reset-credits_quse_captured_2026-07-07.json`).
//!
//! Every Plus answer reports `credits: {has_credits: false, balance: "0"}`; a bare "Credits: 0"
//! on every card explains nothing to people who never bought any. So credits are shown when the
//! account has some (`has_credits`, `unlimited`) or the backend reports a balance above zero.

use super::limits::Credits;
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// What credits are, in one line.
pub const CREDITS_EXPLAINED: &str =
    "usage bought beyond the plan, spent once a usage window runs out";

/// "Credits: 12.50", "Credits: unlimited", "Credits: available"; `None` when not worth showing.
pub fn credits_line(credits: &Credits) -> Option<String> {
    if credits.unlimited {
        return Some("Credits: unlimited".to_string());
    }
    let balance = credits.balance.as_deref().filter(|balance| {
        balance
            .trim()
            .parse::<f64>()
            .map_or(true, |value| value > 0.0)
    });
    match (balance, credits.has_credits) {
        (Some(balance), _) => Some(format!("Credits: {balance}")),
        (None, true) => Some("Credits: available".to_string()),
        (None, false) => None,
    }
}

/// One reset credit: a one-off reset of the usage windows the account was granted.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ResetCredit {
    /// `available` (or `used`, `expired`…).
    #[serde(default)]
    pub status: Option<String>,
    /// What it resets, e.g. "Full reset (Weekly + 5 hr)".
    #[serde(default)]
    pub title: Option<String>,
    /// Until when it can be used.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// The answer of `GET …/wham/rate-limit-reset-credits`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct ResetCredits {
    /// Each credit.
    #[serde(default)]
    pub credits: Vec<ResetCredit>,
    /// How many are available.
    #[serde(default)]
    pub available_count: Option<u64>,
}

impl ResetCredits {
    /// Reads the answer; a malformed body is an error in words.
    pub fn parse(body: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(body)
            .map_err(|error| format!("the reset credits could not be read: {error}"))
    }

    /// The available credits, soonest to expire first.
    pub fn available(&self) -> Vec<&ResetCredit> {
        let mut available: Vec<_> = self
            .credits
            .iter()
            .filter(|credit| credit.status.as_deref() == Some("available"))
            .collect();
        available.sort_by_key(|credit| credit.expires_at);
        available
    }

    /// "2 reset credits available (Full reset (Weekly + 5 hr)); the first expires 2026-07-26",
    /// or `None` when there are none.
    pub fn line(&self) -> Option<String> {
        let available = self.available();
        let count = self
            .available_count
            .unwrap_or(available.len() as u64)
            .max(available.len() as u64);
        if count == 0 {
            return None;
        }
        let mut text = format!(
            "{count} reset credit{} available",
            if count == 1 { "" } else { "s" }
        );
        if let Some(title) = available.first().and_then(|credit| credit.title.as_deref()) {
            text.push_str(&format!(" ({})", crate::printable::one_line(title, 80)));
        }
        if let Some(expires) = available.first().and_then(|credit| credit.expires_at) {
            text.push_str(&format!(
                "; the first expires {}",
                expires.format("%Y-%m-%d")
            ));
        }
        Some(text)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn zero_credits_are_not_shown_and_real_ones_are() {
        let credits = |has_credits, unlimited, balance: Option<&str>| Credits {
            has_credits,
            unlimited,
            balance: balance.map(String::from),
        };
        // The real Plus answer: `has_credits: false, balance: "0"`.
        assert_eq!(credits_line(&credits(false, false, Some("0"))), None);
        assert_eq!(credits_line(&credits(false, false, None)), None);
        assert_eq!(
            credits_line(&credits(true, false, Some("12.50"))).as_deref(),
            Some("Credits: 12.50")
        );
        assert_eq!(
            credits_line(&credits(true, false, None)).as_deref(),
            Some("Credits: available")
        );
        assert_eq!(
            credits_line(&credits(false, true, None)).as_deref(),
            Some("Credits: unlimited")
        );
    }

    #[test]
    fn the_real_reset_credits_are_read() {
        let body = include_bytes!(
            "../../tests/fixtures/real/wham_rate-limit-reset-credits_quse_captured_2026-07-07.json"
        );
        let credits = ResetCredits::parse(body).unwrap();
        assert_eq!(credits.available().len(), 2);
        assert_eq!(
            credits.line().as_deref(),
            Some(
                "2 reset credits available (Full reset (Weekly + 5 hr)); the first expires 2026-07-26"
            )
        );
        assert_eq!(ResetCredits::parse(b"{}").unwrap().line(), None);
        assert!(ResetCredits::parse(b"<html>").is_err());
    }
}
