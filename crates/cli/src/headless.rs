//! Running a command inside a headless gpui application.
//!
//! The command line drives exactly the code Zed runs (entities, tasks, the keychain through
//! `App`), so each subcommand is an async function given an [`AsyncApp`]. Its result becomes the
//! process's exit code.
//!
//! **Finish what was sent.** When the command ends — with success, with an error, or because a
//! signal asked it to stop (Ctrl-C, SIGTERM, SIGHUP: see [`super::stop_signal`]) — the app does
//! not quit yet: it first waits, bounded by [`RENEWAL_WAIT`], for every session renewal in
//! flight ([`auth::finish_renewals`]) and its store write, so a rotated refresh token is never
//! lost with the process. Only then is gpui asked to quit (gpui gives its own quit hooks only
//! 100 ms). A renewal whose tokens could not be stored turns a success into a failure that says
//! so ([`auth::unsaved_renewal`]). A stopped command exits with its signal's status (130, 143,
//! 129); a second signal exits at once.

use super::output::errln;
use super::stop_signal::{self, StopSignal};
use anyhow::Result;
use futures::FutureExt as _;
use futures::future::{BoxFuture, FusedFuture};
use gpui::{Application, AsyncApp};
use http_client::HttpClient;
use openai_subscribed::auth;
use std::cell::RefCell;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

/// The longest the process waits, before exiting, for renewals in flight: longer than a renewal
/// waiting for another process's lock and then for the issuer normally takes.
pub const RENEWAL_WAIT: Duration = Duration::from_secs(90);

/// Set (to anything) to make a stopped command quit at once, as an editor quits: the renewals
/// in flight are left to gpui's quit hook (which keeps their answers for the next start, see
/// `openai_subscribed::auth::quit_journal`) instead of being awaited here. The tests of that hook
/// use it; nothing else should.
pub const ENV_QUIT_LIKE_AN_EDITOR: &str = "OPENAI_SUBSCRIBED_QUIT_LIKE_AN_EDITOR";

fn quits_like_an_editor() -> bool {
    std::env::var_os(ENV_QUIT_LIKE_AN_EDITOR).is_some()
}

/// How the command ended.
enum Outcome {
    Finished(Result<()>),
    Stopped(StopSignal),
}

/// Runs `command` in a headless app whose HTTP client is `http`; prints a failure as one line on
/// stderr and turns it into a non-zero exit code.
pub fn run_headless<F>(http: Arc<dyn HttpClient>, command: F) -> ExitCode
where
    F: AsyncFnOnce(&mut AsyncApp) -> Result<()> + 'static,
{
    let outcome: Rc<RefCell<Option<Outcome>>> = Rc::default();
    let slot = outcome.clone();
    // A watcher that could not start never fires (the signals then end the process at once).
    let mut stop: futures::future::Fuse<BoxFuture<'static, StopSignal>> = stop_signal::watch()
        .then(|signal| async move {
            match signal {
                Ok(signal) => signal,
                Err(_) => futures::future::pending().await,
            }
        })
        .boxed()
        .fuse();
    Application::headless()
        .with_http_client(http)
        .run(move |cx| {
            cx.spawn(async move |cx| {
                let ended = {
                    let command = command(cx).fuse();
                    futures::pin_mut!(command);
                    futures::select_biased! {
                        result = command => Outcome::Finished(result),
                        signal = stop => Outcome::Stopped(signal),
                    }
                };
                // The command (and everything it alone held) is dropped here; renewals are not.
                if let Outcome::Stopped(signal) = &ended {
                    announce(*signal, cx);
                }
                let (unsaved, late_signal) = match &ended {
                    Outcome::Stopped(_) if quits_like_an_editor() => (None, None),
                    _ => finish_renewals(&mut stop, cx).await,
                };
                let outcome = match (ended, late_signal, unsaved) {
                    // A signal during the wait still ends the command with its status.
                    (Outcome::Finished(_), Some(signal), _) => Outcome::Stopped(signal),
                    (Outcome::Finished(Ok(())), None, Some(unsaved)) => {
                        Outcome::Finished(Err(unsaved))
                    }
                    (ended, _, _) => ended,
                };
                *slot.borrow_mut() = Some(outcome);
                cx.update(|cx| cx.quit()).ok();
            })
            .detach();
        });
    let result = outcome.borrow_mut().take();
    match result {
        Some(Outcome::Finished(Ok(()))) => ExitCode::SUCCESS,
        Some(Outcome::Finished(Err(error))) => {
            super::output::errln!("error: {}", one_line(&error));
            ExitCode::FAILURE
        }
        Some(Outcome::Stopped(signal)) => ExitCode::from(signal.exit_code()),
        None => {
            super::output::errln!("error: the application stopped before the command finished");
            ExitCode::FAILURE
        }
    }
}

/// Says why the command stopped, and whether the process now waits for a renewal.
fn announce(signal: StopSignal, cx: &mut AsyncApp) {
    let renewing = cx
        .update(|cx| auth::renewals_in_flight(cx))
        .unwrap_or(false);
    // The leading newline moves past what the command was printing (a spinner, `^C`).
    if renewing {
        errln!(
            "\n{}: waiting for the session renewal in flight to finish (press Ctrl-C again to \
             quit now)",
            signal.message()
        );
    } else {
        errln!("\n{}", signal.message());
    }
}

/// Waits (bounded) for the renewals in flight; returns the error of one whose tokens could not be
/// stored, and the stop signal received during the wait, if any (announced, and the wait goes
/// on: the renewal is what the wait is for).
async fn finish_renewals<S>(
    mut stop: S,
    cx: &mut AsyncApp,
) -> (Option<anyhow::Error>, Option<StopSignal>)
where
    S: FusedFuture<Output = StopSignal> + Unpin,
{
    let Ok(renewals) = cx.update(|cx| auth::finish_renewals(cx)) else {
        return (None, None);
    };
    let mut renewals = renewals.fuse();
    let mut deadline = cx.background_executor().timer(RENEWAL_WAIT).fuse();
    let mut late_signal = None;
    loop {
        futures::select_biased! {
            () = renewals => break,
            () = deadline => {
                errln!(
                    "warning: a ChatGPT session renewal was still running after {} s; exiting \
                     without it",
                    RENEWAL_WAIT.as_secs()
                );
                break;
            }
            signal = stop => {
                announce(signal, cx);
                late_signal = Some(signal);
            }
        }
    }
    let unsaved = cx
        .update(|cx| auth::unsaved_renewal(cx))
        .ok()
        .flatten()
        .map(anyhow::Error::new);
    (unsaved, late_signal)
}

/// An error and its causes on one line: "outer: inner: root".
pub fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for (index, cause) in error.chain().enumerate() {
        let text = cause.to_string();
        if index > 0 {
            if line.contains(&text) {
                continue;
            }
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    // Causes may quote the network: no control character reaches the terminal.
    openai_subscribed::printable::one_line(&line, usize::MAX)
}
