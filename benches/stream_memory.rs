//! Peak heap while streaming a 100 MB answer (100 MB of text, about 1.4 GB of SSE) through `completion_events` (the same code path as
//! a real response body), measured with a counting global allocator.
//!
//! The body is generated on the fly by an `AsyncRead` (it is never held whole), events are
//! dropped as they arrive, as a host that renders them would. The peak is printed after every
//! 10 MB: flat figures mean memory is bounded by the largest event, not the answer's length.
//!
//! Run: `cargo bench --bench stream_memory`.

mod support;

use futures::{AsyncRead, StreamExt as _};
use language_model::LanguageModelCompletionEvent as Event;
use openai_subscribed::responses::completion_events;
use std::alloc::{GlobalAlloc, Layout, System};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static SSE_BYTES: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The answer's text length.
const ANSWER_BYTES: usize = 100 * 1024 * 1024;
/// Under `cargo test` (no `--bench` argument) the same path runs on a small answer, so the test
/// suite checks it without spending minutes in an unoptimised build.
const SMOKE_ANSWER_BYTES: usize = 2 * 1024 * 1024;

fn answer_bytes() -> usize {
    if std::env::args().any(|arg| arg == "--bench") {
        ANSWER_BYTES
    } else {
        SMOKE_ANSWER_BYTES
    }
}

/// Serves the generated stream in network-sized reads without ever holding it whole.
struct GeneratedBody {
    rng: support::Rng,
    sequence: u64,
    /// Answer text produced so far.
    produced: usize,
    /// Answer text to produce in all.
    target: usize,
    /// SSE bytes produced so far.
    sse_bytes: usize,
    pending: Vec<u8>,
    offset: usize,
    tail_sent: bool,
}

impl AsyncRead for GeneratedBody {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        if this.offset == this.pending.len() {
            this.pending.clear();
            this.offset = 0;
            if this.produced < this.target {
                this.produced += support::text_deltas(
                    &mut this.rng,
                    &mut this.sequence,
                    64 * 1024,
                    &mut this.pending,
                );
                this.sse_bytes += this.pending.len();
                SSE_BYTES.store(this.sse_bytes, Ordering::Relaxed);
            } else if !this.tail_sent {
                this.pending = support::tail();
                this.tail_sent = true;
            } else {
                return Poll::Ready(Ok(0));
            }
        }
        let n = buf.len().min(this.pending.len() - this.offset);
        buf[..n].copy_from_slice(&this.pending[this.offset..this.offset + n]);
        this.offset += n;
        Poll::Ready(Ok(n))
    }
}

fn main() {
    let mut rng = support::Rng::new();
    let head = support::head(&mut rng);
    let body = GeneratedBody {
        rng,
        sequence: 100,
        produced: 0,
        target: answer_bytes(),
        sse_bytes: 0,
        pending: head,
        offset: 0,
        tail_sent: false,
    };
    let baseline = CURRENT.load(Ordering::Relaxed);
    PEAK.store(baseline, Ordering::Relaxed);
    let mut events = completion_events(body);
    let mut text_bytes = 0usize;
    let mut next_report = 10 * 1024 * 1024;
    let mut stopped = false;
    println!("heap before streaming: {} KiB", baseline / 1024);
    futures::executor::block_on(async {
        while let Some(event) = events.next().await {
            match event.expect("the generated stream is valid") {
                Event::Text(text) => text_bytes += text.len(),
                Event::Stop(_) => stopped = true,
                _ => {}
            }
            if text_bytes >= next_report {
                println!(
                    "after {:>3} MB of answer text: peak heap {} KiB above start",
                    next_report / (1024 * 1024),
                    (PEAK.load(Ordering::Relaxed) - baseline) / 1024
                );
                next_report += 10 * 1024 * 1024;
            }
        }
    });
    assert!(stopped, "the stream must end with Stop");
    println!(
        "streamed {} MB of answer text ({} MB of SSE); peak heap {} KiB above start",
        text_bytes / (1024 * 1024),
        SSE_BYTES.load(Ordering::Relaxed) / (1024 * 1024),
        (PEAK.load(Ordering::Relaxed) - baseline) / 1024
    );
}
