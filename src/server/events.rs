//! Server-sent events: every page connected to `GET /api/events` receives each job's news as
//! `event: NAME` / `data: JSON` blocks. A hub keeps one channel per connection and the last
//! progress block, replayed to a page that connects while a job runs; connections that went away
//! are dropped at the next send.
//!
//! Events: `started` {job, runs, seed, name}, `progress` {job, done, total, elapsed, eta,
//! provisional, comparison, map, bands} after every chunk, `final` (its `id:` the job) with exactly the text of
//! `comparison.json` (without its final newline, which SSE cannot carry), `cancelled` {job},
//! `failed` {job, message}.

use std::io::Write;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Seconds between keep-alive comments on an idle stream.
const KEEPALIVE: Duration = Duration::from_secs(15);

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
    subscribers: Mutex<Vec<Sender<Frame>>>,
    last: Mutex<Option<Frame>>,
}

impl Hub {
    /// Send a frame to every connected page; `keep` makes it the one replayed to new pages.
    pub fn send(&self, f: Frame, keep: bool) {
        if keep {
            *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some(f.clone());
        }
        let mut subs = self.subscribers.lock().unwrap_or_else(|p| p.into_inner());
        subs.retain(|s| s.send(f.clone()).is_ok());
    }

    /// Forget the replayed frame (a new job started).
    pub fn clear_last(&self) {
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    fn subscribe(&self) -> Receiver<Frame> {
        let (tx, rx) = channel();
        if let Some(f) = self.last.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            let _ = tx.send(f);
        }
        self.subscribers.lock().unwrap_or_else(|p| p.into_inner()).push(tx);
        rx
    }

    /// Serve one event stream on a raw connection until the page goes away.
    pub fn stream(&self, mut out: Box<dyn Write + Send>) {
        let rx = self.subscribe();
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n: blocsim\n\n";
        if out.write_all(head.as_bytes()).and_then(|_| out.flush()).is_err() {
            return;
        }
        loop {
            let bytes = match rx.recv_timeout(KEEPALIVE) {
                Ok(f) => f,
                Err(RecvTimeoutError::Timeout) => Arc::new(": keep-alive\n\n".to_string()),
                Err(RecvTimeoutError::Disconnected) => return,
            };
            if out.write_all(bytes.as_bytes()).and_then(|_| out.flush()).is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_carry_every_line_and_new_pages_get_the_last_progress() {
        assert_eq!(
            *frame("final", "{\n  \"a\": 1\n}"),
            "event: final\ndata: {\ndata:   \"a\": 1\ndata: }\n\n"
        );
        let hub = Hub::default();
        hub.send(frame("progress", "1"), true);
        let rx = hub.subscribe();
        assert_eq!(*rx.recv().unwrap(), "event: progress\ndata: 1\n\n");
        hub.send(frame("cancelled", "2"), false);
        assert_eq!(*rx.recv().unwrap(), "event: cancelled\ndata: 2\n\n");
        drop(rx);
        hub.send(frame("x", "3"), false);
        assert!(hub.subscribers.lock().unwrap().is_empty());
    }
}
