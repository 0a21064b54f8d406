//! `blocsim serve`: a local web page to edit a what-if and watch its paired differences against
//! the baseline tighten as runs arrive. The server sits above [`crate::commands`] (it calls
//! [`crate::commands::serve`], never the CLI): [`http`] answers requests, [`jobs`] runs one job at
//! a time, [`events`] streams progress as server-sent events, [`setup`] describes the baseline to
//! the page, [`guard`] refuses requests that do not come from the server's own page. The page itself (`assets/serve/`) is compiled into the binary.
//!
//! HTTP comes from `tiny_http`: a small synchronous server without an async runtime, which suits
//! a program whose work runs on its own rayon pool; each connection gets a thread (at most
//! [`MAX_CONNECTIONS`] at once, 503 beyond). It binds to 127.0.0.1 unless told otherwise; nothing
//! is written to disk.

pub mod events;
pub mod guard;
pub mod http;
pub mod jobs;
pub mod setup;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::commands::serve::Explorer;
use crate::error::Error;

/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 64;

pub use crate::commands::serve::ServeOptions;

/// Stops a server's [`Server::run`] loop (requests already being answered finish on their own).
/// It does not keep the server alive: once `run` returns, the listening socket closes.
#[derive(Clone)]
pub struct Stopper(std::sync::Weak<tiny_http::Server>);

impl Stopper {
    /// Stop accepting requests: [`Server::run`] returns.
    pub fn stop(&self) {
        if let Some(http) = self.0.upgrade() {
            http.unblock();
        }
    }
}

/// A running server.
pub struct Server {
    /// Address the server listens on.
    pub addr: SocketAddr,
    /// The baseline's name.
    pub baseline: String,
    http: Arc<tiny_http::Server>,
    ctx: Arc<http::Ctx>,
}

impl Server {
    /// Load the baseline and bind; requests are answered once [`Server::run`] is called.
    pub fn bind(opts: &ServeOptions) -> anyhow::Result<Server> {
        let explorer = Explorer::new(&opts.scenario, opts.threads)?;
        let baseline = explorer.baseline().scenario.name.clone();
        let jobs = Arc::new(jobs::Jobs::new(explorer));
        let setup = setup::setup(&jobs.explorer, http::MAX_BODY);
        let at = SocketAddr::new(opts.bind, opts.port);
        let server = tiny_http::Server::http(at)
            .map_err(|e| Error::Usage(format!("--bind {} --port {}: cannot listen: {e}", opts.bind, opts.port)))?;
        let addr = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| Error::Usage(format!("--bind {}: not an IP address", opts.bind)))?;
        let guard = guard::Guard::new(addr);
        let mut setup = setup;
        setup["token"] = serde_json::Value::from(guard.token());
        Ok(Server {
            addr,
            baseline,
            http: Arc::new(server),
            ctx: Arc::new(http::Ctx {
                jobs,
                setup: setup.to_string(),
                guard,
            }),
        })
    }

    /// The page's address.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// A handle that stops [`Server::run`] from another thread.
    pub fn stopper(&self) -> Stopper {
        Stopper(Arc::downgrade(&self.http))
    }

    /// Answer requests until the process ends or a [`Stopper`] stops it.
    pub fn run(self) {
        let open = Arc::new(AtomicUsize::new(0));
        for req in self.http.incoming_requests() {
            if open.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
                let _ = req.respond(tiny_http::Response::from_string("too many connections").with_status_code(503));
                continue;
            }
            open.fetch_add(1, Ordering::SeqCst);
            let (ctx, open) = (self.ctx.clone(), open.clone());
            std::thread::spawn(move || {
                http::handle(req, &ctx);
                open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    }
}
