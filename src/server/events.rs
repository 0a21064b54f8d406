//! Server-sent events: every page connected to `GET /api/events` receives each job's news as
//! `event: NAME` / `data: JSON` blocks. A hub keeps one bounded queue per stream and the last
//! progress block, replayed to a page that connects while a job runs.
//!
//! Events (sent by [`super::jobs`]): `queued` {job, ahead, running}, `started` {job, runs, seed,
//! name}, `progress` {job, done, total, elapsed, eta, provisional, comparison, map, bands} now and
//! then (see [`crate::commands::serve::job`]), `final` (its `id:` the job) with exactly the text of
//! `comparison.json` (without its final newline, which SSE cannot carry), `cancelled` {job,
//! reason}, `failed` {job, message}, `response` {job, key, done, total, points}.
//!
//! Limits: at most [`MAX_STREAMS`] streams at once (the route answers 503 beyond); each stream's
//! queue holds [`STREAM_QUEUE`] frames, and a page that stops reading until its queue is full is
//! dropped (its stream ends) rather than buffered for. Frames are shared between the queues, so
//! the memory held is that of at most [`STREAM_QUEUE`] distinct frames. A stream's slot is freed as
//! soon as its connection is gone (the transport drops the `Subscription`). An idle stream
//! carries a comment every [`KEEPALIVE`].

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame as Chunk, SizeHint};
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio::time::{Instant, Sleep};

use super::lock;

/// Time between keep-alive comments on an idle stream.
pub const KEEPALIVE: Duration = Duration::from_secs(15);
/// Event streams open at once.
pub const MAX_STREAMS: usize = 16;
/// Frames queued for one stream before its page counts as gone.
pub const STREAM_QUEUE: usize = 32;

/// One event, already framed for the wire.
pub type Frame = Arc<String>;

/// Frame an event: each line of `data` becomes a `data:` line.
pub fn frame(event: &str, data: &str) -> Frame {
    frame_with_id(event, None, data)
}

/// [`frame`] with an `id:` line (the `final` event carries its job this way, its data being
/// exactly `comparison.json`).
pub fn frame_with_id(event: &str, id: Option<u64>, data: &str) -> Frame {
    let mut s = format!("event: {event}\n");
    if let Some(id) = id {
        s.push_str(&format!("id: {id}\n"));
    }
    for line in data.split('\n') {
        s.push_str("data: ");
        s.push_str(line);
        s.push('\n');
    }
    s.push('\n');
    Arc::new(s)
}

/// The subscribers and the last progress frame.
#[derive(Default)]
pub struct Hub {
    subscribers: Mutex<Vec<mpsc::Sender<Frame>>>,
    last: Mutex<Option<Frame>>,
    open: Arc<AtomicUsize>,
}

impl Hub {
    /// Send a frame to every connected page; `keep` makes it the one replayed to new pages. Never
    /// waits: a page whose queue is full, or that left, is dropped.
    pub fn send(&self, f: Frame, keep: bool) {
        if keep {
            *lock(&self.last) = Some(f.clone());
        }
        lock(&self.subscribers).retain(|s| match s.try_send(f.clone()) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Closed(_)) => false,
        });
    }

    /// Forget the replayed frame (a new job started).
    pub fn clear_last(&self) {
        *lock(&self.last) = None;
    }

    /// A new stream, or `None` when [`MAX_STREAMS`] are open.
    pub(crate) fn subscribe(&self) -> Option<Subscription> {
        let taken = self
            .open
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < MAX_STREAMS).then_some(n + 1));
        if taken.is_err() {
            return None;
        }
        let slot = Slot(self.open.clone());
        let (tx, rx) = mpsc::channel(STREAM_QUEUE);
        if let Some(f) = lock(&self.last).clone() {
            let _ = tx.try_send(f);
        }
        let mut subs = lock(&self.subscribers);
        subs.retain(|s| !s.is_closed());
        subs.push(tx);
        Some(Subscription {
            rx,
            _slot: slot,
            greeted: false,
            keepalive: None,
        })
    }

    /// Streams open now.
    #[cfg(test)]
    pub(crate) fn open_streams(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    /// End every stream once its queue is sent (the server stops).
    pub(crate) fn end_streams(&self) {
        lock(&self.subscribers).clear();
    }
}

