//! permessage-deflate (RFC 7692) for soketto, with the compression context kept across messages
//! (context takeover, the RFC's default), so text a thread repeats (tool schemas, item shapes)
//! costs almost nothing after its first time.
//!
//! soketto's own extension makes a new compressor per message and, with flate2 1.1's stricter
//! `finish`, fails to decode sync-flushed messages ("incomplete deflate stream"); this one keeps
//! one raw-deflate compressor and decompressor per socket and flushes with `Sync`.
//!
//! The client offers plain `permessage-deflate` (no window-bits parameter: flate2's pure-Rust
//! backend always uses a 15-bit window, which any peer's smaller window decodes within). A
//! server's `client_no_context_takeover` is honoured by resetting the compressor per message.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use soketto::base::{Header, OpCode};
use soketto::extension::{Extension, Param};
use soketto::{BoxedError, Storage};

const NAME: &str = "permessage-deflate";
const CLIENT_NO_CONTEXT_TAKEOVER: &str = "client_no_context_takeover";
const SERVER_NO_CONTEXT_TAKEOVER: &str = "server_no_context_takeover";
/// The block every sync flush ends with, left off the wire (RFC 7692, 7.2.1).
const TRAILER: [u8; 4] = [0, 0, 0xFF, 0xFF];

/// The extension for one socket.
pub(crate) struct PerMessageDeflate {
    mode: soketto::Mode,
    enabled: bool,
    /// Our compressor starts afresh for every message (the peer asked for no context takeover).
    reset_each_message: bool,
    /// The most a message may inflate to.
    max_message: usize,
    compress: Compress,
    decompress: Decompress,
    awaiting_last_fragment: bool,
    buffer: Vec<u8>,
}

impl std::fmt::Debug for PerMessageDeflate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PerMessageDeflate")
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

impl PerMessageDeflate {
    /// The extension for a socket in `mode`, inflating messages to at most `max_message` bytes.
    pub(crate) fn new(mode: soketto::Mode, max_message: usize) -> Self {
        Self {
            mode,
            enabled: false,
            reset_each_message: false,
            max_message,
            compress: Compress::new(Compression::default(), false),
            decompress: Decompress::new(false),
            awaiting_last_fragment: false,
            buffer: Vec::new(),
        }
    }
}

impl Extension for PerMessageDeflate {
    fn is_enabled(&self) -> bool {
        self.enabled
    }

    fn name(&self) -> &str {
        NAME
    }

    fn params(&self) -> &[Param<'_>] {
        &[]
    }

    fn configure(&mut self, params: &[Param<'_>]) -> Result<(), BoxedError> {
        for param in params {
            match (self.mode, param.name()) {
                (soketto::Mode::Client, CLIENT_NO_CONTEXT_TAKEOVER) => {
                    self.reset_each_message = true;
                }
                (soketto::Mode::Server, SERVER_NO_CONTEXT_TAKEOVER) => {
                    self.reset_each_message = true;
                }
                (_, CLIENT_NO_CONTEXT_TAKEOVER | SERVER_NO_CONTEXT_TAKEOVER) => {}
                // A window-bits limit on the server's side only narrows what we decode.
                (_, "server_max_window_bits") => {}
                // The client may offer it bare; a server may not impose one we did not offer.
                (soketto::Mode::Server, "client_max_window_bits") if param.value().is_none() => {}
                (_, other) => {
                    log::debug!("permessage-deflate: declining parameter {other}");
                    return Ok(());
                }
            }
        }
        self.enabled = true;
        Ok(())
    }

    fn encode(&mut self, header: &mut Header, data: &mut Storage<'_>) -> Result<(), BoxedError> {
        if !matches!(header.opcode(), OpCode::Text | OpCode::Binary) || data.as_ref().is_empty() {
            return Ok(());
        }
        if self.reset_each_message {
            self.compress.reset();
        }
        let input = data.as_ref();
        self.buffer.clear();
        self.buffer.reserve((input.len() / 4).saturating_add(64));
        let start = self.compress.total_in();
        loop {
            let consumed = usize::try_from(self.compress.total_in().saturating_sub(start))?;
            let rest = input.get(consumed..).unwrap_or_default();
            if self.buffer.capacity().saturating_sub(self.buffer.len()) < 64 {
                self.buffer.reserve(rest.len().max(4096));
            }
            self.compress
                .compress_vec(rest, &mut self.buffer, FlushCompress::Sync)?;
            let consumed = usize::try_from(self.compress.total_in().saturating_sub(start))?;
            // Done when all input is in and the flush did not stop for want of room.
            if consumed == input.len()
                && self.buffer.len() < self.buffer.capacity()
                && self.buffer.ends_with(&TRAILER)
            {
                break;
            }
        }
        self.buffer
            .truncate(self.buffer.len().saturating_sub(TRAILER.len()));
        *data = Storage::Owned(std::mem::take(&mut self.buffer));
        header.set_rsv1(true);
        header.set_payload_len(data.as_ref().len());
        Ok(())
    }

    fn decode(&mut self, header: &mut Header, data: &mut Vec<u8>) -> Result<(), BoxedError> {
        match header.opcode() {
            OpCode::Text | OpCode::Binary if header.is_rsv1() => {
                if !header.is_fin() {
                    self.awaiting_last_fragment = true;
                    return Ok(());
                }
            }
            OpCode::Continue if header.is_fin() && self.awaiting_last_fragment => {
                self.awaiting_last_fragment = false;
            }
            _ => return Ok(()),
        }
        data.extend_from_slice(&TRAILER);
        self.buffer.clear();
        self.buffer.reserve(data.len().saturating_mul(4).max(4096));
        let start = self.decompress.total_in();
        loop {
            let consumed = usize::try_from(self.decompress.total_in().saturating_sub(start))?;
            let rest = data.get(consumed..).unwrap_or_default();
            let produced = self.buffer.len();
            let status =
                self.decompress
                    .decompress_vec(rest, &mut self.buffer, FlushDecompress::Sync)?;
            let consumed = usize::try_from(self.decompress.total_in().saturating_sub(start))?;
            if self.buffer.len() > self.max_message {
                return Err(format!(
                    "a compressed message inflates past {} bytes",
                    self.max_message
                )
                .into());
            }
            if consumed == data.len() && self.buffer.len() < self.buffer.capacity() {
                break;
            }
            if matches!(status, Status::StreamEnd) {
                break;
            }
            let stuck = self.buffer.len() == produced
                && usize::try_from(self.decompress.total_in().saturating_sub(start))? == consumed;
            if stuck && self.buffer.len() < self.buffer.capacity() {
                return Err("a compressed message does not inflate".into());
            }
            if self.buffer.len() == self.buffer.capacity() {
                self.buffer.reserve(self.buffer.len().max(4096));
            }
        }
        std::mem::swap(data, &mut self.buffer);
        header.set_rsv1(false);
        header.set_payload_len(data.len());
        Ok(())
    }

    fn reserved_bits(&self) -> (bool, bool, bool) {
        (true, false, false)
    }
}
