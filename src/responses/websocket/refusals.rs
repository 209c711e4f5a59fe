//! Which backends refused the WebSocket upgrade (426, 404: an HTTP-only backend or a proxy that
//! breaks WebSockets), remembered on disk for a while, so that no later start pays for the
//! refused attempt again: the same record as the zstd refusals' ([`ZstdRefusals`]), in its own
//! file (`websocket-refusals.json`), keyed by the `ws(s)://…/responses` URL.

use crate::models::CacheLocation;
use crate::responses::zstd_refusals::ZstdRefusals;
use std::time::Duration;

/// The file's name in the cache directory.
pub(crate) const FILE_NAME: &str = "websocket-refusals.json";

/// The backends that refused the WebSocket upgrade, shared by the clones of one provider's handle.
#[derive(Clone, Debug)]
pub struct WebSocketRefusals {
    record: ZstdRefusals,
}

impl WebSocketRefusals {
    /// Refusals kept in `location` and trusted for `ttl`.
    pub fn new(location: &CacheLocation, ttl: Duration) -> Self {
        Self {
            record: ZstdRefusals::in_file(location, FILE_NAME, ttl),
        }
    }

    /// Whether `url` refused the upgrade within the time limit.
    pub fn is_refused(&self, url: &str) -> bool {
        self.record.is_refused(url)
    }

    /// Records that `url` refused the upgrade just now.
    pub fn remember(&self, url: &str) {
        self.record.remember(url);
    }
}