/// A stream's place among the [`MAX_STREAMS`], given back on drop.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One page's stream, as a response body: a greeting comment, then the frames as they come, with
/// a keep-alive comment after [`KEEPALIVE`] of silence; it ends when the hub drops it.
pub(crate) struct Subscription {
    rx: mpsc::Receiver<Frame>,
    _slot: Slot,
    greeted: bool,
    /// Made at the first poll, inside the runtime.
    keepalive: Option<Pin<Box<Sleep>>>,
}

/// A frame as bytes, without a copy.
struct Shared(Frame);

impl AsRef<[u8]> for Shared {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl Body for Subscription {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Chunk<Bytes>, Infallible>>> {
        let this = &mut *self;
        if !this.greeted {
            this.greeted = true;
            return Poll::Ready(Some(Ok(Chunk::data(Bytes::from_static(b": blocsim\n\n")))));
        }
        let timer = this.keepalive.get_or_insert_with(|| Box::pin(tokio::time::sleep(KEEPALIVE)));
        match this.rx.poll_recv(cx) {
            Poll::Ready(Some(f)) => {
                timer.as_mut().reset(Instant::now() + KEEPALIVE);
                return Poll::Ready(Some(Ok(Chunk::data(Bytes::from_owner(Shared(f))))));
            }
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Pending => {}
        }
        if timer.as_mut().poll(cx).is_ready() {
            timer.as_mut().reset(Instant::now() + KEEPALIVE);
            return Poll::Ready(Some(Ok(Chunk::data(Bytes::from_static(b": keep-alive\n\n")))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        false
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next(sub: &mut Subscription) -> Option<String> {
        sub.rx.try_recv().ok().map(|f| f.to_string())
    }

    #[test]
    fn frames_carry_every_line_and_new_pages_get_the_last_progress() {
        assert_eq!(
            *frame("final", "{\n  \"a\": 1\n}"),
            "event: final\ndata: {\ndata:   \"a\": 1\ndata: }\n\n"
        );
        let hub = Hub::default();
        hub.send(frame("progress", "1"), true);
        let mut sub = hub.subscribe().unwrap();
        assert_eq!(next(&mut sub).unwrap(), "event: progress\ndata: 1\n\n");
        hub.send(frame("cancelled", "2"), false);
        assert_eq!(next(&mut sub).unwrap(), "event: cancelled\ndata: 2\n\n");
        drop(sub);
        assert_eq!(hub.open_streams(), 0);
        hub.send(frame("x", "3"), false);
        assert!(lock(&hub.subscribers).is_empty());
    }

    #[test]
    fn streams_are_limited_and_a_page_that_stops_reading_is_dropped() {
        let hub = Hub::default();
        let mut subs: Vec<Subscription> = (0..MAX_STREAMS).map(|_| hub.subscribe().unwrap()).collect();
        assert!(hub.subscribe().is_none(), "one stream more than MAX_STREAMS");
        subs.pop();
        let mut late = hub.subscribe().expect("a freed slot is taken again");
        // Nobody reads: the queues fill, then every subscriber is dropped (no unbounded buffer).
        for i in 0..=STREAM_QUEUE {
            hub.send(frame("progress", &i.to_string()), false);
        }
        assert!(lock(&hub.subscribers).is_empty());
        // What was queued can still be read, then the stream ends.
        let mut n = 0;
        while next(&mut late).is_some() {
            n += 1;
        }
        assert_eq!(n, STREAM_QUEUE);
        assert!(late.rx.is_closed());
        drop((subs, late));
        assert_eq!(hub.open_streams(), 0);
    }
}
