//! permessage-deflate (RFC 7692), client side, for soketto: flate2's streaming raw-DEFLATE
//! writers do the compression; this file is only the RFC's glue around them.
//!
//! - **Context takeover** (RFC 7692 §7.1.1, the default): one compressor and one decompressor
//!   live as long as the socket, so text the frames repeat (instructions, tool schemas, item
//!   shapes) is a back-reference into the previous frames. A server that answers
//!   `client_no_context_takeover` gets a fresh compressor per message.
//! - **Each message ends with a sync flush** (§7.2.1): flate2's `Write::flush` emits an empty
//!   stored block ending in `00 00 ff ff`, which is left off the wire; the receiver appends it
//!   back before inflating (§7.2.2).
//! - **Window**: we offer no window-bits parameter; flate2's pure-Rust backend uses the full
//!   15-bit (32 KiB) window, which §7.1.2 lets any server decode. The compression level is the
//!   best one: level 9 saves about 1 % of a long thread's bytes over level 6 for a few hundred
//!   microseconds per frame (`benches/request_cost.rs`).
//! - Only data messages with RSV1 set are inflated (§6); control frames never are.
//!
//! soketto's own `deflate` extension is not used: it asks for no context takeover (every frame
//! would repeat the tool schemas in full) and cannot inflate a sync-flushed message with
//! flate2 1.1.

use flate2::Compression;
use flate2::write::{DeflateDecoder, DeflateEncoder};
use soketto::base::{Header, OpCode};
use soketto::extension::{Extension, Param};
use soketto::{BoxedError, Storage};
use std::io::Write as _;

const NAME: &str = "permessage-deflate";
const CLIENT_NO_CONTEXT_TAKEOVER: &str = "client_no_context_takeover";
/// The end of every sync flush, left off the wire (RFC 7692 §7.2.1).
const TAIL: [u8; 4] = [0, 0, 0xFF, 0xFF];

/// Whether our compressor keeps its window from one message to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ContextTakeover {
    /// The RFC's default: later messages refer back to earlier ones.
    Keep,
    /// The server asked for `client_no_context_takeover`: every message starts afresh.
    ResetEachMessage,
}

/// Collects inflated bytes, refusing more than `max` (a small message cannot inflate into a
/// huge one).
struct Bounded {
    bytes: Vec<u8>,
    max: usize,
}

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len().saturating_add(buf.len()) > self.max {
            return Err(std::io::Error::other(format!(
                "a compressed message inflates past {} bytes",
                self.max
            )));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The extension for one client socket.
pub(crate) struct PerMessageDeflate {
    enabled: bool,
    takeover: ContextTakeover,
    encoder: DeflateEncoder<Vec<u8>>,
    decoder: DeflateDecoder<Bounded>,
    /// A compressed message arrived in fragments; it is inflated once whole.
    awaiting_last_fragment: bool,
}

impl std::fmt::Debug for PerMessageDeflate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PerMessageDeflate")
            .field("enabled", &self.enabled)
            .field("takeover", &self.takeover)
            .finish_non_exhaustive()
    }
}

impl PerMessageDeflate {
    /// The extension for a client socket, inflating messages to at most `max_message` bytes.
    pub(crate) fn new(max_message: usize) -> Self {
        Self {
            enabled: false,
            takeover: ContextTakeover::Keep,
            encoder: new_encoder(),
            decoder: DeflateDecoder::new(Bounded {
                bytes: Vec::new(),
                max: max_message,
            }),
            awaiting_last_fragment: false,
        }
    }
}

