//! A tiny raw-TCP backend that misbehaves on purpose, for the stall and size-limit tests.
//!
//! It answers every `GET` (the model list, usage) with a quick 404, so the catalog falls back to
//! its bundled list, and every other request the way its [`Misbehaviour`] says. Every wait in it is bounded: it
//! gives up after [`GIVE_UP`] even if the client never hangs up, so no test can hang on it.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long the server keeps a connection open at most.
pub const GIVE_UP: Duration = Duration::from_secs(60);

/// What the server does with a `/responses` request.
#[derive(Clone, Copy, Debug)]
pub enum Misbehaviour {
    /// Accepts and reads the request, then says nothing.
    Silent,
    /// Sends a 200 and the SSE headers, then nothing.
    HeadersThenNothing,
    /// Sends the headers, then only `: keep-alive` comments, every 50 ms.
    KeepAliveOnly,
    /// Sends the headers and the first events of an answer, then nothing.
    StallMidStream,
    /// Sends the headers, `data: `, then `x` without end (up to 256 MiB) and no newline.
    EndlessLine,
}

/// A running server.
pub struct MisbehavingBackend {
    /// `http://127.0.0.1:PORT/backend-api/codex`.
    pub url: String,
    /// Bytes of body written for the `/responses` requests so far.
    pub body_bytes_written: Arc<AtomicU64>,
}

impl MisbehavingBackend {
    /// Starts the server on an ephemeral loopback port.
    pub fn start(misbehaviour: Misbehaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://{}/backend-api/codex",
            listener.local_addr().unwrap()
        );
        let body_bytes_written = Arc::new(AtomicU64::new(0));
        let written = body_bytes_written.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let written = written.clone();
                std::thread::spawn(move || serve(stream, misbehaviour, &written));
            }
        });
        Self {
            url,
            body_bytes_written,
        }
    }
}

const SSE_HEAD: &str = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
                        cache-control: no-cache\r\nconnection: close\r\n\r\n";

fn serve(mut stream: TcpStream, misbehaviour: Misbehaviour, written: &AtomicU64) {
    stream.set_read_timeout(Some(GIVE_UP)).ok();
    stream.set_write_timeout(Some(GIVE_UP)).ok();
    let Some(head) = read_head(&mut stream) else {
        return;
    };
    // Any GET (the model list, usage) gets a quick 404: only the answer itself misbehaves.
    if head.starts_with("GET ") {
        stream
            .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .ok();
        return;
    }
    let started = Instant::now();
    match misbehaviour {
        Misbehaviour::Silent => {}
        Misbehaviour::HeadersThenNothing => {
            stream.write_all(SSE_HEAD.as_bytes()).ok();
        }
        Misbehaviour::KeepAliveOnly => {
            if stream.write_all(SSE_HEAD.as_bytes()).is_err() {
                return;
            }
            while started.elapsed() < GIVE_UP {
                if stream.write_all(b": keep-alive\n\n").is_err() {
                    return;
                }
                written.fetch_add(14, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(50));
            }
            return;
        }
        Misbehaviour::StallMidStream => {
            let events = concat!(
                "event: response.created\n",
                "data: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_stall\"}}\n\n",
                "event: response.output_text.delta\n",
                "data: {\"type\":\"response.output_text.delta\",\"delta\":\"Half an ans\"}\n\n",
            );
            stream.write_all(SSE_HEAD.as_bytes()).ok();
            stream.write_all(events.as_bytes()).ok();
        }
        Misbehaviour::EndlessLine => {
            if stream.write_all(SSE_HEAD.as_bytes()).is_err()
                || stream.write_all(b"data: ").is_err()
            {
                return;
            }
            let block = vec![b'x'; 64 * 1024];
            while written.load(Ordering::Relaxed) < 256 * 1024 * 1024 {
                if stream.write_all(&block).is_err() {
                    return;
                }
                written.fetch_add(block.len() as u64, Ordering::Relaxed);
            }
            return;
        }
    }
    // Hold the connection open, silent, until the client hangs up (read returns 0 or fails)
    // or GIVE_UP passes.
    let mut sink = [0u8; 1024];
    while started.elapsed() < GIVE_UP {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// Reads up to the end of the request head (the body, if any, is left unread).
fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        let read = stream.read(&mut byte).ok()?;
        if read == 0 || head.len() > 64 * 1024 {
            return None;
        }
        head.extend_from_slice(&byte[..read]);
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}
