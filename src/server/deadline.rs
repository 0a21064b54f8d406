//! A socket whose writes time out: a write or flush that makes no progress for [`WRITE_TIMEOUT`]
//! fails with `TimedOut`, and the connection is dropped. This catches a client that stops reading
//! (its socket buffer full), whether it was sent a page or an event stream. Reads are not timed
//! here: the head's deadline is hyper's (`header_read_timeout`), the body's is the transport's.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// Longest time a write may wait for the client to read.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// `io` with a deadline on writes that make no progress.
pub(crate) struct WriteDeadline<S> {
    io: S,
    limit: Duration,
    /// Running while a write waits; made at the first wait.
    timer: Option<Pin<Box<Sleep>>>,
    waiting: bool,
}

impl<S> WriteDeadline<S> {
    pub(crate) fn new(io: S, limit: Duration) -> Self {
        WriteDeadline {
            io,
            limit,
            timer: None,
            waiting: false,
        }
    }

    /// After the inner write said `Pending`: start the clock if it is not running, and fail if
    /// it ran out.
    fn wait<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let deadline = Instant::now() + self.limit;
        let timer = self.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if !self.waiting {
            timer.as_mut().reset(deadline);
            self.waiting = true;
        }
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the client read nothing for {} s", self.limit.as_secs_f32()),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn done<T>(&mut self, r: Poll<io::Result<T>>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        match r {
            Poll::Pending => self.wait(cx),
            ready => {
                self.waiting = false;
                ready
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for WriteDeadline<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteDeadline<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write(cx, buf);
        self.done(r, cx)
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.done(r, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.io).poll_flush(cx);
        self.done(r, cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.io).poll_shutdown(cx);
        self.done(r, cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_that_reads_nothing_times_the_writes_out() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let client = tokio::net::TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            let mut out = WriteDeadline::new(server, Duration::from_millis(200));
            let chunk = vec![0u8; 64 * 1024];
            let started = std::time::Instant::now();
            let mut sent = 0usize;
            let err = loop {
                match std::future::poll_fn(|cx| Pin::new(&mut out).poll_write(cx, &chunk)).await {
                    Ok(n) => sent += n,
                    Err(e) => break e,
                }
                assert!(started.elapsed() < Duration::from_secs(10), "never timed out ({sent} bytes sent)");
            };
            assert_eq!(err.kind(), io::ErrorKind::TimedOut, "{err}");
            assert!(sent > 0 && started.elapsed() >= Duration::from_millis(200));
            drop(client);
        });
    }
}