fn new_encoder() -> DeflateEncoder<Vec<u8>> {
    DeflateEncoder::new(Vec::new(), Compression::best())
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

    /// The server's answer (§7.1): its own no-context-takeover and window limit only concern
    /// what it sends; a client window limit we did not offer is declined (no extension).
    fn configure(&mut self, params: &[Param<'_>]) -> Result<(), BoxedError> {
        for param in params {
            match param.name() {
                CLIENT_NO_CONTEXT_TAKEOVER => self.takeover = ContextTakeover::ResetEachMessage,
                "server_no_context_takeover" | "server_max_window_bits" => {}
                other => {
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
        if self.takeover == ContextTakeover::ResetEachMessage {
            self.encoder = new_encoder();
        }
        self.encoder.write_all(data.as_ref())?;
        self.encoder.flush()?;
        let mut compressed = std::mem::take(self.encoder.get_mut());
        if !compressed.ends_with(&TAIL) {
            return Err("the compressor did not end the message with a sync flush".into());
        }
        compressed.truncate(compressed.len().saturating_sub(TAIL.len()));
        header.set_rsv1(true);
        header.set_payload_len(compressed.len());
        *data = Storage::Owned(compressed);
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
        self.decoder.get_mut().bytes.clear();
        self.decoder.write_all(data)?;
        self.decoder.write_all(&TAIL)?;
        self.decoder.flush()?;
        std::mem::swap(data, &mut self.decoder.get_mut().bytes);
        header.set_rsv1(false);
        header.set_payload_len(data.len());
        Ok(())
    }

    fn reserved_bits(&self) -> (bool, bool, bool) {
        (true, false, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inflates what `encode` produced, with the tail appended back, through one long-lived
    /// raw decompressor (as a server keeping the context does).
    fn inflate(decoder: &mut flate2::Decompress, compressed: &[u8]) -> Vec<u8> {
        let mut input = compressed.to_vec();
        input.extend_from_slice(&TAIL);
        let mut out = Vec::with_capacity(1 << 20);
        decoder
            .decompress_vec(&input, &mut out, flate2::FlushDecompress::Sync)
            .unwrap();
        out
    }

    #[test]
    fn messages_keep_the_context_and_round_trip() {
        let mut extension = PerMessageDeflate::new(1 << 20);
        extension.configure(&[]).unwrap();
        let mut server = flate2::Decompress::new(false);
        let message = br#"{"type":"response.create","tools":[{"name":"read_file"}],"input":[]}"#;
        let mut sizes = Vec::new();
        for _ in 0..3 {
            let mut header = Header::new(OpCode::Text);
            let mut data = Storage::Shared(message);
            extension.encode(&mut header, &mut data).unwrap();
            assert!(header.is_rsv1());
            sizes.push(data.as_ref().len());
            assert_eq!(inflate(&mut server, data.as_ref()), message);
        }
        // The second copy is a back-reference into the first.
        assert!(sizes[1] < sizes[0] / 3, "{sizes:?}");
    }

    #[test]
    fn a_message_may_not_inflate_past_the_limit() {
        let mut sender = PerMessageDeflate::new(1 << 20);
        sender.configure(&[]).unwrap();
        let big = vec![b'a'; 100_000];
        let mut header = Header::new(OpCode::Text);
        let mut data = Storage::Shared(&big);
        sender.encode(&mut header, &mut data).unwrap();
        let mut received = data.as_ref().to_vec();

        let mut receiver = PerMessageDeflate::new(10_000);
        receiver.configure(&[]).unwrap();
        let mut header = Header::new(OpCode::Text);
        header.set_rsv1(true);
        let error = receiver.decode(&mut header, &mut received).unwrap_err();
        assert!(error.to_string().contains("inflates past"), "{error}");
    }

    #[test]
    fn no_context_takeover_starts_every_message_afresh() {
        let mut extension = PerMessageDeflate::new(1 << 20);
        extension
            .configure(&[Param::new(CLIENT_NO_CONTEXT_TAKEOVER)])
            .unwrap();
        let message = b"the same words, the same words, the same words";
        let mut sizes = Vec::new();
        for _ in 0..2 {
            let mut header = Header::new(OpCode::Text);
            let mut data = Storage::Shared(message);
            extension.encode(&mut header, &mut data).unwrap();
            // Each message inflates alone.
            let mut server = flate2::Decompress::new(false);
            assert_eq!(inflate(&mut server, data.as_ref()), message);
            sizes.push(data.as_ref().len());
        }
        assert_eq!(sizes[0], sizes[1]);
    }
}
