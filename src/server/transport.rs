//! HTTP/1.1 on sockets: hyper on the server's small tokio runtime. The accept loop admits a
//! connection (`conns.rs`) or answers 503 itself; each connection is one task, with hyper's
//! limits on the head ([`MAX_HEAD`], [`MAX_HEADERS`], [`HEADER_TIMEOUT`]: 431 or 400 as hyper
//! answers malformed heads, closed on timeout), a deadline on writes (`deadline.rs`) and one
//! on the body ([`BODY_TIMEOUT`]). A request becomes an `http::Request`; the routes run on
//! tokio's blocking pool, and their `http::Reply` becomes the response.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{HeaderValue, RETRY_AFTER};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::conns::{Busy, Conns, Marker};
use super::deadline::{WRITE_TIMEOUT, WriteDeadline};
use super::events::Subscription;
use super::http::{self, Ctx, MAX_BODY, Reply};

/// Largest request line and headers together, in bytes (431 beyond).
pub const MAX_HEAD: usize = 16 * 1024;
/// Most headers in a request (431 beyond).
pub const MAX_HEADERS: usize = 64;
/// Longest wait for a request's whole head, counted from the connection's start or from the end of
/// the previous answer (so also the idle keep-alive time); the connection is closed beyond.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for a request's whole body (408 and closed beyond).
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// The kernel's send buffer of a connection, in bytes (Linux doubles it). Fixed rather than
/// grown by the kernel (up to 4 MiB), so that a client that stops reading holds little there and
/// its event stream fills its queue, and is dropped, soon.
pub const SEND_BUFFER: usize = 128 * 1024;

const SECURITY: [(&str, &str); 3] = [
    ("cache-control", "no-store"),
    ("x-content-type-options", "nosniff"),
    (
        "content-security-policy",
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'",
    ),
];

/// The answer to a connection beyond [`super::MAX_CONNECTIONS`], written by the accept loop.
const FULL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n\
Connection: close\r\nContent-Length: 74\r\n\r\n{\"field\":\"connections\",\"message\":\"too many open connections: retry later\"}";

/// Accept connections until `stop` says true.
pub(crate) async fn accept(listener: TcpListener, ctx: Arc<Ctx>, mut stop: watch::Receiver<bool>) {
    let conns = Conns::new();
    let mut h1 = http1::Builder::new();
    h1.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(MAX_HEAD)
        .max_header_size(MAX_HEAD)
        .max_headers(MAX_HEADERS)
        .half_close(false);
    loop {
        let sock = tokio::select! {
            r = listener.accept() => r,
            _ = stop.wait_for(|s| *s) => return,
        };
        let sock = match sock {
            Ok((s, _)) => s,
            // Out of file descriptors, say: wait rather than spin.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(ticket) = conns.admit() else {
            let _ = sock.try_write(FULL);
            continue;
        };
        let _ = sock.set_nodelay(true);
        let _ = socket2::SockRef::from(&sock).set_send_buffer_size(SEND_BUFFER);
        let io = TokioIo::new(WriteDeadline::new(sock, WRITE_TIMEOUT));
        let (ctx, marker) = (ctx.clone(), ticket.marker());
        let conn = h1.serve_connection(io, service_fn(move |req| answer(req, ctx.clone(), marker.clone())));
        tokio::spawn(async move {
            tokio::select! {
                _ = conn => {}
                _ = ticket.evicted() => {}
            }
        });
    }
}

/// One request: its head checked, its body read within the limits, its route run.
async fn answer(req: hyper::Request<Incoming>, ctx: Arc<Ctx>, marker: Marker) -> Result<hyper::Response<Out>, Infallible> {
    let busy = marker.busy();
    let (parts, body) = req.into_parts();
    let mut r = http::Request {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        body: Vec::new(),
    };
    let read = match http::before_body(&r, &ctx) {
        Err(refused) => Err(refused),
        Ok(true) => read_body(body).await,
        Ok(false) => Ok(Vec::new()),
    };
    let reply = match read {
        Err(reply) => reply,
        Ok(bytes) => {
            r.body = bytes;
            tokio::task::spawn_blocking(move || http::handle(&r, &ctx))
                .await
                .unwrap_or_else(|e| http::error(500, "server", &format!("the route failed: {e}")))
        }
    };
    Ok(response(reply, busy))
}

/// A request's body, within [`MAX_BODY`] bytes and [`BODY_TIMEOUT`].
async fn read_body(body: Incoming) -> Result<Vec<u8>, Reply> {
    if body.size_hint().lower() > MAX_BODY as u64 {
        return Err(http::too_large());
    }
    match tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, MAX_BODY).collect()).await {
        Ok(Ok(b)) => Ok(b.to_bytes().to_vec()),
        Ok(Err(e)) if e.is::<LengthLimitError>() => Err(http::too_large()),
        Ok(Err(e)) => Err(http::error(400, "request", &format!("cannot read the request body: {e}"))),
        Err(_) => Err(http::error(
            408,
            "request",
            &format!("the request body did not arrive within {} s", BODY_TIMEOUT.as_secs()),
        )),
    }
}

/// The response of a reply; the connection stays busy until its body is sent.
fn response(reply: Reply, busy: Busy) -> hyper::Response<Out> {
    let (body, stream) = match reply.body {
        http::Body::Bytes(b) => (Inner::Bytes(Some(b).filter(|b| !b.is_empty())), false),
        http::Body::Events(s) => (Inner::Events(s), true),
    };
    let mut res = hyper::Response::new(Out { body, _busy: busy });
    *res.status_mut() = hyper::StatusCode::from_u16(reply.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let h = res.headers_mut();
    h.insert("content-type", HeaderValue::from_static(reply.kind));
    for (k, v) in if stream { &SECURITY[..2] } else { &SECURITY[..] } {
        h.insert(*k, HeaderValue::from_static(v));
    }
    if let Some(s) = reply.retry_after {
        h.insert(RETRY_AFTER, HeaderValue::from(s));
    }
    // A stream is the connection's last answer; so is one whose body was left unread.
    if stream || matches!(reply.status, 408 | 413) {
        h.insert("connection", HeaderValue::from_static("close"));
    }
    res
}

enum Inner {
    Bytes(Option<Bytes>),
    Events(Subscription),
}

/// A response body that holds its connection busy until it is dropped.
pub(crate) struct Out {
    body: Inner,
    _busy: Busy,
}

impl Body for Out {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match &mut self.body {
            Inner::Bytes(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            Inner::Events(s) => Pin::new(s).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.body, Inner::Bytes(None))
    }

    fn size_hint(&self) -> SizeHint {
        match &self.body {
            Inner::Bytes(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            Inner::Events(s) => s.size_hint(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_full_answer_is_well_formed() {
        let text = std::str::from_utf8(FULL).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let has = |line: String| head.lines().any(|l| l == line);
        assert!(has(format!("Content-Length: {}", body.len())), "{head}");
        assert!(has(format!("Retry-After: {}", http::RETRY_AFTER)), "{head}");
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["field"], "connections");
    }
}
