//! Running a command inside a headless gpui application.
//!
//! The command line drives exactly the code Zed runs (entities, tasks, the keychain through
//! `App`), so each subcommand is an async function given an [`AsyncApp`]. The app quits when it
//! returns, and its result becomes the process's exit code.

use anyhow::Result;
use gpui::{Application, AsyncApp};
use http_client::HttpClient;
use std::cell::RefCell;
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::Arc;

/// Runs `command` in a headless app whose HTTP client is `http`; prints a failure as one line on
/// stderr and turns it into a non-zero exit code.
pub fn run_headless<F>(http: Arc<dyn HttpClient>, command: F) -> ExitCode
where
    F: AsyncFnOnce(&mut AsyncApp) -> Result<()> + 'static,
{
    let outcome: Rc<RefCell<Option<Result<()>>>> = Rc::default();
    let slot = outcome.clone();
    Application::headless()
        .with_http_client(http)
        .run(move |cx| {
            cx.spawn(async move |cx| {
                let result = command(cx).await;
                *slot.borrow_mut() = Some(result);
                cx.update(|cx| cx.quit()).ok();
            })
            .detach();
        });
    let result = outcome.borrow_mut().take();
    match result {
        Some(Ok(())) => ExitCode::SUCCESS,
        Some(Err(error)) => {
            super::output::errln!("error: {}", one_line(&error));
            ExitCode::FAILURE
        }
        None => {
            super::output::errln!("error: the application stopped before the command finished");
            ExitCode::FAILURE
        }
    }
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
    crate::printable::one_line(&line, usize::MAX)
}
