//! [`ConfigurationStatus`]: what the configuration view shows, decided here so the view only
//! lays it out.
//!
//! Every sentence the settings panel shows is built in this file from the provider's state, which
//! keeps the view free of logic and lets tests check the words without rendering.

use super::state::{PlanNotice, State};
use crate::auth::{AuthState, SignInMethod, SignInProgress};
use crate::models::CatalogSource;
use crate::oauth::BrowserAvailability;
use crate::route::Route;
use crate::siwc::MANAGE_USAGE_URL;
use crate::usage::blocking::blocking_window_sentence;
use crate::usage::{
    BlockingWindow, CREDITS_EXPLAINED, UsageLimits, UsageWarningThresholds, blocking_window,
    credits_line, reset_time, usage_limit_message, usage_warnings,
};
use chrono::{DateTime, Utc};
use gpui::{App, SharedString};
use url::Url;

/// Where a running sign-in stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignInStep {
    /// Binding the callback port or asking for a device code.
    Starting {
        /// How.
        method: SignInMethod,
    },
    /// The browser was sent to this page; the user approves there.
    ApproveInBrowser {
        /// The sign-in page (shown in case the browser did not open).
        authorize_url: Url,
    },
    /// The user types `user_code` at `verification_url` on any device.
    EnterDeviceCode {
        /// Where.
        verification_url: Url,
        /// What.
        user_code: String,
    },
}

/// One usage window as a bar.
#[derive(Clone, Debug, PartialEq)]
pub struct UsageBar {
    /// "5-hour limit", "Weekly limit".
    pub label: SharedString,
    /// 0–100.
    pub used_percent: f32,
    /// "resets 14:05 (in 1h 12m)", when known.
    pub resets: Option<SharedString>,
    /// Whether this is the window that ran out (the card marks it and draws the others dimmer).
    pub blocking: bool,
}

/// The settings panel's content.
#[derive(Clone, Debug, PartialEq)]
pub enum ConfigurationStatus {
    /// Reading the stored sign-in.
    Loading,
    /// Nobody signed in; `error` says why the last attempt or session ended, if it did.
    SignedOut {
        /// The last error, in words.
        error: Option<SharedString>,
    },
    /// A sign-in is running.
    SigningIn {
        /// What the user should do.
        step: SignInStep,
    },
    /// Signed in.
    SignedIn {
        /// "Signed in as ada@example.com · Plus".
        account: SharedString,
        /// The plan's usage windows, when an answer has reported them.
        usage: Vec<UsageBar>,
        /// "Credits: 12.50 — …what credits are", only when the account has some (see
        /// [`crate::usage::credits`]).
        credits: Option<SharedString>,
        /// "ChatGPT Plus usage limit reached; resets at 14:05 (in 1h 12m)", while a usage window
        /// is used up.
        limit_reached: Option<SharedString>,
        /// Things worth knowing: the model list being the built-in one, a renewal that failed
        /// for now.
        notices: Vec<SharedString>,
        /// The route the sign-in took.
        route: Route,
        /// "You're using your ChatGPT plan…": shown once after the first official-route sign-in,
        /// until dismissed.
        plan_notice: Option<SharedString>,
        /// While the limit is reached: which window ran out ("Weekly limit reached — resets Fri
        /// 11 Dec 01:46 (in 4d 23h); your 5-hour window is at 99 %"), or that it is not known.
        blocking_window: Option<SharedString>,
        /// One line per window past a warning threshold ("Weekly limit at 93 %, past your 80 %
        /// warning; resets …").
        warnings: Vec<SharedString>,
        /// "Waiting for ChatGPT's rate limit (12 s)", while the account's requests are paused.
        rate_limit_wait: Option<SharedString>,
    },
}

/// Which sign-in the signed-out card offers first, decided by whether a browser can work here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignInOffer {
    /// A browser can open here: "Continue with ChatGPT" first, the other ways quieter.
    BrowserFirst,
    /// No browser can work here (an SSH session, no display, no launcher): `why` says so in one
    /// line, and the device code comes first.
    DeviceCodeFirst {
        /// "This machine has no graphical display to open a browser on: sign in with a code
        /// instead (Sign in with a device code)."
        why: SharedString,
    },
}

/// The device-code button's label, which the no-browser line names.
pub const DEVICE_CODE_LABEL: &str = "Sign in with a device code";

impl SignInOffer {
    /// The offer for a machine where a browser sign-in is as `availability` says.
    pub fn for_availability(availability: BrowserAvailability) -> Self {
        match availability.explanation(DEVICE_CODE_LABEL) {
            None => Self::BrowserFirst,
            Some(why) => Self::DeviceCodeFirst { why: why.into() },
        }
    }
}

