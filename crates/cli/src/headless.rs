//! Running a command inside a headless gpui application.
//!
//! The command line drives exactly the code Zed runs (entities, tasks, the keychain through
//! `App`), so each subcommand is an async function given an [`AsyncApp`]. Its result becomes the
//! process's exit code.
//!
//! **Finish what was sent.** When the command ends — with success, with an error, or because the
//! user pressed Ctrl-C — the app does not quit yet: it first waits, bounded by
//! [`RENEWAL_WAIT`], for every session renewal in flight ([`auth::finish_renewals`]) and its store
//! write, so a rotated refresh token is never lost with the process. Only then is gpui asked to
//! quit (gpui gives its own quit hooks only 100 ms). A renewal whose tokens could not be stored
//! turns a success into a failure that says so ([`auth::unsaved_renewal`]). A second Ctrl-C exits
//! at once.

use super::output::errln;
use anyhow::Result;
use futures::FutureExt as _;
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

/// The exit code after Ctrl-C (128 + SIGINT), as shells expect.
const INTERRUPTED: u8 = 130;

/// How the command ended.
enum Outcome {
    Finished(Result<()>),
    Interrupted,
}

/// Runs `command` in a headless app whose HTTP client is `http`; prints a failure as one line on
/// stderr and turns it into a non-zero exit code.
pub fn run_headless<F>(http: Arc<dyn HttpClient>, command: F) -> ExitCode
where
    F: AsyncFnOnce(&mut AsyncApp) -> Result<()> + 'static,
{
    let outcome: Rc<RefCell<Option<Outcome>>> = Rc::default();
    let slot = outcome.clone();
    let interrupted = ctrl_c();
    Application::headless()
        .with_http_client(http)
        .run(move |cx| {
            cx.spawn(async move |cx| {
                let ended = {
                    let command = command(cx).fuse();
                    futures::pin_mut!(command);
                    // A watcher that could not start never fires (it does not count as Ctrl-C).
                    let interrupted = async move {
                        if interrupted.await.is_err() {
                            futures::future::pending::<()>().await;
                        }
                    }
                    .fuse();
                    futures::pin_mut!(interrupted);
                    futures::select_biased! {
                        result = command => Outcome::Finished(result),
                        _ = interrupted => Outcome::Interrupted,
                    }
                };
                // The command (and everything it alone held) is dropped here; renewals are not.
                let outcome = match finish_renewals(cx).await {
                    Some(unsaved) => match ended {
                        Outcome::Finished(Ok(())) => Outcome::Finished(Err(unsaved)),
                        other => other,
                    },
                    None => ended,
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
        Some(Outcome::Interrupted) => {
            super::output::errln!("interrupted");
            ExitCode::from(INTERRUPTED)
        }
        None => {
            super::output::errln!("error: the application stopped before the command finished");
            ExitCode::FAILURE
        }
    }
}

/// Waits (bounded) for the renewals in flight; returns the error of one whose tokens could not be
/// stored.
async fn finish_renewals(cx: &mut AsyncApp) -> Option<anyhow::Error> {
    let renewals = cx.update(|cx| auth::finish_renewals(cx)).ok()?;
    let deadline = cx.background_executor().timer(RENEWAL_WAIT);
    futures::select_biased! {
        () = renewals.fuse() => {}
        () = deadline.fuse() => errln!(
            "warning: a ChatGPT session renewal was still running after {} s; exiting without it",
            RENEWAL_WAIT.as_secs()
        ),
    }
    cx.update(|cx| auth::unsaved_renewal(cx))
        .ok()
        .flatten()
        .map(anyhow::Error::new)
}

/// Resolves at the first Ctrl-C (SIGINT); a second one exits at once. Watched from a small
/// thread of its own, since gpui's executors do not deliver signals.
fn ctrl_c() -> futures::channel::oneshot::Receiver<()> {
    let (pressed, receiver) = futures::channel::oneshot::channel();
    let watcher = std::thread::Builder::new()
        .name("ctrl-c".into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if tokio::signal::ctrl_c().await.is_err() {
                    return;
                }
                errln!("\ninterrupted: finishing the session renewal in flight, if any (Ctrl-C again to quit now)");
                pressed.send(()).ok();
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(INTERRUPTED.into());
                }
            });
        });
    if let Err(error) = watcher {
        log::debug!("Ctrl-C will end the process at once: {error}");
    }
    receiver
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
