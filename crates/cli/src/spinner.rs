//! A one-line terminal spinner for waits the user should see (signing in, device-code polling).
//!
//! It draws on stderr only when stderr is a terminal, so piped output and tests stay clean.

use std::io::{IsTerminal as _, Write as _};

/// Frames of the spinner.
const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// A spinner with a message; call [`Spinner::tick`] periodically and [`Spinner::clear`] at the end.
pub struct Spinner {
    message: String,
    frame: usize,
    enabled: bool,
}

impl Spinner {
    /// A spinner showing `message`; silent when stderr is not a terminal.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            frame: 0,
            enabled: std::io::stderr().is_terminal(),
        }
    }

    /// Draws the next frame.
    pub fn tick(&mut self) {
        if !self.enabled {
            return;
        }
        let frame = FRAMES[self.frame % FRAMES.len()];
        self.frame += 1;
        let mut stderr = std::io::stderr();
        write!(stderr, "\r{frame} {}", self.message).ok();
        stderr.flush().ok();
    }

    /// Erases the spinner's line.
    pub fn clear(&mut self) {
        if self.enabled {
            let mut stderr = std::io::stderr();
            write!(stderr, "\r\x1b[2K").ok();
            stderr.flush().ok();
        }
    }
}