/// The one-time notice's title (siwc.md §6).
pub const PLAN_NOTICE_TITLE: &str = "You're using your ChatGPT plan";
/// The one-time notice's text.
pub const PLAN_NOTICE_TEXT: &str = "Eligible requests from this app use your ChatGPT plan's usage. \
    Manage usage in ChatGPT settings.";
/// Shown where usage bars would be on the official route, which reports no usage figures.
pub const USING_PLAN: &str = "Using ChatGPT plan";
/// Why someone would take the Codex route instead (one line, under its action).
pub const CODEX_ROUTE_WHY: &str = "For Business, Enterprise, Edu and Free plans, which Sign in \
    with ChatGPT does not serve.";

impl ConfigurationStatus {
    /// The text of every line, for logs, the command line and tests.
    pub fn lines(&self) -> Vec<String> {
        match self {
            Self::Loading => vec!["Loading your ChatGPT sign-in…".into()],
            Self::SignedOut { error } => {
                let mut lines = vec!["Not signed in.".to_string()];
                lines.extend(error.iter().map(|error| error.to_string()));
                lines
            }
            Self::SigningIn { step } => match step {
                SignInStep::Starting {
                    method: SignInMethod::Browser,
                } => {
                    vec!["Signing in… starting the browser sign-in.".into()]
                }
                SignInStep::Starting {
                    method: SignInMethod::DeviceCode,
                } => {
                    vec!["Signing in… asking for a device code.".into()]
                }
                SignInStep::Starting {
                    method: SignInMethod::SignInWithChatGpt,
                } => {
                    vec!["Signing in… starting Sign in with ChatGPT.".into()]
                }
                // The URL carries the sign-in's `state`: it is opened, never printed here.
                SignInStep::ApproveInBrowser { .. } => {
                    vec!["Signing in… approve in your browser.".into()]
                }
                SignInStep::EnterDeviceCode {
                    verification_url,
                    user_code,
                } => vec![
                    format!("Signing in… visit {verification_url}"),
                    format!("and enter the code {user_code}"),
                ],
            },
            Self::SignedIn {
                account,
                usage,
                credits,
                limit_reached,
                notices,
                route,
                plan_notice,
                blocking_window,
                warnings,
                rate_limit_wait,
            } => {
                let mut lines = vec![account.to_string(), format!("Route: {}", route.label())];
                if *route == Route::SignInWithChatGpt {
                    lines.push(format!("{USING_PLAN} · Manage usage: {MANAGE_USAGE_URL}"));
                }
                lines.extend(
                    plan_notice
                        .iter()
                        .map(|notice| format!("{PLAN_NOTICE_TITLE}: {notice}")),
                );
                lines.extend(limit_reached.iter().map(|limit| limit.to_string()));
                lines.extend(blocking_window.iter().map(|line| line.to_string()));
                lines.extend(rate_limit_wait.iter().map(|line| line.to_string()));
                lines.extend(warnings.iter().map(|line| line.to_string()));
                for bar in usage {
                    let mut line = format!("{}: {:.0}% used", bar.label, bar.used_percent);
                    if bar.blocking {
                        line.push_str(" (ran out)");
                    }
                    if let Some(resets) = &bar.resets {
                        line.push_str(&format!(", {resets}"));
                    }
                    lines.push(line);
                }
                lines.extend(credits.iter().map(|c| c.to_string()));
                lines.extend(notices.iter().map(|n| n.to_string()));
                lines
            }
        }
    }
}

/// "resets 14:05 (in 1h 12m)"; beyond a day the date is named too.
pub fn describe_reset(resets_at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    format!("resets {}", reset_time(resets_at, now))
}

/// The bars for a usage snapshot, labelled by each window's length (never by its position);
/// while the limit is reached, the window that ran out is marked.
pub fn usage_bars(usage: &UsageLimits, now: DateTime<Utc>) -> Vec<UsageBar> {
    let blocking = blocking_of(usage, now).and_then(|blocking| blocking.window_minutes());
    usage
        .windows
        .iter()
        .map(|window| {
            let label = window.label();
            let mut label_chars = label.chars();
            let label = match label_chars.next() {
                Some(first) => format!("{}{} limit", first.to_uppercase(), label_chars.as_str()),
                None => "Limit".to_string(),
            };
            UsageBar {
                label: label.into(),
                used_percent: window.used_percent.clamp(0.0, 100.0) as f32,
                resets: window.resets_at.map(|at| describe_reset(at, now).into()),
                blocking: blocking.is_some() && window.window_minutes == blocking,
            }
        })
        .collect()
}

