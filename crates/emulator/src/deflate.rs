//! permessage-deflate (RFC 7692), server side, for soketto: flate2's streaming raw-DEFLATE
//! writers compress and inflate; this file only adds what the RFC asks around them.
//!
//! The emulator accepts a client's plain `permessage-deflate` offer (and a bare
//! `client_max_window_bits`, §7.1.2.2) and answers with no parameters: context takeover both
//! ways (§7.1.1), so the client's frames may refer back to its earlier ones and the bytes the
//! tests and benches record are what a real server would read. Each message is deflated and
//! ended by a sync flush whose `00 00 ff ff` tail is left off (§7.2.1); received messages get it
//! back before inflating (§7.2.2). A client offer with no-context-takeover parameters is
//! accepted too and honoured for our direction.

use flate2::Compression;
use flate2::write::{DeflateDecoder, DeflateEncoder};
use soketto::base::{Header, OpCode};
use soketto::extension::{Extension, Param};
use soketto::{BoxedError, Storage};
use std::io::Write as _;

const NAME: &str = "permessage-deflate";
const TAIL: [u8; 4] = [0, 0, 0xFF, 0xFF];

/// Refuses to hold more than `max` inflated bytes.
struct Capped {
    bytes: Vec<u8>,
    max: usize,
}

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > self.max {
            return Err(std::io::Error::other("message too large once inflated"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The server's half of the extension on one socket.
pub(crate) struct PerMessageDeflate {
    enabled: bool,
    /// The client asked `server_no_context_takeover`: our messages start afresh each time.
    fresh_each_message: bool,
    outgoing: DeflateEncoder<Vec<u8>>,
    incoming: DeflateDecoder<Capped>,
    fragmented: bool,
}

impl std::fmt::Debug for PerMessageDeflate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PerMessageDeflate")
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

impl PerMessageDeflate {
    /// Inflates client messages to at most `max_message` bytes.
    pub(crate) fn new(max_message: usize) -> Self {
        Self {
            enabled: false,
            fresh_each_message: false,
            outgoing: DeflateEncoder::new(Vec::new(), Compression::fast()),
            incoming: DeflateDecoder::new(Capped {
                bytes: Vec::new(),
                max: max_message,
            }),
            fragmented: false,
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
            match param.name() {
                "server_no_context_takeover" => self.fresh_each_message = true,
                "client_no_context_takeover" => {}
                "client_max_window_bits" if param.value().is_none() => {}
                _ => return Ok(()),
            }
        }
        self.enabled = true;
        Ok(())
    }

    fn encode(&mut self, header: &mut Header, data: &mut Storage<'_>) -> Result<(), BoxedError> {
        if !matches!(header.opcode(), OpCode::Text | OpCode::Binary) || data.as_ref().is_empty() {
            return Ok(());
        }
        if self.fresh_each_message {
            self.outgoing = DeflateEncoder::new(Vec::new(), Compression::fast());
        }
        self.outgoing.write_all(data.as_ref())?;
        self.outgoing.flush()?;
        let mut bytes = std::mem::take(self.outgoing.get_mut());
        bytes.truncate(bytes.len().saturating_sub(TAIL.len()));
        header.set_rsv1(true);
        header.set_payload_len(bytes.len());
        *data = Storage::Owned(bytes);
        Ok(())
    }

    fn decode(&mut self, header: &mut Header, data: &mut Vec<u8>) -> Result<(), BoxedError> {
        let whole = match header.opcode() {
            OpCode::Text | OpCode::Binary if header.is_rsv1() => {
                self.fragmented = !header.is_fin();
                header.is_fin()
            }
            OpCode::Continue if header.is_fin() && self.fragmented => {
                self.fragmented = false;
                true
            }
            _ => false,
        };
        if !whole {
            return Ok(());
        }
        self.incoming.get_mut().bytes.clear();
        self.incoming.write_all(data)?;
        self.incoming.write_all(&TAIL)?;
        self.incoming.flush()?;
        std::mem::swap(data, &mut self.incoming.get_mut().bytes);
        header.set_rsv1(false);
        header.set_payload_len(data.len());
        Ok(())
    }

    fn reserved_bits(&self) -> (bool, bool, bool) {
        (true, false, false)
    }
}
