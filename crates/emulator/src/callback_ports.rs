//! A lock on the issuer's fixed callback ports (1455 and 1457), shared by every test that binds
//! them (the product's `tests/oauth.rs` and `tests/browser.rs`, the command line's `tests/cli.rs`):
//! nextest runs each test in its own process, in parallel, so a `Mutex` would not do. It is an
//! exclusive `flock` on a file in the temp directory, released when the [`PortLock`] drops (or the
//! process ends).

use std::fs::File;
use std::time::{Duration, Instant};

/// The longest a test waits for another test to release the callback ports.
const PORT_LOCK_TIMEOUT: Duration = Duration::from_secs(90);

/// Holds the fixed callback ports for one test, across threads and processes (an exclusive
/// `flock` on a file in the temp directory); released on drop. Bounded wait.
pub struct PortLock(#[allow(dead_code)] File);

impl PortLock {
    /// Waits (bounded) until no other test holds the ports.
    pub fn acquire() -> Self {
        let path = std::env::temp_dir().join("openai-subscribed-callback-ports.lock");
        let file = File::create(&path).unwrap();
        let deadline = Instant::now() + PORT_LOCK_TIMEOUT;
        loop {
            match file.try_lock() {
                Ok(()) => return Self(file),
                Err(std::fs::TryLockError::WouldBlock) => {
                    assert!(
                        Instant::now() < deadline,
                        "another test held the callback ports for {PORT_LOCK_TIMEOUT:?}"
                    );
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(std::fs::TryLockError::Error(error)) => {
                    panic!("could not lock {}: {error}", path.display())
                }
            }
        }
    }
}