/// Which window ran out, while the snapshot says the limit is reached.
fn blocking_of(usage: &UsageLimits, now: DateTime<Utc>) -> Option<BlockingWindow> {
    limit_reached(usage, None, now)?;
    Some(blocking_window(Some(usage), None))
}

/// The line that names the window that ran out, while the limit is reached.
pub fn blocking_window_line(usage: &UsageLimits, now: DateTime<Utc>) -> Option<String> {
    let blocking = blocking_of(usage, now)?;
    let line = blocking_window_sentence(&blocking, Some(usage), now);
    Some(match blocking {
        BlockingWindow::Unknown => {
            let mut chars = line.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect())
                .unwrap_or(line)
        }
        _ => line,
    })
}

/// The warning lines for a snapshot, none while the limit is reached (that is said already).
pub fn warning_lines(
    usage: &UsageLimits,
    thresholds: &UsageWarningThresholds,
    now: DateTime<Utc>,
) -> Vec<String> {
    if limit_reached(usage, None, now).is_some() {
        return Vec::new();
    }
    usage_warnings(usage, thresholds, now)
        .iter()
        .map(|warning| warning.sentence(now))
        .collect()
}

/// "Waiting for ChatGPT's rate limit (12 s)".
pub fn rate_limit_wait_line(wait: std::time::Duration) -> String {
    format!(
        "Waiting for ChatGPT's rate limit ({} s)",
        wait.as_secs_f64().ceil().max(1.0)
    )
}

pub(super) fn status_of(state: &State, cx: &App) -> ConfigurationStatus {
    let auth = state.auth().read(cx);
    let error = auth
        .last_error()
        .map(|error| SharedString::from(error.to_string()));
    match auth.auth_state() {
        AuthState::Loading => ConfigurationStatus::Loading,
        AuthState::SignedOut => ConfigurationStatus::SignedOut { error },
        AuthState::SigningIn {
            method, progress, ..
        } => ConfigurationStatus::SigningIn {
            step: match progress {
                SignInProgress::Starting => SignInStep::Starting { method: *method },
                SignInProgress::WaitingForBrowser { authorize_url } => {
                    SignInStep::ApproveInBrowser {
                        authorize_url: authorize_url.clone(),
                    }
                }
                SignInProgress::WaitingForDeviceCode {
                    verification_url,
                    user_code,
                } => SignInStep::EnterDeviceCode {
                    verification_url: verification_url.clone(),
                    // From the issuer: shown without control characters.
                    user_code: crate::printable::one_line(user_code, 64),
                },
            },
        },
        AuthState::SignedIn { credentials, .. } => {
            let identity = &credentials.identity;
            let mut account = match &identity.email {
                Some(email) => format!("Signed in as {email}"),
                None => "Signed in to ChatGPT".to_string(),
            };
            if let Some(plan) = &identity.plan {
                account.push_str(&format!(" · {plan}"));
            }
            let now = Utc::now();
            let usage = state.usage();
            let mut notices: Vec<SharedString> = Vec::new();
            if state.catalog().read(cx).source() == CatalogSource::Fallback {
                notices.push(
                    "Showing the built-in model list until your plan's list arrives from the backend."
                        .into(),
                );
            }
            notices.extend(error);
            ConfigurationStatus::SignedIn {
                account: account.into(),
                usage: usage
                    .map(|usage| usage_bars(usage, now))
                    .unwrap_or_default(),
                credits: usage
                    .and_then(|usage| usage.credits.as_ref())
                    .and_then(credits_line)
                    .map(|line| format!("{line} — {CREDITS_EXPLAINED}").into()),
                limit_reached: match credentials.route() {
                    Route::CodexBackend => usage.and_then(|usage| {
                        limit_reached(usage, identity.plan.clone().map(String::from), now)
                    }),
                    // No figures and no reset time: only that it is reached, until an answer
                    // completes.
                    Route::SignInWithChatGpt => state
                        .official_limit()
                        .map(|_| "Usage limit reached for your ChatGPT plan in this app.".into()),
                },
                notices,
                route: credentials.route(),
                plan_notice: (credentials.route() == Route::SignInWithChatGpt
                    && state.plan_notice() == PlanNotice::NotDismissed)
                    .then(|| PLAN_NOTICE_TEXT.into()),
                blocking_window: usage
                    .and_then(|usage| blocking_window_line(usage, now))
                    .map(Into::into),
                warnings: usage
                    .map(|usage| warning_lines(usage, &state.config().usage_warnings, now))
                    .unwrap_or_default()
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                rate_limit_wait: state
                    .rate_limit_wait(cx)
                    .map(|wait| rate_limit_wait_line(wait).into()),
            }
        }
    }
}

