//! `blocsim serve`: a local web page to edit a what-if and watch its paired differences against
//! the baseline tighten as runs arrive. The server sits above [`crate::commands`] (it calls
//! [`crate::commands::serve`], never the CLI): [`http`] answers requests (routes that take a plain
//! request and give a plain reply, without sockets), [`transport`] carries them over HTTP/1.1,
//! [`jobs`] runs one job at a time, [`events`] streams progress as server-sent events, [`setup`]
//! describes the baseline to the page, [`guard`] refuses requests that do not come from the
//! server's own page. The page itself (`assets/serve/`) is compiled into the binary. It binds to
//! 127.0.0.1 unless told otherwise; nothing is written to disk.
//!
//! HTTP comes from hyper on a tokio runtime of [`WORKERS`] threads (the routes run on its blocking
//! pool, at most [`MAX_BLOCKING`] threads; the simulation on its own rayon pool). Every request
//! and connection is bounded, each limit answered cleanly:
//!
//! | limit | value | beyond it |
//! |---|---|---|
//! | request line and headers ([`transport::MAX_HEAD`]) | 16 KiB | 431, closed |
//! | headers ([`transport::MAX_HEADERS`]) | 64 | 431, closed |
//! | malformed request line (not UTF-8, say) | | 400, closed |
//! | body ([`http::MAX_BODY`]) | 64 KiB | 413 (on `Content-Length` before reading; chunked: at the limit), closed |
//! | head ([`transport::HEADER_TIMEOUT`]), also idle keep-alive | 10 s | closed |
//! | body ([`transport::BODY_TIMEOUT`]) | 10 s | 408, closed |
//! | a write without progress ([`WRITE_TIMEOUT`]) | 10 s | closed |
//! | the kernel's send buffer per connection ([`transport::SEND_BUFFER`]) | 128 KiB | writes wait |
//! | connections ([`MAX_CONNECTIONS`]) | 128 | the one idle longest is closed; if all are busy, 503 with `Retry-After: 1`, closed |
//! | event streams ([`events::MAX_STREAMS`]) | 16 | 503 with `Retry-After: 1` |
//! | frames queued per stream ([`events::STREAM_QUEUE`]) | 32 | the stream ends |

mod conns;
mod deadline;
pub mod events;
pub mod guard;
pub mod http;
pub mod jobs;
mod message;
pub mod setup;
pub mod transport;

use std::net::SocketAddr;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::watch;

use crate::commands::serve::Explorer;
use crate::error::Error;

/// Lock a mutex, going on after a panic elsewhere (the server's state stays usable: every value
/// behind its locks is whole between statements).
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub use crate::commands::serve::ServeOptions;
pub use conns::MAX_CONNECTIONS;
pub use deadline::WRITE_TIMEOUT;

/// Threads of the runtime that carries requests.
pub const WORKERS: usize = 2;
/// Threads that run routes at once (more requests wait for one).
pub const MAX_BLOCKING: usize = 8;

/// Stops a server's [`Server::run`]: it stops accepting, ends the event streams and closes the
/// connections (a route being answered gets a second to finish). It does not keep the server
/// alive: once `run` returns, the listening socket is closed.
#[derive(Clone)]
pub struct Stopper(Weak<watch::Sender<bool>>);

impl Stopper {
    /// Stop the server: [`Server::run`] returns (at once if it has not started).
    pub fn stop(&self) {
        if let Some(stop) = self.0.upgrade() {
            stop.send_replace(true);
        }
    }
}

/// A server, bound and ready to run.
pub struct Server {
    /// Address the server listens on.
    pub addr: SocketAddr,
    /// The baseline's name.
    pub baseline: String,
    runtime: tokio::runtime::Runtime,
    listener: tokio::net::TcpListener,
    ctx: Arc<http::Ctx>,
    stop: Arc<watch::Sender<bool>>,
}

impl Server {
    /// Load the baseline and bind; requests are answered once [`Server::run`] is called.
    pub fn bind(opts: &ServeOptions) -> anyhow::Result<Server> {
        let explorer = Explorer::new(&opts.scenario, opts.threads)?;
        let baseline = explorer.baseline().scenario.name.clone();
        let jobs = Arc::new(jobs::Jobs::new(explorer));
        let mut setup = setup::setup(&jobs.explorer, http::MAX_BODY);
        let at = SocketAddr::new(opts.bind, opts.port);
        let cannot = |what: &str, e: std::io::Error| Error::Usage(format!("--bind {} --port {}: {what}: {e}", opts.bind, opts.port));
        let std_listener = std::net::TcpListener::bind(at).map_err(|e| cannot("cannot listen", e))?;
        std_listener.set_nonblocking(true).map_err(|e| cannot("cannot listen", e))?;
        let addr = std_listener.local_addr().map_err(|e| cannot("no address", e))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKERS)
            .max_blocking_threads(MAX_BLOCKING)
            .thread_name("blocsim-http")
            .enable_all()
            .build()
            .map_err(|e| anyhow::anyhow!("cannot start the server's threads: {e}"))?;
        let listener = {
            let _inside = runtime.enter();
            tokio::net::TcpListener::from_std(std_listener).map_err(|e| cannot("cannot listen", e))?
        };
        let guard = guard::Guard::new(addr);
        setup["token"] = serde_json::Value::from(guard.token());
        Ok(Server {
            addr,
            baseline,
            runtime,
            listener,
            ctx: Arc::new(http::Ctx {
                jobs,
                setup: setup.to_string(),
                guard,
            }),
            stop: Arc::new(watch::channel(false).0),
        })
    }

    /// The page's address.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// A handle that stops [`Server::run`] from another thread.
    pub fn stopper(&self) -> Stopper {
        Stopper(Arc::downgrade(&self.stop))
    }

    /// Answer requests until the process ends or a [`Stopper`] stops it.
    pub fn run(self) {
        let Server {
            runtime,
            listener,
            ctx,
            stop,
            ..
        } = self;
        runtime.block_on(transport::accept(listener, ctx.clone(), stop.subscribe()));
        ctx.jobs.hub.end_streams();
        runtime.shutdown_timeout(Duration::from_secs(1));
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    use super::*;

    #[test]
    fn a_stopper_on_another_thread_ends_run_the_streams_and_the_socket() {
        let opts = ServeOptions {
            scenario: "baseline".into(),
            port: 0,
            bind: "127.0.0.1".parse().unwrap(),
            threads: Some(1),
        };
        let server = Server::bind(&opts).unwrap();
        let (addr, stopper) = (server.addr, server.stopper());
        let (done, returned) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            server.run();
            let _ = done.send(());
        });
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        write!(stream, "GET /api/events HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).unwrap();
        assert_eq!(&head, b"HTTP/1.1 200");
        stopper.clone().stop();
        returned.recv_timeout(Duration::from_secs(3)).expect("run returned");
        // The stream ends (closed or reset), rather than waiting for the read timeout.
        if let Err(e) = stream.read_to_end(&mut Vec::new()) {
            use std::io::ErrorKind::{TimedOut, WouldBlock};
            assert!(!matches!(e.kind(), WouldBlock | TimedOut), "the stream did not end: {e}");
        }
        assert!(TcpStream::connect(addr).is_err(), "still listening");
        stopper.stop(); // the server is gone: nothing to do
    }
}
