//! The open connections: at most [`MAX_CONNECTIONS`]. A connection is *busy* while one of its
//! requests is being answered (the route runs or its reply, an event stream included, is being
//! sent) and *idle* otherwise: waiting for a request's head, whether a keep-alive between two
//! requests or a client that sends its head byte by byte. When all places are taken, a new
//! connection takes the place of the one idle longest, which is closed; only when every
//! connection is busy is the new one refused (503 and closed by the accept loop, with no work
//! spawned for it). So slow or silent clients cannot lock a page out, whatever their number.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::Notify;

use super::lock;

/// Connections open at once.
pub const MAX_CONNECTIONS: usize = 128;

/// One connection as the table sees it.
struct Conn {
    id: u64,
    /// Requests being answered.
    busy: AtomicUsize,
    /// When it last became idle, in microseconds since the table was made.
    idle_since: AtomicU64,
    /// Told when the connection is to close to make room.
    evicted: Notify,
}

/// The table of open connections.
pub(crate) struct Conns {
    start: Instant,
    next: AtomicU64,
    open: Mutex<Vec<Arc<Conn>>>,
}

impl Conns {
    pub(crate) fn new() -> Arc<Conns> {
        Arc::new(Conns {
            start: Instant::now(),
            next: AtomicU64::new(0),
            open: Mutex::new(Vec::with_capacity(MAX_CONNECTIONS)),
        })
    }

    fn now(&self) -> u64 {
        self.start.elapsed().as_micros() as u64
    }

    /// A place for a new connection (closing the one idle longest if all are taken), or `None`
    /// when all [`MAX_CONNECTIONS`] are busy.
    pub(crate) fn admit(self: &Arc<Self>) -> Option<Ticket> {
        let mut open = lock(&self.open);
        if open.len() >= MAX_CONNECTIONS {
            let idle = open.iter().enumerate().filter(|(_, c)| c.busy.load(Ordering::SeqCst) == 0);
            let (i, _) = idle.min_by_key(|(_, c)| c.idle_since.load(Ordering::SeqCst))?;
            open.swap_remove(i).evicted.notify_one();
        }
        let conn = Arc::new(Conn {
            id: self.next.fetch_add(1, Ordering::SeqCst),
            busy: AtomicUsize::new(0),
            idle_since: AtomicU64::new(self.now()),
            evicted: Notify::new(),
        });
        open.push(conn.clone());
        Some(Ticket { conns: self.clone(), conn })
    }

    /// Connections open now.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        lock(&self.open).len()
    }
}

/// A connection's place, given back on drop.
pub(crate) struct Ticket {
    conns: Arc<Conns>,
    conn: Arc<Conn>,
}

impl Ticket {
    /// Resolves when another connection took this one's place.
    pub(crate) async fn evicted(&self) {
        self.conn.evicted.notified().await
    }

    /// A handle that marks the connection busy (held by the connection's service).
    pub(crate) fn marker(&self) -> Marker {
        Marker {
            conns: self.conns.clone(),
            conn: self.conn.clone(),
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        lock(&self.conns.open).retain(|c| c.id != self.conn.id);
    }
}

/// Marks its connection busy: see [`Ticket::marker`].
#[derive(Clone)]
pub(crate) struct Marker {
    conns: Arc<Conns>,
    conn: Arc<Conn>,
}

impl Marker {
    /// Mark the connection busy until the returned guard is dropped.
    pub(crate) fn busy(&self) -> Busy {
        self.conn.busy.fetch_add(1, Ordering::SeqCst);
        Busy {
            conns: self.conns.clone(),
            conn: self.conn.clone(),
        }
    }
}

/// A request being answered; the connection is idle again when the last is dropped.
pub(crate) struct Busy {
    conns: Arc<Conns>,
    conn: Arc<Conn>,
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.conn.idle_since.store(self.conns.now(), Ordering::SeqCst);
        self.conn.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_table_closes_the_connection_idle_longest_and_refuses_when_all_are_busy() {
        let conns = Conns::new();
        let tickets: Vec<Ticket> = (0..MAX_CONNECTIONS).map(|_| conns.admit().unwrap()).collect();
        let busy: Vec<Busy> = tickets[1..].iter().map(|t| t.marker().busy()).collect();
        // Only the first is idle: it makes room, once.
        let newcomer = conns.admit().expect("the idle connection makes room");
        assert_eq!(conns.len(), MAX_CONNECTIONS);
        assert!(!lock(&conns.open).iter().any(|c| c.id == tickets[0].conn.id));
        let _b = newcomer.marker().busy();
        assert!(conns.admit().is_none(), "every connection is busy");
        // A request answered leaves its connection idle: the next newcomer takes its place.
        drop(busy);
        let third = conns.admit().expect("idle again");
        drop((tickets, third));
        assert_eq!(conns.len(), 1, "only the newcomer is left");
        drop(newcomer);
        assert_eq!(conns.len(), 0);
    }

    #[test]
    fn the_evicted_connection_is_told() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let conns = Conns::new();
        let first = conns.admit().unwrap();
        let rest: Vec<Ticket> = (1..MAX_CONNECTIONS).map(|_| conns.admit().unwrap()).collect();
        let _busy: Vec<Busy> = rest.iter().map(|t| t.marker().busy()).collect();
        let _new = conns.admit().unwrap();
        rt.block_on(async {
            tokio::time::timeout(std::time::Duration::from_secs(1), first.evicted())
                .await
                .expect("told at once");
        });
    }
}
