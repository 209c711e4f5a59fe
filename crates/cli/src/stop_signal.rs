//! The signals that ask a command to stop — Ctrl-C (SIGINT), `kill` (SIGTERM), a closed terminal
//! (SIGHUP) — watched from one small thread of their own, since gpui's executors do not deliver
//! signals.
//!
//! The first one does not end the process: [`watch`]'s receiver resolves with it, and the
//! headless runner then ends the command and waits (bounded) for the session renewals in flight,
//! whose answers hold the only copy of the rotated refresh token. A second one, of any of the
//! three, exits at once with its own status: the user insisted.

use super::output::errln;
use futures::channel::oneshot;

/// Which signal ended the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopSignal {
    /// Ctrl-C (SIGINT).
    Interrupt,
    /// SIGTERM: `kill`, a service manager, a shutdown.
    Terminate,
    /// SIGHUP: the terminal was closed.
    HangUp,
}

impl StopSignal {
    /// The exit status shells expect after this signal: 128 + its number (130, 143, 129).
    pub fn exit_code(self) -> u8 {
        let number = match self {
            Self::Interrupt => 2,
            Self::HangUp => 1,
            Self::Terminate => 15,
        };
        128 + number
    }

    /// The line printed when the command stops because of it.
    pub fn message(self) -> &'static str {
        match self {
            Self::Interrupt => "interrupted",
            Self::Terminate => "interrupted (terminated by SIGTERM)",
            Self::HangUp => "interrupted (the terminal was closed: SIGHUP)",
        }
    }
}

/// Starts watching for the three signals. The receiver resolves at the first; a second exits the
/// process at once. If the watcher cannot start, the receiver is cancelled and the signals keep
/// their default action (the process ends at once), which is said in a debug log line.
pub fn watch() -> oneshot::Receiver<StopSignal> {
    let (first, receiver) = oneshot::channel();
    let watcher = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    log::debug!("signals will end the process at once: {error}");
                    return;
                }
            };
            runtime.block_on(async move {
                let mut signals = match Signals::new() {
                    Ok(signals) => signals,
                    Err(error) => {
                        log::debug!("signals will end the process at once: {error}");
                        return;
                    }
                };
                let Some(signal) = signals.next().await else {
                    return;
                };
                first.send(signal).ok();
                if let Some(signal) = signals.next().await {
                    // Past the line the command may be printing (a spinner, `^C`).
                    errln!("\n{}", signal.message());
                    std::process::exit(signal.exit_code().into());
                }
            });
        });
    if let Err(error) = watcher {
        log::debug!("signals will end the process at once: {error}");
    }
    receiver
}

/// The three signal streams, registered together (registering replaces each signal's default
/// action for the rest of the process).
#[cfg(unix)]
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
    hang_up: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            hang_up: signal(SignalKind::hangup())?,
        })
    }

    /// The next signal of the three (`None` if the streams ended).
    async fn next(&mut self) -> Option<StopSignal> {
        tokio::select! {
            received = self.interrupt.recv() => received.map(|()| StopSignal::Interrupt),
            received = self.terminate.recv() => received.map(|()| StopSignal::Terminate),
            received = self.hang_up.recv() => received.map(|()| StopSignal::HangUp),
        }
    }
}

/// Elsewhere only Ctrl-C is delivered.
#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> std::io::Result<Self> {
        Ok(Self)
    }

    async fn next(&mut self) -> Option<StopSignal> {
        tokio::signal::ctrl_c()
            .await
            .ok()
            .map(|()| StopSignal::Interrupt)
    }
}

#[cfg(test)]
mod tests {
    use super::StopSignal;

    #[test]
    fn exit_codes_are_128_plus_the_signal_number() {
        assert_eq!(StopSignal::Interrupt.exit_code(), 130);
        assert_eq!(StopSignal::Terminate.exit_code(), 143);
        assert_eq!(StopSignal::HangUp.exit_code(), 129);
    }
}