/// The usage-limit sentence while the plan's limit is reached: when the snapshot says so
/// ([`UsageLimits::limit_reached`]), or, where it does not say, while a window is used up. The
/// used-up window that resets last gives the reset time; none known, and it is said unknown.
pub fn limit_reached(
    usage: &UsageLimits,
    plan: Option<String>,
    now: DateTime<Utc>,
) -> Option<SharedString> {
    let used_up: Vec<_> = usage
        .windows
        .iter()
        .filter(|window| window.used_percent >= 100.0)
        .collect();
    let exhausted: Vec<_> = used_up
        .iter()
        .filter(|window| window.resets_at.is_none_or(|at| at > now))
        .collect();
    let reached = match usage.limit_reached {
        // Said reached: until every used-up window it names has reset.
        Some(true) => used_up.is_empty() || !exhausted.is_empty(),
        Some(false) => false,
        None => !exhausted.is_empty(),
    };
    if !reached {
        return None;
    }
    let resets_at = exhausted
        .iter()
        .map(|window| window.resets_at)
        .max()
        .flatten();
    Some(
        usage_limit_message(
            plan.as_deref(),
            resets_at,
            now.with_timezone(&chrono::Local),
        )
        .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::UsageWindow;

    #[test]
    fn bars_are_labelled_by_window_length_not_position() {
        let now = Utc::now();
        let usage = UsageLimits {
            // The weekly window alone, reported as "primary": it must still read "Weekly".
            windows: vec![UsageWindow {
                used_percent: 42.4,
                window_minutes: Some(10080),
                resets_at: Some(now + chrono::Duration::minutes(72)),
            }],
            credits: None,
            observed_at: now,
            limit_reached: None,
        };
        let bars = usage_bars(&usage, now);
        assert_eq!(bars.len(), 1);
        assert_eq!(bars[0].label.as_ref(), "Weekly limit");
        assert!(bars[0].resets.as_ref().unwrap().ends_with("(in 1h 12m)"));
    }

    #[test]
    fn the_limit_is_shown_as_the_snapshot_says() {
        let now = Utc::now();
        let window = |used_percent: f64, resets_in_minutes: i64| UsageWindow {
            used_percent,
            window_minutes: Some(300),
            resets_at: Some(now + chrono::Duration::minutes(resets_in_minutes)),
        };
        let usage = |windows: Vec<UsageWindow>, limit_reached: Option<bool>| UsageLimits {
            windows,
            credits: None,
            observed_at: now,
            limit_reached,
        };
        let shown = |usage: &UsageLimits| limit_reached(usage, Some("plus".into()), now);
        // Not said: a used-up window that has not reset decides.
        assert!(shown(&usage(vec![window(100.0, 72)], None)).is_some());
        assert!(shown(&usage(vec![window(100.0, -1)], None)).is_none());
        assert!(shown(&usage(vec![window(99.0, 72)], None)).is_none());
        // Said reached (`/wham/usage`, or a refusal): shown, with the window's reset when known…
        let text = shown(&usage(vec![window(100.0, 72)], Some(true))).unwrap();
        assert!(text.ends_with("(in 1h 12m)"), "{text}");
        let text = shown(&usage(vec![window(40.0, 72)], Some(true))).unwrap();
        assert!(text.contains("reset time unknown"), "{text}");
        // …until the used-up window it names has reset.
        assert!(shown(&usage(vec![window(100.0, -1)], Some(true))).is_none());
        // Said not reached: not shown.
        assert!(shown(&usage(vec![window(40.0, 72)], Some(false))).is_none());
    }

    #[test]
    fn resets_beyond_a_day_name_the_date() {
        let now = Utc::now();
        let text = describe_reset(now + chrono::Duration::hours(50), now);
        assert!(text.starts_with("resets "), "{text}");
        assert!(text.ends_with("(in 2d 2h)"), "{text}");
    }

    #[test]
    fn without_a_browser_the_device_code_comes_first_with_one_line_of_why() {
        assert_eq!(
            SignInOffer::for_availability(BrowserAvailability::Available),
            SignInOffer::BrowserFirst
        );
        for availability in [
            BrowserAvailability::RemoteSession,
            BrowserAvailability::NoDisplay,
            BrowserAvailability::NoLauncher,
        ] {
            let SignInOffer::DeviceCodeFirst { why } = SignInOffer::for_availability(availability)
            else {
                panic!("{availability:?} offers the browser first");
            };
            assert!(!why.contains('\n'), "{why}");
            assert!(why.contains(DEVICE_CODE_LABEL), "{why}");
        }
    }
}
